/**
 * Minimal readers for the two archive formats the upload handler accepts (FACTS.md §4.1):
 * zip (stored or deflated entries, read through the central directory like Go's archive/zip) and
 * gzip-compressed tar (ustar, GNU long names and pax `path` records).
 *
 * Both are bounded (http/limits.ts): at most MAX_ARCHIVE_MEMBERS members, a member is never inflated
 * past MAX_SPEC_BYTES (`pipeline_decompressed_spec`), and a tar.gz is never decompressed past the
 * traversal budget plus one spec (`pipeline_archive_traversal`), so a bomb costs milliseconds.
 */
import { gunzipSync, inflateRawSync } from "node:zlib";
import {
  MAX_ARCHIVE_MEMBERS,
  MAX_ARCHIVE_TRAVERSAL_BYTES,
  MAX_SPEC_BYTES,
  SizeLimitError,
} from "../http/limits.js";

export class ArchiveError extends Error {}

export interface ArchiveEntry {
  name: string;
  /** Returns the entry's content (decompressed). */
  read(): Buffer;
}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;

/** Entries of a zip file in central-directory order. Throws ArchiveError when it is not a valid zip. */
export function readZipEntries(buf: Buffer): ArchiveEntry[] {
  // End of central directory: 22 bytes + comment (≤ 65535), searched backwards.
  let eocd = -1;
  for (let i = buf.length - 22; i >= 0 && i >= buf.length - 22 - 65535; i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ArchiveError("zip: not a valid zip file");
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff)
    throw new ArchiveError("zip: zip64 archives are not supported");
  if (cdOffset + cdSize > eocd) throw new ArchiveError("zip: not a valid zip file");
  if (count > MAX_ARCHIVE_MEMBERS)
    throw new ArchiveError(`zip: more than ${MAX_ARCHIVE_MEMBERS} members; reduce the archive entries`);
  const entries: ArchiveEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CDH_SIG)
      throw new ArchiveError("zip: not a valid zip file");
    const method = buf.readUInt16LE(p + 10);
    const compSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString("utf8");
    p += 46 + nameLen + extraLen + commentLen;
    entries.push({
      name,
      read(): Buffer {
        if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== LFH_SIG) {
          throw new ArchiveError("zip: not a valid zip file");
        }
        const start =
          localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
        const data = buf.subarray(start, start + compSize);
        if (data.length !== compSize) throw new ArchiveError("zip: unexpected EOF");
        if (size > MAX_SPEC_BYTES) throw new SizeLimitError("pipeline_decompressed_spec", MAX_SPEC_BYTES);
        let out: Buffer;
        if (method === 0) out = Buffer.from(data);
        else if (method === 8) {
          try {
            // The declared size bounds the output: a member that inflates past it is corrupt.
            out = inflateRawSync(data, { maxOutputLength: Math.max(1, size + 1) });
          } catch (err) {
            if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
              throw new ArchiveError("zip: checksum error");
            throw new ArchiveError(`flate: corrupt input: ${(err as Error).message}`);
          }
        } else throw new ArchiveError("zip: unsupported compression algorithm");
        if (out.length !== size) throw new ArchiveError("zip: checksum error");
        return out;
      },
    });
  }
  return entries;
}

function parseOctal(field: Buffer): number {
  // GNU base-256 encoding for large sizes.
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    let v = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    return v;
  }
  const s = field.toString("ascii").replace(/\0.*$/s, "").trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new ArchiveError("archive/tar: invalid tar header");
  return Number.parseInt(s, 8);
}

function cString(field: Buffer): string {
  const z = field.indexOf(0);
  return field.subarray(0, z < 0 ? field.length : z).toString("utf8");
}

/** Entries (regular files and directories, in order) of a gzip-compressed tar archive. */
export function readTarGzEntries(buf: Buffer): ArchiveEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(buf, { maxOutputLength: MAX_ARCHIVE_TRAVERSAL_BYTES + MAX_SPEC_BYTES });
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      throw new SizeLimitError("pipeline_archive_traversal", MAX_ARCHIVE_TRAVERSAL_BYTES);
    throw new ArchiveError(`gzip: invalid header: ${(err as Error).message}`);
  }
  const entries: ArchiveEntry[] = [];
  let p = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (true) {
    if (p + 512 > tar.length) {
      if (p === tar.length && entries.length > 0) break;
      throw new ArchiveError(p === tar.length ? "EOF" : "unexpected EOF");
    }
    const header = tar.subarray(p, p + 512);
    if (header.every((b) => b === 0)) {
      if (entries.length === 0) throw new ArchiveError("EOF");
      break;
    }
    // Checksum: sum of header bytes with the checksum field taken as spaces.
    const stored = parseOctal(header.subarray(148, 156));
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    if (stored !== sum) throw new ArchiveError("archive/tar: invalid tar header");
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] || 48);
    const magic = header.subarray(257, 263).toString("ascii");
    let name = cString(header.subarray(0, 100));
    if (magic.startsWith("ustar")) {
      const prefix = cString(header.subarray(345, 500));
      if (prefix) name = `${prefix}/${name}`;
    }
    const dataStart = p + 512;
    const dataEnd = dataStart + size;
    if (entries.length >= MAX_ARCHIVE_MEMBERS)
      throw new ArchiveError(
        `archive/tar: more than ${MAX_ARCHIVE_MEMBERS} members; reduce the archive entries`,
      );
    // Walking past the budget before the spec entry: a tiny archive of junk entries is refused.
    if (dataStart > MAX_ARCHIVE_TRAVERSAL_BYTES)
      throw new SizeLimitError("pipeline_archive_traversal", MAX_ARCHIVE_TRAVERSAL_BYTES);
    if (dataEnd > tar.length) throw new ArchiveError("unexpected EOF");
    const data = tar.subarray(dataStart, dataEnd);
    p = dataStart + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = cString(data);
      continue;
    }
    if (type === "x") {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString("utf8"));
      if (m) paxPath = m[1];
      continue;
    }
    if (type === "g") continue;
    const finalName = paxPath ?? longName ?? name;
    longName = undefined;
    paxPath = undefined;
    const content = Buffer.from(data);
    entries.push({
      name: finalName,
      read: () => {
        if (content.length > MAX_SPEC_BYTES)
          throw new SizeLimitError("pipeline_decompressed_spec", MAX_SPEC_BYTES);
        return content;
      },
    });
    // The spec entry ends the walk (later entries are never read).
    if (finalName === "pipeline.yaml") break;
  }
  return entries;
}
