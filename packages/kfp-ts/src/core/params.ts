/**
 * Client-side checking of run parameters against a pipeline spec's root `inputDefinitions`
 * (PIPELINE-SPEC §2.2–2.4). Mirrors what the server checks at run creation and is stricter where the
 * server would only fail the run later: integers must be safe integers, `null` is rejected everywhere,
 * non-finite numbers are rejected. Every problem is reported at once, each naming the parameter and the
 * expected type.
 */
import { isRecord } from "../internal/values.js";
import type { JsonValue } from "../types/runs.js";
import { ParameterError, type ParameterProblem } from "./run-errors.js";

/** The type of a pipeline input parameter, as the spec's `parameterType` names it. */
export type ParameterType =
  | "PARAMETER_TYPE_ENUM_UNSPECIFIED"
  | "NUMBER_DOUBLE"
  | "NUMBER_INTEGER"
  | "STRING"
  | "BOOLEAN"
  | "LIST"
  | "STRUCT"
  | "TASK_FINAL_STATUS"
  | "TASK_CONFIG";

const TYPE_BY_NUMBER: Record<number, ParameterType> = {
  0: "PARAMETER_TYPE_ENUM_UNSPECIFIED",
  1: "NUMBER_DOUBLE",
  2: "NUMBER_INTEGER",
  3: "STRING",
  4: "BOOLEAN",
  5: "LIST",
  6: "STRUCT",
  7: "TASK_FINAL_STATUS",
  8: "TASK_CONFIG",
};

/** One root parameter definition, normalized from camelCase or snake_case spec keys. */
export interface RunParameterInfo {
  name: string;
  type: ParameterType;
  /** True when the run must supply a value (not optional and no default). */
  required: boolean;
  isOptional: boolean;
  hasDefault: boolean;
  defaultValue?: unknown;
  description?: string;
  literals?: unknown[];
}

/** A human description of what a parameter type accepts. */
export function describeParameterType(type: ParameterType): string {
  switch (type) {
    case "STRING":
      return "STRING (a string)";
    case "NUMBER_INTEGER":
      return "NUMBER_INTEGER (a safe integer)";
    case "NUMBER_DOUBLE":
      return "NUMBER_DOUBLE (a finite number)";
    case "BOOLEAN":
      return "BOOLEAN (true or false)";
    case "LIST":
      return "LIST (an array)";
    case "STRUCT":
      return "STRUCT (a plain object)";
    case "TASK_FINAL_STATUS":
      return "TASK_FINAL_STATUS (set by the backend; cannot be supplied for a run)";
    case "TASK_CONFIG":
      return "TASK_CONFIG (cannot be supplied for a run)";
    default:
      return "an unspecified type (the server rejects any value)";
  }
}

function pick(obj: Record<string, unknown>, camel: string, snake: string): unknown {
  return obj[camel] !== undefined ? obj[camel] : obj[snake];
}

/**
 * The pipeline spec object inside what a caller may hold: the spec itself, or the API's
 * `{pipeline_spec, platform_spec}` wrapper (returned when a platform document exists).
 */
export function unwrapPipelineSpec(spec: unknown): Record<string, unknown> {
  if (!isRecord(spec)) {
    throw new ParameterError("pipeline spec must be an object to check run parameters against it", []);
  }
  if (spec.root === undefined && isRecord(spec.pipeline_spec)) return spec.pipeline_spec;
  return spec;
}

function normalizeType(raw: unknown): ParameterType {
  if (typeof raw === "number") return TYPE_BY_NUMBER[raw] ?? "PARAMETER_TYPE_ENUM_UNSPECIFIED";
  if (typeof raw === "string") {
    const t = raw.toUpperCase();
    if (Object.values(TYPE_BY_NUMBER).includes(t as ParameterType)) return t as ParameterType;
  }
  return "PARAMETER_TYPE_ENUM_UNSPECIFIED";
}

/** The root parameters of a pipeline spec (its run parameters), in declaration order. */
export function runParameterDefinitions(spec: unknown): RunParameterInfo[] {
  const s = unwrapPipelineSpec(spec);
  const root = s.root;
  if (!isRecord(root)) return [];
  const inputs = pick(root, "inputDefinitions", "input_definitions");
  if (!isRecord(inputs)) return [];
  const params = inputs.parameters;
  if (!isRecord(params)) return [];
  const out: RunParameterInfo[] = [];
  for (const [name, def] of Object.entries(params)) {
    const d = isRecord(def) ? def : {};
    const type = normalizeType(pick(d, "parameterType", "parameter_type"));
    const defaultValue = pick(d, "defaultValue", "default_value");
    const hasDefault = defaultValue !== undefined;
    const isOptional = pick(d, "isOptional", "is_optional") === true;
    const literals = d.literals;
    const info: RunParameterInfo = {
      name,
      type,
      required: !isOptional && !hasDefault,
      isOptional,
      hasDefault,
    };
    if (hasDefault) info.defaultValue = defaultValue;
    if (typeof d.description === "string") info.description = d.description;
    if (Array.isArray(literals) && literals.length > 0) info.literals = literals;
    out.push(info);
  }
  return out;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a Date";
  if (typeof v === "object") return "an object";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return String(v);
    return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  }
  if (typeof v === "string")
    return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)})`;
  return `a ${typeof v}`;
}

/** Why a JSON value cannot be serialized faithfully (undefined, functions, NaN, cycles...), or undefined. */
function jsonProblem(v: unknown, seen: Set<unknown> = new Set()): string | undefined {
  if (v === null) return "contains null";
  switch (typeof v) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(v) ? undefined : `contains ${v}`;
    case "object": {
      if (seen.has(v)) return "contains a circular reference";
      seen.add(v);
      if (Array.isArray(v)) {
        for (const el of v) {
          if (el === undefined) return "contains undefined";
          const p = jsonProblem(el, seen);
          if (p) return p;
        }
      } else {
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null)
          return `contains a ${v.constructor?.name ?? "non-plain"} object`;
        for (const el of Object.values(v as Record<string, unknown>)) {
          if (el === undefined) continue;
          const p = jsonProblem(el, seen);
          if (p) return p;
        }
      }
      seen.delete(v);
      return undefined;
    }
    default:
      return `contains a ${typeof v}`;
  }
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

/** Check one supplied value against its definition; returns the problem text or undefined. */
function checkValue(def: RunParameterInfo, v: unknown): string | undefined {
  const t = def.type;
  switch (t) {
    case "STRING":
      if (typeof v !== "string") return `got ${kindOf(v)}`;
      break;
    case "NUMBER_INTEGER":
      if (typeof v !== "number" || !Number.isSafeInteger(v)) {
        if (typeof v === "number" && Number.isInteger(v))
          return `got ${kindOf(v)}, which is not a safe integer`;
        return `got ${kindOf(v)}`;
      }
      break;
    case "NUMBER_DOUBLE":
      if (typeof v !== "number" || !Number.isFinite(v)) return `got ${kindOf(v)}`;
      break;
    case "BOOLEAN":
      if (typeof v !== "boolean") return `got ${kindOf(v)}`;
      break;
    case "LIST": {
      if (!Array.isArray(v)) return `got ${kindOf(v)}`;
      const p = jsonProblem(v);
      if (p) return `the array ${p}`;
      break;
    }
    case "STRUCT": {
      if (!isRecord(v) || v instanceof Date) return `got ${kindOf(v)}`;
      const p = jsonProblem(v);
      if (p) return `the object ${p}`;
      break;
    }
    case "TASK_FINAL_STATUS":
      return "a TASK_FINAL_STATUS input is filled by the backend and cannot be given at the root of a run";
    case "TASK_CONFIG":
      return "a TASK_CONFIG input cannot be given for a run (the server rejects it)";
    default:
      return "the parameter has no parameterType in the spec, so the server rejects any value";
  }
  if (def.literals && !def.literals.some((lit) => jsonEqual(lit, v))) {
    return `value ${JSON.stringify(v)} is not one of the allowed values ${JSON.stringify(def.literals)}`;
  }
  return undefined;
}

export interface CheckRunParametersOptions {
  /** Also verify that defaults in the spec match their declared type (reported as problems). Default false. */
  checkDefaults?: boolean;
}

/** All problems with `params` for `spec`, without throwing. An empty array means the parameters are fine. */
export function findParameterProblems(
  spec: unknown,
  params: Record<string, unknown> | undefined,
  opts: CheckRunParametersOptions = {},
): ParameterProblem[] {
  const defs = runParameterDefinitions(spec);
  const given = params ?? {};
  const problems: ParameterProblem[] = [];
  if (!isRecord(given)) {
    problems.push({
      parameter: "",
      kind: "type",
      message: `run parameters must be an object mapping names to values, got ${kindOf(given)}`,
    });
    return problems;
  }
  const byName = new Map(defs.map((d) => [d.name, d]));
  for (const def of defs) {
    const expected = describeParameterType(def.type);
    const v = given[def.name];
    if (v === undefined) {
      if (def.required) {
        problems.push({
          parameter: def.name,
          kind: "missing",
          expected: def.type,
          message: `parameter "${def.name}" is required (no default in the pipeline); expected ${expected}`,
        });
      } else if (opts.checkDefaults && def.hasDefault) {
        const p = checkValue(def, def.defaultValue);
        if (p) {
          problems.push({
            parameter: def.name,
            kind: "default",
            expected: def.type,
            message: `the pipeline's default for "${def.name}" does not match its type: expected ${expected}, ${p}`,
          });
        }
      }
      continue;
    }
    const p = checkValue(def, v);
    if (p) {
      problems.push({
        parameter: def.name,
        kind: def.type === "TASK_FINAL_STATUS" || def.type === "TASK_CONFIG" ? "not_allowed" : "type",
        expected: def.type,
        message: `parameter "${def.name}": expected ${expected}, ${p}`,
      });
    }
  }
  const unknown = Object.keys(given).filter((k) => given[k] !== undefined && !byName.has(k));
  if (unknown.length > 0) {
    const takes =
      defs.length === 0
        ? "the pipeline takes no parameters"
        : `the pipeline takes: ${defs.map((d) => d.name).join(", ")}`;
    for (const name of unknown) {
      problems.push({
        parameter: name,
        kind: "unknown",
        message: `parameter "${name}" is not declared by the pipeline (${takes})`,
      });
    }
  }
  return problems;
}

/**
 * Check `params` against the spec's root parameters and return the map to send as
 * `runtime_config.parameters` (keys with `undefined` values dropped; defaults are left to the server,
 * which fills every absent parameter from its `defaultValue`). Throws ParameterError listing every problem.
 */
export function checkRunParameters(
  spec: unknown,
  params: Record<string, unknown> | undefined,
  opts: CheckRunParametersOptions = {},
): Record<string, JsonValue> {
  const problems = findParameterProblems(spec, params, opts);
  if (problems.length > 0) {
    throw new ParameterError(
      problems.length === 1
        ? `Invalid run parameter: ${problems[0]!.message}`
        : `Invalid run parameters (${problems.length} problems):\n  - ${problems.map((p) => p.message).join("\n  - ")}`,
      problems,
    );
  }
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v !== undefined) out[k] = v as JsonValue;
  }
  return out;
}

/** The values a run will effectively use: supplied values over defaults (optional ones without default omitted). */
export function effectiveRunParameters(
  spec: unknown,
  params: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of runParameterDefinitions(spec)) {
    const v = params?.[def.name];
    if (v !== undefined) out[def.name] = v;
    else if (def.hasDefault) out[def.name] = def.defaultValue;
  }
  return out;
}
