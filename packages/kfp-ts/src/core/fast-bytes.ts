/**
 * The bytes the fast package check reads (core/block-yaml.ts, core/fast-check.ts): UTF-8, as a Node
 * Buffer where there is one — its `indexOf` of a byte is a native call several times faster than
 * `Uint8Array.prototype.indexOf` or a loop — else as a plain Uint8Array (browsers).
 */

/** A text's UTF-8 bytes, with the native `indexOf` of the platform. */
export type ScanBytes = Uint8Array;

type BufferLike = {
  from(text: string, encoding: "utf8"): Uint8Array;
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array;
  isBuffer(value: unknown): boolean;
};
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The UTF-8 bytes of `text`, or `bytes` themselves (a view, never a copy). */
export function bytesOf(src: string | Uint8Array): ScanBytes {
  if (typeof src === "string") return NodeBuffer ? NodeBuffer.from(src, "utf8") : encoder.encode(src);
  if (!NodeBuffer || NodeBuffer.isBuffer(src)) return src;
  return NodeBuffer.from(src.buffer, src.byteOffset, src.byteLength);
}

/** The text of t[from, to) (UTF-8; from and to at character boundaries, e.g. line starts and ends). */
export function textOf(t: ScanBytes, from: number, to: number): string {
  return decoder.decode(t.subarray(from, to));
}

/** Made on first use, and only where there is no Buffer (Node without ICU has no "latin1" decoder). */
let latin1: { decode(input: Uint8Array): string } | undefined;

/**
 * The bytes as a string of one character per byte (Latin-1), for `String.prototype.indexOf` of ASCII
 * characters: the same offsets as the bytes, and a search much cheaper to call than a Buffer's.
 */
export function charsOf(t: ScanBytes): string {
  if (NodeBuffer?.isBuffer(t))
    return (t as Uint8Array & { toString(encoding: "latin1"): string }).toString("latin1");
  // Browsers decode "latin1" as windows-1252: still one character per byte, ASCII unchanged.
  latin1 ??= new TextDecoder("latin1");
  return latin1.decode(t);
}
