/** Parse a recorded multipart body with busboy (an independent parser). */
import { Readable } from "node:stream";
import busboy from "busboy";

export interface ParsedPart {
  field: string;
  filename: string;
  mimeType: string;
  data: Buffer;
}

export function parseMultipart(
  contentType: string,
  body: Buffer,
): Promise<{ files: ParsedPart[]; fields: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const files: ParsedPart[] = [];
    const fields: Record<string, string> = {};
    const bb = busboy({ headers: { "content-type": contentType }, preservePath: true });
    bb.on("file", (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () =>
        files.push({
          field,
          filename: info.filename ?? "",
          mimeType: info.mimeType,
          data: Buffer.concat(chunks),
        }),
      );
    });
    bb.on("field", (name, value) => {
      fields[name] = value;
    });
    bb.on("error", reject);
    bb.on("close", () => resolve({ files, fields }));
    Readable.from([body]).pipe(bb);
  });
}

/** Split a raw multipart body by hand and check the framing byte by byte. */
export function checkFraming(
  contentType: string,
  body: Buffer,
): { boundary: string; headers: string; content: Buffer } {
  const m = /^multipart\/form-data; boundary=([A-Za-z0-9'()+_,\-./:=?]{1,70})$/.exec(contentType);
  if (!m) throw new Error(`bad content-type: ${contentType}`);
  const boundary = m[1] as string;
  const open = Buffer.from(`--${boundary}\r\n`);
  if (!body.subarray(0, open.length).equals(open))
    throw new Error("body does not start with --boundary CRLF");
  const close = Buffer.from(`\r\n--${boundary}--\r\n`);
  if (!body.subarray(body.length - close.length).equals(close))
    throw new Error("body does not end with the closing delimiter");
  const headerEnd = body.indexOf("\r\n\r\n", open.length);
  if (headerEnd < 0) throw new Error("no blank line after the part headers");
  const headers = body.subarray(open.length, headerEnd).toString("utf8");
  const content = body.subarray(headerEnd + 4, body.length - close.length);
  // The boundary must not occur inside the part (only the two delimiters).
  const delim = Buffer.from(`--${boundary}`);
  let count = 0;
  for (let i = body.indexOf(delim); i >= 0; i = body.indexOf(delim, i + 1)) count++;
  if (count !== 2) throw new Error(`boundary occurs ${count} times`);
  return { boundary, headers, content };
}
