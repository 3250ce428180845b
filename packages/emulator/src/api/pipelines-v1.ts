import type { RequestContext } from "../http/context.js";
import { listResponse, omitZero } from "../http/encode.js";
import { ApiError, GrpcCode, internal, invalidInput, notFound } from "../http/errors.js";
import type { ModuleHost } from "../http/module.js";
import { listOptions, listRows } from "../list/list.js";
import type { PipelineRecord, PipelineVersionRecord } from "../model/pipeline.js";
import { canAccessPipeline, canAccessPipelineVersion } from "../resource/access.js";
import {
  deletePipelineCommon,
  deleteVersionCommon,
  fieldLength,
  findByName,
  getVersionCommon,
  listVersionsCommon,
  type NewPipeline,
  type NewVersion,
  pipelinesIn,
  requirePipeline,
  requireVersion,
} from "../resource/pipelines.js";
import { findPipelineVersion, latestPipelineVersion } from "../resource/run-reads.js";
import { templateYaml } from "../template/template.js";
import {
  apiPipelineV1,
  apiPipelineVersionV1,
  PIPELINE_LIST_SPEC,
  PIPELINE_VERSION_LIST_SPEC,
  str,
  V1_PIPELINE_SHAPE,
  V1_RESOURCE_TYPES,
  V1_VERSION_SHAPE,
} from "./pipeline-wire.js";
import { createPipelineAndVersionFromUrl, createVersionFromUrl, toApi } from "./pipelines.js";

// ── v1beta1 handlers ────────────────────────────────────────────────────────────────────────────

function refsOf(
  body: Record<string, unknown>,
): { key?: { type?: string; id?: string }; relationship?: string }[] {
  return Array.isArray(body.resource_references) ? (body.resource_references as never) : [];
}

async function createPipelineV1(ctx: RequestContext): Promise<Record<string, unknown>> {
  const body = ctx.readJson(V1_PIPELINE_SHAPE);
  const name = str(body.name);
  let namespace = "";
  for (const r of refsOf(body)) if (r.key?.type === "NAMESPACE") namespace = str(r.key.id);
  const p: NewPipeline = { name, display_name: name, description: str(body.description), namespace };
  const lenErr =
    fieldLength("Pipeline", "Name", name, 128) ?? fieldLength("Pipeline", "Namespace", namespace, 63);
  if (lenErr) {
    throw internal("Failed to convert API pipeline to model pipeline", lenErr).wrap(
      "Failed to create a pipeline (v1beta1) due to pipeline conversion error",
    );
  }
  const url = str((body.url as Record<string, unknown> | undefined)?.pipeline_url);
  try {
    const { pipeline, version } = await createPipelineAndVersionFromUrl(ctx, p, url, undefined);
    return apiPipelineV1(pipeline, version);
  } catch (err) {
    throw toApi(err).wrap("Failed to create a pipeline (v1beta1)");
  }
}

function v1ListNamespace(ctx: RequestContext): string {
  const type = ctx.qEnum("resource_reference_key.type", V1_RESOURCE_TYPES);
  const id = ctx.q("resource_reference_key.id");
  if (type === undefined && id === undefined) return "";
  if (type !== "NAMESPACE") {
    throw invalidInput(
      `Failed to list pipelines (v1beta1) due to invalid resource references for pipelines: &{Type:${type ?? ""} ID:${id ?? ""}}`,
    );
  }
  return id ?? "";
}

function listPipelinesV1(ctx: RequestContext): Record<string, unknown> {
  const q = ctx.listQuery();
  const ns = v1ListNamespace(ctx);
  const listOpts = listOptions(q, PIPELINE_LIST_SPEC, "v1beta1");
  let rows: readonly PipelineRecord[];
  try {
    rows = pipelinesIn(ctx, ns);
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to list pipelines (v1beta1) in namespace ${ns}. Check error stack`);
  }
  const page = listRows(rows, q, PIPELINE_LIST_SPEC, "v1beta1", listOpts);
  return listResponse(
    "pipelines",
    page.items.map((p) => apiPipelineV1(p, latestPipelineVersion(ctx, p.pipeline_id))),
    page.total_size,
    page.next_page_token,
  );
}

function latestOrThrow(ctx: RequestContext, id: string): PipelineVersionRecord {
  const v = latestPipelineVersion(ctx, id);
  if (!v) {
    throw notFound("PipelineVersion", id).wrap("Failed to get the latest pipeline version for a pipeline");
  }
  return v;
}

function getPipelineV1(ctx: RequestContext): Record<string, unknown> {
  const id = ctx.param("id");
  try {
    canAccessPipeline(ctx, id, "get");
    const p = requirePipeline(ctx, id);
    return apiPipelineV1(p, latestOrThrow(ctx, id));
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to get a pipeline (v1beta1) ${id}. Check error stack`);
  }
}

function getPipelineByNameV1(ctx: RequestContext): Record<string, unknown> {
  const name = ctx.param("name");
  const ns = ctx.param("namespace");
  try {
    const p = findByName(ctx, name, ns === "-" ? "" : ns);
    return apiPipelineV1(p, latestPipelineVersion(ctx, p.pipeline_id));
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to get a pipeline (v1beta1) with name ${name} and namespace ${ns}. Check error stack.`,
    );
  }
}

function deletePipelineV1(ctx: RequestContext): Record<string, never> {
  const id = ctx.param("id");
  try {
    deletePipelineCommon(ctx, id, false);
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to delete pipeline (v1beta1) ${id}. Check error stack`);
  }
  return {};
}

function getTemplateV1(ctx: RequestContext): Record<string, unknown> {
  const id = ctx.param("id");
  try {
    canAccessPipeline(ctx, id, "get");
    requirePipeline(ctx, id);
    return omitZero({ template: templateYaml(latestOrThrow(ctx, id).template) });
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to get the default template (v1beta1) for pipeline ${id}. Check error stack`,
    );
  }
}

function updateDefaultVersionV1(ctx: RequestContext): Record<string, never> {
  const pid = ctx.param("pipeline_id");
  const vid = ctx.param("version_id");
  try {
    canAccessPipeline(ctx, pid, "update");
    requirePipeline(ctx, pid);
    requireVersion(ctx, vid);
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to update (v1beta1) default pipeline version to ${vid} for pipeline ${pid}. Check error stack`,
    );
  }
  return {};
}

async function createVersionV1(ctx: RequestContext): Promise<Record<string, unknown>> {
  const body = ctx.readJson(V1_VERSION_SHAPE);
  const url = str((body.package_url as Record<string, unknown> | undefined)?.pipeline_url);
  if (url === "") {
    throw invalidInput(
      "Failed to create a pipeline version (v1beta1). Pipeline version is nil or pipeline's URL is empty",
    );
  }
  let pid = "";
  for (const r of refsOf(body))
    if (r.key?.type === "PIPELINE" && r.relationship === "OWNER") pid = str(r.key.id);
  if (pid === "") {
    throw invalidInput("Failed to create a pipeline version (v1beta1) due to missing pipeline id");
  }
  const name = str(body.name);
  const pv: NewVersion = {
    name,
    display_name: name,
    description: str(body.description),
    code_source_url: str(body.code_source_url),
    package_url: url,
  };
  try {
    return apiPipelineVersionV1(await createVersionFromUrl(ctx, pid, pv));
  } catch (err) {
    throw toApi(err).wrap("Failed to create a pipeline version (v1beta1) due to internal server error");
  }
}

function listVersionsV1(ctx: RequestContext): Record<string, unknown> {
  const type = ctx.qEnum("resource_key.type", V1_RESOURCE_TYPES);
  const pid = ctx.q("resource_key.id");
  if (type === undefined && pid === undefined) {
    throw invalidInput("Failed to list pipeline versions (v1beta1) due to missing pipeline id");
  }
  const q = ctx.listQuery();
  const listOpts = listOptions(q, PIPELINE_VERSION_LIST_SPEC, "v1beta1");
  let rows: readonly PipelineVersionRecord[];
  try {
    rows = listVersionsCommon(ctx, pid ?? "");
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to list pipeline versions (v1beta1) with pipeline id ${pid ?? ""}. Check error stack`,
    );
  }
  const page = listRows(rows, q, PIPELINE_VERSION_LIST_SPEC, "v1beta1", listOpts);
  return listResponse(
    "versions",
    page.items.map(apiPipelineVersionV1),
    page.total_size,
    page.next_page_token,
  );
}

function getVersionV1(ctx: RequestContext): Record<string, unknown> {
  const vid = ctx.param("version_id");
  try {
    return apiPipelineVersionV1(getVersionCommon(ctx, vid));
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to get a pipeline version (v1beta1) ${vid}`);
  }
}

function deleteVersionV1(ctx: RequestContext): Record<string, never> {
  const vid = ctx.param("version_id");
  const v = findPipelineVersion(ctx, vid);
  if (!v) {
    throw notFound("PipelineVersion", vid).wrap(
      `Failed to delete a pipeline version (v1beta1) ${vid} due error fetching a pipeline id`,
    );
  }
  try {
    // The v1beta1 caller sent only the version id: the parent's id is not named in a denial.
    deleteVersionCommon(ctx, "", vid);
  } catch (err) {
    // A denied caller is not told the parent pipeline's id (upstream names it; isolation matrix).
    const denied =
      err instanceof ApiError &&
      (err.code === GrpcCode.PermissionDenied || err.code === GrpcCode.Unauthenticated);
    const under = denied ? "" : ` under pipeline ${v.pipeline_id}`;
    throw (err as ApiError).wrap(
      `Failed to delete a pipeline version (v1beta1) ${vid}${under}. Check error stack`,
    );
  }
  return {};
}

function getVersionTemplateV1(ctx: RequestContext): Record<string, unknown> {
  const vid = ctx.param("version_id");
  try {
    canAccessPipelineVersion(ctx, vid, "get");
    const v = findPipelineVersion(ctx, vid);
    if (!v) {
      throw notFound("PipelineVersion", vid).wrap(
        `Failed to get pipeline version template as pipeline version id ${vid} was not found`,
      );
    }
    return omitZero({ template: templateYaml(v.template) });
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to get a pipeline template for pipeline version ${vid}`);
  }
}

export function register(app: ModuleHost): void {
  const r = app.router;
  r.post("v1beta1", "/pipelines", createPipelineV1);
  r.get("v1beta1", "/pipelines", listPipelinesV1);
  r.get("v1beta1", "/pipelines/{id}", getPipelineV1);
  r.delete("v1beta1", "/pipelines/{id}", deletePipelineV1);
  r.get("v1beta1", "/pipelines/{id}/templates", getTemplateV1);
  r.post("v1beta1", "/pipelines/{pipeline_id}/default_version/{version_id}", updateDefaultVersionV1);
  r.get("v1beta1", "/namespaces/{namespace}/pipelines/{name}", getPipelineByNameV1);
  r.post("v1beta1", "/pipeline_versions", createVersionV1);
  r.get("v1beta1", "/pipeline_versions", listVersionsV1);
  r.get("v1beta1", "/pipeline_versions/{version_id}", getVersionV1);
  r.delete("v1beta1", "/pipeline_versions/{version_id}", deleteVersionV1);
  r.get("v1beta1", "/pipeline_versions/{version_id}/templates", getVersionTemplateV1);
}
