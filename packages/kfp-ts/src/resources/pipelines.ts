/**
 * Pipelines: upload, create, get, list, update, delete, and the idempotent `publish()` for CI.
 *
 * Uploads are multipart requests written by hand (internal/multipart.ts) and sent through the client's
 * undici dispatcher; all other parameters go in the query string, as the server reads them
 * (FACTS.md §4). Namespaces: `namespace` defaults to the client's namespace; pass `namespace: null` (or
 * `""`) for a shared pipeline. In single-user mode the server ignores namespaces.
 *
 * Validation: in-memory sources (string, bytes, spec object, Blob/file up to 4 MiB) are checked before a
 * byte is sent (core/spec.ts, with the server's wording); streamed sources (Node/web streams, async
 * iterables, files and Blobs over 4 MiB) are not inspected — the server checks them. `validate: false`
 * turns the client-side check off.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { ApiVersion, CallOptions, Kfp, ReconcileContext } from "../client.js";
import { ConflictError, KfpError, NotFoundError, ValidationError } from "../core/errors.js";
import type { FilterBuilder, FilterObject, PipelineFilterKeys } from "../core/filters.js";
import type { PagePromise } from "../core/pagination.js";
import {
  checkPackageBytes,
  checkPackageText,
  checkSpecObject,
  extractArchiveSpec,
  isSpecFilename,
  type PipelinePackage,
  packageSpecObject,
  parsePipelinePackage,
  specHash,
  specsEqual,
} from "../core/spec.js";
import { materialize, type PipelineSource, type PreparedSource, prepareSource } from "../core/uploads.js";
import { escapeFilename, multipartBody } from "../internal/multipart.js";
import { path, type Query } from "../internal/path.js";
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
  checkTags,
  checkUpdateBody,
  PipelineVersions,
  pipelineFromV1,
  versionFromV1,
} from "./pipeline-versions.js";
import {
  callOpts,
  checkNotAPath,
  createWithNameFallback,
  type ListParams,
  lazyList,
  listQuery,
  pipelineByName,
  reconcileByName,
  resolveApi,
  unsupported,
  withoutNameField,
} from "./shared.js";

const V1_PIPELINES = "/apis/v1beta1/pipelines";

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
  /** Check the package on the client before sending (default true; in-memory sources only). */
  validate?: boolean;
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

/**
 * Options of `publish()`. As everywhere in kfp-ts, what goes to the server keeps the server's
 * snake_case name (`version_name` is the new version's `name`); client-only options are camelCase.
 */
export interface PublishOptions extends CallOptions {
  /** Name of the new version; default `<name>-<first 12 hex of the spec's SHA-256>`. */
  version_name?: string;
  /** Default: the client's namespace; `null` for a shared pipeline. */
  namespace?: string | null;
  /** Description of the pipeline (when created) and of the new version. */
  description?: string;
  /** Display name of the pipeline when it is created. */
  display_name?: string;
  /** Tags of the pipeline when it is created. */
  tags?: Record<string, string>;
  /** Tags of a new version. */
  version_tags?: Record<string, string>;
  /** Code source URL of a new version. */
  code_source_url?: string;
  /** Filename of the multipart part (the server picks YAML/JSON by it). */
  filename?: string;
  /** Content-Type of the multipart part. */
  contentType?: string;
  /** Check the package on the client (default true). */
  validate?: boolean;
}

/** What `publish()` did: the pipeline, the version it points at, and whether either was created. */
export interface PublishResult {
  pipeline: Pipeline;
  version: PipelineVersion;
  /** True when a new version was uploaded. */
  created: boolean;
  /** True when the pipeline itself was created by this call. */
  pipelineCreated: boolean;
}

function checkString(v: unknown, field: string, max?: number): void {
  if (v === undefined) return;
  if (typeof v !== "string") throw new ValidationError(`${field} must be a string`, { field });
  if (max !== undefined && v.length > max) {
    throw new ValidationError(`${field} is ${v.length} characters; the server allows at most ${max}`, {
      field,
    });
  }
}

function sizeError(max: number): (size: number) => ValidationError {
  return (size) =>
    new ValidationError(`the pipeline package is over maxSize (${max} bytes): read ${size} bytes so far`, {
      field: "source",
    });
}

function checkMaxSize(v: unknown): void {
  if (v !== undefined && (typeof v !== "number" || Number.isNaN(v) || v <= 0)) {
    throw new ValidationError("maxSize must be a positive number of bytes (or Infinity)", {
      field: "maxSize",
    });
  }
}

/** Run the client-side checks on a prepared source (in-memory content only). */
function validatePrepared(src: PreparedSource): void {
  if (src.spec !== undefined) {
    checkSpecObject(src.spec);
    return;
  }
  if (src.text !== undefined) {
    if (isSpecFilename(src.filename)) checkPackageText(src.text);
    else checkPackageBytes(Buffer.from(src.text, "utf8"), src.filename);
  } else if (src.data) {
    checkPackageBytes(src.data, src.filename);
  }
}

/** The name the server gives an upload: `name` ?: `display_name` ?: the filename's base name. */
function serverName(name: string | undefined, displayName: string | undefined, filename: string): string {
  return name || displayName || basename(escapeFilename(filename));
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
    if (opts.validate !== false) checkNotAPath(source);
    const src = await prepareSource(source, {
      filename: opts.filename,
      contentType: opts.contentType,
      maxSize: opts.maxSize,
    });
    if (opts.validate !== false) validatePrepared(src);
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
    const api = await resolveApi(this._client, opts);
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
    const raw = await this.#sendUpload<Pipeline | V1Pipeline>("upload", src, query, opts, api, reconcile);
    return api === "v1beta1" && !("pipeline_id" in raw)
      ? pipelineFromV1(raw as V1Pipeline)
      : (raw as Pipeline);
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
    const api = await resolveApi(this._client, opts);
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
    return api === "v1beta1" && !("pipeline_version_id" in raw)
      ? versionFromV1(raw as V1PipelineVersion, pid)
      : (raw as PipelineVersion);
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
    const api = await resolveApi(this._client, opts);
    if (api === "v1beta1")
      throw unsupported("creating a pipeline without a version", api, "POST", V1_PIPELINES);
    const namespace = this.#ns(body.namespace);
    const payload: PipelineCreateParams = { ...body };
    if (namespace) payload.namespace = namespace;
    else delete payload.namespace;
    const lookup = (body.name || body.display_name) as string;
    const reconcile = reconcileByName("pipeline", lookup, () => this.#findByName(lookup, namespace, opts));
    // Servers before 2.14.0 refuse `name`: sent again with the name as display_name.
    return createWithNameFallback(this._client, !!payload.name, (dropName) =>
      this._client.post<Pipeline>("/pipelines", {
        ...opts,
        body: dropName ? withoutNameField(payload) : payload,
        reconcile,
      }),
    );
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
    const api = await resolveApi(this._client, opts);
    const namespace = this.#ns(pipeline.namespace);
    const lookup = pipeline.name || pipeline.display_name;
    const reconcile = lookup
      ? reconcileByName("pipeline", lookup, () => this.#findByName(lookup, namespace, opts))
      : undefined;
    if (api === "v1beta1") {
      if (pipeline.tags || version.tags) throw unsupported("tags", api, "POST", V1_PIPELINES);
      const v1: Record<string, unknown> = {
        name: pipeline.name ?? pipeline.display_name,
        description: pipeline.description,
        url: { pipeline_url: version.package_url.pipeline_url },
      };
      if (namespace)
        v1.resource_references = [{ key: { type: "NAMESPACE", id: namespace }, relationship: "OWNER" }];
      const raw = await this._client.post<V1Pipeline | Pipeline>("/apis/v1beta1/pipelines", {
        ...opts,
        body: v1,
        ...(reconcile ? { reconcile } : {}),
      });
      return "pipeline_id" in raw ? raw : pipelineFromV1(raw as V1Pipeline);
    }
    const p: PipelineCreateParams = { ...pipeline };
    if (namespace) p.namespace = namespace;
    else delete p.namespace;
    return createWithNameFallback(this._client, !!(p.name || version.name), (dropName) =>
      this._client.post<Pipeline>("/pipelines/create", {
        ...opts,
        body: dropName
          ? { pipeline: withoutNameField(p), pipeline_version: withoutNameField(version) }
          : { pipeline: p, pipeline_version: version },
        ...(reconcile ? { reconcile } : {}),
      }),
    );
  }

  /** Get a pipeline by id. */
  async get(pipelineId: string, opts: CallOptions = {}): Promise<Pipeline> {
    const api = await resolveApi(this._client, opts);
    if (api === "v1beta1") {
      return pipelineFromV1(
        await this._client.get<V1Pipeline>(path`/apis/v1beta1/pipelines/${pipelineId}`, opts),
      );
    }
    return this._client.get<Pipeline>(path`/pipelines/${pipelineId}`, opts);
  }

  /** Get a pipeline by its unique `name` in a namespace (NotFoundError when absent). */
  async getByName(name: string, opts: CallOptions & { namespace?: string | null } = {}): Promise<Pipeline> {
    if (typeof name !== "string" || name === "") {
      throw new ValidationError("pipeline name must be a non-empty string", { field: "name" });
    }
    const namespace = this.#ns(opts.namespace);
    const api = await resolveApi(this._client, opts);
    const call = callOpts(opts);
    if (api === "v1beta1") {
      // "-" stands for "no namespace" (shared) in the v1 route.
      const raw = await this._client.get<V1Pipeline>(
        path`/apis/v1beta1/namespaces/${namespace ?? "-"}/pipelines/${name}`,
        call,
      );
      return pipelineFromV1(raw);
    }
    return this._client.get<Pipeline>(path`/pipelines/names/${name}`, { ...call, query: { namespace } });
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
      const api = await resolveApi(this._client, opts);
      if (api === "v1beta1") {
        const scope = namespace
          ? { "resource_reference_key.type": "NAMESPACE", "resource_reference_key.id": namespace }
          : {};
        const query = listQuery(params, api, "pipelines", scope);
        return {
          path: V1_PIPELINES,
          query,
          itemsKey: "pipelines",
          map: (raw) => pipelineFromV1(raw as V1Pipeline),
        };
      }
      return {
        path: "/pipelines",
        query: listQuery(params, api, "pipelines", { namespace }),
        itemsKey: "pipelines",
      };
    });
  }

  /**
   * Delete a pipeline. The server refuses while versions exist unless `cascade: true` (which deletes
   * them too). On v1beta1 servers, `cascade` deletes the versions one by one first.
   */
  async delete(pipelineId: string, opts: CallOptions & { cascade?: boolean } = {}): Promise<void> {
    const api = await resolveApi(this._client, opts);
    const call = callOpts(opts);
    if (api === "v1beta1") {
      if (opts.cascade) {
        for (let round = 0; round < 1000; round++) {
          const page = await this.versions.list(pipelineId, { page_size: 200 }, call);
          if (page.items.length === 0) break;
          for (const v of page.items) await this.versions.delete(pipelineId, v.pipeline_version_id, call);
        }
      }
      await this._client.delete(path`/apis/v1beta1/pipelines/${pipelineId}`, call);
      return;
    }
    await this._client.delete(path`/pipelines/${pipelineId}`, {
      ...call,
      query: { cascade: opts.cascade ? true : undefined },
    });
  }

  /** Change `display_name` and/or `tags` (`tags: {}` clears them). Server 2.17.0+; not in v1beta1. */
  async update(pipelineId: string, body: PipelineUpdateParams, opts: CallOptions = {}): Promise<Pipeline> {
    checkUpdateBody(body);
    const api = await resolveApi(this._client, opts);
    if (api === "v1beta1") throw unsupported("updating a pipeline", api, "PATCH", V1_PIPELINES);
    return this._client.patch<Pipeline>(path`/pipelines/${pipelineId}`, { ...opts, body });
  }

  // -------------------------------------------------------------------------------------------------
  // publish

  /**
   * Idempotent publish for CI (kubeflow/pipelines #3901, #5881): create the pipeline `name` if missing,
   * else add a version — unless the newest version already has this exact spec, in which case that
   * version is returned and nothing is uploaded. Re-running never fails and never duplicates; two
   * publishers racing end with one version.
   *
   * The version name is `version_name`, or `<name>-<12 hex>` derived from the spec's content hash. A new
   * pipeline is created empty (`POST /pipelines`) and then gets the version, so every version has the
   * same naming scheme (on v1beta1 servers the first version is named like the pipeline instead).
   */
  async publish(name: string, source: PipelineSource, opts: PublishOptions = {}): Promise<PublishResult> {
    if (typeof name !== "string" || name.trim() === "") {
      throw new ValidationError("publish() needs a pipeline name", { field: "name" });
    }
    checkString(name, "name", 128);
    checkString(opts.version_name, "version_name", 127);
    if (opts.version_name === "")
      throw new ValidationError("version_name must not be empty", { field: "version_name" });
    checkTags(opts.tags);
    checkTags(opts.version_tags);
    const call = callOpts(opts);
    const namespace = this.#ns(opts.namespace);

    // Read the package once, check it, and work out its identity.
    if (opts.validate !== false) checkNotAPath(source);
    const prepared = await prepareSource(source, { filename: opts.filename, contentType: opts.contentType });
    const bytes = await materialize(prepared);
    const validate = opts.validate !== false;
    let pkg: PipelinePackage | undefined;
    if (prepared.spec !== undefined) {
      pkg = validate ? checkSpecObject(prepared.spec) : tryParse(() => checkSpecObject(prepared.spec));
    } else {
      if (validate) validatePrepared(prepared);
      const text = prepared.text ?? extractArchiveSpec(bytes)?.text ?? bytes.toString("utf8");
      pkg = tryParse(() => parsePipelinePackage(text));
    }
    const v2 = pkg?.kind === "v2" ? pkg : undefined;
    const hash = v2 ? specHash(packageSpecObject(v2)) : createHash("sha256").update(bytes).digest("hex");
    const derived = `${name.slice(0, 127 - 13)}-${hash.slice(0, 12)}`;
    const versionName = opts.version_name ?? derived;
    const hashNamed = opts.version_name === undefined;
    const memory = { filename: prepared.filename, contentType: prepared.contentType, data: bytes };
    const sameAs = (v: PipelineVersion | undefined): boolean => {
      if (!v) return false;
      if (hashNamed && v.name === derived) return true;
      if (v2 && v.pipeline_spec !== undefined) return specsEqual(v.pipeline_spec, packageSpecObject(v2));
      return false;
    };
    const api = await resolveApi(this._client, opts);

    // 1. The pipeline.
    let pipeline = await this.#findByName(name, namespace, call);
    let pipelineCreated = false;
    if (!pipeline) {
      if (api === "v1beta1") {
        try {
          const created = await this.upload(memory.data as Buffer, {
            ...call,
            name,
            description: opts.description,
            namespace: namespace ?? null,
            filename: memory.filename,
            contentType: memory.contentType,
            validate: false,
          });
          const first = await this.#newest(created.pipeline_id, call);
          if (first) return { pipeline: created, version: first, created: true, pipelineCreated: true };
          throw new KfpError(`pipeline ${name} was created but its first version cannot be read back`);
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          pipeline = await this.getByName(name, { ...call, namespace: namespace ?? null });
        }
      } else {
        try {
          const body: PipelineCreateParams = { name, display_name: opts.display_name ?? name };
          if (opts.description) body.description = opts.description;
          if (opts.tags) body.tags = opts.tags;
          if (namespace) body.namespace = namespace;
          pipeline = await this.create(body, call);
          pipelineCreated = true;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          // Another publisher created it first: continue on the version path.
          pipeline = await this.getByName(name, { ...call, namespace: namespace ?? null });
        }
      }
    }
    const pid = pipeline.pipeline_id;

    // 2. Is the newest version already this package?
    if (!pipelineCreated) {
      // created_at has whole-second resolution: every version of the newest second counts as "newest".
      for (const candidate of await this.#newestVersions(pid, call)) {
        if (sameAs(candidate)) return { pipeline, version: candidate, created: false, pipelineCreated };
      }
    }

    // 3. Upload a new version.
    try {
      const version = await this.uploadVersion(memory.data as Buffer, {
        ...call,
        pipeline_id: pid,
        name: versionName,
        description: opts.description,
        tags: opts.version_tags,
        code_source_url: opts.code_source_url,
        filename: memory.filename,
        contentType: memory.contentType,
        validate: false,
      });
      return { pipeline, version, created: true, pipelineCreated };
    } catch (err) {
      if (!(err instanceof ConflictError)) {
        if (pipelineCreated) await this.#rollback(pid, call);
        throw err;
      }
      const existing = await this.versions.findByName(pid, versionName, call);
      if (existing && (hashNamed || sameAs(existing))) {
        return { pipeline, version: existing, created: false, pipelineCreated };
      }
      throw new ConflictError({
        status: 409,
        grpcCode: err.grpcCode,
        shortMessage: existing
          ? `version "${versionName}" of pipeline "${name}" already exists with a different spec; pick another version_name, or omit it to derive one from the content`
          : `version "${versionName}" of pipeline "${name}" already exists`,
        method: err.method,
        url: err.url,
        body: err.body,
        cause: err,
      });
    }
  }

  /** Newest version of a pipeline (with its spec), or undefined. */
  /** The versions created in the newest second (ties are common: timestamps are whole seconds). */
  async #newestVersions(pipelineId: string, call: CallOptions): Promise<PipelineVersion[]> {
    const page = await this.versions.list(pipelineId, { page_size: 10, sort_by: "created_at desc" }, call);
    const top = page.items[0]?.created_at;
    const newest = page.items.filter((v) => v.created_at === top);
    return Promise.all(newest.map((v) => this.#withSpec(pipelineId, v, call)));
  }

  async #newest(pipelineId: string, call: CallOptions): Promise<PipelineVersion | undefined> {
    const page = await this.versions.list(pipelineId, { page_size: 1, sort_by: "created_at desc" }, call);
    const v = page.items[0];
    return v && this.#withSpec(pipelineId, v, call);
  }

  /** The version with its `pipeline_spec` (lists of some servers leave it out: fetch it then). */
  #withSpec(
    pipelineId: string,
    v: PipelineVersion,
    call: CallOptions,
  ): Promise<PipelineVersion> | PipelineVersion {
    return v.pipeline_spec === undefined ? this.versions.get(pipelineId, v.pipeline_version_id, call) : v;
  }

  /** Remove a pipeline this call created when its version could not be added (best effort). */
  async #rollback(pipelineId: string, call: CallOptions): Promise<void> {
    try {
      const page = await this.versions.list(pipelineId, { page_size: 1 }, call);
      if (page.items.length === 0) await this.delete(pipelineId, call);
    } catch (err) {
      this._client._transport.log.warn(
        `could not remove the empty pipeline ${pipelineId} after a failed publish: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}

function tryParse(fn: () => PipelinePackage): PipelinePackage | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
