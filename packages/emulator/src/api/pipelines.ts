/**
 * Pipelines and pipeline versions: v2beta1 (and the /apis/v2 alias) and v1beta1 shapes, the plain
 * multipart upload handlers, creation from a package URL, get/list/delete/update (FACTS.md §4–§7.1,
 * §14; upstream `pipeline_upload_server.go`, `pipeline_server.go`, `resource_manager.go`,
 * `pipeline_store.go`, `api_converter.go`).
 *
 * Exported helpers for other modules (runs, recurring runs): `PIPELINES`, `PIPELINE_VERSIONS`, the
 * record types, `getPipelineRecord`, `getVersionRecord`, `latestVersion`, `versionSpecStruct`.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { authorize } from "../auth.js";
import { enumOf, mapOf, message, repeated } from "../body.js";
import type { RequestContext } from "../context.js";
import { listResponse, omitZero, timestamp } from "../encode.js";
import {
  ApiError,
  alreadyExists,
  GrpcCode,
  internal,
  invalidInput,
  notFound,
  writePlainTextError,
  writeUploadError,
} from "../errors.js";
import { scanJsonText } from "../http/limits.js";
import { formFile } from "../http/multipart.js";
import { type ListSpec, listOptions, listRows } from "../list.js";
import {
  getPipelineRecord,
  getVersionRecord,
  latestVersion,
  PIPELINE_VERSIONS,
  PIPELINES,
  type PipelineRecord,
  type PipelineVersionRecord,
  versionsOf,
} from "../model/pipeline.js";
import type { ModuleHost } from "../module.js";
import { canAccessPipeline, canAccessPipelineVersion, visibleByName } from "../resource/access.js";
import { ALL_V2, type ApiVersion } from "../router.js";
import {
  parseTemplate,
  readPipelineFile,
  type Template,
  templateStruct,
  templateYaml,
  validatePipelineName,
} from "../spec.js";
import type { Store } from "../store.js";

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

// ── Shared logic ────────────────────────────────────────────────────────────────────────────────

export function bytesOf(s: string): number {
  return Buffer.byteLength(s);
}

/** `validation.ValidateFieldLength`: the error's text is the internal chain (used with http.Error). */
export function fieldLength(model: string, field: string, value: string, max: number): ApiError | undefined {
  if (bytesOf(value) > max) return invalidInput(`${model}.${field} length cannot exceed ${max}`);
  return undefined;
}

/** `ReplaceNamespace`: single-user mode ignores every namespace input. */
export function replaceNamespace(ctx: RequestContext, ns: string | undefined): string {
  return ctx.isMultiUser ? (ns ?? "") : "";
}

/** `validation.ValidateNamespaceRequired`. */
export function namespaceRequired(ctx: RequestContext, ns: string): ApiError | undefined {
  if (ctx.multiUser?.requireNamespaceForPipelines && ns === "") {
    return invalidInput("Namespace is required for pipeline operations");
  }
  return undefined;
}

/** `model.ValidateTags`. */
export function validateTags(tags: Record<string, string> | undefined): void {
  if (!tags) return;
  const entries = Object.entries(tags);
  if (entries.length > 20)
    throw invalidInput(`number of tags (${entries.length}) exceeds maximum of 20 per entity`);
  for (const [k, v] of entries) {
    if (k === "") throw invalidInput("tag key cannot be empty");
    if (k.includes(".")) throw invalidInput(`tag key ${JSON.stringify(k)} must not contain '.' character`);
    if ([...k].length > 63)
      throw invalidInput(`tag key ${JSON.stringify(k)} exceeds maximum length of 63 characters`);
    if ([...v].length > 63) {
      throw invalidInput(
        `tag value ${JSON.stringify(v)} for key ${JSON.stringify(k)} exceeds maximum length of 63 characters`,
      );
    }
  }
}

/** Go `json.Unmarshal` of the `tags` query parameter into map[string]string; undefined = unparsable. */
export function parseTagsQuery(
  raw: string,
): { ok: true; tags: Record<string, string> | undefined } | { ok: false } {
  let v: unknown;
  try {
    if (scanJsonText(raw)) return { ok: false };
    v = JSON.parse(raw);
  } catch {
    return { ok: false };
  }
  if (v === null) return { ok: true, tags: undefined };
  if (typeof v !== "object" || Array.isArray(v)) return { ok: false };
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === null) {
      out[k] = "";
      continue;
    }
    if (typeof val !== "string") return { ok: false };
    out[k] = val;
  }
  return { ok: true, tags: out };
}

export function requirePipeline(store: Store, id: string): PipelineRecord {
  const p = getPipelineRecord(store, id);
  if (!p) throw notFound("Pipeline", id);
  return p;
}

export function requireVersion(store: Store, id: string): PipelineVersionRecord {
  const v = getVersionRecord(store, id);
  if (!v) throw notFound("PipelineVersion", id);
  return v;
}

export function duplicatePipeline(store: Store, namespace: string, name: string): boolean {
  return store.find<PipelineRecord>(PIPELINES, "name", name).some((p) => p.namespace === namespace);
}

export function duplicateVersion(store: Store, pipelineId: string, name: string): boolean {
  return versionsOf(store, pipelineId).some((v) => v.name === name);
}

export function isBlockedV1(ctx: RequestContext, namespace: string): boolean {
  const list = ctx.config.blockV1Pipelines;
  const ns = namespace || ctx.multiUser?.kfpNamespace || "kubeflow";
  return list.includes("*") || list.includes(ns);
}

/** Template checks shared by both create paths (after `template.New`). */
export function checkTemplate(ctx: RequestContext, tmpl: Template, namespace: string): string {
  if (tmpl.type === "v1" && isBlockedV1(ctx, namespace)) {
    throw invalidInput("V1 pipeline specs are not allowed. Please migrate to using KFP V2 pipelines.");
  }
  let specName = "";
  if (tmpl.type === "v2" || tmpl.v2Compatible) {
    specName = tmpl.pipelineName;
    validatePipelineName(specName);
  }
  return specName;
}

export interface NewPipeline {
  name: string;
  display_name: string;
  description: string;
  namespace: string;
  tags?: Record<string, string>;
}

export interface NewVersion {
  name: string;
  display_name: string;
  description: string;
  code_source_url: string;
  package_url: string;
  tags?: Record<string, string>;
}

/** `ResourceManager.CreatePipelineAndPipelineVersion`. */
export function createPipelineAndVersion(
  ctx: RequestContext,
  p: NewPipeline,
  pv: NewVersion,
  specBytes: Buffer,
): { pipeline: PipelineRecord; version: PipelineVersionRecord } {
  validateTags(p.tags);
  validateTags(pv.tags);
  let tmpl: Template;
  try {
    tmpl = parseTemplate(specBytes);
  } catch (err) {
    throw (err as ApiError).wrap(
      "Failed to create a pipeline and a pipeline version due to template creation error",
    );
  }
  const specName = checkTemplate(ctx, tmpl, p.namespace);
  if (pv.name === "" && p.name === "") {
    if (specName === "") throw invalidInput("pipeline's name cannot be empty");
    pv.name = specName;
    p.name = specName;
  } else if (pv.name === "") pv.name = p.name;
  else if (p.name === "") p.name = pv.name;
  if (pv.display_name === "") pv.display_name = pv.name;
  if (p.display_name === "") p.display_name = p.name;
  if (bytesOf(pv.name) > 127) {
    throw internal(
      "Failed to insert a new pipeline version",
      new Error("Data too long for column 'Name'"),
    ).wrap("Failed to create a pipeline and a pipeline version");
  }
  const store = ctx.store;
  return store.transaction(() => {
    if (duplicatePipeline(store, p.namespace, p.name)) {
      throw alreadyExists(
        `Failed to create a new pipeline. The name ${p.name} already exists. Please specify a new name`,
      ).wrap("Failed to create a pipeline and a pipeline version");
    }
    const now = ctx.now();
    const pipeline: PipelineRecord = {
      pipeline_id: ctx.newId(),
      name: p.name,
      display_name: p.display_name,
      description: p.description,
      namespace: p.namespace,
      created_at: now,
    };
    if (p.tags && Object.keys(p.tags).length > 0) pipeline.tags = { ...p.tags };
    const version: PipelineVersionRecord = {
      pipeline_version_id: ctx.newId(),
      pipeline_id: pipeline.pipeline_id,
      name: pv.name,
      display_name: pv.display_name,
      description: pv.description,
      created_at: now,
      code_source_url: pv.code_source_url,
      package_url: pv.package_url,
      template: tmpl,
    };
    if (pv.tags && Object.keys(pv.tags).length > 0) version.tags = { ...pv.tags };
    store.put(PIPELINES, pipeline.pipeline_id, pipeline);
    store.put(PIPELINE_VERSIONS, version.pipeline_version_id, version);
    return { pipeline, version };
  });
}

/** `ResourceManager.CreatePipelineVersion`. */
export function createVersion(
  ctx: RequestContext,
  pipelineId: string,
  pv: NewVersion,
  specBytes: Buffer,
): PipelineVersionRecord {
  if (pipelineId === "") throw invalidInput("Failed to create a pipeline version due to missing pipeline id");
  let tmpl: Template;
  try {
    tmpl = parseTemplate(specBytes);
  } catch (err) {
    throw (err as ApiError).wrap("Failed to create a pipeline version due to template creation error");
  }
  const parent = getPipelineRecord(ctx.store, pipelineId);
  const specName = checkTemplate(ctx, tmpl, parent?.namespace ?? "");
  if (pv.name === "") {
    if (specName === "") throw invalidInput("pipeline version's name cannot be empty");
    pv.name = specName;
  }
  if (pv.display_name === "") pv.display_name = pv.name;
  validateTags(pv.tags);
  const store = ctx.store;
  return store.transaction(() => {
    if (!getPipelineRecord(store, pipelineId)) {
      throw internal("Failed to add a pipeline version", new Error("foreign key constraint fails")).wrap(
        "Failed to create pipeline version in PipelineStore",
      );
    }
    if (duplicateVersion(store, pipelineId, pv.name)) {
      throw alreadyExists(
        `Failed to create a new pipeline version. The name ${pv.name} already exist. Specify a new name`,
      ).wrap("Failed to create pipeline version in PipelineStore");
    }
    const version: PipelineVersionRecord = {
      pipeline_version_id: ctx.newId(),
      pipeline_id: pipelineId,
      name: pv.name,
      display_name: pv.display_name,
      description: pv.description,
      created_at: ctx.now(),
      code_source_url: pv.code_source_url,
      package_url: pv.package_url,
      template: tmpl,
    };
    if (pv.tags && Object.keys(pv.tags).length > 0) version.tags = { ...pv.tags };
    store.put(PIPELINE_VERSIONS, version.pipeline_version_id, version);
    return version;
  });
}

// ── Multipart upload handlers ───────────────────────────────────────────────────────────────────

/** Upload handler failures: status, JSON-in-text/plain or JSON content type, or Go http.Error text. */
export class UploadFailure extends Error {
  constructor(
    readonly status: number,
    readonly userMessage: string,
    readonly json: boolean,
    readonly plainText = false,
  ) {
    super(userMessage);
  }
}

export const TOO_LARGE = (max: number) =>
  `Error read pipeline file: Invalid input error: File size too large. Maximum supported size: ${max}.`;

export function sendUploadFailure(ctx: RequestContext, f: UploadFailure, cause?: string): void {
  ctx.markResponded();
  if (f.plainText) writePlainTextError(ctx.res, f.status, f.userMessage);
  else writeUploadError(ctx.res, f.status, f.userMessage, f.json, cause);
}

/** An upload's `tags` query parameter ("" = none); a malformed one is answered here (`ok: false`). */
export function uploadTags(
  ctx: RequestContext,
  raw: string,
): { ok: true; tags: Record<string, string> | undefined } | { ok: false } {
  if (raw === "") return { ok: true, tags: undefined };
  const parsed = parseTagsQuery(raw);
  if (!parsed.ok) {
    sendUploadFailure(
      ctx,
      new UploadFailure(
        400,
        "Failed to parse tags query parameter. Expected JSON object with string keys and values",
        false,
      ),
    );
  }
  return parsed;
}

/** Map a resource-manager error after the JSON content type was set (status table of FACTS §4.5). */
export function createFailure(err: unknown, generic: string): UploadFailure {
  if (err instanceof ApiError) {
    if (err.code === GrpcCode.AlreadyExists) return new UploadFailure(409, generic, true);
    if (err.code === GrpcCode.InvalidArgument) return new UploadFailure(400, err.external, true);
  }
  return new UploadFailure(500, generic, true);
}

export async function uploadPipeline(ctx: RequestContext): Promise<void> {
  const file = await formFile(ctx);
  if (!file)
    return sendUploadFailure(ctx, new UploadFailure(400, "Failed to read pipeline from file", false));
  if (file.tooLarge) {
    return sendUploadFailure(
      ctx,
      new UploadFailure(400, "Failed to read a pipeline spec file", false),
      TOO_LARGE(ctx.config.maxUploadBytes),
    );
  }
  let specBytes: Buffer;
  try {
    specBytes = readPipelineFile(file.filename, file.data, ctx.config.maxUploadBytes);
  } catch (err) {
    return sendUploadFailure(
      ctx,
      new UploadFailure(400, "Failed to read a pipeline spec file", false),
      (err as Error).message,
    );
  }
  const q = (k: string) => ctx.query.get(k) ?? "";
  const rawNs = q("namespace");
  const nsErr = fieldLength("Pipeline", "Namespace", rawNs, 63);
  if (nsErr) return sendUploadFailure(ctx, new UploadFailure(400, nsErr.message, false, true));
  const namespace = replaceNamespace(ctx, rawNs);
  const reqErr = namespaceRequired(ctx, namespace);
  if (reqErr) return sendUploadFailure(ctx, new UploadFailure(400, reqErr.message, false, true));
  if (ctx.isMultiUser && namespace !== "") {
    try {
      authorize(ctx, namespace, "pipelines", "create");
    } catch (err) {
      return sendUploadFailure(
        ctx,
        new UploadFailure(400, "Failed to create a pipeline", false),
        (err as Error).message,
      );
    }
  }
  const name = q("name") || q("display_name") || file.filename;
  const displayName = q("display_name") || name;
  const tagsQuery = uploadTags(ctx, q("tags"));
  if (!tagsQuery.ok) return;
  const tags = tagsQuery.tags;
  const nameErr = fieldLength("Pipeline", "Name", name, 128);
  if (nameErr) return sendUploadFailure(ctx, new UploadFailure(400, nameErr.message, false, true));
  let created: { pipeline: PipelineRecord; version: PipelineVersionRecord };
  try {
    created = createPipelineAndVersion(
      ctx,
      { name, display_name: displayName, description: q("description"), namespace, tags },
      {
        name,
        display_name: displayName,
        description: q("description"),
        code_source_url: q("code_source_url"),
        package_url: "",
      },
      specBytes,
    );
  } catch (err) {
    return sendUploadFailure(
      ctx,
      createFailure(err, "Failed to create a pipeline and a pipeline version"),
      (err as Error).message,
    );
  }
  ctx.send(
    200,
    ctx.api === "v1beta1" ? apiPipelineV1(created.pipeline, created.version) : apiPipeline(created.pipeline),
  );
}

export async function uploadPipelineVersion(ctx: RequestContext): Promise<void> {
  const generic = "Failed to create a pipeline version";
  const file = await formFile(ctx);
  if (!file) return sendUploadFailure(ctx, new UploadFailure(400, generic, false));
  if (file.tooLarge) {
    return sendUploadFailure(
      ctx,
      new UploadFailure(400, generic, false),
      TOO_LARGE(ctx.config.maxUploadBytes),
    );
  }
  let specBytes: Buffer;
  try {
    specBytes = readPipelineFile(file.filename, file.data, ctx.config.maxUploadBytes);
  } catch (err) {
    return sendUploadFailure(ctx, new UploadFailure(400, generic, false), (err as Error).message);
  }
  const q = (k: string) => ctx.query.get(k) ?? "";
  const pipelineId = q("pipelineid");
  if (pipelineId === "") return sendUploadFailure(ctx, new UploadFailure(400, generic, false));
  const name = q("name") || q("display_name") || file.filename;
  const displayName = q("display_name") || name;
  const nameErr = fieldLength("PipelineVersion", "Name", name, 127);
  if (nameErr) return sendUploadFailure(ctx, new UploadFailure(400, nameErr.message, false, true));
  const parent = getPipelineRecord(ctx.store, pipelineId);
  if (!parent) {
    return sendUploadFailure(
      ctx,
      new UploadFailure(400, generic, false),
      `Failed to get namespace for pipeline id ${pipelineId}: ResourceNotFoundError: Pipeline ${pipelineId} not found`,
    );
  }
  const reqErr = namespaceRequired(ctx, parent.namespace);
  if (reqErr) return sendUploadFailure(ctx, new UploadFailure(400, reqErr.message, false, true));
  // Upstream's canUploadVersionedPipeline skips authorization when the pipeline is shared (empty
  // namespace): any user may upload a version of a shared pipeline through this handler.
  if (ctx.isMultiUser && parent.namespace !== "") {
    try {
      authorize(ctx, parent.namespace, "pipelines", "create");
    } catch (err) {
      return sendUploadFailure(ctx, new UploadFailure(400, generic, false), (err as Error).message);
    }
  }
  const tagsQuery = uploadTags(ctx, q("tags"));
  if (!tagsQuery.ok) return;
  const tags = tagsQuery.tags;
  let version: PipelineVersionRecord;
  try {
    version = createVersion(
      ctx,
      pipelineId,
      {
        name,
        display_name: displayName,
        description: q("description"),
        code_source_url: q("code_source_url"),
        package_url: "",
        tags,
      },
      specBytes,
    );
  } catch (err) {
    return sendUploadFailure(ctx, createFailure(err, generic), (err as Error).message);
  }
  ctx.send(200, ctx.api === "v1beta1" ? apiPipelineVersionV1(version) : apiPipelineVersion(version));
}

// ── Package URLs ────────────────────────────────────────────────────────────────────────────────

export function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

export const BLOCKED_V4: [string, number][] = [
  ["127.0.0.0", 8],
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["169.254.0.0", 16],
  ["0.0.0.0", 8],
];

/** Private, loopback, link-local, metadata or unspecified addresses (`blockedCIDRs`). */
export function isBlockedIp(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const n = ipv4ToInt(ip);
    return BLOCKED_V4.some(([base, bits]) => {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return (n & mask) >>> 0 === (ipv4ToInt(base) & mask) >>> 0;
    });
  }
  if (v === 6) {
    const lower = ip.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return isBlockedIp(mapped[1]!);
    if (lower === "::1" || lower === "::") return true;
    const first = Number.parseInt(lower.split(":")[0] || "0", 16);
    if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7
    if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10
    return false;
  }
  return false;
}

/** `validation.ValidatePipelineURL` (the reason is logged upstream; the client sees a generic 400). */
export async function validatePipelineUrl(ctx: RequestContext, raw: string): Promise<string | undefined> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `invalid URL: parse ${JSON.stringify(raw)}: invalid URI for request`;
  }
  const scheme = u.protocol.replace(/:$/, "");
  const allowHttp = ctx.config.allowHttpUrls;
  if (scheme !== "https" && (scheme !== "http" || !allowHttp))
    return `URL scheme "${scheme}" not allowed, use https`;
  if (ctx.config.allowLoopbackUrls) return undefined;
  const defaultPort = scheme === "https" ? "443" : "80";
  if (u.port !== "" && u.port !== defaultPort) {
    return `${scheme.toUpperCase()} requires port ${defaultPort}, got "${u.port}"`;
  }
  const host = u.hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
  const allowed = ctx.config.allowedUrlDomains.some((d) =>
    new RegExp(`^${d.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(host),
  );
  if (!allowed) return `URL domain "${host}" not in allowlist`;
  try {
    const addrs = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
    for (const a of addrs)
      if (isBlockedIp(a.address)) return `URL resolves to blocked IP range: ${a.address}`;
  } catch (err) {
    return `DNS resolution failed for "${host}": ${(err as Error).message}`;
  }
  return undefined;
}

/** Download a package (30 s timeout, 32 MiB, redirects validated like the first URL). */
export async function downloadPackage(
  ctx: RequestContext,
  url: string,
  prefixes: { fetchFailed: (status: string) => string; error: string },
): Promise<Buffer> {
  let current = url;
  const deadline = AbortSignal.timeout(ctx.config.urlFetchTimeoutMs);
  for (let hop = 0; hop < 10; hop++) {
    let res: Response;
    try {
      res = await fetch(current, { redirect: "manual", signal: deadline });
    } catch (err) {
      throw internal(`${prefixes.error} ${current}`, err as Error);
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
      await res.body?.cancel().catch(() => {});
      const next = new URL(res.headers.get("location")!, current).toString();
      const problem = await validatePipelineUrl(ctx, next);
      if (problem) throw invalidInput(`redirect blocked: ${problem}`);
      current = next;
      continue;
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      throw invalidInput(prefixes.fetchFailed(`${res.status} ${res.statusText}`.trim()));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    if (res.body) {
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          size += chunk.length;
          if (size > ctx.config.maxUploadBytes) break;
          chunks.push(Buffer.from(chunk));
        }
      } catch (err) {
        throw internal(`${prefixes.error} ${current}`, err as Error);
      }
    }
    if (size > ctx.config.maxUploadBytes) {
      // readPipelineFile reports the size error exactly like the upstream loadFile.
      return Buffer.alloc(ctx.config.maxUploadBytes + 1);
    }
    return Buffer.concat(chunks);
  }
  throw internal(`${prefixes.error} ${url}`, new Error("stopped after 10 redirects"));
}

/** Go `path.Base`. */
export function pathBase(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Go `url.ParseRequestURI`: an absolute URI (or absolute path). */
export function parseRequestUri(raw: string): boolean {
  if (raw === "") return false;
  if (raw.startsWith("/")) return true;
  try {
    new URL(raw);
    return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(raw);
  } catch {
    return false;
  }
}

// ── v2beta1 / v2 handlers ───────────────────────────────────────────────────────────────────────

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

export function createPipeline(ctx: RequestContext): Record<string, unknown> {
  const body = ctx.readJson(PIPELINE_SHAPE);
  let p: NewPipeline;
  try {
    p = modelPipeline(body);
  } catch (err) {
    throw (err as ApiError).wrap("Failed to create a pipeline as pipeline conversion failed");
  }
  const wrap = (err: unknown) => (err as ApiError).wrap("Failed to create a pipeline due to server error");
  p.namespace = replaceNamespace(ctx, p.namespace);
  const reqErr = namespaceRequired(ctx, p.namespace);
  if (reqErr) throw wrap(reqErr);
  if (p.name === "") throw wrap(invalidInput("name is required"));
  try {
    canAccessPipeline(ctx, "", "create", p.namespace, p.name);
  } catch (err) {
    throw wrap(
      (err as ApiError).wrap(
        `Failed to create a pipeline due to authorization error. Check if you have write permissions to namespace ${p.namespace}`,
      ),
    );
  }
  try {
    validateTags(p.tags);
  } catch (err) {
    throw wrap(err);
  }
  const store = ctx.store;
  const created = store.transaction(() => {
    if (duplicatePipeline(store, p.namespace, p.name)) {
      throw wrap(
        alreadyExists(
          `Failed to create a new pipeline. The name ${p.name} already exist. Please specify a new name`,
        ).wrap("Failed to create a pipeline in PipelineStore"),
      );
    }
    const rec: PipelineRecord = {
      pipeline_id: ctx.newId(),
      name: p.name,
      display_name: p.display_name,
      description: p.description,
      namespace: p.namespace,
      created_at: ctx.now(),
    };
    if (p.tags && Object.keys(p.tags).length > 0) rec.tags = { ...p.tags };
    store.put(PIPELINES, rec.pipeline_id, rec);
    return rec;
  });
  return ctx.api === "v1beta1" ? apiPipelineV1(created, undefined) : apiPipeline(created);
}

/** `createPipelineAndPipelineVersion` (URL based), shared by v2 `/pipelines/create` and v1 `POST /pipelines`. */
export async function createPipelineAndVersionFromUrl(
  ctx: RequestContext,
  p: NewPipeline,
  url: string,
  versionTags: Record<string, string> | undefined,
): Promise<{ pipeline: PipelineRecord; version: PipelineVersionRecord }> {
  const fileName = pathBase(url);
  p.name = p.name || p.display_name || fileName;
  if (p.display_name === "") p.display_name = p.name;
  p.namespace = replaceNamespace(ctx, p.namespace);
  const reqErr = namespaceRequired(ctx, p.namespace);
  if (reqErr) throw reqErr;
  canAccessPipeline(ctx, "", "create", p.namespace, p.name);
  if (!parseRequestUri(url)) throw invalidInput(`invalid pipeline spec URL: ${url}`);
  const problem = await validatePipelineUrl(ctx, url);
  if (problem) {
    ctx.app.log.warn(`Pipeline URL validation failed: ${problem}`);
    throw invalidInput("Pipeline URL validation failed");
  }
  const data = await downloadPackage(ctx, url, {
    fetchFailed: (status) => `error fetching pipeline spec from ${url} - request returned ${status}`,
    error: "error downloading the pipeline spec from",
  });
  const specBytes = readPipelineFile(fileName, data, ctx.config.maxUploadBytes);
  const pv: NewVersion = {
    name: p.name,
    display_name: p.display_name,
    description: p.description,
    code_source_url: "",
    package_url: url,
  };
  if (versionTags) pv.tags = versionTags;
  if (pv.name === "") throw invalidInput("name is required");
  return createPipelineAndVersion(ctx, p, pv, specBytes);
}

export async function createPipelineAndVersionV2(ctx: RequestContext): Promise<Record<string, unknown>> {
  const body = ctx.readJson(CREATE_PIPELINE_AND_VERSION_SHAPE);
  const pBody = (body.pipeline ?? {}) as Record<string, unknown>;
  const vBody = (body.pipeline_version ?? {}) as Record<string, unknown>;
  let p: NewPipeline;
  try {
    p = modelPipeline(pBody);
  } catch (err) {
    throw (err as ApiError).wrap("Failed to create a pipeline due to pipeline conversion error");
  }
  const url = str((vBody.package_url as Record<string, unknown> | undefined)?.pipeline_url);
  try {
    const { pipeline } = await createPipelineAndVersionFromUrl(ctx, p, url, tagsOf(vBody.tags));
    return apiPipeline(pipeline);
  } catch (err) {
    throw toApi(err).wrap("Failed to create a pipeline");
  }
}

export function toApi(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return internal("Internal error", err as Error);
}

/** `createPipelineVersion` (URL based), shared by v2 and v1. */
export async function createVersionFromUrl(
  ctx: RequestContext,
  pipelineId: string,
  pv: NewVersion,
): Promise<PipelineVersionRecord> {
  if (pv.package_url === "")
    throw invalidInput("Failed to create a pipeline version due to missing pipeline URL");
  if (pipelineId === "")
    throw invalidInput("Failed to create a pipeline version due empty parent pipeline id");
  if (pv.name === "") throw invalidInput("name is required");
  try {
    canAccessPipeline(ctx, pipelineId, "create", "", pv.name);
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to create a pipeline version due authorization error for pipeline id ${pipelineId}`,
    );
  }
  const url = pv.package_url;
  if (!parseRequestUri(url)) {
    throw invalidInput(
      `Failed to create a pipeline version due to invalid pipeline spec URI. PipelineSpecURI: ${url}. Please specify a valid URL`,
    );
  }
  const problem = await validatePipelineUrl(ctx, url);
  if (problem) {
    ctx.app.log.warn(`Pipeline URL validation failed: ${problem}`);
    throw invalidInput("Pipeline URL validation failed");
  }
  const data = await downloadPackage(ctx, url, {
    fetchFailed: (status) => `Failed to fetch pipeline spec with url: ${url}. Request returned ${status}`,
    error: "Failed to create a pipeline version due error downloading the pipeline spec from",
  });
  let specBytes: Buffer;
  try {
    specBytes = readPipelineFile(pathBase(url), data, ctx.config.maxUploadBytes);
  } catch (err) {
    throw (err as ApiError).wrap("Failed to create a pipeline version due error reading the pipeline spec");
  }
  return createVersion(ctx, pipelineId, pv, specBytes);
}

export async function createPipelineVersionV2(ctx: RequestContext): Promise<Record<string, unknown>> {
  const body = ctx.readJson(PIPELINE_VERSION_SHAPE);
  const pathPid = ctx.param("pipeline_id");
  const url = str((body.package_url as Record<string, unknown> | undefined)?.pipeline_url);
  if (!body.package_url) throw invalidInput("Failed to create a pipeline version. Package URL is nil");
  if (url === "") throw invalidInput("Failed to create a pipeline version. Package URL is empty");
  if (pathPid === "" || str(body.pipeline_id) === "") {
    throw invalidInput("Failed to create a pipeline version. Parent pipeline id is empty");
  }
  let name = str(body.name);
  let displayName = str(body.display_name);
  if (name === "") name = displayName;
  if (displayName === "") displayName = name;
  const lenErr = fieldLength("PipelineVersion", "Name", name, 127);
  if (lenErr) {
    throw internal("Failed to convert API pipeline version to model pipeline version", lenErr).wrap(
      "Failed to create a pipeline version due to conversion error",
    );
  }
  const pv: NewVersion = {
    name,
    display_name: displayName,
    description: str(body.description),
    code_source_url: str(body.code_source_url),
    package_url: url,
  };
  const tags = tagsOf(body.tags);
  if (tags) pv.tags = tags;
  try {
    return apiPipelineVersion(await createVersionFromUrl(ctx, pathPid, pv));
  } catch (err) {
    throw toApi(err).wrap("Failed to create a pipeline version. Check error stack");
  }
}

export function getPipelineV2(ctx: RequestContext): Record<string, unknown> {
  const id = ctx.param("pipeline_id");
  const wrap = (err: unknown) => (err as ApiError).wrap(`Failed to get a pipeline ${id}. Check error stack`);
  try {
    canAccessPipeline(ctx, id, "get");
  } catch (err) {
    throw wrap(
      (err as ApiError).wrap(`Failed to get a pipeline due authorization error for pipeline id ${id}`),
    );
  }
  try {
    return apiPipeline(requirePipeline(ctx.store, id));
  } catch (err) {
    throw wrap((err as ApiError).wrap(`Failed to get a pipeline with id ${id}`));
  }
}

/** `getPipelineByName`: the most recent visible pipeline with that name (resource/access.ts `visibleByName`). */
export function findByName(ctx: RequestContext, name: string, rawNs: string): PipelineRecord {
  const namespace = replaceNamespace(ctx, rawNs);
  const reqErr = namespaceRequired(ctx, namespace);
  if (reqErr) throw reqErr;
  try {
    canAccessPipeline(ctx, "", "get", namespace, name);
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to fetch a pipeline due to authorization error. Check if you have read permission to namespace ${namespace}`,
    );
  }
  let best: PipelineRecord | undefined;
  for (const p of ctx.store.find<PipelineRecord>(PIPELINES, "name", name)) {
    if (!visibleByName(ctx, p.namespace, namespace)) continue;
    if (!best || p.created_at >= best.created_at) best = p;
  }
  if (!best) {
    throw notFound("Namespace/Pipeline", `${namespace}/${name}`).wrap(
      `Failed to get a pipeline named ${name} in namespace ${namespace}`,
    );
  }
  return best;
}

export function getPipelineByNameV2(ctx: RequestContext): Record<string, unknown> {
  const name = ctx.param("name");
  const ns = ctx.q("namespace") ?? "";
  try {
    return apiPipeline(findByName(ctx, name, ns));
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to get a pipeline with name ${name} and namespace ${ns}. Check error stack.`,
    );
  }
}

/** Pipelines visible for a list call (authorized), scoped to one namespace. */
export function pipelinesIn(ctx: RequestContext, rawNs: string): readonly PipelineRecord[] {
  const namespace = replaceNamespace(ctx, rawNs);
  const reqErr = namespaceRequired(ctx, namespace);
  if (reqErr) throw reqErr;
  try {
    canAccessPipeline(ctx, "", "list", namespace);
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to list pipelines due to authorization error. Check if you have read permission to namespace ${namespace}`,
    );
  }
  return ctx.store.find<PipelineRecord>(PIPELINES, "namespace", namespace);
}

export function listPipelinesV2(ctx: RequestContext): Record<string, unknown> {
  const q = ctx.listQuery();
  const ns = ctx.q("namespace") ?? "";
  // List options are validated before authorization upstream.
  const listOpts = listOptions(q, PIPELINE_LIST_SPEC, ctx.api);
  let rows: readonly PipelineRecord[];
  try {
    rows = pipelinesIn(ctx, ns);
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to list pipelines in namespace ${ns}. Check error stack`);
  }
  const page = listRows(rows, q, PIPELINE_LIST_SPEC, ctx.api, listOpts);
  return listResponse("pipelines", page.items.map(apiPipeline), page.total_size, page.next_page_token);
}

export function deletePipelineCommon(ctx: RequestContext, id: string, cascade: boolean): void {
  try {
    canAccessPipeline(ctx, id, "delete");
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to delete a pipeline due authorization error for pipeline id ${id}`);
  }
  const store = ctx.store;
  store.transaction(() => {
    if (!getPipelineRecord(store, id)) {
      throw notFound("Pipeline", id).wrap(`Failed to delete pipeline with id ${id} as it was not found`);
    }
    if (cascade) {
      for (const v of versionsOf(store, id)) store.delete(PIPELINE_VERSIONS, v.pipeline_version_id);
    } else {
      const latest = latestVersion(store, id);
      if (latest) {
        throw invalidInput(
          `Failed to delete pipeline with id ${id} as it has existing pipeline versions (e.g. ${latest.pipeline_version_id}). Set cascade=true to delete all versions`,
        );
      }
    }
    store.delete(PIPELINES, id);
  });
}

export function deletePipelineV2(ctx: RequestContext): Record<string, never> {
  const id = ctx.param("pipeline_id");
  const cascade = ctx.qBool("cascade") ?? false;
  try {
    deletePipelineCommon(ctx, id, cascade);
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to delete pipeline ${id}. Check error stack`);
  }
  return {};
}

/** The clear-tags intent: `"tags":{}` in the body (clearTagsMiddleware) or an `x-clear-tags: true` header. */
export function clearTagsIntent(ctx: RequestContext): boolean {
  if (ctx.headers["x-clear-tags"] === "true") return true;
  try {
    const raw = JSON.parse(ctx.body.toString("utf8") || "null") as Record<string, unknown> | null;
    const t = raw?.tags;
    return !!t && typeof t === "object" && !Array.isArray(t) && Object.keys(t).length === 0;
  } catch {
    return false;
  }
}

/** Tags for an update: undefined = unchanged; {} = clear. */
export function updateTags(
  ctx: RequestContext,
  body: Record<string, unknown>,
): Record<string, string> | undefined {
  const t = tagsOf(body.tags);
  if (t && Object.keys(t).length > 0) return t;
  return clearTagsIntent(ctx) ? {} : undefined;
}

/**
 * An update of a pipeline or version: the tags are checked, then the stored record gets a non-empty
 * display name and the tags (`{}` clears them) in one transaction.
 */
export function applyUpdate<R extends { display_name: string; tags?: Record<string, string> }>(
  store: Store,
  kind: string,
  id: string,
  require: (store: Store, id: string) => R,
  displayName: string,
  tags: Record<string, string> | undefined,
): R {
  validateTags(tags);
  return store.transaction(() => {
    const next: R = { ...require(store, id) };
    if (displayName !== "") next.display_name = displayName;
    if (tags) {
      if (Object.keys(tags).length === 0) delete next.tags;
      else next.tags = { ...tags };
    }
    store.put(kind, id, next);
    return next;
  });
}

export function updatePipelineV2(ctx: RequestContext): Record<string, unknown> {
  const body = ctx.readJson(PIPELINE_SHAPE);
  const id = ctx.param("pipeline.pipeline_id");
  if (id === "") throw invalidInput("Failed to update a pipeline. Pipeline id cannot be empty");
  try {
    canAccessPipeline(ctx, id, "update");
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to update pipeline ${id} due to authorization error`);
  }
  const tags = updateTags(ctx, body);
  const displayName = str(body.display_name);
  try {
    return apiPipeline(applyUpdate(ctx.store, PIPELINES, id, requirePipeline, displayName, tags));
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to update pipeline ${id}. Check error stack`);
  }
}

export function listVersionsCommon(
  ctx: RequestContext,
  pipelineId: string,
): readonly PipelineVersionRecord[] {
  if (pipelineId === "") throw invalidInput("Failed to list pipeline versions. Pipeline id cannot be empty");
  const p = getPipelineRecord(ctx.store, pipelineId);
  if (!p) {
    throw notFound("Pipeline", pipelineId).wrap(
      `Failed to list pipeline versions due to error fetching the namespace for pipeline ${pipelineId}`,
    );
  }
  try {
    canAccessPipelineVersion(ctx, "", "list", p.namespace);
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to list pipeline versions due to authorization error. Check if you have read permission to namespace ${p.namespace}`,
    );
  }
  return versionsOf(ctx.store, pipelineId);
}

export function listVersionsV2(ctx: RequestContext): Record<string, unknown> {
  const pid = ctx.param("pipeline_id");
  const q = ctx.listQuery();
  const listOpts = listOptions(q, PIPELINE_VERSION_LIST_SPEC, ctx.api);
  let rows: readonly PipelineVersionRecord[];
  try {
    rows = listVersionsCommon(ctx, pid);
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to list pipeline versions for pipeline ${pid}`);
  }
  const page = listRows(rows, q, PIPELINE_VERSION_LIST_SPEC, ctx.api, listOpts);
  return listResponse(
    "pipeline_versions",
    page.items.map(apiPipelineVersion),
    page.total_size,
    page.next_page_token,
  );
}

export function getVersionCommon(ctx: RequestContext, versionId: string): PipelineVersionRecord {
  try {
    canAccessPipelineVersion(ctx, versionId, "get");
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to get a pipeline version due to authorization error for pipeline version id ${versionId}`,
    );
  }
  const v = getVersionRecord(ctx.store, versionId);
  if (!v)
    throw notFound("PipelineVersion", versionId).wrap(
      `Failed to get a pipeline version with id ${versionId}`,
    );
  return v;
}

export function getVersionV2(ctx: RequestContext): Record<string, unknown> {
  const vid = ctx.param("pipeline_version_id");
  try {
    return apiPipelineVersion(getVersionCommon(ctx, vid));
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to get a pipeline version ${vid}`);
  }
}

export function deleteVersionCommon(ctx: RequestContext, pipelineId: string, versionId: string): void {
  try {
    canAccessPipelineVersion(ctx, versionId, "delete");
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to delete a pipeline version id ${versionId} due to authorization error${pipelineId ? ` for pipeline id ${pipelineId}` : ""}`,
    );
  }
  if (!ctx.store.delete(PIPELINE_VERSIONS, versionId)) {
    throw notFound("PipelineVersion", versionId).wrap(
      `Failed to delete pipeline version with id ${versionId} as it was not found`,
    );
  }
}

export function deleteVersionV2(ctx: RequestContext): Record<string, never> {
  const vid = ctx.param("pipeline_version_id");
  const pid = ctx.param("pipeline_id");
  try {
    deleteVersionCommon(ctx, pid, vid);
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to delete a pipeline version id ${vid} under pipeline id ${pid}. Check error stack`,
    );
  }
  return {};
}

export function updateVersionV2(ctx: RequestContext): Record<string, unknown> {
  const body = ctx.readJson(PIPELINE_VERSION_SHAPE);
  const vid = ctx.param("pipeline_version.pipeline_version_id");
  const pid = ctx.param("pipeline_version.pipeline_id");
  if (vid === "")
    throw invalidInput("Failed to update a pipeline version. Pipeline version id cannot be empty");
  if (pid === "") throw invalidInput(`Failed to update pipeline version ${vid}. Pipeline id cannot be empty`);
  try {
    canAccessPipelineVersion(ctx, vid, "update");
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to update pipeline version ${vid} due to authorization error`);
  }
  const tags = updateTags(ctx, body);
  const displayName = str(body.display_name);
  try {
    return apiPipelineVersion(
      applyUpdate(ctx.store, PIPELINE_VERSIONS, vid, requireVersion, displayName, tags),
    );
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to update pipeline version ${vid}. Check error stack`);
  }
}

// ── Registration ────────────────────────────────────────────────────────────────────────────────

export function register(app: ModuleHost): void {
  const r = app.router;
  // Multipart bodies carry the 32 MiB file plus the multipart framing.
  const uploadLimit = app.config.maxUploadBytes + 1024 * 1024;
  const apis: ApiVersion[] = [...ALL_V2, "v1beta1"];
  r.plain(apis, "/pipelines/upload", uploadPipeline, { bodyLimit: uploadLimit });
  r.plain(apis, "/pipelines/upload_version", uploadPipelineVersion, { bodyLimit: uploadLimit });

  r.post(ALL_V2, "/pipelines", createPipeline);
  r.post(ALL_V2, "/pipelines/create", createPipelineAndVersionV2);
  r.get(ALL_V2, "/pipelines", listPipelinesV2);
  r.get(ALL_V2, "/pipelines/{pipeline_id}", getPipelineV2);
  r.get(ALL_V2, "/pipelines/names/{name}", getPipelineByNameV2);
  r.patch(ALL_V2, "/pipelines/{pipeline.pipeline_id}", updatePipelineV2);
  r.delete(ALL_V2, "/pipelines/{pipeline_id}", deletePipelineV2);
  r.post(ALL_V2, "/pipelines/{pipeline_id}/versions", createPipelineVersionV2);
  r.get(ALL_V2, "/pipelines/{pipeline_id}/versions", listVersionsV2);
  r.get(ALL_V2, "/pipelines/{pipeline_id}/versions/{pipeline_version_id}", getVersionV2);
  r.patch(
    ALL_V2,
    "/pipelines/{pipeline_version.pipeline_id}/versions/{pipeline_version.pipeline_version_id}",
    updateVersionV2,
  );
  r.delete(ALL_V2, "/pipelines/{pipeline_id}/versions/{pipeline_version_id}", deleteVersionV2);
}
