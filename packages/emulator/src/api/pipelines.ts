/**
 * Pipelines and pipeline versions, v2beta1 (and the /apis/v2 alias) handlers: creation (also from a
 * package URL), get/list/delete/update, and the route registration, which also registers the upload
 * handlers of `pipeline-upload.ts` (FACTS.md §4–§7.1, §14; upstream `pipeline_server.go`). The rules
 * that touch the store are in `resource/pipelines.ts`, the wire shapes in `pipeline-wire.ts`; the
 * v1beta1 handlers are in `pipelines-v1.ts`.
 */
import type { RequestContext } from "../http/context.js";
import { listResponse } from "../http/encode.js";
import { ApiError, internal, invalidInput } from "../http/errors.js";
import type { ModuleHost } from "../http/module.js";
import { ALL_V2, type ApiVersion } from "../http/router.js";
import { listOptions, listRows } from "../list/list.js";
import {
  PIPELINE_VERSIONS,
  PIPELINES,
  type PipelineRecord,
  type PipelineVersionRecord,
} from "../model/pipeline.js";
import { canAccessPipeline, canAccessPipelineVersion } from "../resource/access.js";
import {
  applyUpdate,
  createPipelineAndVersion,
  createVersion,
  deletePipelineCommon,
  deleteVersionCommon,
  fieldLength,
  findByName,
  getVersionCommon,
  insertPipeline,
  listVersionsCommon,
  type NewPipeline,
  type NewVersion,
  namespaceRequired,
  pipelinesIn,
  replaceNamespace,
  requirePipeline,
  requireVersion,
  validateTags,
} from "../resource/pipelines.js";
import { readPipelineFile } from "../template/package-file.js";
import { downloadPackage, parseRequestUri, pathBase, validatePipelineUrl } from "./package-url.js";
import { uploadPipeline, uploadPipelineVersion } from "./pipeline-upload.js";
import {
  apiPipeline,
  apiPipelineV1,
  apiPipelineVersion,
  CREATE_PIPELINE_AND_VERSION_SHAPE,
  modelPipeline,
  PIPELINE_LIST_SPEC,
  PIPELINE_SHAPE,
  PIPELINE_VERSION_LIST_SPEC,
  PIPELINE_VERSION_SHAPE,
  str,
  tagsOf,
} from "./pipeline-wire.js";

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
  const created = insertPipeline(ctx, p, wrap);
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
    return apiPipeline(requirePipeline(ctx, id));
  } catch (err) {
    throw wrap((err as ApiError).wrap(`Failed to get a pipeline with id ${id}`));
  }
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
    return apiPipeline(applyUpdate(ctx, PIPELINES, id, requirePipeline, displayName, tags));
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to update pipeline ${id}. Check error stack`);
  }
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

export function getVersionV2(ctx: RequestContext): Record<string, unknown> {
  const vid = ctx.param("pipeline_version_id");
  try {
    return apiPipelineVersion(getVersionCommon(ctx, vid));
  } catch (err) {
    throw (err as ApiError).wrap(`Failed to get a pipeline version ${vid}`);
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
    return apiPipelineVersion(applyUpdate(ctx, PIPELINE_VERSIONS, vid, requireVersion, displayName, tags));
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
