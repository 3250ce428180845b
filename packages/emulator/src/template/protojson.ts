/**
 * The strict protojson decode of a pipeline document (api/v2alpha1/pipeline_spec.proto): unknown keys,
 * wrong JSON kinds, bad enum names and two members of a oneof all fail, like the server's
 * `protojson.Unmarshal`; the result is what protojson would re-serialise (lowerCamelCase keys, zero
 * values dropped, enums by name, int64 as strings; Struct contents untouched).
 */
import { toCamel } from "../http/encode.js";

// ── Strict PipelineSpec / PlatformSpec schema (api/v2alpha1/pipeline_spec.proto) ────────────────

type Scalar = "string" | "bool" | "int32" | "int64" | "double" | "struct" | "value" | "duration";
type FieldType = Scalar | { msg: string } | { enum: readonly string[] };
interface Field {
  type: FieldType;
  repeated?: boolean;
  map?: boolean;
  oneof?: string;
  optional?: boolean;
}
type Msg = Record<string, Field>;

const f = (type: FieldType, extra: Omit<Field, "type"> = {}): Field => ({ type, ...extra });
const m = (name: string): { msg: string } => ({ msg: name });
const S = f("string");
const B = f("bool");
const I32 = f("int32");

const PRIMITIVE_TYPE = ["PRIMITIVE_TYPE_UNSPECIFIED", "INT", "DOUBLE", "STRING"];
const PARAMETER_TYPE = [
  "PARAMETER_TYPE_ENUM_UNSPECIFIED",
  "NUMBER_DOUBLE",
  "NUMBER_INTEGER",
  "STRING",
  "BOOLEAN",
  "LIST",
  "STRUCT",
  "TASK_FINAL_STATUS",
  "TASK_CONFIG",
];
const PASSTHROUGH_TYPE = [
  "NONE",
  "RESOURCES",
  "ENV",
  "KUBERNETES_AFFINITY",
  "KUBERNETES_TOLERATIONS",
  "KUBERNETES_NODE_SELECTOR",
  "KUBERNETES_VOLUMES",
];
const TRIGGER_STRATEGY = [
  "TRIGGER_STRATEGY_UNSPECIFIED",
  "ALL_UPSTREAM_TASKS_SUCCEEDED",
  "ALL_UPSTREAM_TASKS_COMPLETED",
];

const MESSAGES: Record<string, Msg> = {
  PipelineSpec: {
    pipeline_info: f(m("PipelineInfo")),
    deployment_spec: f("struct"),
    sdk_version: S,
    schema_version: S,
    components: f(m("ComponentSpec"), { map: true }),
    root: f(m("ComponentSpec")),
    default_pipeline_root: S,
  },
  PipelineInfo: { name: S, display_name: S, description: S },
  ComponentSpec: {
    input_definitions: f(m("ComponentInputsSpec")),
    output_definitions: f(m("ComponentOutputsSpec")),
    dag: f(m("DagSpec"), { oneof: "implementation" }),
    executor_label: f("string", { oneof: "implementation" }),
    single_platform_specs: f(m("SinglePlatformSpec"), { repeated: true }),
    task_config_passthroughs: f(m("TaskConfigPassthrough"), { repeated: true }),
  },
  DagSpec: { tasks: f(m("PipelineTaskSpec"), { map: true }), outputs: f(m("DagOutputsSpec")) },
  DagOutputsSpec: {
    artifacts: f(m("DagOutputArtifactSpec"), { map: true }),
    parameters: f(m("DagOutputParameterSpec"), { map: true }),
  },
  ArtifactSelectorSpec: { producer_subtask: S, output_artifact_key: S },
  DagOutputArtifactSpec: { artifact_selectors: f(m("ArtifactSelectorSpec"), { repeated: true }) },
  ParameterSelectorSpec: { producer_subtask: S, output_parameter_key: S },
  ParameterSelectorsSpec: { parameter_selectors: f(m("ParameterSelectorSpec"), { repeated: true }) },
  DagOutputParameterSpec: {
    value_from_parameter: f(m("ParameterSelectorSpec"), { oneof: "kind" }),
    value_from_oneof: f(m("ParameterSelectorsSpec"), { oneof: "kind" }),
  },
  ComponentInputsSpec: {
    artifacts: f(m("InputsArtifactSpec"), { map: true }),
    parameters: f(m("InputsParameterSpec"), { map: true }),
  },
  InputsArtifactSpec: {
    artifact_type: f(m("ArtifactTypeSchema")),
    is_artifact_list: B,
    is_optional: B,
    description: S,
  },
  InputsParameterSpec: {
    type: f({ enum: PRIMITIVE_TYPE }),
    parameter_type: f({ enum: PARAMETER_TYPE }),
    default_value: f("value"),
    is_optional: B,
    description: S,
    literals: f("value", { repeated: true }),
  },
  ComponentOutputsSpec: {
    artifacts: f(m("OutputsArtifactSpec"), { map: true }),
    parameters: f(m("OutputsParameterSpec"), { map: true }),
  },
  OutputsArtifactSpec: {
    artifact_type: f(m("ArtifactTypeSchema")),
    properties: f(m("ValueOrRuntimeParameter"), { map: true }),
    custom_properties: f(m("ValueOrRuntimeParameter"), { map: true }),
    metadata: f("struct"),
    is_artifact_list: B,
    description: S,
  },
  OutputsParameterSpec: {
    type: f({ enum: PRIMITIVE_TYPE }),
    parameter_type: f({ enum: PARAMETER_TYPE }),
    description: S,
  },
  TaskInputsSpec: {
    parameters: f(m("InputParameterSpec"), { map: true }),
    artifacts: f(m("InputArtifactSpec"), { map: true }),
  },
  InputArtifactSpec: {
    task_output_artifact: f(m("TaskOutputArtifactSpec"), { oneof: "kind" }),
    component_input_artifact: f("string", { oneof: "kind" }),
  },
  TaskOutputArtifactSpec: { producer_task: S, output_artifact_key: S },
  InputParameterSpec: {
    task_output_parameter: f(m("TaskOutputParameterSpec"), { oneof: "kind" }),
    runtime_value: f(m("ValueOrRuntimeParameter"), { oneof: "kind" }),
    component_input_parameter: f("string", { oneof: "kind" }),
    task_final_status: f(m("TaskFinalStatus"), { oneof: "kind" }),
    parameter_expression_selector: S,
  },
  TaskOutputParameterSpec: { producer_task: S, output_parameter_key: S },
  TaskFinalStatus: { producer_task: S },
  TaskConfigPassthrough: { field: f({ enum: PASSTHROUGH_TYPE }), apply_to_task: B },
  PipelineTaskSpec: {
    task_info: f(m("PipelineTaskInfo")),
    inputs: f(m("TaskInputsSpec")),
    dependent_tasks: f("string", { repeated: true }),
    caching_options: f(m("CachingOptions")),
    component_ref: f(m("ComponentRef")),
    trigger_policy: f(m("TriggerPolicy")),
    artifact_iterator: f(m("ArtifactIteratorSpec"), { oneof: "iterator" }),
    parameter_iterator: f(m("ParameterIteratorSpec"), { oneof: "iterator" }),
    retry_policy: f(m("RetryPolicy")),
    iterator_policy: f(m("IteratorPolicy")),
  },
  CachingOptions: { enable_cache: B, cache_key: S },
  TriggerPolicy: { condition: S, strategy: f({ enum: TRIGGER_STRATEGY }) },
  RetryPolicy: {
    max_retry_count: I32,
    backoff_duration: f("duration"),
    backoff_factor: f("double"),
    backoff_max_duration: f("duration"),
  },
  IteratorPolicy: { parallelism_limit: I32 },
  ArtifactIteratorSpec: { items: f(m("ArtifactItemsSpec")), item_input: S },
  ArtifactItemsSpec: { input_artifact: S },
  ParameterIteratorSpec: { items: f(m("ParameterItemsSpec")), item_input: S },
  ParameterItemsSpec: {
    raw: f("string", { oneof: "kind" }),
    input_parameter: f("string", { oneof: "kind" }),
  },
  ComponentRef: { name: S },
  ArtifactTypeSchema: {
    schema_title: f("string", { oneof: "kind" }),
    schema_uri: f("string", { oneof: "kind" }),
    instance_schema: f("string", { oneof: "kind" }),
    schema_version: S,
  },
  PipelineTaskInfo: { name: S },
  ValueOrRuntimeParameter: {
    constant_value: f(m("Value"), { oneof: "value" }),
    runtime_parameter: f("string", { oneof: "value" }),
    constant: f("value", { oneof: "value" }),
  },
  Value: {
    int_value: f("int64", { oneof: "value" }),
    double_value: f("double", { oneof: "value" }),
    string_value: f("string", { oneof: "value" }),
  },
  PlatformSpec: { platforms: f(m("SinglePlatformSpec"), { map: true }) },
  SinglePlatformSpec: {
    deployment_spec: f(m("PlatformDeploymentConfig")),
    platform: S,
    config: f("struct"),
    pipelineConfig: f(m("PipelineConfig")),
  },
  PlatformDeploymentConfig: { executors: f("struct", { map: true }) },
  PipelineConfig: {
    resource_ttl_on_completion: I32,
    workspace: f(m("WorkspaceConfig"), { optional: true }),
    resource_ttl_on_success: I32,
    resource_ttl_on_failure: I32,
    active_deadline_seconds: I32,
  },
  WorkspaceConfig: { size: S, kubernetes: f(m("KubernetesWorkspaceConfig"), { optional: true }) },
  KubernetesWorkspaceConfig: { pvc_spec_patch: f("struct", { optional: true }) },
};

/** JSON name → proto field name, per message (both spellings accepted, like protojson). */
const LOOKUP = new Map<string, Map<string, string>>();
/** Proto field name → JSON (lowerCamelCase) name. */
const JSON_NAME = new Map<string, string>();
for (const [name, fields] of Object.entries(MESSAGES)) {
  const lk = new Map<string, string>();
  for (const field of Object.keys(fields)) {
    lk.set(field, field);
    lk.set(toCamel(field), field);
    JSON_NAME.set(field, toCamel(field));
  }
  LOOKUP.set(name, lk);
}

class ProtoJsonError extends Error {}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function isZeroScalar(type: Scalar, v: unknown): boolean {
  if (type === "struct" || type === "value") return false;
  if (type === "int64") return v === "0";
  return v === "" || v === 0 || v === false;
}

/** Decode `value` as message `name`, returning its protojson re-serialisation; throws ProtoJsonError. */
function decodeMessage(value: unknown, name: string, path: string): Record<string, unknown> {
  if (kind(value) !== "object")
    throw new ProtoJsonError(`${path}: expected object for ${name}, got ${kind(value)}`);
  const fields = MESSAGES[name]!;
  const lookup = LOOKUP.get(name)!;
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const oneofs = new Map<string, string>();
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const fieldName = lookup.get(key);
    if (!fieldName) throw new ProtoJsonError(`${path}: unknown field "${key}"`);
    if (seen.has(fieldName)) throw new ProtoJsonError(`${path}: duplicate field "${key}"`);
    seen.add(fieldName);
    const field = fields[fieldName]!;
    const jsonName = JSON_NAME.get(fieldName)!;
    if (raw === null && field.type !== "value") continue;
    if (raw === null && (field.repeated || field.map)) continue;
    if (field.oneof) {
      const other = oneofs.get(field.oneof);
      if (other)
        throw new ProtoJsonError(`${path}: oneof ${name}.${field.oneof} is already set (${other}, ${key})`);
      oneofs.set(field.oneof, key);
    }
    const at = `${path}.${key}`;
    if (field.repeated) {
      if (!Array.isArray(raw)) throw new ProtoJsonError(`${at}: expected list, got ${kind(raw)}`);
      const list = raw.map((el, i) => {
        if (el === null && field.type !== "value") throw new ProtoJsonError(`${at}[${i}]: null element`);
        return decodeSingle(el, field.type, `${at}[${i}]`);
      });
      if (list.length > 0) out[jsonName] = list;
      continue;
    }
    if (field.map) {
      if (kind(raw) !== "object") throw new ProtoJsonError(`${at}: expected map, got ${kind(raw)}`);
      const map: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (v === null && field.type !== "value" && typeof field.type === "string") {
          throw new ProtoJsonError(`${at}.${k}: null map value`);
        }
        map[k] =
          v === null && typeof field.type !== "string" ? {} : decodeSingle(v, field.type, `${at}.${k}`);
      }
      if (Object.keys(map).length > 0) out[jsonName] = map;
      continue;
    }
    const decoded = decodeSingle(raw, field.type, at);
    const keepZero = field.oneof !== undefined || field.optional === true;
    if (typeof field.type === "object" && "enum" in field.type && decoded === field.type.enum[0]) {
      if (keepZero) out[jsonName] = decoded;
      continue;
    }
    if (!keepZero && typeof field.type === "string" && isZeroScalar(field.type, decoded)) continue;
    out[jsonName] = decoded;
  }
  return out;
}

function decodeSingle(v: unknown, type: FieldType, path: string): unknown {
  if (typeof type === "object") {
    if ("msg" in type) return decodeMessage(v, type.msg, path);
    if (typeof v === "string") {
      if (!type.enum.includes(v))
        throw new ProtoJsonError(`${path}: invalid enum value ${JSON.stringify(v)}`);
      return v;
    }
    if (typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) {
      return type.enum[v] ?? v;
    }
    throw new ProtoJsonError(`${path}: invalid enum value ${JSON.stringify(v)}`);
  }
  switch (type) {
    case "string":
      if (typeof v !== "string")
        throw new ProtoJsonError(`${path}: invalid value for string field: ${kind(v)}`);
      return v;
    case "bool":
      if (typeof v !== "boolean")
        throw new ProtoJsonError(`${path}: invalid value for bool field: ${kind(v)}`);
      return v;
    case "int32":
    case "int64": {
      const n = typeof v === "string" && /^\s*-?\d+(\.0*)?([eE]\+?\d+)?\s*$/.test(v) ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n)) {
        throw new ProtoJsonError(`${path}: invalid value for ${type} field: ${JSON.stringify(v)}`);
      }
      if (type === "int32" && (n > 2147483647 || n < -2147483648)) {
        throw new ProtoJsonError(`${path}: int32 out of range: ${n}`);
      }
      return type === "int64" ? String(n) : n;
    }
    case "double": {
      if (typeof v === "number") return v;
      if (typeof v === "string") {
        if (v === "NaN" || v === "Infinity" || v === "-Infinity") return v;
        const n = Number(v);
        if (v.trim() !== "" && !Number.isNaN(n)) return n;
      }
      throw new ProtoJsonError(`${path}: invalid value for double field: ${JSON.stringify(v)}`);
    }
    case "duration":
      if (typeof v !== "string" || !/^-?\d+(\.\d{1,9})?s$/.test(v)) {
        throw new ProtoJsonError(`${path}: invalid google.protobuf.Duration value ${JSON.stringify(v)}`);
      }
      return v;
    case "struct":
      if (kind(v) !== "object")
        throw new ProtoJsonError(`${path}: invalid google.protobuf.Struct: ${kind(v)}`);
      return v;
    case "value":
      return v;
  }
}

/** Strict protojson decode of a PipelineSpec document; undefined when it does not decode. */
export function decodePipelineSpec(doc: unknown): Record<string, unknown> | undefined {
  try {
    return decodeMessage(doc, "PipelineSpec", "PipelineSpec");
  } catch (err) {
    if (err instanceof ProtoJsonError) return undefined;
    throw err;
  }
}

/** The reason a document is not a strict PipelineSpec (for diagnostics), or undefined when it is. */
export function pipelineSpecProblem(doc: unknown): string | undefined {
  try {
    decodeMessage(doc, "PipelineSpec", "PipelineSpec");
    return undefined;
  } catch (err) {
    if (err instanceof ProtoJsonError) return err.message;
    throw err;
  }
}

export function decodePlatformSpec(doc: unknown): Record<string, unknown> | undefined {
  try {
    return decodeMessage(doc, "PlatformSpec", "PlatformSpec");
  } catch (err) {
    if (err instanceof ProtoJsonError) return undefined;
    throw err;
  }
}
