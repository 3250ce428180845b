/**
 * Pipeline versions: `client.pipelines.versions`.
 *
 * v2beta1/v2: `/pipelines/{pipeline_id}/versions[/{pipeline_version_id}]`. v1beta1: `/pipeline_versions`
 * with `resource_key` queries; v1 objects are converted to the v2 shapes (`pipeline_id` from the OWNER
 * PIPELINE reference, `display_name` = `name`), and `get()` fills `pipeline_spec` from the version's
 * template. What v1 cannot do (update) throws UnsupportedError.
 */
import type { CallOptions } from "../client.js";
import { ValidationError } from "../core/errors.js";
import type { FilterBuilder, FilterObject, PipelineVersionFilterKeys } from "../core/filters.js";
import type { PagePromise } from "../core/pagination.js";
import { parsePipelinePackage } from "../core/spec.js";
import type { PipelineSource } from "../core/uploads.js";
import { path } from "../internal/path.js";
import { compact } from "../internal/values.js";
import type { JsonObject } from "../types/common.js";
import type {
  Pipeline,
  PipelineVersion,
  PipelineVersionCreateParams,
  PipelineVersionUpdateParams,
} from "../types/pipelines.js";
import type { V1GetTemplateResponse, V1Pipeline, V1PipelineVersion } from "../types/v1-pipelines.js";
import { APIResource } from "./base.js";
import type { Pipelines, UploadVersionOptions } from "./pipelines.js";
import {
  callOpts,
  createWithNameFallback,
  type ListParams,
  lazyList,
  listQuery,
  reconcileByName,
  refId,
  resolveApi,
  unsupported,
  withoutNameField,
} from "./shared.js";

/** What `pipelines.versions.list()` lists: page and filter fields as the server names them. */
export type PipelineVersionListParams = ListParams<
  FilterBuilder<PipelineVersionFilterKeys> | FilterObject<PipelineVersionFilterKeys>
>;

// ---------------------------------------------------------------------------------------------------
// v1beta1 conversions

/** v1beta1 Pipeline → v2 Pipeline shape. */
export function pipelineFromV1(p: V1Pipeline): Pipeline {
  return compact(
    {
      pipeline_id: p.id ?? "",
      name: p.name,
      display_name: p.name,
      description: p.description,
      created_at: p.created_at,
      namespace: refId(p.resource_references, "NAMESPACE"),
      error: p.error ? { message: p.error } : undefined,
    },
    { empty: true },
  ) as Pipeline;
}

/** v1beta1 PipelineVersion → v2 PipelineVersion shape. */
export function versionFromV1(v: V1PipelineVersion, pipelineId?: string): PipelineVersion {
  return compact(
    {
      pipeline_id: refId(v.resource_references, "PIPELINE") ?? pipelineId ?? "",
      pipeline_version_id: v.id ?? "",
      name: v.name,
      display_name: v.name,
      description: v.description,
      created_at: v.created_at,
      package_url: v.package_url?.pipeline_url ? { pipeline_url: v.package_url.pipeline_url } : undefined,
      code_source_url: v.code_source_url,
    },
    { empty: true },
  ) as PipelineVersion;
}

/** Parse a v1 template (YAML) into the `pipeline_spec` shape; undefined when it is not a v2 spec. */
export function specFromTemplate(template: string | undefined): JsonObject | undefined {
  if (!template) return undefined;
  try {
    const pkg = parsePipelinePackage(template);
    if (pkg.kind !== "v2") return pkg.pipelineSpec;
    return pkg.platformSpec
      ? { pipeline_spec: pkg.pipelineSpec, platform_spec: pkg.platformSpec }
      : pkg.pipelineSpec;
  } catch {
    return undefined;
  }
}

/** Versions of a pipeline: `kfp.pipelines.versions`. */
export class PipelineVersions extends APIResource {
  readonly #pipelines: Pipelines;

  constructor(client: ConstructorParameters<typeof APIResource>[0], pipelines: Pipelines) {
    super(client);
    this.#pipelines = pipelines;
  }

  /** One page of a pipeline's versions (await) or every version (`for await`). */
  list(
    pipelineId: string,
    params: PipelineVersionListParams = {},
    opts?: CallOptions,
  ): PagePromise<PipelineVersion> {
    return lazyList<PipelineVersion>(this._client, opts, async () => {
      const pid = path`${pipelineId}`;
      const api = await resolveApi(this._client, opts);
      if (api === "v1beta1") {
        const scope = { "resource_key.type": "PIPELINE", "resource_key.id": pipelineId };
        const query = listQuery(params, api, "pipeline_versions", scope);
        const map = (raw: unknown) => versionFromV1(raw as V1PipelineVersion, pipelineId);
        return { path: "/apis/v1beta1/pipeline_versions", query, itemsKey: "versions", map };
      }
      const query = listQuery(params, api, "pipeline_versions");
      return { path: `/pipelines/${pid}/versions`, query, itemsKey: "pipeline_versions" };
    });
  }

  /** Get one version (with its `pipeline_spec`). */
  async get(pipelineId: string, versionId: string, opts: CallOptions = {}): Promise<PipelineVersion> {
    const api = await resolveApi(this._client, opts);
    if (api === "v1beta1") {
      const v = await this._client.get<V1PipelineVersion>(
        path`/apis/v1beta1/pipeline_versions/${versionId}`,
        opts,
      );
      const out = versionFromV1(v, pipelineId);
      const t = await this._client.get<V1GetTemplateResponse>(
        path`/apis/v1beta1/pipeline_versions/${versionId}/templates`,
        opts,
      );
      const spec = specFromTemplate(t.template);
      if (spec) out.pipeline_spec = spec;
      return out;
    }
    return this._client.get<PipelineVersion>(path`/pipelines/${pipelineId}/versions/${versionId}`, opts);
  }

  /** Find a version of a pipeline by its `name` (a filtered list); undefined when there is none. */
  async findByName(
    pipelineId: string,
    name: string,
    opts: CallOptions = {},
  ): Promise<PipelineVersion | undefined> {
    if (typeof name !== "string" || name === "") {
      throw new ValidationError("version name must be a non-empty string", { field: "name" });
    }
    const page = await this.list(
      pipelineId,
      {
        page_size: 1,
        sort_by: "created_at desc",
        filter: { predicates: [{ key: "name", operation: "EQUALS", string_value: name }] },
      },
      opts,
    );
    const v = page.items[0];
    if (!v) return undefined;
    if (v.pipeline_spec === undefined && (await resolveApi(this._client, opts)) === "v1beta1") {
      return this.get(pipelineId, v.pipeline_version_id, opts);
    }
    return v;
  }

  /** Delete a version. */
  async delete(pipelineId: string, versionId: string, opts: CallOptions = {}): Promise<void> {
    const api = await resolveApi(this._client, opts);
    if (api === "v1beta1") {
      await this._client.delete(path`/apis/v1beta1/pipeline_versions/${versionId}`, opts);
      return;
    }
    await this._client.delete(path`/pipelines/${pipelineId}/versions/${versionId}`, opts);
  }

  /**
   * Create a version from a URL the server downloads (`package_url.pipeline_url`). Servers since 2.17.0
   * accept only https URLs on an allow-list of domains by default (FACTS.md §4.6).
   */
  async create(
    pipelineId: string,
    body: PipelineVersionCreateParams,
    opts: CallOptions = {},
  ): Promise<PipelineVersion> {
    if (!body || typeof body !== "object")
      throw new ValidationError("version body is required", { field: "body" });
    if (!body.package_url?.pipeline_url) {
      throw new ValidationError("package_url.pipeline_url is required to create a version from a URL", {
        field: "package_url",
      });
    }
    const api = await resolveApi(this._client, opts);
    const lookupName = body.name ?? body.display_name;
    const reconcile = lookupName
      ? reconcileByName("pipeline version", lookupName, () =>
          this.findByName(pipelineId, lookupName, { ...callOpts(opts) }),
        )
      : undefined;
    if (api === "v1beta1") {
      if (body.tags) throw unsupported("version tags", api, "POST", "/apis/v1beta1/pipeline_versions");
      const v1 = compact(
        {
          name: body.name ?? body.display_name,
          description: body.description,
          code_source_url: body.code_source_url,
          package_url: body.package_url,
          resource_references: [{ key: { type: "PIPELINE", id: pipelineId }, relationship: "OWNER" }],
        },
        { empty: true },
      );
      const created = await this._client.post<V1PipelineVersion | PipelineVersion>(
        "/apis/v1beta1/pipeline_versions",
        {
          ...opts,
          body: v1,
          ...(reconcile ? { reconcile } : {}),
        },
      );
      return "pipeline_version_id" in created
        ? created
        : versionFromV1(created as V1PipelineVersion, pipelineId);
    }
    const payload = { ...body, pipeline_id: pipelineId };
    // Servers before 2.14.0 refuse `name`: sent again with the name as display_name.
    return createWithNameFallback(this._client, !!payload.name, (dropName) =>
      this._client.post<PipelineVersion>(path`/pipelines/${pipelineId}/versions`, {
        ...opts,
        body: dropName ? withoutNameField(payload) : payload,
        ...(reconcile ? { reconcile } : {}),
      }),
    );
  }

  /** Change a version's `display_name` and/or `tags` (`tags: {}` clears them). Server 2.17.0+. */
  async update(
    pipelineId: string,
    versionId: string,
    body: PipelineVersionUpdateParams,
    opts: CallOptions = {},
  ): Promise<PipelineVersion> {
    checkUpdateBody(body);
    const api = await resolveApi(this._client, opts);
    if (api === "v1beta1")
      throw unsupported("updating a pipeline version", api, "PATCH", "/apis/v1beta1/pipeline_versions");
    return this._client.patch<PipelineVersion>(path`/pipelines/${pipelineId}/versions/${versionId}`, {
      ...opts,
      body,
    });
  }

  /** Upload a package as a new version of `pipelineId` (same as `pipelines.uploadVersion`). */
  upload(
    pipelineId: string,
    source: PipelineSource,
    opts: Omit<UploadVersionOptions, "pipeline_id" | "pipeline_name"> = {},
  ): Promise<PipelineVersion> {
    return this.#pipelines.uploadVersion(source, { ...opts, pipeline_id: pipelineId });
  }
}

/** Check a PATCH body: only display_name and tags. */
export function checkUpdateBody(body: { display_name?: unknown; tags?: unknown } | undefined): void {
  if (!body || typeof body !== "object")
    throw new ValidationError("update body is required", { field: "body" });
  const extra = Object.keys(body).filter((k) => k !== "display_name" && k !== "tags");
  if (extra.length) {
    throw new ValidationError(`only display_name and tags can be updated; remove ${extra.join(", ")}`, {
      field: extra[0] as string,
    });
  }
  if (body.display_name === undefined && body.tags === undefined) {
    throw new ValidationError("nothing to update: pass display_name and/or tags", { field: "body" });
  }
  checkTags(body.tags);
}

/** Tags must be a string → string object. */
export function checkTags(tags: unknown): void {
  if (tags === undefined) return;
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) {
    throw new ValidationError("tags must be an object of string keys and string values", { field: "tags" });
  }
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== "string") {
      throw new ValidationError(`tag ${JSON.stringify(k)} must have a string value`, { field: "tags" });
    }
  }
}
