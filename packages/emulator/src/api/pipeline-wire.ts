/**
 * Pipelines and pipeline versions on the wire: the response converters record → API shape (v2beta1
 * and v1beta1), the request shapes the gateway decodes, the list specs (sortable and filterable
 * fields) and the v2 wire → model conversion (upstream `api_converter.go`; FACTS.md §4–§7.1).
 */
import { enumOf, mapOf, message, repeated } from "../http/body.js";
import { omitZero, timestamp } from "../http/encode.js";
import { internal } from "../http/errors.js";
import type { ListSpec } from "../list/list.js";
import type { PipelineRecord, PipelineVersionRecord } from "../model/pipeline.js";
import { fieldLength, type NewPipeline } from "../resource/pipelines.js";
import { templateStruct, templateYaml } from "../template/template.js";

/** The stored spec as a Struct, as the API returns it. */
export function versionSpecStruct(v: PipelineVersionRecord): Record<string, unknown> {
  return templateStruct(v.template);
}

// ── Response shapes ─────────────────────────────────────────────────────────────────────────────

export function apiPipeline(p: PipelineRecord): Record<string, unknown> {
  return omitZero({
    pipeline_id: p.pipeline_id,
    display_name: p.display_name,
    description: p.description,
    created_at: timestamp(p.created_at),
    namespace: p.namespace,
    name: p.name,
    tags: p.tags,
  });
}

export function apiPipelineVersion(v: PipelineVersionRecord): Record<string, unknown> {
  const spec = versionSpecStruct(v);
  return omitZero({
    pipeline_id: v.pipeline_id,
    pipeline_version_id: v.pipeline_version_id,
    display_name: v.display_name,
    description: v.description,
    created_at: timestamp(v.created_at),
    package_url: v.package_url ? { pipeline_url: v.package_url } : undefined,
    code_source_url: v.code_source_url,
    pipeline_spec: spec,
    name: v.name,
    tags: v.tags,
  });
}

export function v1Parameters(
  v: PipelineVersionRecord | undefined,
): { name: string; value?: string }[] | undefined {
  if (v?.template.type !== "v1" || v.template.parameters.length === 0) return undefined;
  return v.template.parameters.map((p) => omitZero({ name: p.name, value: p.value }) as { name: string });
}

export function apiPipelineVersionV1(v: PipelineVersionRecord): Record<string, unknown> {
  return omitZero({
    id: v.pipeline_version_id,
    name: v.name,
    created_at: timestamp(v.created_at),
    parameters: v1Parameters(v),
    code_source_url: v.code_source_url,
    package_url: v.code_source_url ? { pipeline_url: v.code_source_url } : undefined,
    resource_references: v.pipeline_id
      ? [{ key: { type: "PIPELINE", id: v.pipeline_id }, relationship: "OWNER" }]
      : undefined,
    description: v.description,
  });
}

export function apiPipelineV1(
  p: PipelineRecord,
  v: PipelineVersionRecord | undefined,
): Record<string, unknown> {
  const dv = v ? apiPipelineVersionV1(v) : undefined;
  let url: { pipeline_url: string } | undefined;
  const pkg = dv?.package_url as { pipeline_url?: string } | undefined;
  if (pkg?.pipeline_url) url = { pipeline_url: pkg.pipeline_url };
  else if (v?.code_source_url) url = { pipeline_url: v.code_source_url };
  return omitZero({
    id: p.pipeline_id,
    created_at: timestamp(p.created_at),
    name: p.name,
    description: p.description,
    parameters: v1Parameters(v),
    url,
    resource_references: p.namespace
      ? [{ key: { type: "NAMESPACE", id: p.namespace }, relationship: "OWNER" }]
      : undefined,
    default_version: dv,
  });
}

// ── Request shapes ──────────────────────────────────────────────────────────────────────────────

export const STATUS = message("google.rpc.Status", {
  code: "int32",
  message: "string",
  details: repeated("any"),
});
export const URL_SHAPE = message("Url", { pipeline_url: "string" });
export const PIPELINE_SHAPE = message("Pipeline", {
  pipeline_id: "string",
  display_name: "string",
  name: "string",
  description: "string",
  created_at: "timestamp",
  namespace: "string",
  error: STATUS,
  tags: mapOf("string"),
});
export const PIPELINE_VERSION_SHAPE = message("PipelineVersion", {
  pipeline_id: "string",
  pipeline_version_id: "string",
  display_name: "string",
  name: "string",
  description: "string",
  created_at: "timestamp",
  package_url: URL_SHAPE,
  code_source_url: "string",
  pipeline_spec: "struct",
  error: STATUS,
  tags: mapOf("string"),
});
export const CREATE_PIPELINE_AND_VERSION_SHAPE = message("CreatePipelineAndVersionRequest", {
  pipeline: PIPELINE_SHAPE,
  pipeline_version: PIPELINE_VERSION_SHAPE,
});

/** v1beta1 `ResourceType` and `ResourceReference` (also used by the v1 run, experiment and job routes). */
export const V1_RESOURCE_TYPES = [
  "UNKNOWN_RESOURCE_TYPE",
  "EXPERIMENT",
  "JOB",
  "PIPELINE",
  "PIPELINE_VERSION",
  "NAMESPACE",
];
export const V1_RELATIONSHIPS = ["UNKNOWN_RELATIONSHIP", "OWNER", "CREATOR"];
export const V1_REFERENCE = message("ResourceReference", {
  key: message("ResourceKey", { type: enumOf("ResourceType", V1_RESOURCE_TYPES), id: "string" }),
  name: "string",
  relationship: enumOf("Relationship", V1_RELATIONSHIPS),
});
export const V1_PARAMETER = message("Parameter", { name: "string", value: "string" });
export const V1_VERSION_SHAPE = message("PipelineVersion", {
  id: "string",
  name: "string",
  created_at: "timestamp",
  parameters: repeated(V1_PARAMETER),
  code_source_url: "string",
  package_url: URL_SHAPE,
  resource_references: repeated(V1_REFERENCE),
  description: "string",
});
export const V1_PIPELINE_SHAPE = message("Pipeline", {
  id: "string",
  created_at: "timestamp",
  name: "string",
  description: "string",
  parameters: repeated(V1_PARAMETER),
  url: URL_SHAPE,
  error: "string",
  resource_references: repeated(V1_REFERENCE),
  default_version: V1_VERSION_SHAPE,
});

// ── List specs ──────────────────────────────────────────────────────────────────────────────────

export const pipelineId = {
  get: (p: PipelineRecord) => p.pipeline_id,
  kind: "string",
  column: "UUID",
} as const;
export const PIPELINE_LIST_SPEC: ListSpec<PipelineRecord> = {
  model: "pipelines",
  typeName: "Pipeline",
  fields: {
    pipeline_id: pipelineId,
    id: pipelineId,
    name: { get: (p) => p.name, kind: "string", column: "Name" },
    display_name: { get: (p) => p.display_name, kind: "string", column: "DisplayName" },
    created_at: { get: (p) => p.created_at, kind: "timestamp", column: "CreatedAtInSec" },
    description: { get: (p) => p.description, kind: "string", column: "Description" },
    namespace: { get: (p) => p.namespace, kind: "string", column: "Namespace" },
  },
  id: (p) => p.pipeline_id,
  createdAt: (p) => p.created_at,
  tags: (p) => p.tags,
};

export const versionId = {
  get: (v: PipelineVersionRecord) => v.pipeline_version_id,
  kind: "string",
  column: "UUID",
} as const;
export const PIPELINE_VERSION_LIST_SPEC: ListSpec<PipelineVersionRecord> = {
  model: "pipeline_versions",
  typeName: "PipelineVersion",
  fields: {
    pipeline_version_id: versionId,
    id: versionId,
    name: { get: (v) => v.name, kind: "string", column: "Name" },
    display_name: { get: (v) => v.display_name, kind: "string", column: "DisplayName" },
    created_at: { get: (v) => v.created_at, kind: "timestamp", column: "CreatedAtInSec" },
    status: { get: () => "READY", kind: "string", column: "Status" },
    description: { get: (v) => v.description, kind: "string", column: "Description" },
    pipeline_spec: { get: (v) => templateYaml(v.template), kind: "string", column: "PipelineSpec" },
  },
  id: (v) => v.pipeline_version_id,
  createdAt: (v) => v.created_at,
  tags: (v) => v.tags,
};

// ── Wire → model ────────────────────────────────────────────────────────────────────────────────

export function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

export function tagsOf(v: unknown): Record<string, string> | undefined {
  return v && typeof v === "object" ? (v as Record<string, string>) : undefined;
}

/** `toModelPipeline` (v2): name/display_name fallbacks and `ValidateModel` (→ 500). */
export function modelPipeline(body: Record<string, unknown>): NewPipeline {
  let name = str(body.name);
  let displayName = str(body.display_name);
  if (name === "") name = displayName;
  if (displayName === "") displayName = name;
  const p: NewPipeline = {
    name,
    display_name: displayName,
    description: str(body.description),
    namespace: str(body.namespace),
  };
  const tags = tagsOf(body.tags);
  if (tags) p.tags = tags;
  const lenErr =
    fieldLength("Pipeline", "Name", name, 128) ?? fieldLength("Pipeline", "Namespace", p.namespace, 63);
  if (lenErr) throw internal("Failed to convert API pipeline to model pipeline", lenErr);
  return p;
}
