/**
 * Fuzz: packages as .zip and .tar.gz with random members (names, contents, counts), lies in the zip
 * directory (sizes, offsets, methods), truncation, bit flips and bombs (a few KB that inflate to
 * hundreds of MiB). Each upload is a success or an upload-shaped 400, and quick.
 */
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { writeTarGz, writeZip } from "../emulator/helpers/archive-writer.js";
import { MINIMAL_SPEC, multipart } from "../emulator/helpers/http.js";
import { count, expectClientOutcome, expectServing, params, report, send } from "./harness.js";

let emu: Emulator;
// Bombs are built once (the expensive part is the compression, not the upload).
let zipBomb: Buffer;
let tgzBomb: Buffer;
beforeAll(async () => {
  emu = await startEmulator();
  zipBomb = writeZip([{ name: "pipeline.yaml", data: Buffer.alloc(80 << 20) }]);
  tgzBomb = gzipSync(Buffer.alloc(80 << 20));
});
afterAll(async () => {
  await emu?.close();
  report();
});

const member = fc.record({
  name: fc.oneof(
    fc.constantFrom("pipeline.yaml", "a.yaml", "x.txt", "dir/", "../pipeline.yaml", "p.yml"),
    fc.string({ maxLength: 30 }),
  ),
  data: fc.oneof(
    fc.constant(null).map(() => MINIMAL_SPEC("from-archive")),
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    fc.integer({ min: 300, max: 5000 }).map((d) => `${"[".repeat(d)}${"]".repeat(d)}`),
  ),
});

const corruption = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant("flip" as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant("zip-field" as const),
    field: fc.constantFrom(10, 20, 24, 28, 42),
    value: fc.oneof(fc.constantFrom(0, 1, 0xffff, 0xffffffff, 0x7fffffff), fc.nat()),
  }),
  fc.constant({ kind: "bomb" as const }),
);

describe("fuzz: archives", () => {
  it(
    "every archive upload: success or an upload-shaped 400, within seconds",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("zip", "tgz"),
          fc.array(member, { maxLength: 5 }),
          corruption,
          async (format, members, c) => {
            count("archives");
            let pkg: Buffer;
            if (c.kind === "bomb") pkg = format === "zip" ? zipBomb : tgzBomb;
            else pkg = format === "zip" ? writeZip(members) : writeTarGz(members);
            pkg = Buffer.from(pkg);
            if (c.kind === "truncate") pkg = pkg.subarray(0, Math.floor(pkg.length * c.at));
            if (c.kind === "flip" && pkg.length > 0) {
              const at = Math.min(pkg.length - 1, Math.floor(pkg.length * c.at));
              pkg[at] = pkg[at]! ^ c.xor;
            }
            if (c.kind === "zip-field" && format === "zip" && pkg.length >= 22) {
              const cd = pkg.readUInt32LE(pkg.length - 22 + 16);
              const width = c.field === 10 || c.field === 28 ? 2 : 4;
              if (cd + c.field + width <= pkg.length) {
                if (width === 2) pkg.writeUInt16LE(c.value & 0xffff, cd + c.field);
                else pkg.writeUInt32LE(c.value >>> 0, cd + c.field);
              }
            }
            const { body, contentType } = multipart([
              { name: "uploadfile", filename: `p.${format === "zip" ? "zip" : "tar.gz"}`, data: pkg },
            ]);
            const started = performance.now();
            const r = await send(emu, "POST", "/apis/v2beta1/pipelines/upload", body, {
              "content-type": contentType,
            });
            expectClientOutcome(r, `upload ${format} (${c.kind}, ${members.length} members)`);
            expect(performance.now() - started, `${format} ${c.kind}`).toBeLessThan(10_000);
          },
        ),
        params("archives", 6_000),
      );
      await expectServing(emu);
    },
    180_000 + (process.env.FUZZ_LONG === "1" ? Number(process.env.FUZZ_TIME_MS ?? 300_000) : 0),
  );
});
