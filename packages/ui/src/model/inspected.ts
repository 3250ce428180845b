/**
 * The emulator's inspector entries (`GET /_emulator/requests`, packages/emulator/src/http/inspector.ts)
 * as the UI reads them, and the pure helpers of the Requests page: filtering, copy as curl, the
 * preview of a multipart part and pretty JSON.
 */

export interface PartSummary {
  name: string;
  filename?: string;
  content_type?: string;
  size: number;
  head: string;
  /** File parts: the first KiB (emulators with the longer preview). */
  preview?: string;
}

export interface BodySummary {
  size: number;
  content_type?: string;
  prefix?: string;
  parts?: PartSummary[];
  truncated?: boolean;
}

export interface ResponseSummary {
  content_type?: string;
  size: number;
  prefix?: string;
}

export interface InspectedRequest {
  seq: number;
  time: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[]>;
  status: number;
  duration_ms: number;
  api?: string;
  route?: string;
  fault?: string;
  body?: BodySummary;
  response?: ResponseSummary;
  user?: string;
}

export const REDACTED = "[redacted]";

/** Shell single quotes: `it's` → `'it'\''s'`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const SKIP_HEADERS = new Set([
  "host",
  "content-length",
  "connection",
  "transfer-encoding",
  "accept-encoding",
]);

/** The query string of an entry (keys and values encoded; repeated keys kept). */
export function queryString(query: Record<string, string | string[]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * A curl command that repeats the request against `base`. Redacted headers stay redacted (the
 * inspector never had them: fill them in); a multipart body becomes `-F` parts (files by name, to be
 * supplied); a JSON body is included when the inspector kept all of it, else a note says it was cut.
 */
export function toCurl(r: InspectedRequest, base: string): string {
  const lines = [
    `curl -X ${r.method} ${shellQuote(`${base.replace(/\/$/, "")}${r.path}${queryString(r.query)}`)}`,
  ];
  const multipart = r.body?.parts !== undefined;
  for (const [k, v] of Object.entries(r.headers)) {
    const name = k.toLowerCase();
    if (SKIP_HEADERS.has(name)) continue;
    if (multipart && name === "content-type") continue; // curl writes its own boundary
    for (const x of Array.isArray(v) ? v : [v]) lines.push(`-H ${shellQuote(`${k}: ${x}`)}`);
  }
  const body = r.body;
  if (body?.parts) {
    for (const p of body.parts) {
      if (p.filename !== undefined) {
        const type = p.content_type ? `;type=${p.content_type}` : "";
        lines.push(`-F ${shellQuote(`${p.name}=@${p.filename || "file"}${type}`)}`);
      } else lines.push(`-F ${shellQuote(`${p.name}=${p.size <= 64 ? p.head : `${p.head}…`}`)}`);
    }
  } else if (body?.prefix !== undefined) {
    const whole = body.prefix.length >= body.size;
    lines.push(`--data-raw ${shellQuote(body.prefix)}`);
    if (!whole)
      lines.push(`# the body was ${body.size} bytes: the inspector kept the first ${body.prefix.length}`);
  }
  return lines.join(" \\\n  ");
}

/** What a multipart part holds, judged from its first bytes and filename. */
export function describePart(p: PartSummary): string {
  const head = p.head;
  const name = (p.filename ?? "").toLowerCase();
  if (head.startsWith("PK\u0003\u0004") || name.endsWith(".zip")) return "zip archive";
  if (head.startsWith("\u001f\u008b") || head.startsWith("\u001f\ufffd") || /\.(tgz|tar\.gz)$/.test(name))
    return "gzip archive";
  if (/^\s*\{/.test(head) || name.endsWith(".json")) return "JSON document";
  if (
    /^\s*(#|---|components:|pipelineInfo:|deploymentSpec:|root:|schemaVersion:|sdkVersion:|apiVersion:)/.test(
      head,
    )
  )
    return /apiVersion:/.test(head) ? "YAML (Argo workflow, v1 package)" : "YAML pipeline package";
  if (p.filename === undefined) return "form field";
  return p.content_type ?? "file";
}

/** Preview text of a part: its first bytes (the longer preview when kept) with control characters as dots. */
export function partPreview(p: PartSummary): string {
  return (p.preview ?? p.head).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/g, "·");
}

/** JSON pretty-printed when the text parses, else undefined. */
export function prettyJson(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return undefined;
  }
}

export interface RequestFilter {
  /** Substring of the path (case-insensitive). */
  path?: string;
  /** "2xx", "4xx", "5xx", "error" (≥ 400 or dropped) or an exact status. */
  status?: string;
}

export function matchesFilter(r: InspectedRequest, f: RequestFilter): boolean {
  if (f.path && !r.path.toLowerCase().includes(f.path.toLowerCase())) return false;
  const s = f.status?.trim();
  if (s) {
    if (/^[1-5]xx$/i.test(s)) return Math.floor(r.status / 100) === Number(s[0]);
    if (s === "error") return r.status >= 400 || r.status === 0;
    if (/^\d+$/.test(s)) return r.status === Number(s);
  }
  return true;
}
