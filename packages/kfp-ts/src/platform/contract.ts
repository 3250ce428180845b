/**
 * The platform seam: everything the library needs from its runtime, in one interface with two
 * implementations chosen by the package's conditional `imports` (`#platform` in package.json):
 * `node.ts` under the `node` condition (undici, Buffer, node:fs/crypto/zlib), `web.ts` everywhere else —
 * browsers (and so Vite builds), Deno, Bun, edge workers (fetch, TextEncoder, Web Crypto, no files).
 * Nothing outside `src/platform/` imports a `node:` module or undici (test/unit/transport-fetch-platform.test.ts).
 */
import type * as Yaml from "yaml";
import type { Connector } from "../internal/connector.js";
import type { Env } from "../internal/env.js";

/** A file read by path: small files in memory, larger ones streamed (and reopened on a retry). */
export interface PathContent {
  size: number;
  data: Uint8Array | undefined;
  open: (() => AsyncIterable<Uint8Array>) | undefined;
}

export interface PathLimits {
  /** Throws when the size is refused. */
  check(size: number): void;
  /** Files up to this size are read synchronously. */
  syncRead: number;
  /** Files up to this size are read into memory; larger ones are streamed. */
  inMemory: number;
}

/** What a file-backed token needs (stat to see rotation, then read). */
export interface TokenFs {
  stat(path: string): Promise<{ mtimeMs: number; size: number; ino: number }>;
  readFile(path: string): Promise<string>;
}

/** TLS and timeout settings of the platform's own HTTP stack (undici on Node). */
export interface ConnectionInput {
  timeout: number;
  /** PEM text, bytes, or a path to a PEM file. */
  ca?: string | Uint8Array | undefined;
  insecure?: boolean | undefined;
}

/** The platform's HTTP stack: settings (to share one stack between derived clients) and the stack. */
export interface Connections {
  /** Settings from the options and the environment (proxy variables on Node); throws ValidationError. */
  settings(input: ConnectionInput, env: Env): unknown;
  same(a: unknown, b: unknown): boolean;
  /** A connector the client owns (closed by `close()`). Undefined: none here (use fetch). */
  create(settings: unknown): Connector | undefined;
  /** A connector over a caller's undici dispatcher (not closed by the client). */
  fromDispatcher(dispatcher: unknown): Connector;
}

export interface Platform {
  readonly name: "node" | "web";
  /** Default `user-agent` (undefined where the runtime sets its own). */
  readonly userAgent: string | undefined;
  /** Fallback environment for options (`process.env` on Node, empty elsewhere). */
  env(): Env;

  utf8Encode(text: string): Uint8Array;
  /** Decode UTF-8 bytes (`start`/`end` offsets optional). */
  utf8Decode(bytes: Uint8Array, start?: number, end?: number): string;
  utf8Length(text: string): number;
  /** Encode `text` into `into` at `offset`; returns the bytes written. */
  utf8Write(into: Uint8Array, text: string, offset: number): number;
  /** A byte array to be filled completely by the caller (not zeroed where that is cheaper). */
  allocBytes(size: number): Uint8Array;
  concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array;
  fromBase64(text: string): Uint8Array;
  /** `bytes` random bytes as lower-case hex. */
  randomHex(bytes: number): string;
  /** SHA-256 of text (UTF-8) or bytes, as lower-case hex. */
  sha256Hex(data: string | Uint8Array): string;
  /** Raw DEFLATE / gzip, synchronously, output bounded; undefined where that cannot be done here. */
  inflateRaw(data: Uint8Array, maxOutput: number): Uint8Array | undefined;
  gunzip(data: Uint8Array, maxOutput: number): Uint8Array | undefined;
  /** The same, asynchronously, everywhere (web: DecompressionStream); throws past `maxOutput`. */
  decompress(format: "deflate-raw" | "gzip", data: Uint8Array, maxOutput: number): Promise<Uint8Array>;
  /** The `yaml` library (loaded on first use on Node). */
  yaml(): typeof Yaml;
  basename(path: string): string;

  /** Read a file for upload. Web: a ValidationError that says to pass a File, Blob or stream. */
  readPath(path: string, limits: PathLimits): Promise<PathContent>;
  /** Read a CA file (Node); web: ValidationError. */
  readCaFile(path: string): Uint8Array;
  /** File access for token files; undefined where there are no files. */
  readonly tokenFs: TokenFs | undefined;
  /** A Node `Readable` (or old-style stream) as chunks and its file name; undefined when not one. */
  nodeStream(
    value: unknown,
  ): { chunks: AsyncIterable<Uint8Array | string>; path: string | undefined } | undefined;

  readonly connections: Connections;
}
