/**
 * A file on disk as an upload source (Node): a small file read in one synchronous open+read, a file up
 * to IN_MEMORY_LIMIT read into memory, a larger one streamed from disk (and reopened on a retry); never
 * blocks on a FIFO or device, and names what to fix when the file cannot be read.
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
import { ValidationError } from "../core/errors.js";
import type { PathContent, PathLimits } from "./contract.js";

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

/**
 * Read a file for upload: `check(size)` first (it throws when the size is refused), then files up to
 * `syncRead` bytes with one synchronous open+read (core/prepared-source.ts SYNC_READ_LIMIT says why),
 * up to `inMemory` asynchronously, larger ones as a stream opened anew for each attempt. Names what to fix when the file
 * cannot be read.
 */
export async function readPath(path: string, limits: PathLimits): Promise<PathContent> {
  const { check, syncRead, inMemory } = limits;
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
  try {
    let st: ReturnType<typeof fstatSync>;
    try {
      st = fstatSync(fd);
    } catch (err) {
      throw fileError(path, err);
    }
    if (!st.isFile()) throw new ValidationError(`not a regular file: ${path}`, { field: "path" });
    size = st.size;
    check(size);
    // fstat gives 0 for some files with content (procfs and the like): those are read to the end below.
    if (size > 0 && size <= syncRead) {
      try {
        data = readSmallFile(fd, size);
      } catch (err) {
        throw fileError(path, err);
      }
    }
  } finally {
    closeSync(fd);
  }
  if (!data && size <= inMemory) {
    try {
      data = size > 0 ? await readFileOnce(path, size) : await readFile(path);
    } catch (err) {
      throw fileError(path, err);
    }
  }
  if (data) return { size: data.byteLength, data, open: undefined };
  return { size, data: undefined, open: () => createReadStream(path, { highWaterMark: 64 * 1024 }) };
}
