/**
 * Server-side validation of run parameters against the pipeline spec's root inputs
 * (`V2Spec.validatePipelineJobInputs`, PIPELINE-SPEC.md §2.2–2.3): the same checks in the same order,
 * with the server's texts. Declared parameters are checked in spec order (upstream iterates a Go map,
 * so with several problems the real server may report any one of them); extra keys are all listed,
 * in request order.
 *
 * The result is the short (external) message; callers wrap it into an InvalidArgument error (HTTP 400).
 */
import { goQuote } from "../go-text.js";
import { scanJsonText } from "../http/limits.js";

/** The part of a pipeline spec this module reads (lowerCamelCase or snake_case keys). */
export type SpecLike = Record<string, unknown>;

interface ParameterDef {
  parameterType?: unknown;
  isOptional?: unknown;
  defaultValue?: unknown;
  hasDefault: boolean;
  literals?: unknown[];
}

/** Read a field under either its protojson (lowerCamelCase) or proto (snake_case) name. */
export function field(obj: unknown, camel: string): unknown {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  if (camel in o) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return o[snake];
}

/** `v` as a JSON object, or undefined for anything else (arrays included). */
export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The root component's declared input parameters, in spec order. */
export function rootParameters(spec: SpecLike): Map<string, ParameterDef> {
  const out = new Map<string, ParameterDef>();
  const params = asRecord(field(field(field(spec, "root"), "inputDefinitions"), "parameters"));
  if (!params) return out;
  for (const [name, raw] of Object.entries(params)) {
    const def = asRecord(raw) ?? {};
    const dv = field(def, "defaultValue");
    const hasDefault = "defaultValue" in def || "default_value" in def;
    const literals = field(def, "literals");
    out.set(name, {
      parameterType: field(def, "parameterType"),
      isOptional: field(def, "isOptional"),
      defaultValue: dv,
      hasDefault,
      literals: Array.isArray(literals) ? literals : undefined,
    });
  }
  return out;
}

const TYPE_NUMBERS: Record<number, string> = {
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

function typeName(t: unknown): string {
  if (t === undefined || t === null) return "PARAMETER_TYPE_ENUM_UNSPECIFIED";
  if (typeof t === "number") return TYPE_NUMBERS[t] ?? "UNKNOWN";
  return String(t);
}

type Kind = "null" | "number" | "string" | "bool" | "list" | "struct";

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number") return "number";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "list";
  return "struct";
}

/**
 * Validate `runtime_config.parameters` for a run (or a recurring run) of `spec`.
 * Returns the server's message for the first problem, or undefined when the parameters are accepted.
 */
export function validateRunParameters(
  spec: SpecLike,
  parameters: Record<string, unknown> | undefined,
): string | undefined {
  const declared = rootParameters(spec);
  const given = parameters ?? {};
  for (const [name, def] of declared) {
    if (!Object.hasOwn(given, name)) {
      if (def.isOptional !== true && !def.hasDefault) {
        return `parameter ${name} is not optional, yet has neither default value nor user provided value`;
      }
      continue;
    }
    const value = given[name];
    const kind = kindOf(value);
    switch (typeName(def.parameterType)) {
      case "PARAMETER_TYPE_ENUM_UNSPECIFIED":
        return `input parameter ${name} has unspecified type`;
      case "NUMBER_DOUBLE":
      case "NUMBER_INTEGER":
        if (kind !== "number") {
          return `input parameter ${name} requires type double or integer, but the parameter value is not of number value type`;
        }
        break;
      case "STRING":
        if (kind !== "string") {
          return `input parameter ${name} requires type string, but the input parameter is not of string value type`;
        }
        break;
      case "BOOLEAN":
        if (kind !== "bool") {
          return `input parameter ${name} requires type bool, but the input parameter is not of bool value type`;
        }
        break;
      case "LIST":
        if (kind !== "list") {
          return `input parameter ${name} requires type list, but the input parameter is not of list value type`;
        }
        break;
      case "STRUCT":
        if (kind !== "struct") {
          return `input parameter ${name} requires type struct, but the input parameter is not of struct value type`;
        }
        break;
      case "TASK_FINAL_STATUS":
        return `input parameter ${name} requires type TASK_FINAL_STATUS, which is invalid for root component`;
      default:
        return `input parameter ${name} requires type unknown`;
    }
    if (def.literals && def.literals.length > 0) {
      if (!def.literals.some((lit) => valueEquals(value, lit))) {
        const allowed = `[${def.literals.map(protoText).join(" ")}]`;
        return `input parameter ${goQuote(name)} value ${protoText(value)} does not match any of the allowed literal values: ${allowed}`;
      }
    }
  }
  const extra = Object.keys(given).filter((k) => !declared.has(k));
  if (extra.length > 0) return `parameter(s) provided are not required by pipeline: ${extra.join(", ")}`;
  return undefined;
}

/** `proto.Equal` on two `google.protobuf.Value`s given as JSON. */
export function valueEquals(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  switch (ka) {
    case "null":
      return true;
    case "number":
      // proto.Equal compares floats with ==, so NaN never equals NaN.
      return (a as number) === (b as number);
    case "string":
    case "bool":
      return a === b;
    case "list": {
      const la = a as unknown[];
      const lb = b as unknown[];
      return la.length === lb.length && la.every((v, i) => valueEquals(v, lb[i]));
    }
    case "struct": {
      const oa = a as Record<string, unknown>;
      const ob = b as Record<string, unknown>;
      const keys = Object.keys(oa);
      return (
        keys.length === Object.keys(ob).length &&
        keys.every((k) => Object.hasOwn(ob, k) && valueEquals(oa[k], ob[k]))
      );
    }
  }
}

/** Go `%v` of a `*structpb.Value`: its prototext form (without upstream's randomised extra spaces). */
export function protoText(v: unknown): string {
  switch (kindOf(v)) {
    case "null":
      return "null_value:NULL_VALUE";
    case "number":
      return `number_value:${goFloat(v as number)}`;
    case "string":
      return `string_value:${goQuote(v as string)}`;
    case "bool":
      return `bool_value:${v ? "true" : "false"}`;
    case "list":
      return `list_value:{${(v as unknown[]).map((x) => `values:{${protoText(x)}}`).join(" ")}}`;
    case "struct": {
      const o = v as Record<string, unknown>;
      const entries = Object.keys(o)
        .sort()
        .map((k) => `fields:{key:${goQuote(k)} value:{${protoText(o[k])}}}`);
      return `struct_value:{${entries.join(" ")}}`;
    }
  }
}

function goFloat(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Number.POSITIVE_INFINITY) return "inf";
  if (n === Number.NEGATIVE_INFINITY) return "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  // Go strconv 'g' with the shortest precision: %e when the decimal exponent is < -4 or >= 6.
  const e = n.toExponential();
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(e)!;
  const realExp = Number(`${m[2]}${m[3]}`);
  if (realExp < -4 || realExp >= 6) {
    return `${m[1]}e${m[2]}${m[3]!.padStart(2, "0")}`;
  }
  return String(n);
}

/**
 * A task input's `parameterExpressionSelector` applied to a value known before run time. The SDK
 * writes `parseJson(string_value)["key"]` (loop item sub-fields, PIPELINE-SPEC.md §3.1); a chain of
 * `["key"]` / `[index]` after it is read too. A string value is parsed as JSON first; an object or
 * list value (a loop item taken from a list of structs) is used as is. Returns undefined when the
 * result cannot be known before run time: other CEL, text that is not JSON, a missing key or index.
 * Callers treat that as unknown, never as a failure (the real driver would evaluate the CEL).
 */
export function selectParameter(value: unknown, selector: string): { value: unknown } | undefined {
  const m = /^\s*parseJson\(\s*string_value\s*\)((?:\s*\[[^\]]*\])+)\s*$/.exec(selector);
  if (!m) return undefined;
  const keys: (string | number)[] = [];
  for (const part of m[1]!.split("]").slice(0, -1)) {
    const raw = part.trim().slice(1).trim(); // drop "["
    if (/^\d+$/.test(raw)) keys.push(Number(raw));
    else if (/^"[^"\\]*"$/.test(raw)) keys.push(raw.slice(1, -1));
    else if (/^'[^'\\]*'$/.test(raw)) keys.push(raw.slice(1, -1));
    else return undefined;
  }
  let cur: unknown = value;
  if (typeof cur === "string") {
    try {
      cur = JSON.parse(cur);
    } catch {
      return undefined;
    }
  }
  for (const key of keys) {
    if (typeof key === "number") {
      if (!Array.isArray(cur) || key >= cur.length) return undefined;
      cur = cur[key];
    } else {
      if (!cur || typeof cur !== "object" || Array.isArray(cur) || !Object.hasOwn(cur, key)) return undefined;
      cur = (cur as Record<string, unknown>)[key];
    }
  }
  return { value: cur };
}

/**
 * The inputs of a DAG task resolved from its enclosing scope, as the simulation sees them before run
 * time: `componentInputParameter` from `scope`, else `runtimeValue.constant`, then any
 * `parameterExpressionSelector` applied to a known value; `unknown` where nothing is known. A scope
 * value equal to `asNull` (an input with neither value nor default) is selected from as null.
 */
export function taskInputScope(
  task: unknown,
  scope: ReadonlyMap<string, unknown>,
  unknown: symbol,
  asNull?: symbol,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const params = asRecord(field(field(task, "inputs"), "parameters")) ?? {};
  for (const [name, spec] of Object.entries(params)) {
    const cip = field(spec, "componentInputParameter");
    const rv = field(spec, "runtimeValue");
    let v: unknown = unknown;
    if (typeof cip === "string") v = scope.has(cip) ? scope.get(cip) : unknown;
    else if (rv !== undefined) v = field(rv, "constant") ?? field(rv, "constantValue") ?? unknown;
    const selector = field(spec, "parameterExpressionSelector");
    if (typeof selector === "string" && selector !== "" && v !== unknown) {
      const selected = selectParameter(asNull !== undefined && v === asNull ? null : v, selector);
      v = selected ? selected.value : unknown;
    }
    out.set(name, v);
  }
  return out;
}

/**
 * What a `parameterIterator` loops over: its `raw` items, else the named input from `scope`; `unknown`
 * when the input is not known before run time.
 */
export function loopSource(items: unknown, scope: ReadonlyMap<string, unknown>, unknown: symbol): unknown {
  const raw = field(items, "raw");
  if (raw !== undefined) return raw;
  const input = field(items, "inputParameter") ?? field(items, "inputArtifact");
  return typeof input === "string" && scope.has(input) ? scope.get(input) : unknown;
}

/** Loop items from a known value: a list, or a string holding a JSON list; undefined otherwise (the driver fails). */
export function loopList(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") {
    try {
      // Too deep or with repeated keys: not a list the driver would accept (and never parsed).
      if (scanJsonText(value)) return undefined;
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // not JSON
    }
  }
  return undefined;
}
