/**
 * Pipeline packages that are archives (zip, tar.gz), read the way the server reads them: recognised by
 * their magic bytes, and the YAML entry it would use found without unpacking to disk (bounded inflate).
 */
import { gunzipSync, inflateRawSync } from "node:zlib";

/** Whether the content starts with the zip (`PK`) or gzip (1F 8B) magic bytes. */
export function archiveKind(bytes: Uint8Array): "zip" | "gzip" | undefined {
  if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x4b) return "zip";
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return "gzip";
  return undefined;
}

const MAX_INFLATE = 64 * 1024 * 1024;

/**
 * The YAML entry the server would read from a zip or tar.gz package: the one named exactly
 * `pipeline.yaml`, else the first entry. Undefined when the archive cannot be read here (the server
 * then gives its own verdict).
 */
export function extractArchiveSpec(bytes: Uint8Array): { name: string; text: string } | undefined {
  try {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const kind = archiveKind(buf);
    if (kind === "zip") return extractZip(buf);
    if (kind === "gzip") return extractTarGz(buf);
  } catch {
    return undefined;
  }
  return undefined;
}

function extractZip(buf: Buffer): { name: string; text: string } | undefined {
  const min = Math.max(0, buf.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: { name: string; method: number; size: number; local: number }[] = [];
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) return undefined;
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    entries.push({ name: buf.toString("utf8", p + 46, p + 46 + nameLen), method, size, local });
    p += 46 + nameLen + extraLen + commentLen;
  }
  const entry = entries.find((e) => e.name === "pipeline.yaml") ?? entries[0];
  if (!entry) return undefined;
  const l = entry.local;
  if (buf.readUInt32LE(l) !== 0x04034b50) return undefined;
  const start = l + 30 + buf.readUInt16LE(l + 26) + buf.readUInt16LE(l + 28);
  const data = buf.subarray(start, start + entry.size);
  let out: Buffer;
  if (entry.method === 0) out = data;
  else if (entry.method === 8) out = inflateRawSync(data, { maxOutputLength: MAX_INFLATE });
  else return undefined;
  return { name: entry.name, text: out.toString("utf8") };
}

function extractTarGz(buf: Buffer): { name: string; text: string } | undefined {
  const tar = gunzipSync(buf, { maxOutputLength: MAX_INFLATE });
  let p = 0;
  let longName: string | undefined;
  let first: { name: string; text: string } | undefined;
  while (p + 512 <= tar.length) {
    const header = tar.subarray(p, p + 512);
    if (header.every((b) => b === 0)) break;
    const cstr = (s: number, e: number) => {
      const part = header.subarray(s, e);
      const z = part.indexOf(0);
      return part.toString("utf8", 0, z < 0 ? part.length : z);
    };
    const size = Number.parseInt(cstr(124, 136).trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) return undefined;
    const type = String.fromCharCode(header[156] ?? 0);
    const dataStart = p + 512;
    const data = tar.subarray(dataStart, dataStart + size);
    p = dataStart + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = data.toString("utf8").replace(/\0+$/, "");
      continue;
    }
    if (type === "x") {
      const m = /\d+ path=([^\n]*)\n/.exec(data.toString("utf8"));
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
    const entry = { name, text: type === "0" || type === "\0" ? data.toString("utf8") : "" };
    if (name === "pipeline.yaml") return entry;
    first ??= entry;
  }
  return first;
}
