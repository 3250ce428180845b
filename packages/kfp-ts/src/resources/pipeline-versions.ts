/**
 * Pipeline versions: `client.pipelines.versions`.
 *
 * v2beta1/v2: `/pipelines/{pipeline_id}/versions[/{pipeline_version_id}]`. v1beta1: `/pipeline_versions`
 * with `resource_key` queries, through the adapter of routes/pipeline-versions.ts: v1 objects are
 * converted to the v2 shapes (`pipeline_id` from the OWNER PIPELINE reference, `display_name` =
 * `name`), and `get()` fills `pipeline_spec` from the version's template. What v1 cannot do (update)
 * throws UnsupportedError.
 */
import type { CallOptions } from "../client.js";
import { ValidationError } from "../core/errors.js";
import type { FilterBuilder, FilterObject, PipelineVersionFilterKeys } from "../core/filters.js";
import type { PagePromise } from "../core/pagination.js";
import type { PipelineSource } from "../core/uploads.js";
import type {
  PipelineVersion,
  PipelineVersionCreateParams,
  PipelineVersionUpdateParams,
} from "../types/pipelines.js";
import { APIResource } from "./base.js";
import type { Pipelines, UploadVersionOptions } from "./pipelines.js";
import { adapterOf } from "./routes/adapter.js";
import type { PipelineVersionRoutes } from "./routes/pipeline-versions.js";
import { callOpts, type ListParams, lazyList, reconcileByName } from "./shared.js";

/** What `pipelines.versions.list()` lists: page and filter fields as the server names them. */
export type PipelineVersionListParams = ListParams<
  FilterBuilder<PipelineVersionFilterKeys> | FilterObject<PipelineVersionFilterKeys>
>;

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
    return lazyList<PipelineVersion>(this._client, opts, async () =>
      (await this.#routes(opts)).list(pipelineId, params),
    );
  }

  /** Get one version (with its `pipeline_spec`). */
  async get(pipelineId: string, versionId: string, opts: CallOptions = {}): Promise<PipelineVersion> {
    return (await this.#routes(opts)).get(this._client, pipelineId, versionId, opts);
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
    if (v.pipeline_spec === undefined && !(await this.#routes(opts)).listsSpecs) {
      return this.get(pipelineId, v.pipeline_version_id, opts);
    }
    return v;
  }

  /** Delete a version. */
  async delete(pipelineId: string, versionId: string, opts: CallOptions = {}): Promise<void> {
    await (await this.#routes(opts)).delete(this._client, pipelineId, versionId, opts);
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
    const routes = await this.#routes(opts);
    const lookupName = body.name ?? body.display_name;
    const reconcile = lookupName
      ? reconcileByName("pipeline version", lookupName, () =>
          this.findByName(pipelineId, lookupName, { ...callOpts(opts) }),
        )
      : undefined;
    return routes.create(this._client, pipelineId, body, opts, reconcile);
  }

  /** Change a version's `display_name` and/or `tags` (`tags: {}` clears them). Server 2.17.0+. */
  async update(
    pipelineId: string,
    versionId: string,
    body: PipelineVersionUpdateParams,
    opts: CallOptions = {},
  ): Promise<PipelineVersion> {
    checkUpdateBody(body);
    return (await this.#routes(opts)).update(this._client, pipelineId, versionId, body, opts);
  }

  /** Upload a package as a new version of `pipelineId` (same as `pipelines.uploadVersion`). */
  upload(
    pipelineId: string,
    source: PipelineSource,
    opts: Omit<UploadVersionOptions, "pipeline_id" | "pipeline_name"> = {},
  ): Promise<PipelineVersion> {
    return this.#pipelines.uploadVersion(source, { ...opts, pipeline_id: pipelineId });
  }

  /** The routes of the client's API version (learned by the first call in auto mode). */
  async #routes(opts: CallOptions | undefined): Promise<PipelineVersionRoutes> {
    return (await adapterOf(this._client, opts)).versions;
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
