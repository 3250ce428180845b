/**
 * Server-side run parameter validation (PIPELINE-SPEC.md §2.2–2.3): unit checks on real compiled
 * specs, then the HTTP 400 with the server's chain through `POST /runs` and `POST /recurringruns`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import {
  protoText,
  selectParameter,
  validateRunParameters,
} from "../../packages/emulator/src/template/params.js";
import { hasShared } from "./helpers/shared.js";
import { api, detail, specObject, specText, specWithParams, uploadPipeline } from "./runs-fixtures.js";

describe.skipIf(!hasShared)("validateRunParameters on real specs", () => {
  it("required NUMBER_INTEGER parameters (add_numbers.yaml)", () => {
    const spec = specObject("critical/add_numbers.yaml");
    expect(validateRunParameters(spec, {})).toBe(
      "parameter a is not optional, yet has neither default value nor user provided value",
    );
    expect(validateRunParameters(spec, { a: 1 })).toBe(
      "parameter b is not optional, yet has neither default value nor user provided value",
    );
    expect(validateRunParameters(spec, { a: "1", b: 2 })).toBe(
      "input parameter a requires type double or integer, but the parameter value is not of number value type",
    );
    expect(validateRunParameters(spec, { a: null, b: 2 })).toMatch(/^input parameter a requires type double/);
    // integrality is not checked by the server
    expect(validateRunParameters(spec, { a: 1.5, b: 2 })).toBeUndefined();
    expect(validateRunParameters(spec, { a: 1, b: 2, c: 3, d: "x" })).toBe(
      "parameter(s) provided are not required by pipeline: c, d",
    );
  });

  it("STRING with a default (two_step_pipeline.yaml)", () => {
    const spec = specObject("two_step_pipeline.yaml");
    expect(validateRunParameters(spec, {})).toBeUndefined();
    expect(validateRunParameters(spec, { text: "x" })).toBeUndefined();
    for (const bad of [3, true, null, ["a"], { a: 1 }]) {
      expect(validateRunParameters(spec, { text: bad })).toBe(
        "input parameter text requires type string, but the input parameter is not of string value type",
      );
    }
  });

  it("STRUCT (dict_input.yaml) and TASK_FINAL_STATUS at root", () => {
    expect(validateRunParameters(specObject("essential/dict_input.yaml"), { struct: "{}" })).toBe(
      "input parameter struct requires type struct, but the input parameter is not of struct value type",
    );
    expect(validateRunParameters(specObject("essential/dict_input.yaml"), { struct: {} })).toBeUndefined();
    const tfs = specObject("component_with_task_final_status_GH-12033.yaml");
    expect(validateRunParameters(tfs, {})).toBeUndefined();
    expect(validateRunParameters(tfs, { status: {} })).toBe(
      "input parameter status requires type TASK_FINAL_STATUS, which is invalid for root component",
    );
  });
});

describe("validateRunParameters on synthetic specs", () => {
  it("BOOLEAN, LIST, NUMBER_DOUBLE, unspecified and unknown types", () => {
    const spec = specWithParams({
      b: { parameterType: "BOOLEAN" },
      l: { parameterType: "LIST" },
      d: { parameterType: "NUMBER_DOUBLE" },
    });
    expect(validateRunParameters(spec, { b: "true", l: [], d: 1 })).toBe(
      "input parameter b requires type bool, but the input parameter is not of bool value type",
    );
    expect(validateRunParameters(spec, { b: true, l: "[1,2]", d: 1 })).toBe(
      "input parameter l requires type list, but the input parameter is not of list value type",
    );
    expect(validateRunParameters(spec, { b: true, l: [1, "x"], d: "0.5" })).toBe(
      "input parameter d requires type double or integer, but the parameter value is not of number value type",
    );
    expect(validateRunParameters(spec, { b: false, l: [1, "x"], d: 0.5 })).toBeUndefined();
    expect(validateRunParameters(specWithParams({ u: {} }), { u: 1 })).toBe(
      "input parameter u has unspecified type",
    );
    expect(validateRunParameters(specWithParams({ t: { parameterType: "TASK_CONFIG" } }), { t: {} })).toBe(
      "input parameter t requires type unknown",
    );
    // optional without default: may be absent
    expect(
      validateRunParameters(specWithParams({ o: { parameterType: "STRING", isOptional: true } }), {}),
    ).toBe(undefined);
  });

  it("literals: exact proto equality, the value and the allowed list in prototext", () => {
    const spec = specWithParams({
      s: { parameterType: "STRING", literals: ["a", "b"] },
      n: { parameterType: "NUMBER_INTEGER", literals: [1, 2] },
    });
    expect(validateRunParameters(spec, { s: "a", n: 2 })).toBeUndefined();
    expect(validateRunParameters(spec, { s: "c", n: 1 })).toBe(
      'input parameter "s" value string_value:"c" does not match any of the allowed literal values: [string_value:"a" string_value:"b"]',
    );
    expect(validateRunParameters(spec, { s: "a", n: 3 })).toBe(
      'input parameter "n" value number_value:3 does not match any of the allowed literal values: [number_value:1 number_value:2]',
    );
    expect(protoText({ k: [true, null, 1e21] })).toBe(
      'struct_value:{fields:{key:"k" value:{list_value:{values:{bool_value:true} values:{null_value:NULL_VALUE} values:{number_value:1e+21}}}}}',
    );
    expect(protoText(1234567)).toBe("number_value:1.234567e+06");
    expect(protoText(0.0001)).toBe("number_value:0.0001");
  });
});

describe.skipIf(!hasShared)("parameters over HTTP", () => {
  let emu: Emulator;
  let add: { pipelineId: string; versionId: string };
  beforeAll(async () => {
    emu = await startEmulator({ lifecycle: { tickMs: 1 } });
    add = await uploadPipeline(emu, specText("critical/add_numbers.yaml"), "add-numbers");
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("POST /runs with a missing parameter → 400, the server's chain, no run stored", async () => {
    const r = await api(emu).post("/apis/v2beta1/runs", {
      display_name: "bad",
      pipeline_version_reference: { pipeline_id: add.pipelineId, pipeline_version_id: add.versionId },
      runtime_config: { parameters: { a: 1 } },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(3);
    expect(r.body.message).toBe(
      "Failed to create a new run: Failed to generate the ExecutionSpec: invalid pipeline job inputs: Invalid input error: parameter b is not optional, yet has neither default value nor user provided value",
    );
    expect(detail(r)).toBe(
      "parameter b is not optional, yet has neither default value nor user provided value",
    );
    const list = await api(emu).get("/apis/v2beta1/runs");
    expect(list.body).toEqual({});
  });

  it("POST /runs with an inline spec and extra keys → 400", async () => {
    const r = await api(emu).post("/apis/v2beta1/runs", {
      display_name: "extra",
      pipeline_spec: specObject("critical/add_numbers.yaml"),
      runtime_config: { parameters: { a: 1, b: 2, zzz: true } },
    });
    expect(r.status).toBe(400);
    expect(detail(r)).toBe("parameter(s) provided are not required by pipeline: zzz");
  });

  it("valid parameters are echoed in runtime_config", async () => {
    const r = await api(emu).post("/apis/v2beta1/runs", {
      display_name: "ok",
      pipeline_version_reference: { pipeline_id: add.pipelineId },
      runtime_config: { parameters: { a: 1, b: 2.5 }, pipeline_root: "minio://bucket/root" },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.runtime_config).toEqual({
      parameters: { a: 1, b: 2.5 },
      pipeline_root: "minio://bucket/root",
    });
  });

  it("POST /recurringruns validates against a pinned version, and against the latest version otherwise", async () => {
    const pinned = await api(emu).post("/apis/v2beta1/recurringruns", {
      display_name: "rr",
      max_concurrency: "1",
      trigger: { periodic_schedule: { interval_second: "3600" } },
      pipeline_version_reference: { pipeline_id: add.pipelineId, pipeline_version_id: add.versionId },
      runtime_config: { parameters: { a: "x", b: 1 } },
    });
    expect(pinned.status).toBe(400);
    expect(pinned.body.message).toBe(
      "Failed to create a recurring run: Failed to create a recurring run during scheduled workflow creation: invalid pipeline job inputs: Invalid input error: input parameter a requires type double or integer, but the parameter value is not of number value type",
    );
    const latest = await api(emu).post("/apis/v2beta1/recurringruns", {
      display_name: "rr",
      max_concurrency: "1",
      trigger: { periodic_schedule: { interval_second: "3600" } },
      pipeline_version_reference: { pipeline_id: add.pipelineId },
      runtime_config: { parameters: {} },
    });
    expect(latest.status).toBe(400);
    expect(latest.body.message).toBe(
      "Failed to create a recurring run: Failed to validate the input parameters on the latest pipeline version: Invalid input error: parameter a is not optional, yet has neither default value nor user provided value",
    );
  });
});

describe("selectParameter (parameterExpressionSelector on values known before run time)", () => {
  it("reads the SDK's parseJson(string_value)[...] forms from JSON text or a struct", () => {
    expect(selectParameter('{"A_a": "heads", "B_b": ["A", "B"]}', 'parseJson(string_value)["B_b"]')).toEqual({
      value: ["A", "B"],
    });
    expect(selectParameter({ a: { b: [1, 2] } }, "parseJson(string_value)['a'][\"b\"][1]")).toEqual({
      value: 2,
    });
    expect(selectParameter({ a: null }, 'parseJson(string_value)["a"]')).toEqual({ value: null });
  });

  it("is unknown (undefined), never an error, for anything else", () => {
    for (const [value, selector] of [
      ["not json", 'parseJson(string_value)["a"]'],
      [{ a: 1 }, 'parseJson(string_value)["b"]'],
      [[1], "parseJson(string_value)[3]"],
      [null, 'parseJson(string_value)["a"]'],
      [7, 'parseJson(string_value)["a"]'],
      [{ a: 1 }, "string_value"],
      [{ a: 1 }, "parseJson(string_value)[a]"],
      [{ a: 1 }, 'parseJson(string_value)["a\\"]'],
      [{ "a]": 1 }, 'parseJson(string_value)["a]"]'],
    ] as [unknown, string][]) {
      expect(selectParameter(value, selector), `${JSON.stringify(value)} ${selector}`).toBeUndefined();
    }
  });
});
