/**
 * The rules for pipelines and pipeline versions that read or write the store (upstream
 * `resource_manager.go`, `pipeline_store.go`, `validation/`): namespace rules, tag and name checks,
 * name uniqueness, the template checks of a create, create/update/delete in one transaction each,
 * lookups by id and by name and the rows of a list. Authorization goes through `access.ts`.
 */
import type { RequestContext } from "../http/context.js";
import { type ApiError, alreadyExists, internal, invalidInput, notFound } from "../http/errors.js";
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
import type { Store, StoredKinds } from "../storage/kinds.js";
import { parseTemplate, type Template, validatePipelineName } from "../template/template.js";
import { canAccessPipeline, canAccessPipelineVersion, visibleByName } from "./access.js";

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

/** Whatever holds the store: the app, or a request's context (handlers pass theirs). */
type StoreHolder = { readonly store: Store };

/** The stored pipeline, or undefined. */
export function findPipeline(host: StoreHolder, id: string): PipelineRecord | undefined {
  return getPipelineRecord(host.store, id);
}

export function requirePipeline(host: StoreHolder, id: string): PipelineRecord {
  const p = getPipelineRecord(host.store, id);
  if (!p) throw notFound("Pipeline", id);
  return p;
}

export function requireVersion(host: StoreHolder, id: string): PipelineVersionRecord {
  const v = getVersionRecord(host.store, id);
  if (!v) throw notFound("PipelineVersion", id);
  return v;
}

export function duplicatePipeline(store: Store, namespace: string, name: string): boolean {
  return store.find(PIPELINES, "name", name).some((p) => p.namespace === namespace);
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

/**
 * `ResourceManager.CreatePipeline`: a pipeline without a version, unique by namespace and name; a
 * duplicate's error goes through `wrap` (the handler's message chain).
 */
export function insertPipeline(
  ctx: RequestContext,
  p: NewPipeline,
  wrap: (err: ApiError) => ApiError,
): PipelineRecord {
  const store = ctx.store;
  return store.transaction(() => {
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
  for (const p of ctx.store.find(PIPELINES, "name", name)) {
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
  return ctx.store.find(PIPELINES, "namespace", namespace);
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

/**
 * An update of a pipeline or version: the tags are checked, then the stored record gets a non-empty
 * display name and the tags (`{}` clears them) in one transaction.
 */
export function applyUpdate<K extends typeof PIPELINES | typeof PIPELINE_VERSIONS, R extends StoredKinds[K]>(
  host: StoreHolder,
  kind: K,
  id: string,
  require: (host: StoreHolder, id: string) => R,
  displayName: string,
  tags: Record<string, string> | undefined,
): R {
  validateTags(tags);
  const store = host.store;
  return store.transaction(() => {
    const next: R = { ...require(host, id) };
    if (displayName !== "") next.display_name = displayName;
    if (tags) {
      if (Object.keys(tags).length === 0) delete next.tags;
      else next.tags = { ...tags };
    }
    store.put(kind, id, next);
    return next;
  });
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
