/**
 * A pipeline source made ready for sending (`PreparedSource`), the upload limits, and the helpers every
 * kind of source shares: the filename and Content-Type derived from the content, the size checks, and
 * the in-memory forms (bytes, text). core/uploads.ts picks the kind of source; streams and Blobs are in
 * internal/upload-stream.ts, files in internal/upload-file.ts.
 */
import { platform } from "#platform";
import { archiveKind } from "../internal/archive.js";
import { ValidationError } from "./errors.js";

/** The server's upload limit (`common.MaxFileLength`). */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

/** Files and Blobs up to this size are read into memory (validated, replayable, Content-Length). */
export const IN_MEMORY_LIMIT = 4 * 1024 * 1024;

/**
 * Files up to this size are opened, stat'ed and read synchronously (Node). Why: a read this small from
 * the page cache blocks the event loop only briefly, while the asynchronous way pays a libuv threadpool
 * round trip (a thread handoff and wake-up) for each of open, fstat, read and close, and queues behind
 * other threadpool work (DNS lookups, zlib, other file reads). Measured on a 20 KB file, one core:
 * `fs.promises` stat + readFile ≈ 72 µs of CPU, async open/fstat/read/close ≈ 57 µs, the synchronous
 * open/fstat/read/close ≈ 5 µs, which is also how long the event loop is blocked (≈ 45 µs at this
 * 1 MiB bound). Larger files are read asynchronously (up to IN_MEMORY_LIMIT) or streamed.
 */
export const SYNC_READ_LIMIT = 1024 * 1024;

/** A source made ready for sending. */
export interface PreparedSource {
  /** Filename sent in the multipart part. */
  filename: string;
  /** Content-Type of the part. */
  contentType: string;
  /** Size in bytes, when known before sending. */
  size: number | undefined;
  /** In-memory bytes (bytes, small file or Blob). Undefined for text and streams. */
  data: Uint8Array | undefined;
  /** In-memory text (a string or a serialised spec object); written straight into the request body. */
  text: string | undefined;
  /** The spec object, when the source was one. */
  spec: unknown;
  /** Opens the bytes for streaming sources; undefined for in-memory ones. */
  open: (() => AsyncIterable<Uint8Array | string>) | undefined;
  /** True when `open()` may be called again (a file, a Blob); false for one-shot streams. */
  reopenable: boolean;
  /** What the source was, for messages: `string`, `bytes`, `spec object`, `file <path>`, `stream`... */
  description: string;
}

export interface PrepareOptions {
  /** Largest known size accepted (default 32 MiB, the server's limit); `Infinity` turns the check off. */
  maxSize?: number | undefined;
  /** Filename for the multipart part (overrides the derived one). */
  filename?: string | undefined;
  /** Content-Type for the part (overrides the derived one). */
  contentType?: string | undefined;
}

/** Content-Type for a filename. */
export function contentTypeFor(filename: string): string {
  const f = filename.toLowerCase();
  if (f.endsWith(".yaml") || f.endsWith(".yml")) return "application/x-yaml";
  if (f.endsWith(".json")) return "application/json";
  if (f.endsWith(".zip")) return "application/zip";
  if (f.endsWith(".tar.gz") || f.endsWith(".tgz") || f.endsWith(".gz")) return "application/gzip";
  return "application/octet-stream";
}

/** Default filename for in-memory content, by its first bytes. */
export function defaultFilename(bytes: Uint8Array | undefined, text?: string): string {
  if (bytes) {
    const kind = archiveKind(bytes);
    if (kind === "zip") return "pipeline.zip";
    if (kind === "gzip") return "pipeline.tar.gz";
  }
  const start = text ?? (bytes ? platform.utf8Decode(bytes, 0, Math.min(bytes.byteLength, 64)) : "");
  return /^\s*\{/.test(start.charCodeAt(0) === 0xfeff ? start.slice(1) : start)
    ? "pipeline.json"
    : "pipeline.yaml";
}

export function checkSize(size: number, what: string, max: number = MAX_UPLOAD_BYTES): void {
  if (size > max) {
    throw new ValidationError(
      max === MAX_UPLOAD_BYTES
        ? `the pipeline package (${what}) is ${size} bytes; the KFP server accepts at most ${MAX_UPLOAD_BYTES} bytes (32 MiB)`
        : `the pipeline package (${what}) is ${size} bytes; maxSize is ${max}`,
      { field: "source" },
    );
  }
}

export function checkFilename(name: string): string {
  if (typeof name !== "string" || name.trim() === "") {
    throw new ValidationError("filename must be a non-empty string", { field: "filename" });
  }
  return name;
}

export function memory(
  data: Uint8Array,
  opts: PrepareOptions,
  description: string,
  extra?: { filename?: string; contentType?: string },
): PreparedSource {
  checkSize(data.byteLength, description, opts.maxSize);
  const filename = checkFilename(opts.filename ?? extra?.filename ?? defaultFilename(data));
  return {
    filename,
    contentType: opts.contentType ?? extra?.contentType ?? contentTypeFor(filename),
    size: data.byteLength,
    data,
    text: undefined,
    spec: undefined,
    open: undefined,
    reopenable: true,
    description,
  };
}

/** In-memory text: kept as a string (no intermediate bytes; the body is written from it). */
export function textSource(
  text: string,
  opts: PrepareOptions,
  description: string,
  spec?: unknown,
): PreparedSource {
  const size = platform.utf8Length(text);
  checkSize(size, description, opts.maxSize);
  const filename = checkFilename(
    opts.filename ?? (spec === undefined ? defaultFilename(undefined, text) : "pipeline.yaml"),
  );
  return {
    filename,
    contentType: opts.contentType ?? contentTypeFor(filename),
    size,
    data: undefined,
    text,
    spec,
    open: undefined,
    reopenable: true,
    description,
  };
}
