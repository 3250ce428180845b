/**
 * Fuzz: resource ids in paths — `/`, `..`, `%2F`, broken percent-encodings, controls, long and
 * unicode ids — sent raw (no client normalisation) to every route with parameters, with every method.
 * Each answer is a 4xx (404/400/405-as-501) or a success in KFP's shape; nothing outside /apis/ leaks.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { MINIMAL_SPEC, upload } from "../emulator/helpers/http.js";
import {
  count,
  expectClientOutcome,
  expectServing,
  NASTY_SEGMENTS,
  params,
  report,
  routeTable,
  segment,
  send,
} from "./harness.js";

let emu: Emulator;
let patterns: string[];
let realId = "";
beforeAll(async () => {
  emu = await startEmulator();
  patterns = [...new Set((await routeTable(emu)).map((r) => r.pattern))].filter((p) => p.includes("{"));
  const r = await upload(
    emu.url,
    "/apis/v2beta1/pipelines/upload",
    { filename: "p.yaml", data: MINIMAL_SPEC("keep-me") },
    { name: "keep-me" },
  );
  realId = r.body.pipeline_id;
});
afterAll(async () => {
  await emu?.close();
  report();
});

const rawSegment = fc.oneof(
  segment,
  fc.constantFrom("../..", "a/../b", "//", "/", "..;", "%2e%2e", "%2E%2E%2F"),
);

describe("fuzz: ids in paths", () => {
  it(
    "nasty ids on every parameterised route: a 4xx or a success, never a 5xx",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(),
          fc.constantFrom("GET", "POST", "DELETE", "PATCH", "PUT"),
          fc.array(rawSegment, { minLength: 3, maxLength: 3 }),
          fc.boolean(),
          async (pick, method, segs, keepReal) => {
            count("paths");
            const pattern = patterns[pick % patterns.length]!;
            let i = 0;
            const path = pattern.replace(/\{[^}]+\}/g, () => {
              const s = segs[i++ % segs.length]!;
              // Sometimes pair a real id with a nasty neighbour (…/pipelines/<real>/versions/..).
              return keepReal && i === 1 ? realId : s;
            });
            const body = method === "GET" || method === "DELETE" ? undefined : "{}";
            const r = await send(emu, method, path, body, { "content-type": "application/json" });
            expectClientOutcome(r, `${method} ${path}`);
          },
        ),
        params("paths", 5_000),
      );
      // The pipeline that was there all along is still there.
      const still = await send(emu, "GET", `/apis/v2beta1/pipelines/${realId}`);
      expect(NASTY_SEGMENTS.length).toBeGreaterThan(10);
      expect([200, 404]).toContain(still.status);
      await expectServing(emu);
    },
    120_000 + (process.env.FUZZ_LONG === "1" ? Number(process.env.FUZZ_TIME_MS ?? 300_000) : 0),
  );
});
