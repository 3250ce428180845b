/**
 * The CEL subset of `triggerPolicy.condition` (execute/cel.ts): every condition form the corpus uses,
 * and clear `CelError`s for what the driver would reject (never `eval`).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { CelError, evaluateCondition, parseCel } from "../../packages/emulator/src/execute/cel.js";
import { hasShared, listFiles, sharedPipelines } from "./helpers/shared.js";

const pv = (k: string) => `inputs.parameter_values['${k}']`;

describe("CEL conditions", () => {
  it("evaluates the forms the compiler emits", () => {
    expect(evaluateCondition(`${pv("c")} == 'heads'`, { c: "heads" })).toBe(true);
    expect(evaluateCondition(`${pv("c")} == 'heads'`, { c: "tails" })).toBe(false);
    expect(evaluateCondition(`${pv("b")} == true`, { b: true })).toBe(true);
    expect(evaluateCondition(`int(${pv("n")}) > 5`, { n: "7" })).toBe(true);
    expect(evaluateCondition(`int(${pv("n")}) <= 5`, { n: 7 })).toBe(false);
    expect(evaluateCondition(`int(${pv("n")}) >= 5`, { n: 5.9 })).toBe(true);
    expect(evaluateCondition(`!(${pv("c")} == 'a') && !(${pv("c")} == 'b')`, { c: "c" })).toBe(true);
    expect(evaluateCondition(`!(${pv("c")} == 'a') && !(${pv("c")} == 'b')`, { c: "b" })).toBe(false);
    expect(evaluateCondition(`${pv("c")} != "x" || false`, { c: "x" })).toBe(false);
    expect(evaluateCondition(`${pv("s")}.a == 1`, { s: { a: 1 } })).toBe(true);
    expect(evaluateCondition(`${pv("n")} < -1.5`, { n: -2 })).toBe(true);
  });

  it("rejects what the driver would, with a CelError that names the problem", () => {
    expect(() => evaluateCondition(pv("s"), { s: "x" })).toThrow(/evaluated to string, not bool/);
    expect(() => evaluateCondition(pv("missing"), {})).toThrow(/no such key: missing/);
    expect(() => evaluateCondition("int('x1')", {})).toThrow(CelError);
    expect(() => evaluateCondition("exec('rm -rf /')", {})).toThrow(
      /undeclared reference to function 'exec'/,
    );
    expect(() => evaluateCondition("process.exit(1)", {})).toThrow(/unexpected token at 12/);
    expect(() => evaluateCondition("process.pid == 1", {})).toThrow(/undeclared reference to 'process'/);
    expect(() => evaluateCondition("1 == ", {})).toThrow(/unexpected token at 5/);
    expect(() => evaluateCondition("'abc", {})).toThrow(/unterminated string literal/);
    expect(() => evaluateCondition("1 < 'a'", {})).toThrow(/no such overload: int < string/);
    expect(() => parseCel("x".repeat(10_001))).toThrow(/longer than 10000/);
  });

  it.skipIf(!hasShared)("parses every condition in the corpus", () => {
    const conds: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) {
          if (k === "condition" && typeof x === "string") conds.push(x);
          else walk(x);
        }
      }
    };
    for (const f of listFiles(resolve(sharedPipelines, "valid"))) {
      if (!f.endsWith(".yaml")) continue;
      const text = readFileSync(resolve(sharedPipelines, "valid", f), "utf8");
      for (const doc of YAML.parseAllDocuments(text)) walk(doc.toJS());
    }
    expect(conds.length).toBeGreaterThan(30);
    for (const s of conds) expect(() => parseCel(s), s).not.toThrow();
  });
});
