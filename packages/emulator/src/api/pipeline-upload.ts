/**
 * The plain multipart upload handlers `/pipelines/upload` and `/pipelines/upload_version` (every API
 * version): Go's `r.FormFile`, the query parameters, and the upload server's own error shapes and
 * status table (FACTS.md §4.5; upstream `pipeline_upload_server.go`).
 */

import { authorize } from "../auth.js";
import type { RequestContext } from "../http/context.js";
import { ApiError, GrpcCode, writePlainTextError, writeUploadError } from "../http/errors.js";
import { scanJsonText } from "../http/limits.js";
import { formFile } from "../http/multipart.js";
import type { PipelineRecord, PipelineVersionRecord } from "../model/pipeline.js";
import {
  createPipelineAndVersion,
  createVersion,
  fieldLength,
  findPipeline,
  namespaceRequired,
  replaceNamespace,
} from "../resource/pipelines.js";
import { readPipelineFile } from "../template/package-file.js";
import { apiPipeline, apiPipelineV1, apiPipelineVersion, apiPipelineVersionV1 } from "./pipeline-wire.js";

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
  const parent = findPipeline(ctx, pipelineId);
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
