/**
 * Pipeline package sources and their normalisation for upload.
 *
 * Accepted sources:
 * - a string: the package **content** (never a path; use `fromPath()` or `{ path }` for files);
 * - `Uint8Array` (a Node `Buffer` too) / `ArrayBuffer`;
 * - `Blob` / `File` (a File's name is used as the filename);
 * - a Node `Readable` (an `fs.ReadStream`'s path gives the filename), a web `ReadableStream`, or any
 *   `AsyncIterable` of bytes (strings are UTF-8 encoded);
 * - a pipeline spec object (a `PipelineSpec`, or `{ pipeline_spec, platform_spec }` as the API returns
 *   it): serialised to YAML;
 * - a file: `fromPath(path)` or `{ path }` — files up to 4 MiB are read into memory (checked, and sent
 *   with Content-Length; a retry re-sends the same bytes); larger files are streamed from disk and
 *   reopened on a retry. Node only: where there are no files (browsers) a path is a ValidationError
 *   that says to pass a File, Blob or stream.
 *
 * Filenames: the server picks YAML/JSON by the part's filename and zip/tar.gz by magic bytes
 * (FACTS.md §4.1). In-memory content gets `pipeline.yaml`, `pipeline.json` (content starting with `{`),
 * `pipeline.zip` or `pipeline.tar.gz`; streams get their file's name (an `fs.ReadStream`) or the caller's
 * `filename`, else `pipeline.zip` / `pipeline.tar.gz` when their first bytes are an archive's magic (the
 * first chunk is read ahead and sent first) and `pipeline.yaml` otherwise.
 * Sizes are checked against the server's 32 MiB limit before sending when known, and while streaming
 * otherwise.
 *
 * This module picks the kind of source; the shared pieces are in core/prepared-source.ts, streams and
 * Blobs in internal/upload-stream.ts, reading files in the platform (platform/node-files.ts).
 */
import { platform } from "#platform";
import { prepareBlob, streamSource, webStreamChunks } from "../internal/upload-stream.js";
import { ValidationError } from "./errors.js";
import {
  checkFilename,
  checkSize,
  contentTypeFor,
  IN_MEMORY_LIMIT,
  memory,
  type PreparedSource,
  type PrepareOptions,
  SYNC_READ_LIMIT,
  textSource,
} from "./prepared-source.js";
import { specToYaml } from "./spec.js";

export {
  contentTypeFor,
  defaultFilename,
  IN_MEMORY_LIMIT,
  MAX_UPLOAD_BYTES,
  type PreparedSource,
  type PrepareOptions,
  SYNC_READ_LIMIT,
} from "./prepared-source.js";

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

/**
 * A Node stream (`stream.Readable`, or an old-style one with `pipe`/`on`/`read`), described by
 * structure so that the type needs no Node typings.
 */
export interface NodeReadableLike {
  pipe(...args: never[]): unknown;
  on(...args: never[]): unknown;
  read(...args: never[]): unknown;
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
  | NodeReadableLike
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | PipelineSpecObject
  | FileSource
  | { path: string; filename?: string; contentType?: string };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A file on disk: small ones read into memory, larger ones streamed and reopened on a retry. */
async function prepareFile(path: string, opts: PrepareOptions): Promise<PreparedSource> {
  if (typeof path !== "string" || path === "") {
    throw new ValidationError("file source needs a non-empty path", { field: "path" });
  }
  const description = `file ${path}`;
  const content = await platform.readPath(path, {
    check: (size) => checkSize(size, description, opts.maxSize),
    syncRead: SYNC_READ_LIMIT,
    inMemory: IN_MEMORY_LIMIT,
  });
  const filename = checkFilename(opts.filename ?? platform.basename(path));
  if (content.data) return memory(content.data, { ...opts, filename }, description);
  return {
    filename,
    contentType: opts.contentType ?? contentTypeFor(filename),
    size: content.size,
    data: undefined,
    text: undefined,
    spec: undefined,
    open: content.open,
    reopenable: true,
    description,
  };
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
  if (source instanceof Uint8Array) return memory(source, opts, "bytes");
  if (source instanceof ArrayBuffer) return memory(new Uint8Array(source), opts, "bytes");
  if (isBlob(source)) return prepareBlob(source, opts);
  if (source instanceof FileSource) {
    return prepareFile(source.path, {
      ...opts,
      filename: opts.filename ?? source.filename,
      contentType: opts.contentType ?? source.contentType,
    });
  }
  const node = platform.nodeStream(source);
  if (node) {
    const named = opts.filename ?? (node.path ? platform.basename(node.path) : undefined);
    return streamSource(node.chunks, named, opts, "stream");
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
    `unsupported pipeline source (${source === null ? "null" : typeof source}): pass the package content as a string, bytes, a Blob or File, a stream, a spec object, or a file with fromPath(path)`,
    { field: "source" },
  );
}

/**
 * Read a prepared source fully into memory (bounded by the 32 MiB limit). Used by `publish()`, which
 * must hash and compare the package.
 */
export async function materialize(src: PreparedSource): Promise<Uint8Array> {
  if (src.data) return src.data;
  if (src.text !== undefined) return platform.utf8Encode(src.text);
  if (!src.open) throw new ValidationError("empty source", { field: "source" });
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of src.open()) {
    const b = typeof chunk === "string" ? platform.utf8Encode(chunk) : chunk;
    total += b.byteLength;
    checkSize(total, src.description);
    chunks.push(b);
  }
  return platform.concatBytes(chunks, total);
}
