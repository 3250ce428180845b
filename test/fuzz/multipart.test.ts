/**
 * Fuzz: the multipart upload endpoints (v2beta1, v2, v1beta1; upload and upload_version) with bodies
 * built from parts and then truncated, duplicated, garbled or given a bad Content-Type.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { MINIMAL_SPEC } from "../emulator/helpers/http.js";
import { count, expectClientOutcome, expectServing, params, report, send } from "./harness.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.close();
  report();
});

const PATHS = ["v2beta1", "v2", "v1beta1"].flatMap((v) => [
  `/apis/${v}/pipelines/upload`,
  `/apis/${v}/pipelines/upload_version`,
]);

const content = fc.oneof(
  fc
    .string({ maxLength: 50 })
    .map((s) => MINIMAL_SPEC(`p-${Buffer.from(s).toString("hex").slice(0, 20) || "x"}`)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString("latin1")),
  fc.integer({ min: 1, max: 3000 }).map((d) => `${"[".repeat(d)}${"]".repeat(d)}`),
  fc.json({ maxDepth: 6 }),
  fc.constant(""),
);

const part = fc.record({
  name: fc.oneof(fc.constant("uploadfile"), fc.string({ maxLength: 12 })),
  filename: fc.option(
    fc.oneof(
      fc.constantFrom("p.yaml", "p.yml", "p.json", "p.zip", "../p.yaml", "a/b/p.yaml", "", "p"),
      fc.string({ maxLength: 20 }),
    ),
    { nil: undefined },
  ),
  data: content,
  headerNoise: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
});

const mutation = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant("garble" as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({ kind: fc.constant("dup-boundary" as const) }),
  fc.record({ kind: fc.constant("no-boundary" as const) }),
  fc.record({ kind: fc.constant("repeat-tail" as const), times: fc.integer({ min: 1, max: 5 }) }),
);

interface FuzzPart {
  name: string;
  filename: string | undefined;
  data: string;
  headerNoise: string | undefined;
}

function build(parts: FuzzPart[], boundary: string): Buffer {
  const chunks: string[] = [];
  for (const p of parts) {
    let disp = `form-data; name="${p.name}"`;
    if (p.filename !== undefined) disp += `; filename="${p.filename}"`;
    chunks.push(`--${boundary}\r\nContent-Disposition: ${disp}\r\n`);
    if (p.headerNoise !== undefined) chunks.push(`X-Noise: ${p.headerNoise.replace(/[\r\n]/g, " ")}\r\n`);
    chunks.push(`\r\n${p.data}\r\n`);
  }
  chunks.push(`--${boundary}--\r\n`);
  return Buffer.from(chunks.join(""), "latin1");
}

describe("fuzz: multipart uploads", () => {
  it(
    "every body gets an upload-shaped 4xx or a success; the server keeps serving",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...PATHS),
          fc.array(part, { minLength: 0, maxLength: 6 }),
          mutation,
          fc.dictionary(
            fc.constantFrom("name", "pipelineid", "namespace", "description", "tags", "display_name"),
            fc.string({ maxLength: 30 }),
            { maxKeys: 3 },
          ),
          async (path, parts, mut, query) => {
            count("multipart");
            const boundary = "fuzzBoundary42";
            let body = build(parts, boundary);
            let contentType = `multipart/form-data; boundary=${boundary}`;
            if (mut.kind === "truncate") body = body.subarray(0, Math.floor(body.length * mut.at));
            if (mut.kind === "garble") {
              const at = Math.floor(body.length * mut.at);
              body = Buffer.concat([
                body.subarray(0, at),
                Buffer.from(mut.bytes),
                body.subarray(at + mut.bytes.length),
              ]);
            }
            if (mut.kind === "dup-boundary") contentType += "; boundary=other";
            if (mut.kind === "no-boundary") contentType = "multipart/form-data";
            if (mut.kind === "repeat-tail")
              body = Buffer.concat([body, ...Array(mut.times).fill(body.subarray(-40))]);
            const qs = new URLSearchParams(query).toString();
            const r = await send(emu, "POST", `${path}${qs ? `?${qs}` : ""}`, body, {
              "content-type": contentType,
            });
            expectClientOutcome(r, `POST ${path} (${mut.kind}, ${parts.length} parts)`);
          },
        ),
        params("multipart", 7_000),
      );
      await expectServing(emu);
    },
    120_000 + (process.env.FUZZ_LONG === "1" ? Number(process.env.FUZZ_TIME_MS ?? 300_000) : 0),
  );
});
