/**
 * The input scanners of http/limits.ts: nesting depth and duplicate keys found in the text before
 * any parser runs, and the YAML depth bound far above every real compiled package.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  MAX_NESTING_DEPTH,
  scanJsonText,
  sizeLimitMessage,
  valueDepth,
  yamlTextDepth,
} from "../../packages/emulator/src/http/limits.js";
import { multipartHeaderProblem } from "../../packages/emulator/src/http/multipart.js";
import { hasShared, listFiles, sharedPipelines } from "./helpers/shared.js";

describe("scanJsonText", () => {
  it("accepts ordinary JSON, including keys repeated in different objects", () => {
    expect(scanJsonText('{"a":{"b":1},"c":[{"b":2},{"b":3}],"s":"{[\\"x\\""}')).toBeUndefined();
  });
  it("finds a duplicate key, also when spelled with escapes", () => {
    expect(scanJsonText('{\n "a": 1,\n "a": 2}')).toEqual({
      line: 3,
      column: 2,
      problem: "duplicate",
      key: "a",
    });
    expect(scanJsonText('{"a": 1, "\\u0061": 2}')).toMatchObject({ problem: "duplicate", key: "a" });
  });
  it("stops at the depth limit", () => {
    const ok = `${"[".repeat(MAX_NESTING_DEPTH)}${"]".repeat(MAX_NESTING_DEPTH)}`;
    expect(scanJsonText(ok)).toBeUndefined();
    expect(scanJsonText(`[${ok}]`)).toMatchObject({
      problem: "depth",
      line: 1,
      column: MAX_NESTING_DEPTH + 1,
    });
  });
  it("brackets inside strings do not count", () => {
    expect(scanJsonText(JSON.stringify({ s: "[".repeat(5000) }))).toBeUndefined();
  });
});

describe("depth of values and YAML text", () => {
  it("valueDepth counts without recursion", () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    expect(valueDepth(v)).toBe(MAX_NESTING_DEPTH + 1);
    expect(valueDepth({ a: [{ b: 1 }] })).toBe(3);
  });
  it("yamlTextDepth counts flow brackets and block levels", () => {
    expect(yamlTextDepth("a:\n  b:\n    c: [1, [2]]\n")).toBe(5);
    expect(yamlTextDepth("- - - x\n")).toBe(4);
    expect(yamlTextDepth(`k: |\n  ${"[".repeat(400)}\n`)).toBe(1);
    expect(yamlTextDepth(`k: "${"[".repeat(400)}"\n`)).toBe(1);
    expect(yamlTextDepth(`${"[".repeat(400)}`)).toBe(MAX_NESTING_DEPTH + 1);
  });
  it.runIf(hasShared || !!process.env.CI)("every real package is far below the limit", () => {
    const files = listFiles(sharedPipelines).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThan(100);
    const deepest = Math.max(
      ...files.map((f) => yamlTextDepth(readFileSync(join(sharedPipelines, f), "utf8"))),
    );
    expect(deepest).toBeLessThan(32);
  });
});

describe("multipart Content-Type (Go mime.ParseMediaType)", () => {
  it("accepts one boundary, refuses a duplicate parameter in any case", () => {
    expect(multipartHeaderProblem("multipart/form-data; boundary=abc")).toBeUndefined();
    expect(multipartHeaderProblem('multipart/form-data; boundary="a;b"; charset=utf-8')).toBeUndefined();
    expect(multipartHeaderProblem("multipart/form-data; boundary=a; boundary=b")).toBe(
      "mime: duplicate parameter name",
    );
    expect(multipartHeaderProblem("multipart/form-data; Boundary=a; BOUNDARY=b")).toBe(
      "mime: duplicate parameter name",
    );
    expect(multipartHeaderProblem("multipart/form-data")).toBe("no multipart boundary param in Content-Type");
  });
});

describe("size-limit messages", () => {
  it("are upstream's SizeLimitErrorMessage", () => {
    expect(sizeLimitMessage("pipeline_archive_traversal", 33554432 + 1048576)).toBe(
      "Archive extraction traversal budget size too large: exceeds maximum 34603008 bytes (33.00 MiB). Reduce archive entries and metadata; the traversal budget is derived from the pipeline spec limit or ask an administrator to adjust MAX_PIPELINE_SPEC_BYTES within its supported range.",
    );
  });
});
