/**
 * Reading a multipart upload the way Go's `r.FormFile("uploadfile")` does in upstream
 * `pipeline_upload_server.go`: the first part named `uploadfile` with a non-empty filename, the
 * filename reduced by `filepath.Base`, files over the upload limit flagged instead of kept.
 */
import busboy from "busboy";
import type { RequestContext } from "../context.js";
import { watchParts } from "../inspector.js";

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

export function formFile(ctx: RequestContext): Promise<FormFile | undefined> {
  const ct = ctx.headers["content-type"];
  if (!ct || !/^multipart\/form-data/i.test(ct)) return Promise.resolve(undefined);
  // Go keeps oversize multipart files on disk and fails later on the size check.
  if (ctx.bodyTooLarge) return Promise.resolve({ filename: "", data: Buffer.alloc(0), tooLarge: true });
  return new Promise((resolve) => {
    let bb: busboy.Busboy;
    try {
      // busboy reports `limit` once a file reaches `fileSize` bytes; the server rejects files *longer*
      // than the maximum, so a file of exactly the maximum must not trip it.
      // The filename is taken as sent (`preservePath`) and reduced the Go way below (busboy's own
      // basename also splits on backslashes).
      bb = busboy({
        headers: { "content-type": ct },
        preservePath: true,
        limits: { fileSize: ctx.config.maxUploadBytes + 1 },
      });
    } catch {
      resolve(undefined);
      return;
    }
    let found: FormFile | undefined;
    let tooLarge = false;
    let anyLimit = false;
    // The inspector's summary of the same parse (usable unless a file hit the size limit, which the
    // inspector's own parse does not have).
    const parts = watchParts(bb);
    bb.on("file", (name, stream, info) => {
      const chunks: Buffer[] = [];
      const wanted = name === "uploadfile" && !!info.filename && !found;
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
    bb.on("close", () => {
      if (!anyLimit) ctx.inspectedParts = parts;
      resolve(found);
    });
    bb.on("error", () => resolve(undefined));
    bb.end(ctx.body);
  });
}
