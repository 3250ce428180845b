/**
 * Pipeline package sources and their normalisation for upload.
 *
 * Accepted sources:
 * - a string: the package **content** (never a path; use `fromPath()` or `{ path }` for files);
 * - `Buffer` / `Uint8Array` / `ArrayBuffer`;
 * - `Blob` / `File` (a File's name is used as the filename);
 * - a Node `Readable` (an `fs.ReadStream`'s path gives the filename), a web `ReadableStream`, or any
 *   `AsyncIterable` of bytes (strings are UTF-8 encoded);
 * - a pipeline spec object (a `PipelineSpec`, or `{ pipeline_spec, platform_spec }` as the API returns
 *   it): serialised to YAML;
 * - a file: `fromPath(path)` or `{ path }` — files up to 4 MiB are read into memory (checked, and sent
 *   with Content-Length; a retry re-sends the same bytes); larger files are streamed from disk and
 *   reopened on a retry.
 *
 * Filenames: the server picks YAML/JSON by the part's filename and zip/tar.gz by magic bytes
 * (FACTS.md §4.1). In-memory content gets `pipeline.yaml`, `pipeline.json` (content starting with `{`),
 * `pipeline.zip` or `pipeline.tar.gz`; streams get their file's name (an `fs.ReadStream`) or the caller's
 * `filename`, else `pipeline.zip` / `pipeline.tar.gz` when their first bytes are an archive's magic (the
 * first chunk is read ahead and sent first) and `pipeline.yaml` otherwise.
 * Sizes are checked against the server's 32 MiB limit before sending when known, and while streaming
 * otherwise.
 */
import {
  closeSync,
  createReadStream,
  constants as fsConstants,
  fstatSync,
  openSync,
  readSync,
} from "node:fs";
import { open as fsOpen, readFile } from "node:fs/promises";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { ValidationError } from "./errors.js";
import { archiveKind, specToYaml } from "./spec.js";

/** The server's upload limit (`common.MaxFileLength`). */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

/** Files and Blobs up to this size are read into memory (validated, replayable, Content-Length). */
export const IN_MEMORY_LIMIT = 4 * 1024 * 1024;

/** A file on disk, streamed (or read, when small) at upload time. Create with `fromPath()`. */
export class FileSource {
  readonly path: string;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  constructor(path: string, options?: { filename?: string; contentType?: string }) {
    if (typeof path !== "string" || path === "") {
      throw new ValidationError("fromPath() needs a non-empty file path", { field: "path" });
    }
    this.path = path;
    this.filename = options?.filename;
    this.contentType = options?.contentType;
  }
}

/** Upload a file from disk: `pipelines.upload(fromPath("pipeline.yaml"), {...})`. */
export function fromPath(path: string, options?: { filename?: string; contentType?: string }): FileSource {
  return new FileSource(path, options);
}

/** A pipeline spec object (`PipelineSpec`), or the `{pipeline_spec, platform_spec}` form. */
export type PipelineSpecObject =
  | { pipelineInfo: unknown; root?: unknown; [key: string]: unknown }
  | {
      pipeline_spec: unknown;
      platform_spec?: unknown;
    };

/** Everything `upload`, `uploadVersion` and `publish` accept: content (a string is content, never a path), bytes, a Blob, a Node or web stream, an async iterable of bytes, a spec object, or a file (`fromPath()` / `{ path }`). */
export type PipelineSource =
  | string
  | Uint8Array
  | ArrayBuffer
  | Blob
  | Readable
  | NodeJS.ReadableStream
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | PipelineSpecObject
  | FileSource
  | { path: string; filename?: string; contentType?: string };

/** A source made ready for sending. */
export interface PreparedSource {
  /** Filename sent in the multipart part. */
  filename: string;
  /** Content-Type of the part. */
  contentType: string;
  /** Size in bytes, when known before sending. */
  size: number | undefined;
  /** In-memory bytes (bytes, small file or Blob). Undefined for text and streams. */
  data: Buffer | undefined;
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
  const start =
    text ??
    (bytes
      ? Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 64)).toString("utf8")
      : "");
  return /^\s*\{/.test(start.charCodeAt(0) === 0xfeff ? start.slice(1) : start)
    ? "pipeline.json"
    : "pipeline.yaml";
}

function checkSize(size: number, what: string, max: number = MAX_UPLOAD_BYTES): void {
  if (size > max) {
    throw new ValidationError(
      max === MAX_UPLOAD_BYTES
        ? `the pipeline package (${what}) is ${size} bytes; the KFP server accepts at most ${MAX_UPLOAD_BYTES} bytes (32 MiB)`
        : `the pipeline package (${what}) is ${size} bytes; maxSize is ${max}`,
      { field: "source" },
    );
  }
}

function checkFilename(name: string): string {
  if (typeof name !== "string" || name.trim() === "") {
    throw new ValidationError("filename must be a non-empty string", { field: "filename" });
  }
  return name;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isNodeReadable(v: unknown): v is Readable {
  return (
    v instanceof Readable ||
    (typeof v === "object" &&
      v !== null &&
      typeof (v as Readable).pipe === "function" &&
      typeof (v as Readable).on === "function" &&
      typeof (v as Readable).read === "function")
  );
}

function isWebStream(v: unknown): v is ReadableStream<Uint8Array> {
  return typeof v === "object" && v !== null && typeof (v as ReadableStream).getReader === "function";
}

function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array | string> {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"
  );
}

function isBlob(v: unknown): v is Blob {
  return typeof Blob !== "undefined" && v instanceof Blob;
}

function memory(
  data: Buffer,
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

/** In-memory text: kept as a string (no intermediate Buffer; the body is written from it). */
function textSource(text: string, opts: PrepareOptions, description: string, spec?: unknown): PreparedSource {
  const size = Buffer.byteLength(text, "utf8");
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

async function* webStreamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value !== undefined) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function once<T>(fn: () => T, description: string): () => T {
  let used = false;
  return () => {
    if (used) {
      throw new ValidationError(
        `the ${description} source was already consumed; a stream can be sent only once`,
        {
          field: "source",
        },
      );
    }
    used = true;
    return fn();
  };
}

/** Bytes needed to tell a zip (`PK`) or gzip (0x1f 0x8b) archive from text. */
const MAGIC_BYTES = 2;

/**
 * A one-shot stream. Without a filename, its first bytes are read (only until the archive magic can be
 * judged: usually the first chunk) to pick `pipeline.zip` / `pipeline.tar.gz` — the server detects
 * archives by magic bytes only when the filename is not .yaml/.yml/.json — or `pipeline.yaml`. The bytes
 * read are sent first, then the rest of the stream as it comes; nothing else is buffered.
 */
async function streamSource(
  stream: AsyncIterable<Uint8Array | string>,
  filename: string | undefined,
  opts: PrepareOptions,
  description: string,
): Promise<PreparedSource> {
  let chunks: AsyncIterable<Uint8Array | string> = stream;
  if (filename === undefined) {
    const peeked = await peek(stream, description);
    chunks = peeked.chunks;
    filename = peeked.filename;
  }
  const name = checkFilename(filename);
  return {
    filename: name,
    contentType: opts.contentType ?? contentTypeFor(name),
    size: undefined,
    data: undefined,
    text: undefined,
    spec: undefined,
    open: once(() => chunks, description),
    reopenable: false,
    description,
  };
}

async function peek(
  stream: AsyncIterable<Uint8Array | string>,
  description: string,
): Promise<{ filename: string; chunks: AsyncIterable<Uint8Array | string> }> {
  const it = stream[Symbol.asyncIterator]();
  const head: Array<Uint8Array | string> = [];
  let bytes = 0;
  let text = false;
  let done = false;
  try {
    while (bytes < MAGIC_BYTES) {
      const r = await it.next();
      if (r.done) {
        done = true;
        break;
      }
      const c = r.value;
      if (typeof c === "string") {
        if (c.length === 0) continue;
        head.push(c);
        // Strings are text (a package given as text is YAML or JSON, never an archive).
        if (bytes === 0) text = true;
        bytes += Buffer.byteLength(c, "utf8");
      } else {
        if (c.byteLength === 0) continue;
        head.push(c);
        bytes += c.byteLength;
      }
    }
  } catch (err) {
    await it.return?.().catch(() => undefined);
    throw new ValidationError(
      `could not read the pipeline ${description}: ${err instanceof Error ? err.message : String(err)}`,
      { field: "source", cause: err },
    );
  }
  let filename = "pipeline.yaml";
  if (!text && head.length > 0) {
    const first = head[0] as Uint8Array;
    const magic =
      first.byteLength >= MAGIC_BYTES || head.length === 1
        ? first
        : Buffer.concat(head.map((c) => (typeof c === "string" ? Buffer.from(c, "utf8") : c)));
    const kind = archiveKind(magic);
    if (kind === "zip") filename = "pipeline.zip";
    else if (kind === "gzip") filename = "pipeline.tar.gz";
  }
  return { filename, chunks: replay(head, done ? undefined : it) };
}

/** The peeked chunks, then the rest of the iterator (closed when the consumer stops early). */
async function* replay(
  head: Array<Uint8Array | string>,
  it: AsyncIterator<Uint8Array | string> | undefined,
): AsyncGenerator<Uint8Array | string> {
  let finished = it === undefined;
  try {
    for (const c of head) yield c;
    if (!it) return;
    for (;;) {
      const r = await it.next();
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!finished && it) {
      try {
        await it.return?.();
      } catch {
        // Closing a stream that failed: its own error is the one that counts.
      }
    }
  }
}

/**
 * Normalise a source. Reads small files and Blobs into memory; of a stream without a filename, reads
 * only its first bytes (to tell an archive from text), which are sent first.
 */
export async function prepareSource(
  source: PipelineSource,
  opts: PrepareOptions = {},
): Promise<PreparedSource> {
  if (opts.filename !== undefined) checkFilename(opts.filename);
  if (typeof source === "string") {
    return textSource(source, opts, "string");
  }
  if (source instanceof Uint8Array) {
    const buf = Buffer.isBuffer(source)
      ? source
      : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    return memory(buf, opts, "bytes");
  }
  if (source instanceof ArrayBuffer) return memory(Buffer.from(source), opts, "bytes");
  if (isBlob(source)) return prepareBlob(source, opts);
  if (source instanceof FileSource) {
    return prepareFile(source.path, {
      ...opts,
      filename: opts.filename ?? source.filename,
      contentType: opts.contentType ?? source.contentType,
    });
  }
  if (isNodeReadable(source)) {
    const p = (source as { path?: unknown }).path;
    const named =
      opts.filename ??
      (typeof p === "string" && p ? basename(p) : Buffer.isBuffer(p) ? basename(p.toString()) : undefined);
    // A legacy stream without async iteration is wrapped (a modern Readable is used as is).
    const iterable =
      typeof (source as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function"
        ? (source as AsyncIterable<Uint8Array | string>)
        : new Readable().wrap(source as NodeJS.ReadableStream);
    return streamSource(iterable, named, opts, "stream");
  }
  if (isWebStream(source)) {
    return streamSource(webStreamChunks(source), opts.filename, opts, "ReadableStream");
  }
  if (isAsyncIterable(source)) {
    return streamSource(source, opts.filename, opts, "async iterable");
  }
  if (isPlainObject(source)) {
    const o = source as Record<string, unknown>;
    if (typeof o.path === "string" && o.pipelineInfo === undefined && o.pipeline_spec === undefined) {
      const fo = source as { path: string; filename?: string; contentType?: string };
      return prepareFile(fo.path, {
        ...opts,
        filename: opts.filename ?? fo.filename,
        contentType: opts.contentType ?? fo.contentType,
      });
    }
    if (
      o.pipelineInfo !== undefined ||
      o.pipeline_info !== undefined ||
      o.pipeline_spec !== undefined ||
      o.root !== undefined
    ) {
      return textSource(specToYaml(source), opts, "spec object", source);
    }
    throw new ValidationError(
      "unsupported pipeline source object: expected a pipeline spec (with pipelineInfo and root), { path }, or fromPath(path)",
      { field: "source" },
    );
  }
  throw new ValidationError(
    `unsupported pipeline source (${source === null ? "null" : typeof source}): pass the package content as a string, Buffer, Blob or stream, a spec object, or a file with fromPath(path)`,
    { field: "source" },
  );
}

async function prepareBlob(blob: Blob, opts: PrepareOptions): Promise<PreparedSource> {
  checkSize(blob.size, "Blob", opts.maxSize);
  const fileName = (blob as { name?: unknown }).name;
  const named = typeof fileName === "string" && fileName ? basename(fileName) : undefined;
  if (blob.size <= IN_MEMORY_LIMIT) {
    const data = Buffer.from(await blob.arrayBuffer());
    const extra: { filename?: string; contentType?: string } = {};
    if (named) extra.filename = named;
    if (blob.type && !opts.filename && named) extra.contentType = blob.type;
    return memory(data, opts, "Blob", extra);
  }
  const head = new Uint8Array(await blob.slice(0, 64).arrayBuffer());
  const filename = checkFilename(opts.filename ?? named ?? defaultFilename(head));
  return {
    filename,
    contentType:
      opts.contentType ?? (blob.type && named && !opts.filename ? blob.type : contentTypeFor(filename)),
    size: blob.size,
    data: undefined,
    text: undefined,
    spec: undefined,
    open: () => webStreamChunks(blob.stream() as ReadableStream<Uint8Array>),
    reopenable: true,
    description: "Blob",
  };
}

/**
 * Files up to this size are opened, stat'ed and read synchronously. Why: a read this small from the
 * page cache blocks the event loop only briefly, while the asynchronous way pays a libuv threadpool
 * round trip (a thread handoff and wake-up) for each of open, fstat, read and close, and queues behind
 * other threadpool work (DNS lookups, zlib, other file reads). Measured on a 20 KB file, one core:
 * `fs.promises` stat + readFile ≈ 72 µs of CPU, async open/fstat/read/close ≈ 57 µs, the synchronous
 * open/fstat/read/close ≈ 5 µs, which is also how long the event loop is blocked (≈ 45 µs at this
 * 1 MiB bound). Larger files are read asynchronously (up to IN_MEMORY_LIMIT) or streamed.
 */
export const SYNC_READ_LIMIT = 1024 * 1024;

/**
 * Open read-only and never block on open: a FIFO or a device given by mistake must not hang the
 * process (it is then refused as "not a regular file").
 */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

function fileError(path: string, err: unknown): ValidationError {
  const code = (err as { code?: string }).code;
  return new ValidationError(
    code === "ENOENT"
      ? `pipeline file not found: ${path}`
      : `cannot read pipeline file ${path}: ${code ?? String(err)}`,
    { field: "path", cause: err },
  );
}

/** Read up to `size` bytes from the start of `fd` into `buf`; returns the count (short at EOF). */
function readFullySync(fd: number, buf: Buffer, size: number): number {
  let got = 0;
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/**
 * A small file's bytes, read straight into a buffer of their own (no shared scratch buffer: nothing of
 * a package stays in module memory after the call).
 */
function readSmallFile(fd: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  const n = readFullySync(fd, buf, size);
  return n === size ? buf : buf.subarray(0, n);
}

/** Read a file of `size` bytes (by fstat) with one open, one read and one close. */
async function readFileOnce(path: string, size: number): Promise<Buffer> {
  const fh = await fsOpen(path, OPEN_FLAGS);
  try {
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(buf, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === size ? buf : buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

async function prepareFile(path: string, opts: PrepareOptions): Promise<PreparedSource> {
  if (typeof path !== "string" || path === "") {
    throw new ValidationError("file source needs a non-empty path", { field: "path" });
  }
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    // Windows refuses to open a directory at all (POSIX opens it and fstat tells).
    if ((err as { code?: string }).code === "EISDIR") {
      throw new ValidationError(`not a regular file: ${path}`, { field: "path" });
    }
    throw fileError(path, err);
  }
  let size: number;
  let data: Buffer | undefined;
  const description = `file ${path}`;
  try {
    let st: ReturnType<typeof fstatSync>;
    try {
      st = fstatSync(fd);
    } catch (err) {
      throw fileError(path, err);
    }
    if (!st.isFile()) throw new ValidationError(`not a regular file: ${path}`, { field: "path" });
    size = st.size;
    checkSize(size, description, opts.maxSize);
    // fstat gives 0 for some files with content (procfs and the like): those are read to the end below.
    if (size > 0 && size <= SYNC_READ_LIMIT) {
      try {
        data = readSmallFile(fd, size);
      } catch (err) {
        throw fileError(path, err);
      }
    }
  } finally {
    closeSync(fd);
  }
  const filename = checkFilename(opts.filename ?? basename(path));
  if (!data && size <= IN_MEMORY_LIMIT) {
    try {
      data = size > 0 ? await readFileOnce(path, size) : await readFile(path);
    } catch (err) {
      throw fileError(path, err);
    }
  }
  if (data) return memory(data, { ...opts, filename }, description);
  return {
    filename,
    contentType: opts.contentType ?? contentTypeFor(filename),
    size,
    data: undefined,
    text: undefined,
    spec: undefined,
    open: () => createReadStream(path, { highWaterMark: 64 * 1024 }),
    reopenable: true,
    description,
  };
}

/**
 * Read a prepared source fully into memory (bounded by the 32 MiB limit). Used by `publish()`, which
 * must hash and compare the package.
 */
export async function materialize(src: PreparedSource): Promise<Buffer> {
  if (src.data) return src.data;
  if (src.text !== undefined) return Buffer.from(src.text, "utf8");
  if (!src.open) throw new ValidationError("empty source", { field: "source" });
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of src.open()) {
    const b =
      typeof chunk === "string"
        ? Buffer.from(chunk, "utf8")
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    total += b.byteLength;
    checkSize(total, src.description);
    chunks.push(b);
  }
  return Buffer.concat(chunks, total);
}
