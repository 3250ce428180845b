/**
 * Request inspector: the last N requests (default 200) with secrets redacted, served at
 * `GET /_emulator/requests` and `emu.requests()`. Credentials never enter the buffer: headers such
 * as Authorization, Cookie, X-Auth-Token or any header/query name that looks like a secret are
 * replaced by "[redacted]" before an entry is stored, and bodies are summarised (multipart parts by
 * name/filename/type/size/first 64 bytes, which are "[redacted]" for secret-looking part names, and
 * for file parts a longer `preview` of a package; JSON by size and a prefix). The response is kept as
 * its content type, size and first 256 characters (`response`).
 */
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import busboy from "busboy";
import { MAX_MULTIPART_FIELD_BYTES, MAX_MULTIPART_PARTS } from "./limits.js";

export interface PartSummary {
  name: string;
  filename?: string;
  content_type?: string;
  size: number;
  /** First 64 bytes as text. */
  head: string;
  /** File parts: the first PREVIEW_BYTES bytes as text (a package's header comment and first keys). */
  preview?: string;
}

/** Bytes of a file part kept as its preview. */
export const PREVIEW_BYTES = 1024;

export interface ResponseSummary {
  content_type?: string;
  /** Bytes of the body sent (0 for an empty body). */
  size: number;
  /** The first 256 characters of a body sent in one piece (JSON answers and errors). */
  prefix?: string;
}

export interface BodySummary {
  size: number;
  content_type?: string;
  /** For JSON/text bodies: the first 256 characters. */
  prefix?: string;
  /** For multipart bodies. */
  parts?: PartSummary[];
  /** The body was larger than the server's limit and was discarded. */
  truncated?: boolean;
}

export interface InspectedRequest {
  seq: number;
  time: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[]>;
  /** HTTP status sent; 0 when the connection was dropped without a response. */
  status: number;
  duration_ms: number;
  api?: string;
  route?: string;
  fault?: string;
  body?: BodySummary;
  response?: ResponseSummary;
  /** Multi-user mode: the identified user (a user sees only their own entries). */
  user?: string;
}

export const REDACTED = "[redacted]";

const SECRET_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-auth-token|x-api-key|x-amz-security-token)$|token|secret|password|passwd|session|credential|api[-_]?key|auth/i;
const SECRET_QUERY =
  /^(token|access_token|id_token|refresh_token|api_key|apikey|key|password|secret|client_secret|auth|authorization|session)$/i;

export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k] = SECRET_HEADER.test(k) ? REDACTED : v;
  }
  return out;
}

export function redactQuery(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key).map((v) => (SECRET_QUERY.test(key) ? REDACTED : v));
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

/**
 * Summarise a request body (synchronously for JSON/text; multipart parsing is async). `knownParts`:
 * the part summaries of a handler that already parsed the multipart body the same way (`watchParts`).
 */
export async function summarizeBody(
  contentType: string | undefined,
  body: Buffer,
  truncated: boolean,
  knownParts?: PartSummary[],
): Promise<BodySummary | undefined> {
  if (body.length === 0 && !truncated) return undefined;
  const summary: BodySummary = { size: body.length };
  if (contentType) summary.content_type = contentType;
  if (truncated) summary.truncated = true;
  if (contentType && /^multipart\/form-data/i.test(contentType) && !truncated) {
    const parts = knownParts ?? (await multipartParts(contentType, body));
    if (parts) {
      summary.parts = parts;
      return summary;
    }
  }
  summary.prefix = body.subarray(0, 256).toString("utf8");
  return summary;
}

/**
 * Summaries of the parts `bb` emits, filled in as it parses (complete once it closes). Handlers that
 * parse a multipart body anyway use it to spare the inspector a second parse (`ctx.inspectedParts`).
 */
export function watchParts(bb: busboy.Busboy): PartSummary[] {
  const parts: PartSummary[] = [];
  bb.on("file", (name, stream, info) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let headLen = 0;
    // A truncated body fails the part's stream; the summary keeps what arrived.
    stream.on("error", () => {});
    stream.on("data", (c: Buffer) => {
      size += c.length;
      if (headLen < PREVIEW_BYTES) {
        chunks.push(c.subarray(0, PREVIEW_BYTES - headLen));
        headLen += Math.min(c.length, PREVIEW_BYTES - headLen);
      }
    });
    stream.on("end", () => {
      const secret = SECRET_QUERY.test(name);
      const first = Buffer.concat(chunks);
      const head = secret ? REDACTED : first.subarray(0, 64).toString("utf8");
      const p: PartSummary = { name, size, head };
      if (first.length > 64) p.preview = secret ? REDACTED : first.toString("utf8");
      if (info.filename !== undefined) p.filename = info.filename;
      if (info.mimeType) p.content_type = info.mimeType;
      parts.push(p);
    });
  });
  bb.on("field", (name, value) => {
    const size = Buffer.byteLength(value);
    const p: PartSummary = { name, size, head: SECRET_QUERY.test(name) ? REDACTED : value.slice(0, 64) };
    parts.push(p);
  });
  return parts;
}

function multipartParts(contentType: string, body: Buffer): Promise<PartSummary[] | undefined> {
  return new Promise((resolve) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: { "content-type": contentType },
        preservePath: true,
        limits: { fieldSize: MAX_MULTIPART_FIELD_BYTES, parts: MAX_MULTIPART_PARTS },
      });
    } catch {
      resolve(undefined);
      return;
    }
    const parts = watchParts(bb);
    bb.on("close", () => resolve(parts));
    bb.on("error", () => resolve(parts.length ? parts : undefined));
    try {
      bb.end(body);
    } catch {
      resolve(parts.length ? parts : undefined);
    }
  });
}

/**
 * Watch what `res` sends and return a function that summarises it (content type, size, and the first
 * 256 characters when the body went out in one `end(body)` call, as every JSON answer does).
 */
export function watchResponse(res: ServerResponse): () => ResponseSummary | undefined {
  let prefix: string | undefined;
  let type: string | undefined;
  let length: number | undefined;
  // Headers given to writeHead directly are not kept by node:http (getHeader misses them).
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const headers = args.find((a, i) => i > 0 && typeof a === "object" && a !== null && !Array.isArray(a));
    for (const [k, v] of Object.entries((headers ?? {}) as Record<string, unknown>)) {
      const key = k.toLowerCase();
      if (key === "content-type" && typeof v === "string") type = v;
      else if (key === "content-length") length = Number(v);
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse["writeHead"];
  const end = res.end;
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk === "string") prefix = chunk.slice(0, 256);
    else if (Buffer.isBuffer(chunk)) prefix = chunk.subarray(0, 256).toString("utf8");
    return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse["end"];
  return () => {
    if (!res.headersSent) return undefined;
    const t = type ?? res.getHeader("content-type");
    const n = length ?? Number(res.getHeader("content-length"));
    const out: ResponseSummary = { size: Number.isFinite(n) ? n : Buffer.byteLength(prefix ?? "") };
    if (typeof t === "string") out.content_type = t;
    if (prefix !== undefined && prefix !== "") out.prefix = prefix;
    return out;
  };
}

export class Inspector {
  // Entries are kept as JSON text in a ring: one string per request instead of a dozen small
  // objects, which a busy server would otherwise copy at every young-generation collection.
  private ring: string[] = [];
  private next = 0;
  private seq = 0;

  constructor(private readonly size: number) {}

  /** Whether requests are kept at all (size > 0). */
  get enabled(): boolean {
    return this.size > 0;
  }

  record(entry: Omit<InspectedRequest, "seq">): void {
    if (this.size <= 0) return;
    const text = JSON.stringify({ seq: ++this.seq, ...entry });
    if (this.ring.length < this.size) this.ring.push(text);
    else this.ring[this.next] = text;
    this.next = (this.next + 1) % this.size;
  }

  /** Oldest first; each call returns new objects. With `user`: only that user's entries. */
  list(user?: string): InspectedRequest[] {
    const n = this.ring.length;
    const start = n < this.size ? 0 : this.next;
    const out: InspectedRequest[] = [];
    for (let i = 0; i < n; i++) {
      const entry = JSON.parse(this.ring[(start + i) % n]!) as InspectedRequest;
      if (user === undefined || entry.user === user) out.push(entry);
    }
    return out;
  }

  clear(): void {
    this.ring = [];
    this.next = 0;
  }
}
