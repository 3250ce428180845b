/**
 * Upload-time handling of pipeline packages, mirroring the real server:
 *
 * - `readPipelineFile` (server/util.go `ReadPipelineFile`): 32 MiB limit, format by file name for
 *   YAML/JSON, by magic bytes for zip and tar.gz, archive member `pipeline.yaml` or else the first
 *   member, which must be a YAML file (FACTS.md §4.1);
 * - `parseTemplate` (template.New / NewV2SpecTemplate / NewArgoTemplate): Argo Workflow documents are
 *   v1 templates; otherwise the YAML stream must contain one document that decodes strictly as a
 *   `PipelineSpec` (protojson: unknown keys, wrong JSON kinds, bad enum names and two members of a
 *   oneof all fail) with `pipelineInfo.name` and `root`; schemaVersion must be 2.1.0; at most one
 *   pipeline and one kubernetes platform document (PIPELINE-SPEC.md §5.1).
 *
 * The stored spec is what protojson would re-serialise: lowerCamelCase keys, zero values dropped,
 * enums by name, int64 as strings; Struct contents are untouched.
 */
import YAML from "yaml";
import { ArchiveError, readTarGzEntries, readZipEntries } from "./archive.js";
import { toCamel } from "./encode.js";
import { ApiError, GrpcCode, invalidInput } from "./errors.js";
import { parseBlockYaml } from "./fast-yaml.js";
import { depthMessage, MAX_NESTING_DEPTH, SizeLimitError, valueDepth, yamlTextDepth } from "./http/limits.js";

export const MAX_FILE_LENGTH = 32 << 20;

/** An invalid input error from template/package handling: external message + internal chain. */
function specError(external: string, cause = "pipeline spec is invalid"): ApiError {
  return new ApiError(GrpcCode.InvalidArgument, external, `InvalidInputError: ${external}: ${cause}`);
}

// ── Package files ───────────────────────────────────────────────────────────────────────────────

function isYamlFile(name: string): boolean {
  return name.endsWith(".yaml") || name.endsWith(".yml");
}

/**
 * `ReadPipelineFile`: returns the pipeline document bytes or throws an ApiError (code 3) whose
 * internal chain names the reason ("Error read pipeline file: File size too large ...").
 */
export function readPipelineFile(fileName: string, bytes: Buffer, maxLength = MAX_FILE_LENGTH): Buffer {
  try {
    return readPackageBytes(fileName, bytes, maxLength);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // A size-limit breach (http/limits.ts) or anything unexpected: a 400 that says what to fix.
    const msg = err instanceof SizeLimitError ? err.message : "the package could not be read";
    throw invalidInput(msg).wrap("Error read pipeline file");
  }
}

function readPackageBytes(fileName: string, bytes: Buffer, maxLength: number): Buffer {
  if (bytes.length > maxLength) {
    throw invalidInput(
      `File size too large (${bytes.length} bytes). Maximum supported size: ${maxLength}. Consider moving large embedded artifacts or notebooks or Python code into a container image or object store.`,
    ).wrap("Error read pipeline file");
  }
  if (isYamlFile(fileName) || fileName.endsWith(".json")) return bytes;
  const decompressErr = (e: ApiError) => e.wrap("Error decompress the pipeline file");
  if (bytes.length > 2 && bytes[0] === 0x50 && bytes[1] === 0x4b) {
    let entries: ReturnType<typeof readZipEntries>;
    try {
      entries = readZipEntries(bytes);
    } catch (err) {
      throw decompressErr(
        specError(
          "Error extracting pipeline from the zip file. Not a valid zip file",
          (err as Error).message,
        ),
      );
    }
    if (entries.length < 1) {
      throw decompressErr(specError("Error extracting pipeline from the zip file. Empty zip file", "<nil>"));
    }
    const chosen = entries.find((e) => e.name === "pipeline.yaml") ?? entries[0]!;
    if (!isYamlFile(chosen.name)) {
      throw decompressErr(
        invalidInput(
          `Error extracting pipeline from the zip file. Expecting a pipeline.yaml file inside the zip. Got: ${chosen.name}`,
        ),
      );
    }
    try {
      return chosen.read();
    } catch (err) {
      if (err instanceof SizeLimitError) throw err;
      throw decompressErr(specError("Error reading pipeline YAML from the zip file", (err as Error).message));
    }
  }
  if (bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    let entries: ReturnType<typeof readTarGzEntries>;
    try {
      entries = readTarGzEntries(bytes);
    } catch (err) {
      if (err instanceof SizeLimitError) throw err;
      throw decompressErr(
        specError(
          "Error extracting pipeline from the tarball file. Not a valid tarball file",
          err instanceof ArchiveError ? err.message : String(err),
        ),
      );
    }
    const named = entries.find((e) => e.name === "pipeline.yaml");
    if (named) return named.read();
    const first = entries[0]!;
    if (!isYamlFile(first.name)) {
      throw decompressErr(
        invalidInput(
          `Error extracting pipeline from the tarball file. Expecting a pipeline.yaml file inside the tarball. Got: ${first.name}`,
        ),
      );
    }
    return first.read();
  }
  throw invalidInput("Unexpected pipeline file format. Support .zip, .tar.gz, .json or YAML");
}

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

function decodePlatformSpec(doc: unknown): Record<string, unknown> | undefined {
  try {
    return decodeMessage(doc, "PlatformSpec", "PlatformSpec");
  } catch (err) {
    if (err instanceof ProtoJsonError) return undefined;
    throw err;
  }
}

// ── Templates ───────────────────────────────────────────────────────────────────────────────────

export interface V2Template {
  type: "v2";
  /** protojson re-serialisation of the pipeline document. */
  pipelineSpec: Record<string, unknown>;
  /** protojson re-serialisation of the kubernetes platform document, when present. */
  platformSpec?: Record<string, unknown>;
  /** `pipelineInfo.name`. */
  pipelineName: string;
}

export interface V1Template {
  type: "v1";
  /** The Argo Workflow document. */
  workflow: Record<string, unknown>;
  /** `spec.arguments.parameters` as v1 parameters. */
  parameters: { name: string; value?: string }[];
  /** True when annotated `pipelines.kubeflow.org/v2_pipeline: "true"` (v2-compatible). */
  v2Compatible: boolean;
  /** The `pipeline-name` workflow parameter (v2-compatible workflows). */
  pipelineName: string;
}

export type Template = V1Template | V2Template;

interface YamlDoc {
  value: unknown;
  error?: string;
}

/** Position just after the closing quote of a quoted scalar starting at `start` (the quote), or -1. */
function closingQuote(line: string, start: number, quote: string): number {
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (quote === '"' && c === "\\") {
      i++;
      continue;
    }
    if (c === quote) {
      if (quote === "'" && line[i + 1] === "'") {
        i++;
        continue;
      }
      return i + 1;
    }
  }
  return -1;
}

/**
 * Go's yaml.v3 (libyaml) accepts multi-line quoted scalars whose continuation lines sit at the
 * column of the enclosing `- ` or key, as the KFP SDK writes them (e.g. long `command` strings);
 * the `yaml` package rejects that as bad indentation. Indenting such continuation lines further
 * does not change the value (leading white space of continuation lines is folded away).
 */
function indentQuotedContinuations(text: string): string {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = /^(\s*)((?:- )+|(?:- )*[^'"#\s-][^#]*?:\s+)(["'])/.exec(line);
    if (!m) continue;
    const quote = m[3]!;
    const base = m[1]!.length;
    let pos = closingQuote(line, m[0].length, quote);
    let j = i;
    while (pos < 0 && j + 1 < lines.length) {
      j++;
      const next = lines[j]!;
      const indent = next.length - next.trimStart().length;
      if (next.trim() !== "" && indent <= base) lines[j] = " ".repeat(base + 2 - indent) + next;
      pos = closingQuote(lines[j]!, 0, quote);
    }
    i = j;
  }
  return lines.join("\n");
}

function yamlDocs(text: string): YamlDoc[] {
  // Nesting is bounded before any parser sees the text (a few KB of brackets would exhaust memory).
  if (yamlTextDepth(text) > MAX_NESTING_DEPTH)
    return [{ value: undefined, error: `yaml: ${depthMessage("the document")}` }];
  const docs = parseYamlDocs(text);
  for (const d of docs) {
    if (!d.error && valueDepth(d.value) > MAX_NESTING_DEPTH)
      return [{ value: undefined, error: `yaml: ${depthMessage("the document")}` }];
  }
  return docs;
}

function parseYamlDocs(text: string): YamlDoc[] {
  // Compiled pipelines are plain block YAML: the fast parser reads them with the same result, and
  // gives up (→ the `yaml` package, with its error messages) on anything else.
  const fast = parseBlockYaml(text);
  if (fast) return fast.map((value) => ({ value }));
  const opts = { merge: true, uniqueKeys: true, prettyErrors: false } as const;
  let docs = YAML.parseAllDocuments(text, opts);
  if (Array.isArray(docs) && docs.some((d) => d.errors.length > 0)) {
    const retry = YAML.parseAllDocuments(indentQuotedContinuations(text), opts);
    if (Array.isArray(retry) && retry.every((d) => d.errors.length === 0)) docs = retry;
  }
  const list = Array.isArray(docs) ? docs : [];
  const out: YamlDoc[] = [];
  for (const d of list) {
    if (d.errors.length > 0) {
      const e = d.errors[0]!;
      const line = e.linePos?.[0]?.line;
      const msg = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      out.push({ value: undefined, error: `yaml: ${line !== undefined ? `line ${line}: ` : ""}${msg}` });
      break;
    }
    let value: unknown;
    try {
      value = d.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      out.push({ value: undefined, error: `yaml: ${(err as Error).message}` });
      break;
    }
    out.push({ value });
  }
  return out;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isArgoWorkflow(docs: YamlDoc[]): Record<string, unknown> | undefined {
  const first = docs[0];
  if (!first || first.error || !isMap(first.value)) return undefined;
  const { apiVersion, kind: k } = first.value;
  if (typeof apiVersion !== "string" || (k !== undefined && typeof k !== "string")) return undefined;
  return apiVersion.startsWith("argoproj.io/") && k === "Workflow" ? first.value : undefined;
}

function isPipelineSpecDoc(v: unknown): Record<string, unknown> | undefined {
  if (!isMap(v)) return undefined;
  const decoded = decodePipelineSpec(v);
  if (!decoded) return undefined;
  const info = decoded.pipelineInfo as { name?: unknown } | undefined;
  if (typeof info?.name !== "string" || info.name === "" || decoded.root === undefined) return undefined;
  return decoded;
}

function v1Template(wf: Record<string, unknown>): V1Template {
  if (wf.apiVersion !== "argoproj.io/v1alpha1") {
    throw invalidInput(
      `Unsupported argo version. Expected: argoproj.io/v1alpha1. Received: ${String(wf.apiVersion)}`,
    );
  }
  const spec = isMap(wf.spec) ? wf.spec : {};
  const templates = spec.templates;
  if (templates !== undefined && !Array.isArray(templates)) {
    throw specError(
      "Failed to parse the workflow template",
      "json: cannot unmarshal into Go struct field WorkflowSpec.spec.templates",
    );
  }
  const args = isMap(spec.arguments) ? spec.arguments : {};
  const params = Array.isArray(args.parameters) ? args.parameters : [];
  const parameters: { name: string; value?: string }[] = [];
  for (const p of params) {
    if (!isMap(p) || typeof p.name !== "string") continue;
    const entry: { name: string; value?: string } = { name: p.name };
    if (p.value !== undefined && p.value !== null)
      entry.value = typeof p.value === "string" ? p.value : JSON.stringify(p.value);
    parameters.push(entry);
  }
  const meta = isMap(wf.metadata) ? wf.metadata : {};
  const annotations = isMap(meta.annotations) ? meta.annotations : {};
  const pipelineName = parameters.find((p) => p.name === "pipeline-name")?.value ?? "";
  return {
    type: "v1",
    workflow: wf,
    parameters,
    v2Compatible: annotations["pipelines.kubeflow.org/v2_pipeline"] === "true",
    pipelineName,
  };
}

/**
 * `template.New`: classify and validate a pipeline document. Throws ApiError code 3 with the real
 * external messages.
 */
export function parseTemplate(bytes: Buffer | string): Template {
  const text = typeof bytes === "string" ? bytes : bytes.toString("utf8");
  const cached = RECENT_TEMPLATES.get(text);
  if (cached) {
    // Most recently used last.
    RECENT_TEMPLATES.delete(text);
    RECENT_TEMPLATES.set(text, cached);
    return cached;
  }
  const template = parseTemplateText(text);
  if (text.length <= RECENT_TEMPLATE_MAX_CHARS) {
    RECENT_TEMPLATES.set(text, template);
    if (RECENT_TEMPLATES.size > RECENT_TEMPLATE_COUNT) {
      RECENT_TEMPLATES.delete(RECENT_TEMPLATES.keys().next().value as string);
    }
  }
  return template;
}

/**
 * Recently parsed documents → their (immutable) templates. CI uploads the same package again and
 * again; parsing is deterministic, so an identical text gets the same template object, which also
 * keeps one copy in memory for all the versions made from it. Only successes are remembered.
 */
const RECENT_TEMPLATES = new Map<string, Template>();
const RECENT_TEMPLATE_COUNT = 32;
const RECENT_TEMPLATE_MAX_CHARS = 1 << 20;

function parseTemplateText(text: string): Template {
  if (text.length === 0) throw specError("unknown template format");
  const docs = yamlDocs(text);
  const wf = isArgoWorkflow(docs);
  if (wf) return v1Template(wf);

  // inferTemplateFormat / isV2Spec: the first strict PipelineSpec document decides; a syntax error
  // before one is found is reported; non-map documents are skipped.
  let found = false;
  // The strict decode of each document checked so far (reused below).
  const decodedDocs = new Map<YamlDoc, Record<string, unknown> | undefined>();
  for (const d of docs) {
    if (d.error) throw specError(`failed to parse pipeline spec YAML: ${d.error}`);
    if (d.value === null || d.value === undefined) continue;
    const decoded = isPipelineSpecDoc(d.value);
    decodedDocs.set(d, decoded);
    if (decoded) {
      found = true;
      break;
    }
  }
  if (!found) throw specError("unknown template format");

  // NewV2SpecTemplate
  let spec: Record<string, unknown> | undefined;
  let platform: Record<string, unknown> | undefined;
  for (const d of docs) {
    if (d.error) throw specError(`unable to decode yaml document: ${d.error}`);
    if (d.value === null || d.value === undefined) continue;
    if (!isMap(d.value)) {
      throw specError(
        `unable to decode yaml document: yaml: unmarshal errors:\n  cannot unmarshal ${Array.isArray(d.value) ? "!!seq" : "!!str"} into map[string]interface {}`,
      );
    }
    const decoded = decodedDocs.has(d) ? decodedDocs.get(d) : isPipelineSpecDoc(d.value);
    if (decoded) {
      if (spec) throw specError("multiple pipeline specs provided");
      const version = typeof decoded.schemaVersion === "string" ? decoded.schemaVersion : "";
      if (version !== "2.1.0") {
        throw specError(
          `KFP only supports schema version 2.1.0, but the pipeline spec has version ${version}`,
        );
      }
      const name = (decoded.pipelineInfo as { name: string }).name;
      if (!/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/.test(name)) {
        throw specError(
          "invalid v2 pipeline spec: name should consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        );
      }
      spec = decoded;
      continue;
    }
    const plat = decodePlatformSpec(d.value);
    if (plat && isMap(plat.platforms) && "kubernetes" in plat.platforms) {
      if (platform) throw specError("multiple platform specs provided", "platform spec is invalid");
      platform = plat;
    }
  }
  if (!spec) throw specError("no pipeline spec is provided");
  const result: V2Template = {
    type: "v2",
    pipelineSpec: spec,
    pipelineName: (spec.pipelineInfo as { name: string }).name,
  };
  if (platform) result.platformSpec = platform;
  return result;
}

/** `common.ValidatePipelineName` (applied to `pipelineInfo.name` of v2 and v2-compatible templates). */
export function validatePipelineName(name: string): void {
  if (name === "") throw invalidInput("pipeline's name cannot be empty");
  if (name.length > 128) throw invalidInput("pipeline's name must contain no more than 128 characters");
  if (!/^[a-z0-9][a-z0-9-]{0,127}$/.test(name)) {
    throw invalidInput(
      "pipeline's name must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters",
    );
  }
}

/** The stored spec as the API returns it (`YamlStringToPipelineSpecStruct`). */
export function templateStruct(t: Template): Record<string, unknown> {
  if (t.type === "v1") return t.workflow;
  if (t.platformSpec) return { pipeline_spec: t.pipelineSpec, platform_spec: t.platformSpec };
  return t.pipelineSpec;
}

/** The stored template text (`tmpl.Bytes()`): YAML, platform document appended after `\n---\n`. */
export function templateYaml(t: Template): string {
  if (t.type === "v1") return YAML.stringify(t.workflow, { lineWidth: 0 });
  let out = YAML.stringify(t.pipelineSpec, { lineWidth: 0 });
  if (t.platformSpec) out += `\n---\n${YAML.stringify(t.platformSpec, { lineWidth: 0 })}`;
  return out;
}
