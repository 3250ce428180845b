/**
 * multipart/form-data framing written by hand (one file part), so uploads go straight through undici's
 * `dispatch` without `fetch`/`FormData`:
 *
 *   --<boundary>\r\n
 *   Content-Disposition: form-data; name="uploadfile"; filename="<escaped>"\r\n
 *   Content-Type: <type>\r\n
 *   \r\n
 *   <file bytes>
 *   \r\n--<boundary>--\r\n
 *
 * The filename is escaped like browsers and undici do (`"` → %22, CR → %0D, LF → %0A), and also `\` and
 * other control characters, so a filename can neither end the quoted string nor add a header line.
 * The boundary is `kfp-ts-` + 24 random hex characters (96 bits): the chance that it occurs in a file is
 * negligible, so the content is not scanned.
 *
 * In-memory content becomes one body byte array per upload, nothing of it is kept after the call (an earlier
 * version re-sent the body of an identical earlier upload; with a different document every time, as
 * users upload, it only cost a comparison, and it kept package content in module state).
 */
import { platform } from "#platform";
import { ValidationError } from "../core/errors.js";

/** Form field name the KFP upload handlers read (`r.FormFile("uploadfile")`). */
export const UPLOAD_FIELD = "uploadfile";

/** A fresh random boundary, e.g. `kfp-ts-3f9a0c...` (31 characters). */
export function newBoundary(): string {
  return `kfp-ts-${platform.randomHex(12)}`;
}

/** Escape a filename for the quoted `filename="..."` parameter. */
export function escapeFilename(name: string): string {
  return name.replace(
    /["\\\x00-\x1f\x7f]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

/** Escape a form field name (same rules as the filename). */
function escapeName(name: string): string {
  return escapeFilename(name);
}

/** `multipart/form-data; boundary=<boundary>` */
export function multipartContentType(boundary: string): string {
  return `multipart/form-data; boundary=${boundary}`;
}

/** Everything before the file bytes. */
export function multipartHead(
  boundary: string,
  filename: string,
  contentType: string,
  field = UPLOAD_FIELD,
): Uint8Array {
  // The content type is ours (a fixed list) or the caller's; strip CR/LF defensively.
  const ct = contentType.replace(/[\r\n]/g, "");
  return platform.utf8Encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(field)}"; filename="${escapeFilename(filename)}"\r\nContent-Type: ${ct}\r\n\r\n`,
  );
}

/** Everything after the file bytes (the closing delimiter). */
export function multipartTail(boundary: string): Uint8Array {
  // The boundary is ASCII: its UTF-8 bytes are its Latin-1 bytes.
  return platform.utf8Encode(`\r\n--${boundary}--\r\n`);
}

/** A complete multipart body for in-memory content. */
export function multipartBuffer(
  boundary: string,
  filename: string,
  contentType: string,
  data: Uint8Array,
): Uint8Array {
  const head = multipartHead(boundary, filename, contentType);
  const tail = multipartTail(boundary);
  const out = platform.allocBytes(head.length + data.byteLength + tail.length);
  out.set(head, 0);
  out.set(data, head.length);
  out.set(tail, head.length + data.byteLength);
  return out;
}

/** A complete multipart body for in-memory text (encoded straight into the body buffer). */
export function multipartText(
  boundary: string,
  filename: string,
  contentType: string,
  text: string,
  byteLength = platform.utf8Length(text),
): Uint8Array {
  const head = multipartHead(boundary, filename, contentType);
  const tail = multipartTail(boundary);
  const out = platform.allocBytes(head.length + byteLength + tail.length);
  out.set(head, 0);
  const written = platform.utf8Write(out, text, head.length);
  if (written !== byteLength) throw new Error("multipartText: byte length mismatch");
  out.set(tail, head.length + byteLength);
  return out;
}

/** Total body length for a file of `size` bytes. */
export function multipartLength(
  boundary: string,
  filename: string,
  contentType: string,
  size: number,
): number {
  return multipartHead(boundary, filename, contentType).length + size + multipartTail(boundary).length;
}

/** What `multipartBody` needs from a prepared source (see core/uploads.ts). */
export interface MultipartSource {
  filename: string;
  contentType: string;
  size: number | undefined;
  data: Uint8Array | undefined;
  /** In-memory text, written straight into the body (with `size` = its UTF-8 length). */
  text?: string | undefined;
  open: (() => AsyncIterable<Uint8Array | string>) | undefined;
  reopenable: boolean;
  description: string;
}

/** Body source shape expected by the transport (kept structural to avoid an import cycle). */
export interface MultipartBody {
  contentType: string;
  length: number | undefined;
  take(): Uint8Array | AsyncIterable<Uint8Array>;
  canReplay(): boolean;
  /** True once bytes were pulled from a one-shot source. */
  readonly touched: boolean;
}

/**
 * The multipart body of an upload. In-memory content becomes one byte array (Content-Length, replayable).
 * Streams are framed by an async generator: head, the source's chunks as they come, tail — nothing is
 * buffered, and the byte count is checked against `limit` (and against the known size) on the way.
 */
export function multipartBody(
  src: MultipartSource,
  limit: number,
  onLimit: (size: number) => Error,
  boundaryOption?: string,
): MultipartBody {
  if (src.text !== undefined || src.data) return inMemoryBody(src, boundaryOption);
  const boundary = boundaryOption ?? newBoundary();
  const contentType = multipartContentType(boundary);
  const open = src.open;
  if (!open) throw new Error("multipartBody: source has neither data nor open()");
  const head = multipartHead(boundary, src.filename, src.contentType);
  const tail = multipartTail(boundary);
  const expected = src.size;
  const state = { touched: false };
  async function* frame(): AsyncGenerator<Uint8Array> {
    yield head;
    state.touched = true;
    let total = 0;
    for await (const chunk of (open as () => AsyncIterable<Uint8Array | string>)()) {
      const b = typeof chunk === "string" ? platform.utf8Encode(chunk) : chunk;
      if (b.byteLength === 0) continue;
      total += b.byteLength;
      if (total > limit) throw onLimit(total);
      if (expected !== undefined && total > expected) throw sizeChanged(src.description, expected, total);
      yield b;
    }
    if (expected !== undefined && total !== expected) throw sizeChanged(src.description, expected, total);
    yield tail;
  }
  return {
    contentType,
    length: expected === undefined ? undefined : head.length + expected + tail.length,
    take: () => frame(),
    canReplay: () => src.reopenable || !state.touched,
    get touched() {
      return state.touched;
    },
  };
}

/** The body of in-memory content: one byte array (head, content, tail), replayable, with Content-Length. */
function inMemoryBody(src: MultipartSource, boundaryOption: string | undefined): MultipartBody {
  const { filename, contentType: partType, text, data } = src;
  const boundary = boundaryOption ?? newBoundary();
  const head = multipartHead(boundary, filename, partType);
  const tail = multipartTail(boundary);
  const size = text !== undefined ? (src.size ?? platform.utf8Length(text)) : (data as Uint8Array).byteLength;
  const body = platform.allocBytes(head.length + size + tail.length);
  body.set(head, 0);
  if (text !== undefined) {
    if (platform.utf8Write(body, text, head.length) !== size)
      throw new Error("multipartBody: byte length mismatch");
  } else body.set(data as Uint8Array, head.length);
  body.set(tail, head.length + size);
  return {
    contentType: multipartContentType(boundary),
    length: body.length,
    take: () => body,
    canReplay: () => true,
    touched: false,
  };
}

function sizeChanged(what: string, expected: number, got: number): ValidationError {
  return new ValidationError(
    `the ${what} changed size while it was being sent (expected ${expected} bytes, read at least ${got})`,
    { field: "source" },
  );
}
