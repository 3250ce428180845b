import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ValidationError } from "../../packages/kfp-ts/src/core/errors.js";
import {
  checkRunParameters,
  effectiveRunParameters,
  findParameterProblems,
  type RunParameterInfo,
  runParameterDefinitions,
} from "../../packages/kfp-ts/src/core/params.js";
import { ParameterError } from "../../packages/kfp-ts/src/core/run-errors.js";
import { needs } from "../helpers/needs.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const validDir = path.resolve(repoRoot, "../shared/kfp-api/pipelines/valid");
const haveShared = needs(existsSync(validDir), validDir);

function loadSpec(rel: string): Record<string, unknown> {
  const text = readFileSync(path.join(validDir, rel), "utf8");
  if (rel.endsWith(".json")) return JSON.parse(text);
  const docs = parseAllDocuments(text).map((d) => d.toJS());
  // The server picks the document that is a pipeline spec (has pipelineInfo and root).
  return docs.find((d) => d && typeof d === "object" && "root" in d && "pipelineInfo" in d);
}

function listSpecs(dir: string, base = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, base))) {
    const rel = path.join(base, name);
    if (statSync(path.join(dir, rel)).isDirectory()) out.push(...listSpecs(dir, rel));
    else if (/\.(ya?ml|json)$/.test(name)) out.push(rel);
  }
  return out.sort();
}

/** A value of the right JSON kind for a parameter type. */
function sample(def: RunParameterInfo): unknown {
  switch (def.type) {
    case "STRING":
      return "x";
    case "NUMBER_INTEGER":
      return 3;
    case "NUMBER_DOUBLE":
      return 0.5;
    case "BOOLEAN":
      return true;
    case "LIST":
      return ["a"];
    case "STRUCT":
      return { k: 1 };
    default:
      return undefined;
  }
}

/** A value of a wrong JSON kind for a parameter type. */
function wrong(def: RunParameterInfo): unknown {
  return def.type === "STRING" ? 3 : "3";
}

describe.skipIf(!haveShared)("run parameters against real specs", () => {
  it("add_numbers: required integers, named in the error with their type", () => {
    const spec = loadSpec("critical/add_numbers.yaml");
    expect(checkRunParameters(spec, { a: 1, b: 2 })).toEqual({ a: 1, b: 2 });
    let err: unknown;
    try {
      checkRunParameters(spec, { a: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParameterError);
    expect(err).toBeInstanceOf(ValidationError);
    const pe = err as ParameterError;
    expect(pe.parameter).toBe("b");
    expect(pe.field).toBe("parameters.b");
    expect(pe.message).toMatch(/parameter "b" is required.*NUMBER_INTEGER/);
    expect(pe.problems).toEqual([
      expect.objectContaining({ parameter: "b", kind: "missing", expected: "NUMBER_INTEGER" }),
    ]);
  });

  it("add_numbers: stricter integer rule (non-integers, unsafe integers, strings, null)", () => {
    const spec = loadSpec("critical/add_numbers.yaml");
    const problems = findParameterProblems(spec, { a: 1.5, b: 2 ** 53 });
    expect(problems.map((p) => [p.parameter, p.kind])).toEqual([
      ["a", "type"],
      ["b", "type"],
    ]);
    expect(problems[0]!.message).toMatch(/expected NUMBER_INTEGER \(a safe integer\), got the number 1.5/);
    expect(problems[1]!.message).toMatch(/not a safe integer/);
    expect(() => checkRunParameters(spec, { a: "1", b: 2 })).toThrow(
      /parameter "a": expected NUMBER_INTEGER.*got a string/,
    );
    expect(() => checkRunParameters(spec, { a: null, b: 2 })).toThrow(/got null/);
  });

  it("arguments_parameters: defaults are respected, unknown keys are listed with what the pipeline takes", () => {
    const spec = loadSpec("arguments_parameters.yaml");
    const defs = runParameterDefinitions(spec);
    expect(defs.map((d) => [d.name, d.type, d.required, d.hasDefault])).toEqual([
      ["param1", "STRING", false, true],
      ["param2", "STRING", true, false],
    ]);
    // param1 has a default, so only param2 is needed; the default is not sent (the server fills it).
    expect(checkRunParameters(spec, { param2: "world" })).toEqual({ param2: "world" });
    expect(effectiveRunParameters(spec, { param2: "world" })).toEqual({ param1: "hello", param2: "world" });
    const problems = findParameterProblems(spec, { param2: "w", extra: 1, other: "x" });
    expect(problems.map((p) => [p.parameter, p.kind])).toEqual([
      ["extra", "unknown"],
      ["other", "unknown"],
    ]);
    expect(problems[0]!.message).toContain("the pipeline takes: param1, param2");
    // undefined values count as absent
    expect(checkRunParameters(spec, { param2: "w", param1: undefined })).toEqual({ param2: "w" });
  });

  it("preprocess: STRUCT and LIST kinds; every problem is reported at once", () => {
    const spec = loadSpec("preprocess.yaml");
    expect(() =>
      checkRunParameters(spec, {
        input_dict_parameter: { a: 1 },
        input_list_parameter: [1, "x"],
        message: "m",
      }),
    ).not.toThrow();
    let err: ParameterError | undefined;
    try {
      checkRunParameters(spec, { input_dict_parameter: [1], input_list_parameter: "[1,2]", message: 5 });
    } catch (e) {
      err = e as ParameterError;
    }
    expect(err?.problems.map((p) => p.parameter)).toEqual([
      "input_dict_parameter",
      "input_list_parameter",
      "message",
    ]);
    expect(err?.message).toMatch(/3 problems/);
    expect(err?.message).toMatch(/input_dict_parameter": expected STRUCT \(a plain object\), got an array/);
    expect(err?.message).toMatch(/input_list_parameter": expected LIST \(an array\), got a string/);
    expect(err?.message).toMatch(/message": expected STRING \(a string\), got the integer 5/);
    expect(() =>
      checkRunParameters(spec, {
        input_dict_parameter: { d: new Date() },
        input_list_parameter: [null],
        message: "m",
      }),
    ).toThrow(/contains a Date object[\s\S]*contains null/);
  });

  it("pipeline_with_retry: NUMBER_DOUBLE accepts integers and rejects NaN/strings", () => {
    const spec = loadSpec("critical/pipeline_with_retry.yaml");
    expect(checkRunParameters(spec, { a: 2, b: 0.25 })).toEqual({ a: 2, b: 0.25 });
    expect(() => checkRunParameters(spec, { a: Number.NaN })).toThrow(/NUMBER_DOUBLE.*got NaN/);
    expect(() => checkRunParameters(spec, { b: "0.5" })).toThrow(/NUMBER_DOUBLE/);
  });

  it("if_elif_else_complex: BOOLEAN must be a boolean", () => {
    const spec = loadSpec("if_elif_else_complex.yaml");
    expect(() => checkRunParameters(spec, { add_drumroll: false })).not.toThrow();
    expect(() => checkRunParameters(spec, { add_drumroll: "true" })).toThrow(
      /"add_drumroll": expected BOOLEAN/,
    );
  });

  it("TASK_FINAL_STATUS cannot be given at the root", () => {
    const spec = loadSpec("component_with_task_final_status_GH-12033.yaml");
    expect(() => checkRunParameters(spec, {})).not.toThrow();
    const problems = findParameterProblems(spec, { status: { state: "SUCCEEDED" } });
    expect(problems).toEqual([expect.objectContaining({ parameter: "status", kind: "not_allowed" })]);
  });

  it("accepts the API's {pipeline_spec, platform_spec} wrapper and snake_case keys", () => {
    const spec = loadSpec("critical/add_numbers.yaml");
    expect(() => checkRunParameters({ pipeline_spec: spec, platform_spec: {} }, { a: 1 })).toThrow(/"b"/);
    const snake = {
      root: {
        input_definitions: { parameters: { n: { parameter_type: "NUMBER_INTEGER", default_value: 1 } } },
      },
    };
    expect(runParameterDefinitions(snake)).toEqual([
      {
        name: "n",
        type: "NUMBER_INTEGER",
        required: false,
        isOptional: false,
        hasDefault: true,
        defaultValue: 1,
      },
    ]);
  });

  it("every valid package: correct values pass; each missing or mistyped required parameter is named", () => {
    const files = listSpecs(validDir).filter((f) => !f.endsWith(".zip"));
    expect(files.length).toBeGreaterThan(50);
    let checked = 0;
    for (const rel of files) {
      const spec = loadSpec(rel);
      if (!spec) continue;
      const defs = runParameterDefinitions(spec);
      const good: Record<string, unknown> = {};
      for (const d of defs) if (d.required) good[d.name] = sample(d);
      expect(findParameterProblems(spec, good), rel).toEqual([]);
      for (const d of defs.filter((x) => x.required)) {
        const { [d.name]: _omit, ...missing } = good;
        const p = findParameterProblems(spec, missing);
        expect(p, `${rel} ${d.name}`).toEqual([
          expect.objectContaining({ parameter: d.name, kind: "missing", expected: d.type }),
        ]);
        const bad = findParameterProblems(spec, { ...good, [d.name]: wrong(d) });
        expect(bad[0]?.message, `${rel} ${d.name}`).toContain(d.type);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe("parameter checking without a package", () => {
  it("literals must match exactly", () => {
    const spec = {
      root: { inputDefinitions: { parameters: { mode: { parameterType: "STRING", literals: ["a", "b"] } } } },
    };
    expect(() => checkRunParameters(spec, { mode: "a" })).not.toThrow();
    expect(() => checkRunParameters(spec, { mode: "c" })).toThrow(
      /not one of the allowed values \["a","b"\]/,
    );
  });

  it("optionally checks defaults against their types", () => {
    const spec = {
      root: { inputDefinitions: { parameters: { n: { parameterType: 2, defaultValue: "7" } } } },
    };
    expect(findParameterProblems(spec, {})).toEqual([]);
    expect(findParameterProblems(spec, {}, { checkDefaults: true })).toEqual([
      expect.objectContaining({ parameter: "n", kind: "default" }),
    ]);
  });

  it("a pipeline without parameters rejects any key; a spec that is not an object is refused", () => {
    expect(() => checkRunParameters({ root: { dag: {} } }, { x: 1 })).toThrow(/takes no parameters/);
    expect(() => checkRunParameters("nope", {})).toThrow(ParameterError);
    expect(() => checkRunParameters({ root: {} }, [] as never)).toThrow(/must be an object/);
  });
});
