import { platform } from "#platform";
import type { ApiVersion, CallOptions, Kfp, ReconcileContext } from "../client.js";
import { NotFoundError, ValidationError } from "../core/errors.js";
import type { FilterBuilder, FilterObject, PipelineFilterKeys } from "../core/filters.js";
import type { PagePromise } from "../core/pagination.js";
import { type PipelineSource, type PreparedSource, prepareSource } from "../core/uploads.js";
import { escapeFilename, multipartBody } from "../internal/multipart.js";
import type { Query } from "../internal/path.js";
import type {
  Pipeline,
  PipelineCreateParams,
  PipelineUpdateParams,
  PipelineVersion,
  PipelineVersionCreateParams,
} from "../types/pipelines.js";
import type { V1Pipeline, V1PipelineVersion } from "../types/v1-pipelines.js";
import { APIResource } from "./base.js";
import {
  checkMaxSize,
  checkString,
  checkValidate,
  depthOf,
  sizeError,
  validatePrepared,
} from "./package-checks.js";
import { checkTags, checkUpdateBody, PipelineVersions } from "./pipeline-versions.js";
import { type PublishOptions, type PublishResult, publishPipeline } from "./publish.js";
import { adapterOf } from "./routes/adapter.js";
import type { PipelineRoutes } from "./routes/pipelines.js";
import {
  callOpts,
  checkNotAPath,
  type ListParams,
  lazyList,
  pipelineByName,
  reconcileByName,
} from "./shared.js";

export type { PublishOptions, PublishResult } from "./publish.js";

/** Options shared by both upload calls. Wire parameters keep their server names. */
export interface UploadOptions extends CallOptions {
  display_name?: string;
  description?: string;
  /** Tags (2.17.0+): on the pipeline for `upload`, on the version for `uploadVersion`. */
  tags?: Record<string, string>;
  /** Stored on the version (servers after 2.17.0). */
  code_source_url?: string;
  /** Filename of the multipart part (the server picks YAML/JSON by it). */
  filename?: string;
  /** Content-Type of the multipart part. */
  contentType?: string;
  /**
   * Check the package on the client before sending (in-memory sources only), with the server's
   * messages. `true` (the default): the rules the server applies to the top level — the top-level keys,
   * `schemaVersion`, `pipelineInfo.name`, one pipeline spec and at most one platform spec — read from the
   * lines at indent 0, without parsing the blocks below them (a syntax error there is the server's to
   * report: `400 failed to parse pipeline spec YAML`, nothing stored). `"full"`: every line too, so what
   * passes also parses (costs ~60 µs per 20 KB more). `false`: no check.
   */
  validate?: boolean | "full";
  /**
   * Size limit in bytes. Known sizes (strings, bytes, Blobs, files) are checked against it before
   * sending, default 32 MiB (the server's limit). Streams of unknown size are counted while they are
   * sent and stopped past `maxSize` only when it is given (by default the server judges them).
   */
  maxSize?: number;
}

export interface UploadPipelineOptions extends UploadOptions {
  /** Unique name (per namespace). Default: `display_name`, else the filename (as the server does). */
  name?: string;
  /** Default: the client's namespace; `null` or `""` for a shared pipeline. */
  namespace?: string | null;
}

export interface UploadVersionOptions extends UploadOptions {
  /** The pipeline to add the version to (or give `pipeline_name`). */
  pipeline_id?: string;
  /** Look the pipeline up by name (in `namespace`) instead of giving `pipeline_id`. */
  pipeline_name?: string;
  /** Namespace for the `pipeline_name` lookup (default: the client's namespace; `null` = shared). */
  namespace?: string | null;
  /** Version name, unique per pipeline. Default: `display_name`, else the filename. */
  name?: string;
}

/** What `pipelines.list()` lists: page and filter fields as the server names them, and the namespace. */
export interface PipelineListParams
  extends ListParams<FilterBuilder<PipelineFilterKeys> | FilterObject<PipelineFilterKeys>> {
  /** Default: the client's namespace; `null` or `""` lists shared pipelines only. */
  namespace?: string | null;
}

/** The name the server gives an upload: `name` ?: `display_name` ?: the filename's base name. */
function serverName(name: string | undefined, displayName: string | undefined, filename: string): string {
  return name || displayName || platform.basename(escapeFilename(filename));
}

/** Pipelines: `kfp.pipelines` (uploads, JSON endpoints, and the idempotent `publish()` for CI). */
export class Pipelines extends APIResource {
  readonly versions: PipelineVersions;

  constructor(client: Kfp) {
    super(client);
    this.versions = new PipelineVersions(client, this);
  }

  /** Namespace option → query value (undefined = omit). */
  #ns(ns: string | null | undefined): string | undefined {
    if (ns === null || ns === "") return undefined;
    if (ns === undefined) return this._client.namespace || undefined;
    if (typeof ns !== "string")
      throw new ValidationError("namespace must be a string or null", { field: "namespace" });
    if (ns.length > 63) {
      throw new ValidationError(`namespace is ${ns.length} characters; the server allows at most 63`, {
        field: "namespace",
      });
    }
    return ns;
  }

  // -------------------------------------------------------------------------------------------------
  // Uploads

  async #prepare(source: PipelineSource, opts: UploadOptions): Promise<PreparedSource> {
    checkMaxSize(opts.maxSize);
    checkValidate(opts.validate);
    if (opts.validate !== false) checkNotAPath(source);
    const src = await prepareSource(source, {
      filename: opts.filename,
      contentType: opts.contentType,
      maxSize: opts.maxSize,
    });
    if (opts.validate !== false) validatePrepared(src, depthOf(opts.validate));
    return src;
  }

  async #sendUpload<Raw>(
    route: "upload" | "upload_version",
    src: PreparedSource,
    query: Query,
    opts: CallOptions & { maxSize?: number },
    api: ApiVersion,
    reconcile: (ctx: ReconcileContext) => Promise<Raw | undefined>,
  ): Promise<Raw> {
    const max = opts.maxSize ?? Number.POSITIVE_INFINITY;
    const body = multipartBody(src, max, sizeError(max));
    return this._client._send<Raw>({
      method: "POST",
      path: `/apis/${api}/pipelines/${route}`,
      query,
      body,
      signal: opts.signal,
      timeout: opts.timeout,
      maxRetries: opts.maxRetries,
      idempotent: false,
      reconcile,
    });
  }

  /**
   * Upload a package as a new pipeline (with its first version, named like the pipeline).
   * `source`: content (string, bytes, Blob, stream, spec object) or a file (`fromPath()` / `{ path }`).
   */
  async upload(source: PipelineSource, opts: UploadPipelineOptions = {}): Promise<Pipeline> {
    checkString(opts.name, "name", 128);
    checkString(opts.display_name, "display_name");
    checkString(opts.description, "description");
    checkString(opts.code_source_url, "code_source_url");
    checkTags(opts.tags);
    const namespace = this.#ns(opts.namespace);
    const src = await this.#prepare(source, opts);
    const routes = await this.#routes(opts, !src.reopenable);
    const query: Query = {
      name: opts.name,
      display_name: opts.display_name,
      description: opts.description,
      namespace,
      tags: opts.tags ? JSON.stringify(opts.tags) : undefined,
      code_source_url: opts.code_source_url,
    };
    const lookup = serverName(opts.name, opts.display_name, src.filename);
    const reconcile = reconcileByName("pipeline", lookup, () => this.#findByName(lookup, namespace, opts));
    const raw = await this.#sendUpload<Pipeline | V1Pipeline>(
      "upload",
      src,
      query,
      opts,
      routes.api,
      reconcile,
    );
    return routes.fromUpload(raw);
  }

  /** Upload a package as a new version of a pipeline given by `pipeline_id` or `pipeline_name`. */
  async uploadVersion(source: PipelineSource, opts: UploadVersionOptions): Promise<PipelineVersion> {
    if (!opts || (opts.pipeline_id === undefined) === (opts.pipeline_name === undefined)) {
      throw new ValidationError("uploadVersion needs exactly one of pipeline_id and pipeline_name", {
        field: "pipeline_id",
      });
    }
    checkString(opts.name, "name", 127);
    checkString(opts.display_name, "display_name");
    checkString(opts.description, "description");
    checkString(opts.code_source_url, "code_source_url");
    checkTags(opts.tags);
    let pipelineId = opts.pipeline_id;
    if (pipelineId !== undefined && (typeof pipelineId !== "string" || pipelineId === "")) {
      throw new ValidationError("pipeline_id must be a non-empty string", { field: "pipeline_id" });
    }
    const src = await this.#prepare(source, opts);
    const { api, versions: routes } = await adapterOf(this._client, opts, !src.reopenable);
    if (pipelineId === undefined) {
      // The namespace's pipeline, else a shared one (as runs.create resolves pipeline_name).
      const namespace = this.#ns(opts.namespace);
      pipelineId = (await pipelineByName(this._client, opts.pipeline_name as string, namespace, opts))
        .pipeline_id;
    }
    const pid = pipelineId;
    const query: Query = {
      pipelineid: pid,
      name: opts.name,
      display_name: opts.display_name,
      description: opts.description,
      tags: opts.tags ? JSON.stringify(opts.tags) : undefined,
      code_source_url: opts.code_source_url,
    };
    const lookup = serverName(opts.name, opts.display_name, src.filename);
    const reconcile = reconcileByName("pipeline version", lookup, () =>
      this.versions.findByName(pid, lookup, callOpts(opts)),
    );
    const raw = await this.#sendUpload<PipelineVersion | V1PipelineVersion>(
      "upload_version",
      src,
      query,
      opts,
      api,
      reconcile,
    );
    return routes.fromUpload(raw, pid);
  }

  // -------------------------------------------------------------------------------------------------
  // JSON endpoints

  /** Create a pipeline without any version (`POST /pipelines`). Not available in v1beta1. */
  async create(body: PipelineCreateParams, opts: CallOptions = {}): Promise<Pipeline> {
    if (!body || typeof body !== "object")
      throw new ValidationError("pipeline body is required", { field: "body" });
    if (!body.name && !body.display_name) {
      throw new ValidationError("name or display_name is required", { field: "name" });
    }
    checkString(body.name, "name", 128);
    checkTags(body.tags);
    const routes = await this.#routes(opts);
    const namespace = this.#ns(body.namespace);
    const payload: PipelineCreateParams = { ...body };
    if (namespace) payload.namespace = namespace;
    else delete payload.namespace;
    const lookup = (body.name || body.display_name) as string;
    const reconcile = reconcileByName("pipeline", lookup, () => this.#findByName(lookup, namespace, opts));
    return routes.create(this._client, payload, opts, reconcile);
  }

  /**
   * Create a pipeline and its first version from a URL the server downloads
   * (`POST /pipelines/create`; v1beta1: `POST /pipelines` with `url`).
   */
  async createWithVersion(
    pipeline: PipelineCreateParams,
    version: PipelineVersionCreateParams,
    opts: CallOptions = {},
  ): Promise<Pipeline> {
    if (!pipeline || typeof pipeline !== "object") {
      throw new ValidationError("pipeline body is required", { field: "pipeline" });
    }
    if (!version?.package_url?.pipeline_url) {
      throw new ValidationError("version.package_url.pipeline_url is required", { field: "package_url" });
    }
    checkTags(pipeline.tags);
    checkTags(version.tags);
    const routes = await this.#routes(opts);
    const namespace = this.#ns(pipeline.namespace);
    const lookup = pipeline.name || pipeline.display_name;
    const reconcile = lookup
      ? reconcileByName("pipeline", lookup, () => this.#findByName(lookup, namespace, opts))
      : undefined;
    return routes.createWithVersion(this._client, pipeline, version, namespace, opts, reconcile);
  }

  /** Get a pipeline by id. */
  async get(pipelineId: string, opts: CallOptions = {}): Promise<Pipeline> {
    return (await this.#routes(opts)).get(this._client, pipelineId, opts);
  }

  /** Get a pipeline by its unique `name` in a namespace (NotFoundError when absent). */
  async getByName(name: string, opts: CallOptions & { namespace?: string | null } = {}): Promise<Pipeline> {
    if (typeof name !== "string" || name === "") {
      throw new ValidationError("pipeline name must be a non-empty string", { field: "name" });
    }
    const namespace = this.#ns(opts.namespace);
    return (await this.#routes(opts)).getByName(this._client, name, namespace, callOpts(opts));
  }

  async #findByName(
    name: string,
    namespace: string | undefined,
    opts: CallOptions,
  ): Promise<Pipeline | undefined> {
    try {
      return await this.getByName(name, { ...callOpts(opts), namespace: namespace ?? null });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** One page of pipelines (await) or every pipeline (`for await`). */
  list(params: PipelineListParams = {}, opts?: CallOptions): PagePromise<Pipeline> {
    return lazyList<Pipeline>(this._client, opts, async () => {
      const namespace = this.#ns(params.namespace);
      return (await this.#routes(opts)).list(params, namespace);
    });
  }

  /**
   * Delete a pipeline. The server refuses while versions exist unless `cascade: true` (which deletes
   * them too). On v1beta1 servers, `cascade` deletes the versions one by one first.
   */
  async delete(pipelineId: string, opts: CallOptions & { cascade?: boolean } = {}): Promise<void> {
    await (await this.#routes(opts)).delete(this._client, pipelineId, callOpts(opts), !!opts.cascade);
  }

  /** Change `display_name` and/or `tags` (`tags: {}` clears them). Server 2.17.0+; not in v1beta1. */
  async update(pipelineId: string, body: PipelineUpdateParams, opts: CallOptions = {}): Promise<Pipeline> {
    checkUpdateBody(body);
    return (await this.#routes(opts)).update(this._client, pipelineId, body, opts);
  }

  /**
   * The routes of the client's API version (learned by the first call in auto mode; `once`: the
   * request cannot be sent twice, so the version is learned first, see resolveApi).
   */
  async #routes(opts: CallOptions | undefined, once = false): Promise<PipelineRoutes> {
    return (await adapterOf(this._client, opts, once)).pipelines;
  }

  /**
   * Idempotent publish for CI (kubeflow/pipelines #3901, #5881): create the pipeline `name` if missing,
   * else add a version — unless the newest version already has this exact spec, in which case that
   * version is returned and nothing is uploaded. Re-running never fails and never duplicates; two
   * publishers racing end with one version. See `PublishOptions` for the version's name.
   */
  publish(name: string, source: PipelineSource, opts: PublishOptions = {}): Promise<PublishResult> {
    return publishPipeline(this, name, source, opts, {
      client: this._client,
      namespace: this.#ns(opts.namespace),
      findByName: (n, ns, call) => this.#findByName(n, ns, call),
      warn: (message) => this._client._transport.log.warn(message),
    });
  }
}
