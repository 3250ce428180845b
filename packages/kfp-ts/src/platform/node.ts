/**
 * The Node platform (`#platform` under the `node` condition): Buffer for bytes, node:crypto, node:zlib,
 * node:fs for files and token files, undici for HTTP (platform/undici-connector.ts). The fast paths the
 * library had before the platform split are these same calls.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync, inflateRawSync } from "node:zlib";
import type { Dispatcher } from "undici";
import type * as Yaml from "yaml";
import { ValidationError } from "../core/errors.js";
import type { Connections, Platform } from "./contract.js";
import {
  createDispatcher,
  type DispatcherSettings,
  dispatcherSettings,
  sameDispatcherSettings,
} from "./node-dispatcher.js";
import { readPath } from "./node-files.js";
import { UndiciConnector } from "./undici-connector.js";

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * The `yaml` library, loaded on first use: most calls (uploads with `validate: false`, streams, text the
 * fast scan accepts, every non-pipeline resource) never parse or write YAML, and loading it adds ~1 MB of
 * long-lived heap to every process that imports kfp-ts (enough, measured, to make V8 double its young
 * generation during a first large upload). `require` keeps the first use synchronous (the package ships
 * CommonJS for Node).
 */
let yamlLib: typeof Yaml | undefined;

/** Random bytes are taken in batches to keep per-request cost low. */
let pool = Buffer.alloc(0);
let poolOffset = 0;

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

const connections: Connections = {
  settings: (input, env) => dispatcherSettings(input, env),
  same: (a, b) => sameDispatcherSettings(a as DispatcherSettings, b as DispatcherSettings),
  create: (settings) => new UndiciConnector(createDispatcher(settings as DispatcherSettings), true),
  fromDispatcher: (dispatcher) => new UndiciConnector(dispatcher as Dispatcher, false),
};

export const platform: Platform = {
  name: "node",
  userAgent: `kfp-ts node/${process.versions.node}`,
  env: () => process.env,

  utf8Encode: (text) => Buffer.from(text, "utf8"),
  utf8Decode: (bytes, start, end) => asBuffer(bytes).toString("utf8", start, end),
  utf8Length: (text) => Buffer.byteLength(text, "utf8"),
  utf8Write: (into, text, offset) => asBuffer(into).write(text, offset, "utf8"),
  allocBytes: (size) => Buffer.allocUnsafe(size),
  concatBytes: (chunks, total) => Buffer.concat(chunks as Uint8Array[], total),
  fromBase64: (text) => Buffer.from(text, "base64"),
  randomHex(bytes) {
    if (bytes > 256) return randomBytes(bytes).toString("hex");
    if (poolOffset + bytes > pool.length) {
      pool = randomBytes(bytes * 256);
      poolOffset = 0;
    }
    const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
    poolOffset += bytes;
    return hex;
  },
  sha256Hex: (data) => createHash("sha256").update(data).digest("hex"),
  inflateRaw: (data, maxOutputLength) => inflateRawSync(data, { maxOutputLength }),
  gunzip: (data, maxOutputLength) => gunzipSync(data, { maxOutputLength }),
  decompress: async (format, data, maxOutputLength) =>
    format === "gzip" ? gunzipSync(data, { maxOutputLength }) : inflateRawSync(data, { maxOutputLength }),
  yaml() {
    yamlLib ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
    return yamlLib;
  },
  basename: (path) => basename(path),

  readPath,
  readCaFile(path) {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ValidationError(`ca is neither PEM text nor a readable file: ${path}`, {
        field: "ca",
        cause: err,
      });
    }
  },
  tokenFs: {
    stat: (p) => stat(p),
    readFile: (p) => readFile(p, "utf8"),
  },
  nodeStream(value) {
    if (!isNodeReadable(value)) return undefined;
    const p = (value as { path?: unknown }).path;
    const path = typeof p === "string" && p ? p : Buffer.isBuffer(p) ? p.toString() : undefined;
    // A legacy stream without async iteration is wrapped (a modern Readable is used as is).
    const chunks =
      typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function"
        ? (value as AsyncIterable<Uint8Array | string>)
        : new Readable().wrap(value as NodeJS.ReadableStream);
    return { chunks, path };
  },

  connections,
};
