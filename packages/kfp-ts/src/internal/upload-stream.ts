/**
 * One-shot streams (Node, web, async iterables) and Blobs as upload sources: a stream without a filename
 * has its first bytes read ahead to tell an archive from text (FACTS.md §4.1: the server detects zip and
 * tar.gz by magic bytes); a Blob over IN_MEMORY_LIMIT is streamed and can be reopened.
 */
import { platform } from "#platform";
import { ValidationError } from "../core/errors.js";
import {
  checkFilename,
  checkSize,
  contentTypeFor,
  defaultFilename,
  IN_MEMORY_LIMIT,
  memory,
  type PreparedSource,
  type PrepareOptions,
} from "../core/prepared-source.js";
import { archiveKind } from "./archive.js";

export async function* webStreamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
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
export async function streamSource(
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
        bytes += platform.utf8Length(c);
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
    const parts = head.map((c) => (typeof c === "string" ? platform.utf8Encode(c) : c));
    const magic =
      first.byteLength >= MAGIC_BYTES || head.length === 1
        ? first
        : platform.concatBytes(
            parts,
            parts.reduce((n, c) => n + c.byteLength, 0),
          );
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

export async function prepareBlob(blob: Blob, opts: PrepareOptions): Promise<PreparedSource> {
  checkSize(blob.size, "Blob", opts.maxSize);
  const fileName = (blob as { name?: unknown }).name;
  const named = typeof fileName === "string" && fileName ? platform.basename(fileName) : undefined;
  if (blob.size <= IN_MEMORY_LIMIT) {
    const data = new Uint8Array(await blob.arrayBuffer());
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
