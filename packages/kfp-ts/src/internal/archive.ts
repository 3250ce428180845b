/**
 * Pipeline packages that are archives (zip, tar.gz), read the way the server reads them: recognised by
 * their magic bytes, and the YAML entry it would use found without unpacking to disk (bounded inflate).
 * `extractArchiveSpec` is synchronous where the platform inflates synchronously (Node); elsewhere it
 * answers undefined (the server then judges the archive) and `readArchiveSpec` does it asynchronously.
 */
import { platform } from "#platform";

/** Whether the content starts with the zip (`PK`) or gzip (1F 8B) magic bytes. */
export function archiveKind(bytes: Uint8Array): "zip" | "gzip" | undefined {
  if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x4b) return "zip";
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return "gzip";
  return undefined;
}

const MAX_INFLATE = 64 * 1024 * 1024;

type Entry = { name: string; text: string };

/**
 * The YAML entry the server would read from a zip or tar.gz package: the one named exactly
 * `pipeline.yaml`, else the first entry. Undefined when the archive cannot be read here (the server
 * then gives its own verdict).
 */
export function extractArchiveSpec(bytes: Uint8Array): Entry | undefined {
  try {
    const kind = archiveKind(bytes);
    if (kind === "zip") {
      const e = zipEntry(bytes);
      if (!e) return undefined;
      const out = e.method === 0 ? e.data : platform.inflateRaw(e.data, MAX_INFLATE);
      return out ? { name: e.name, text: platform.utf8Decode(out) } : undefined;
    }
    if (kind === "gzip") {
      const tar = platform.gunzip(bytes, MAX_INFLATE);
      return tar ? tarEntry(tar) : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** The same as `extractArchiveSpec`, on every platform (asynchronous inflate). */
export async function readArchiveSpec(bytes: Uint8Array): Promise<Entry | undefined> {
  try {
    const kind = archiveKind(bytes);
    if (kind === "zip") {
      const e = zipEntry(bytes);
      if (!e) return undefined;
      const out = e.method === 0 ? e.data : await platform.decompress("deflate-raw", e.data, MAX_INFLATE);
      return { name: e.name, text: platform.utf8Decode(out) };
    }
    if (kind === "gzip") return tarEntry(await platform.decompress("gzip", bytes, MAX_INFLATE));
  } catch {
    return undefined;
  }
  return undefined;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (u16(b, at) | (u16(b, at + 2) << 16)) >>> 0;
}

/** The zip entry the server would read (stored or deflated bytes), or undefined. */
function zipEntry(buf: Uint8Array): { name: string; method: number; data: Uint8Array } | undefined {
  const min = Math.max(0, buf.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = buf.length - 22; i >= min; i--) {
    if (u32(buf, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = u16(buf, eocd + 10);
  let p = u32(buf, eocd + 16);
  const entries: { name: string; method: number; size: number; local: number }[] = [];
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || u32(buf, p) !== 0x02014b50) return undefined;
    const method = u16(buf, p + 10);
    const size = u32(buf, p + 20);
    const nameLen = u16(buf, p + 28);
    const extraLen = u16(buf, p + 30);
    const commentLen = u16(buf, p + 32);
    const local = u32(buf, p + 42);
    entries.push({ name: platform.utf8Decode(buf, p + 46, p + 46 + nameLen), method, size, local });
    p += 46 + nameLen + extraLen + commentLen;
  }
  const entry = entries.find((e) => e.name === "pipeline.yaml") ?? entries[0];
  if (!entry) return undefined;
  const l = entry.local;
  if (l + 30 > buf.length || u32(buf, l) !== 0x04034b50) return undefined;
  if (entry.method !== 0 && entry.method !== 8) return undefined;
  const start = l + 30 + u16(buf, l + 26) + u16(buf, l + 28);
  return { name: entry.name, method: entry.method, data: buf.subarray(start, start + entry.size) };
}

/** The entry the server would read from an uncompressed tar. */
function tarEntry(tar: Uint8Array): Entry | undefined {
  let p = 0;
  let longName: string | undefined;
  let first: { name: string; text: string } | undefined;
  while (p + 512 <= tar.length) {
    const header = tar.subarray(p, p + 512);
    if (header.every((b) => b === 0)) break;
    const cstr = (s: number, e: number) => {
      const part = header.subarray(s, e);
      const z = part.indexOf(0);
      return platform.utf8Decode(part, 0, z < 0 ? part.length : z);
    };
    const size = Number.parseInt(cstr(124, 136).trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) return undefined;
    const type = String.fromCharCode(header[156] ?? 0);
    const dataStart = p + 512;
    const data = tar.subarray(dataStart, dataStart + size);
    p = dataStart + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = platform.utf8Decode(data).replace(/\0+$/, "");
      continue;
    }
    if (type === "x") {
      const m = /\d+ path=([^\n]*)\n/.exec(platform.utf8Decode(data));
      if (m) longName = m[1];
      continue;
    }
    if (type === "g") continue;
    let name = cstr(0, 100);
    if (cstr(257, 262) === "ustar") {
      const prefix = cstr(345, 500);
      if (prefix) name = `${prefix}/${name}`;
    }
    if (longName !== undefined) {
      name = longName;
      longName = undefined;
    }
    const entry = { name, text: type === "0" || type === "\0" ? platform.utf8Decode(data) : "" };
    if (name === "pipeline.yaml") return entry;
    first ??= entry;
  }
  return first;
}
