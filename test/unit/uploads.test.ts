import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../packages/kfp-ts/src/core/errors.js";
import {
  contentTypeFor,
  defaultFilename,
  FileSource,
  fromPath,
  IN_MEMORY_LIMIT,
  materialize,
  prepareSource,
  SYNC_READ_LIMIT,
} from "../../packages/kfp-ts/src/core/uploads.js";
import { multipartBody } from "../../packages/kfp-ts/src/internal/multipart.js";
import { specObject, specYaml } from "../helpers/specs.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "kfp-ts-src-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("source normalisation", () => {
  it("content types by file name", () => {
    expect(contentTypeFor("a.yaml")).toBe("application/x-yaml");
    expect(contentTypeFor("A.YML")).toBe("application/x-yaml");
    expect(contentTypeFor("a.json")).toBe("application/json");
    expect(contentTypeFor("a.zip")).toBe("application/zip");
    expect(contentTypeFor("a.tar.gz")).toBe("application/gzip");
    expect(contentTypeFor("a.tgz")).toBe("application/gzip");
    expect(contentTypeFor("a")).toBe("application/octet-stream");
  });

  it("default file names by content", () => {
    expect(defaultFilename(Buffer.from("PK\u0003\u0004"))).toBe("pipeline.zip");
    expect(defaultFilename(Buffer.from([0x1f, 0x8b, 8]))).toBe("pipeline.tar.gz");
    expect(defaultFilename(Buffer.from('\n {"a":1}'))).toBe("pipeline.json");
    expect(defaultFilename(undefined, "\ufeff{}")).toBe("pipeline.json");
    expect(defaultFilename(Buffer.from("a: 1"))).toBe("pipeline.yaml");
  });

  it("strings stay text (sizes in UTF-8 bytes)", async () => {
    const s = await prepareSource("é: ü\n");
    expect(s).toMatchObject({
      text: "é: ü\n",
      data: undefined,
      size: 7,
      filename: "pipeline.yaml",
      reopenable: true,
    });
    expect((await materialize(s)).toString()).toBe("é: ü\n");
  });

  it("spec objects are serialised once and kept for validation", async () => {
    const obj = specObject();
    const s = await prepareSource(obj as never);
    expect(s.spec).toBe(obj);
    expect(s.filename).toBe("pipeline.yaml");
    expect(s.text).toContain("pipelineInfo:");
  });

  it("files: small ones are read, large ones streamed and reopenable; clear errors otherwise", async () => {
    const small = path.join(dir, "small.yaml");
    await writeFile(small, specYaml());
    const s = await prepareSource(fromPath(small));
    expect(s.data?.toString()).toBe(specYaml());
    expect(s.filename).toBe("small.yaml");
    const big = path.join(dir, "big.yaml");
    await writeFile(big, Buffer.alloc(IN_MEMORY_LIMIT + 1, 0x61));
    const b = await prepareSource({ path: big });
    expect(b.data).toBeUndefined();
    expect(b.size).toBe(IN_MEMORY_LIMIT + 1);
    expect(b.reopenable).toBe(true);
    expect((await materialize(b)).length).toBe(IN_MEMORY_LIMIT + 1);
    expect((await materialize(b)).length).toBe(IN_MEMORY_LIMIT + 1);
    await expect(prepareSource(fromPath(path.join(dir, "missing.yaml")))).rejects.toThrow(
      /pipeline file not found/,
    );
    await expect(prepareSource(fromPath(dir))).rejects.toThrow(/not a regular file/);
    expect(() => new FileSource("")).toThrow(ValidationError);
  });

  it("files: read whole at every size class, with the exact bytes", async () => {
    // Small (synchronous read), past the scratch size, past the synchronous limit (read asynchronously).
    for (const size of [1, 300 * 1024, SYNC_READ_LIMIT + 7]) {
      const f = path.join(dir, `sized-${size}.yaml`);
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
      await writeFile(f, bytes);
      const s = await prepareSource(fromPath(f));
      expect(s.size).toBe(size);
      expect(Buffer.from(s.data ?? []).equals(bytes)).toBe(true);
      // Read again after the first one was sent: the same bytes again.
      multipartBody(s, 1e9, () => new Error("limit"));
      const again = await prepareSource(fromPath(f));
      expect(Buffer.from(again.data ?? []).equals(bytes)).toBe(true);
      // A changed file is read fresh.
      bytes[0] = (bytes[0] as number) ^ 0xff;
      await writeFile(f, bytes);
      expect(Buffer.from((await prepareSource(fromPath(f))).data ?? []).equals(bytes)).toBe(true);
    }
    const empty = path.join(dir, "empty.yaml");
    await writeFile(empty, "");
    const e = await prepareSource(fromPath(empty));
    expect(e.size).toBe(0);
    expect(e.data?.length).toBe(0);
  });

  it.skipIf(process.platform !== "linux")(
    "a file whose size fstat reports as 0 is read to its end",
    async () => {
      const s = await prepareSource(fromPath("/proc/self/status"));
      expect(s.data?.toString()).toMatch(/^Name:/);
      expect(s.size).toBe(s.data?.length);
    },
  );

  it.skipIf(process.platform === "win32")("a FIFO is refused without blocking on open", async () => {
    const fifo = path.join(dir, "pipe.yaml");
    const r = spawnSync("mkfifo", [fifo]);
    if (r.status !== 0) return; // no mkfifo here: nothing to check
    await expect(prepareSource(fromPath(fifo))).rejects.toThrow(/not a regular file/);
  });

  it("one-shot streams can be opened once", async () => {
    const s = await prepareSource(Readable.from(["a"]));
    expect(s.reopenable).toBe(false);
    s.open?.();
    expect(() => s.open?.()).toThrow(/already consumed/);
  });

  it("a stream without a filename: only its first chunk is read ahead (for the archive magic), then replayed", async () => {
    let pulled = 0;
    let closed = false;
    const gz = Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]);
    const chunks = [gz.subarray(0, 4), gz.subarray(4, 6), gz.subarray(6)];
    const source = (async function* () {
      try {
        for (const c of chunks) {
          pulled++;
          yield c;
        }
      } finally {
        closed = true;
      }
    })();
    const s = await prepareSource(source);
    expect(s.filename).toBe("pipeline.tar.gz");
    expect(s.contentType).toBe("application/gzip");
    expect(pulled).toBe(1);
    expect(gz.equals(await materialize(s))).toBe(true);
    expect(closed).toBe(true);

    // With a filename nothing is read ahead.
    let touched = false;
    const named = await prepareSource(
      (async function* () {
        touched = true;
        yield gz;
      })(),
      { filename: "x.tgz" },
    );
    expect(named.filename).toBe("x.tgz");
    expect(touched).toBe(false);

    // An empty stream is a (YAML) empty package; a failing one is a ValidationError.
    expect((await prepareSource(Readable.from([]))).filename).toBe("pipeline.yaml");
    const failing = new Readable({
      read() {
        this.destroy(new Error("disk gone"));
      },
    });
    await expect(prepareSource(failing)).rejects.toThrow(/could not read the pipeline stream: disk gone/);
  });

  it("a consumer that stops early closes the underlying stream", async () => {
    let closed = false;
    const source = (async function* () {
      try {
        yield Buffer.from("PK\x03\x04");
        yield Buffer.from("rest");
        yield Buffer.from("more");
      } finally {
        closed = true;
      }
    })();
    const s = await prepareSource(source);
    expect(s.filename).toBe("pipeline.zip");
    for await (const _ of s.open?.() ?? []) break;
    expect(closed).toBe(true);
  });

  it("refuses a bad filename option", async () => {
    await expect(prepareSource("x", { filename: " " })).rejects.toThrow(/filename/);
  });
});
