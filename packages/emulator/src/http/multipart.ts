/**
 * Reading a multipart upload the way Go's `r.FormFile("uploadfile")` does in upstream
 * `pipeline_upload_server.go`: the first part named `uploadfile` with a non-empty filename, the
 * filename reduced by `filepath.Base`, files over the upload limit flagged instead of kept.
 */
import busboy from "busboy";
import type { RequestContext } from "./context.js";
import { watchParts } from "./inspector.js";
import { MAX_MULTIPART_FIELD_BYTES, MAX_MULTIPART_PARTS } from "./limits.js";

/** Go `r.FormFile("uploadfile")`: the first part with that name and a non-empty filename. */
export interface FormFile {
  filename: string;
  data: Buffer;
  /** The file exceeded the upload limit (its content was discarded). */
  tooLarge?: boolean;
}

/**
 * `filepath.Base` on Linux, as Go's `multipart.Part.FileName()` applies it: the last `/`-separated
 * element, trailing slashes ignored (a backslash is an ordinary character); "" stays "" (no file).
 */
export function goBaseName(name: string): string {
  if (name === "") return "";
  const trimmed = name.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/**
 * Go `mime.ParseMediaType` as `multipart.Reader` uses it: the media type must be multipart/form-data
 * with a non-empty `boundary`, and a parameter named twice (in any case) is an error ("mime:
 * duplicate parameter name"), so `r.FormFile` fails and the upload is refused like a missing file.
 * Returns the problem, or undefined when the header is usable.
 */
export function multipartHeaderProblem(contentType: string): string | undefined {
  const [type, ...rest] = splitParams(contentType);
  if (!/^multipart\/form-data$/i.test((type ?? "").trim()))
    return "request Content-Type isn't multipart/form-data";
  const seen = new Set<string>();
  let boundary = "";
  for (const param of rest) {
    if (param.trim() === "") continue;
    const eq = param.indexOf("=");
    if (eq <= 0) return "mime: invalid media parameter";
    const name = param.slice(0, eq).trim().toLowerCase();
    if (seen.has(name)) return "mime: duplicate parameter name";
    seen.add(name);
    if (name === "boundary")
      boundary = param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/s, "$1");
  }
  return boundary === "" ? "no multipart boundary param in Content-Type" : undefined;
}

/** `a; b="x;y"; c` → ["a", " b=\"x;y\"", " c"] (semicolons inside quotes kept). */
function splitParams(header: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === "\\" && quoted) {
      cur += c + (header[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === ";" && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * The `uploadfile` part of a multipart request, or undefined when Go's `r.FormFile` would fail: no
 * such part, a bad Content-Type (duplicate parameters included), a malformed or truncated body, more
 * than MAX_MULTIPART_PARTS parts or a non-file field over MAX_MULTIPART_FIELD_BYTES. Never throws and
 * never leaves an error event unhandled.
 */
export function formFile(ctx: RequestContext): Promise<FormFile | undefined> {
  const ct = ctx.headers["content-type"];
  if (!ct || !/^multipart\/form-data/i.test(ct)) return Promise.resolve(undefined);
  // Go keeps oversize multipart files on disk and fails later on the size check.
  if (ctx.bodyTooLarge) return Promise.resolve({ filename: "", data: Buffer.alloc(0), tooLarge: true });
  if (multipartHeaderProblem(ct)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (v: FormFile | undefined) => {
      if (settled) return;
      settled = true;
      resolve(v);
    };
    let bb: busboy.Busboy;
    try {
      // busboy reports `limit` once a file reaches `fileSize` bytes; the server rejects files *longer*
      // than the maximum, so a file of exactly the maximum must not trip it.
      // The filename is taken as sent (`preservePath`) and reduced the Go way below (busboy's own
      // basename also splits on backslashes).
      bb = busboy({
        headers: { "content-type": ct },
        preservePath: true,
        limits: {
          fileSize: ctx.config.maxUploadBytes + 1,
          parts: MAX_MULTIPART_PARTS,
          fieldSize: MAX_MULTIPART_FIELD_BYTES,
        },
      });
    } catch {
      settle(undefined);
      return;
    }
    let found: FormFile | undefined;
    let tooLarge = false;
    let anyLimit = false;
    let failed = false;
    // The inspector's summary of the same parse (usable unless a file hit the size limit, which the
    // inspector's own parse does not have).
    const parts = watchParts(bb);
    bb.on("file", (name, stream, info) => {
      const chunks: Buffer[] = [];
      const wanted = name === "uploadfile" && !!info.filename && !found;
      // A truncated body fails the part's stream: the whole form is then unreadable, as in Go.
      stream.on("error", () => {
        failed = true;
      });
      stream.on("data", (c: Buffer) => {
        if (wanted) chunks.push(c);
      });
      stream.on("limit", () => {
        anyLimit = true;
        if (wanted) tooLarge = true;
      });
      stream.on("end", () => {
        if (wanted && !found) {
          const fname = info.filename ?? "";
          const base = goBaseName(fname);
          found = { filename: base, data: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks) };
          if (tooLarge) found.tooLarge = true;
        }
      });
    });
    bb.on("field", (_name, _value, info) => {
      if (info.valueTruncated) failed = true;
    });
    bb.on("partsLimit", () => {
      failed = true;
    });
    bb.on("close", () => {
      if (!anyLimit) ctx.inspectedParts = parts;
      settle(failed ? undefined : found);
    });
    bb.on("error", () => settle(undefined));
    try {
      bb.end(ctx.body);
    } catch {
      settle(undefined);
    }
  });
}
