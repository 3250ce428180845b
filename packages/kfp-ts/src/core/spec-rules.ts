/**
 * The server's rules for the documents of a pipeline package (FACTS.md §4.1, PIPELINE-SPEC.md §5.1),
 * applied to documents already parsed (core/spec.ts parses text; a spec object is checked as it is):
 * which document is the pipeline spec, its schema version and name, the platform document, with the
 * server's messages. Also the two shapes a spec object comes in (`PipelineSpec`, or
 * `{pipeline_spec, platform_spec}` as the API returns it).
 */
import { isRecord } from "../internal/values.js";
import { ValidationError } from "./errors.js";

export class SpecValidationError extends ValidationError {
  override name = "SpecValidationError";
  /** The message the KFP server would give for this package. */
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`${reason} (client-side check, nothing was sent; pass \`validate: false\` to skip it)`, {
      field: "source",
      ...(options?.cause === undefined ? {} : { cause: options.cause }),
    });
    this.reason = reason;
  }
}

export type JsonObject = Record<string, unknown>;

/** A parsed pipeline package. */
export interface PipelinePackage {
  /** `v2`: a KFP pipeline spec; `argo`: an Argo Workflow (v1 template), not inspected further. */
  kind: "v2" | "argo";
  /** The PipelineSpec document (for `argo`, the Workflow document). */
  pipelineSpec: JsonObject;
  /** The kubernetes platform spec document, when present. */
  platformSpec?: JsonObject;
  /** `pipelineInfo.name` (v2 only). */
  name?: string;
}

export const SUPPORTED_SCHEMA_VERSION = "2.1.0";

/** Top-level PipelineSpec fields (protojson accepts both spellings). */
export const SPEC_KEYS = new Set([
  "pipelineInfo",
  "pipeline_info",
  "deploymentSpec",
  "deployment_spec",
  "sdkVersion",
  "sdk_version",
  "schemaVersion",
  "schema_version",
  "components",
  "root",
  "defaultPipelineRoot",
  "default_pipeline_root",
]);
export const INFO_KEYS = new Set(["name", "displayName", "display_name", "description"]);

export const MSG = {
  unknownFormat: "unknown template format",
  multipleSpecs: "multiple pipeline specs provided",
  multiplePlatforms: "multiple platform specs provided",
  schema: (v: string) => `KFP only supports schema version 2.1.0, but the pipeline spec has version ${v}`,
  nameEmpty: "invalid v2 pipeline spec: name is empty",
  nameWeak:
    "invalid v2 pipeline spec: name should consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  nameLong: "pipeline's name must contain no more than 128 characters",
  namePattern:
    "pipeline's name must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters",
  yaml: (m: string) => `failed to parse pipeline spec YAML: ${m}`,
  format: "Unexpected pipeline file format. Support .zip, .tar.gz, .json or YAML",
};

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,127}$/;
const WEAK_NAME = /[a-z0-9]/;

function field(o: JsonObject, camel: string, snake: string): unknown {
  return o[camel] !== undefined ? o[camel] : o[snake];
}

function isArgoWorkflow(doc: unknown): boolean {
  return (
    isRecord(doc) &&
    doc.kind === "Workflow" &&
    typeof doc.apiVersion === "string" &&
    doc.apiVersion.startsWith("argoproj.io/")
  );
}

/** Whether a document would parse strictly as a PipelineSpec with a name and a root (top level only). */
function isPipelineSpecDoc(doc: unknown): doc is JsonObject {
  if (!isRecord(doc)) return false;
  for (const k of Object.keys(doc)) if (!SPEC_KEYS.has(k)) return false;
  const info = field(doc, "pipelineInfo", "pipeline_info");
  if (!isRecord(info)) return false;
  for (const k of Object.keys(info)) {
    if (!INFO_KEYS.has(k)) return false;
    const v = info[k];
    if (v !== null && typeof v !== "string") return false;
  }
  if (typeof info.name !== "string" || info.name === "") return false;
  if (!isRecord(doc.root)) return false;
  for (const [camel, snake] of [
    ["schemaVersion", "schema_version"],
    ["sdkVersion", "sdk_version"],
    ["defaultPipelineRoot", "default_pipeline_root"],
  ] as const) {
    const v = field(doc, camel, snake);
    if (v !== undefined && v !== null && typeof v !== "string") return false;
  }
  for (const [camel, snake] of [
    ["components", "components"],
    ["deploymentSpec", "deployment_spec"],
  ] as const) {
    const v = field(doc, camel, snake);
    if (v !== undefined && v !== null && !isRecord(v)) return false;
  }
  return true;
}

function isKubernetesPlatformDoc(doc: unknown): doc is JsonObject {
  return isRecord(doc) && isRecord(doc.platforms) && doc.platforms.kubernetes !== undefined;
}

/** Check the pipeline name as `common.ValidatePipelineName` does. */
function checkName(name: string): void {
  if (name.length > 128) throw new SpecValidationError(MSG.nameLong);
  if (!NAME_PATTERN.test(name)) throw new SpecValidationError(MSG.namePattern);
}

/** Apply the server's rules to already-parsed YAML documents. */
export function classifyDocuments(docs: unknown[]): PipelinePackage {
  const present = docs.filter((d) => d !== null && d !== undefined);
  const first = present[0];
  if (first !== undefined && isArgoWorkflow(first)) {
    return { kind: "argo", pipelineSpec: first as JsonObject };
  }
  if (!present.some(isPipelineSpecDoc)) throw new SpecValidationError(MSG.unknownFormat);
  let spec: JsonObject | undefined;
  let platform: JsonObject | undefined;
  for (const doc of present) {
    if (isPipelineSpecDoc(doc)) {
      if (spec) throw new SpecValidationError(MSG.multipleSpecs);
      const version = field(doc, "schemaVersion", "schema_version");
      const v = typeof version === "string" ? version : "";
      if (v !== SUPPORTED_SCHEMA_VERSION) throw new SpecValidationError(MSG.schema(v));
      const name = (field(doc, "pipelineInfo", "pipeline_info") as JsonObject).name as string;
      if (!WEAK_NAME.test(name)) throw new SpecValidationError(MSG.nameWeak);
      spec = doc;
    } else if (isKubernetesPlatformDoc(doc)) {
      if (platform) throw new SpecValidationError(MSG.multiplePlatforms);
      platform = doc;
    }
  }
  const pipelineSpec = spec as JsonObject;
  const name = (field(pipelineSpec, "pipelineInfo", "pipeline_info") as JsonObject).name as string;
  checkName(name);
  const out: PipelinePackage = { kind: "v2", pipelineSpec, name };
  if (platform) out.platformSpec = platform;
  return out;
}

/** Validate a spec given as an object (`PipelineSpec`, or `{pipeline_spec, platform_spec}`). */
export function checkSpecObject(spec: unknown): PipelinePackage {
  const { pipelineSpec, platformSpec } = splitSpecObject(spec);
  return classifyDocuments(platformSpec ? [pipelineSpec, platformSpec] : [pipelineSpec]);
}

/**
 * Separate the `{pipeline_spec, platform_spec}` form (what the API returns for a version with a platform
 * spec) from a bare PipelineSpec.
 */
export function splitSpecObject(spec: unknown): { pipelineSpec: unknown; platformSpec?: JsonObject } {
  if (
    isRecord(spec) &&
    spec.pipeline_spec !== undefined &&
    spec.pipelineInfo === undefined &&
    spec.root === undefined
  ) {
    const out: { pipelineSpec: unknown; platformSpec?: JsonObject } = { pipelineSpec: spec.pipeline_spec };
    if (isRecord(spec.platform_spec)) out.platformSpec = spec.platform_spec;
    return out;
  }
  return { pipelineSpec: spec };
}

export function packageSpecObject(pkg: PipelinePackage): JsonObject {
  return pkg.platformSpec
    ? { pipeline_spec: pkg.pipelineSpec, platform_spec: pkg.platformSpec }
    : pkg.pipelineSpec;
}
