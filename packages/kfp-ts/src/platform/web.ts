/**
 * The web platform (`#platform` everywhere but Node: browsers and Vite builds, Deno, Bun, edge workers):
 * fetch for HTTP (internal/fetch-connector.ts), TextEncoder/TextDecoder, `crypto.getRandomValues`, a
 * synchronous SHA-256 (platform/sha256.ts), `DecompressionStream` for archives (asynchronously: the
 * synchronous client-side archive check is left to the server here), and no files: a path upload,
 * a token file or a CA file is a ValidationError that says what to pass instead.
 */
import * as Yaml from "yaml";
import { ValidationError } from "../core/errors.js";
import { FetchConnector } from "../internal/fetch-connector.js";
import type { Platform } from "./contract.js";
import { sha256Hex } from "./sha256.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text.replace(/[\s]/g, ""));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Inflate with DecompressionStream, stopping (with an error) past `maxOutput` bytes. */
async function decompress(
  format: "deflate-raw" | "gzip",
  data: Uint8Array,
  maxOutput: number,
): Promise<Uint8Array> {
  const stream = new Blob([data] as unknown as ConstructorParameters<typeof Blob>[0])
    .stream()
    .pipeThrough(new DecompressionStream(format));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxOutput) {
      await reader.cancel();
      throw new ValidationError(`the archive inflates to more than ${maxOutput} bytes`, { field: "source" });
    }
    chunks.push(value);
  }
  return platform.concatBytes(chunks, total);
}

function noFiles(what: string, instead: string): ValidationError {
  return new ValidationError(`${what} needs a file system, which this runtime does not have: ${instead}`, {
    field: what.startsWith("ca") ? "ca" : what.startsWith("token") ? "tokenFile" : "path",
  });
}

export const platform: Platform = {
  name: "web",
  userAgent: undefined,
  env: () => ({}),

  utf8Encode: (text) => encoder.encode(text),
  utf8Decode: (bytes, start, end) =>
    decoder.decode(start === undefined && end === undefined ? bytes : bytes.subarray(start, end)),
  utf8Length,
  utf8Write: (into, text, offset) => encoder.encodeInto(text, into.subarray(offset)).written,
  allocBytes: (size) => new Uint8Array(size),
  concatBytes(chunks, total) {
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  },
  fromBase64,
  randomHex(bytes) {
    const b = crypto.getRandomValues(new Uint8Array(bytes));
    let hex = "";
    for (const x of b) hex += x.toString(16).padStart(2, "0");
    return hex;
  },
  sha256Hex: (data) => sha256Hex(typeof data === "string" ? encoder.encode(data) : data),
  // DecompressionStream is asynchronous only (see decompress()).
  inflateRaw: () => undefined,
  gunzip: () => undefined,
  decompress,
  yaml: () => Yaml,
  basename(path) {
    const trimmed = path.replace(/\/+$/, "");
    return trimmed.slice(trimmed.lastIndexOf("/") + 1) || trimmed;
  },

  readPath: async (path) => {
    throw noFiles(
      `a path upload (${path})`,
      "pass the package as a File or Blob (e.g. from an <input type=file> or a drop), a ReadableStream, a string or bytes",
    );
  },
  readCaFile: () => {
    throw noFiles("ca as a file path", "pass the PEM text, or leave TLS to the runtime");
  },
  tokenFs: undefined,
  nodeStream: () => undefined,

  connections: {
    settings: (input) => {
      if (input.ca !== undefined || input.insecure) {
        throw new ValidationError(
          "ca and insecure apply to the Node transport (undici); with fetch the runtime's TLS settings apply: drop them",
          { field: input.ca !== undefined ? "ca" : "insecure" },
        );
      }
      return "fetch";
    },
    same: () => true,
    create: () => new FetchConnector(),
    fromDispatcher: () => {
      throw new ValidationError(
        "dispatcher is an undici option, for Node only; pass fetch instead (new Kfp({ fetch }))",
        { field: "dispatcher" },
      );
    },
  },
};
