/**
 * The pipeline routes of each API version behind one interface: v2beta1/v2 (`/pipelines`, the
 * client's shapes) and v1beta1 (`/apis/v1beta1/pipelines`, converted; no pipeline without a version,
 * no update, `cascade` done by the client). `pipelineRoutes(api)` picks one once the client knows its
 * API version. Uploads share one multipart route layout (`/apis/{api}/pipelines/upload[_version]`).
 */
import type { ApiVersion, CallOptions, Kfp, ReconcileContext } from "../../client.js";
import type { ListRequest } from "../../core/pagination.js";
import { path } from "../../internal/path.js";
import type {
  Pipeline,
  PipelineCreateParams,
  PipelineUpdateParams,
  PipelineVersionCreateParams,
} from "../../types/pipelines.js";
import type { V1Pipeline } from "../../types/v1-pipelines.js";
import {
  createWithNameFallback,
  type ListParams,
  listQuery,
  unsupported,
  withoutNameField,
} from "../shared.js";
import { pipelineFromV1 } from "../v1/convert.js";

type Reconcile = (ctx: ReconcileContext) => Promise<Pipeline | undefined>;

/** The pipeline calls of one API version; every answer in the client's (v2beta1) shape. */
export interface PipelineRoutes {
  readonly api: ApiVersion;
  /** Whether a pipeline can be created without a version (`POST /pipelines`; not in v1beta1). */
  readonly createsEmptyPipelines: boolean;
  /** `payload.namespace` is already resolved (absent = shared). */
  create(c: Kfp, payload: PipelineCreateParams, opts: CallOptions, reconcile: Reconcile): Promise<Pipeline>;
  createWithVersion(
    c: Kfp,
    pipeline: PipelineCreateParams,
    version: PipelineVersionCreateParams,
    namespace: string | undefined,
    opts: CallOptions,
    reconcile: Reconcile | undefined,
  ): Promise<Pipeline>;
  get(c: Kfp, id: string, opts: CallOptions): Promise<Pipeline>;
  getByName(c: Kfp, name: string, namespace: string | undefined, opts: CallOptions): Promise<Pipeline>;
  list(params: ListParams<unknown>, namespace: string | undefined): ListRequest<Pipeline>;
  delete(c: Kfp, id: string, opts: CallOptions, cascade: boolean): Promise<void>;
  update(c: Kfp, id: string, body: PipelineUpdateParams, opts: CallOptions): Promise<Pipeline>;
  /** The answer to an `upload` (a reconciled answer is already converted). */
  fromUpload(raw: Pipeline | V1Pipeline): Pipeline;
}

function v2Routes(api: ApiVersion): PipelineRoutes {
  return {
    api,
    createsEmptyPipelines: true,
    create: (c, payload, opts, reconcile) =>
      // Servers before 2.14.0 refuse `name`: sent again with the name as display_name.
      createWithNameFallback(c, !!payload.name, (dropName) =>
        c.post<Pipeline>("/pipelines", {
          ...opts,
          body: dropName ? withoutNameField(payload) : payload,
          reconcile,
        }),
      ),
    createWithVersion(c, pipeline, version, namespace, opts, reconcile) {
      const p: PipelineCreateParams = { ...pipeline };
      if (namespace) p.namespace = namespace;
      else delete p.namespace;
      return createWithNameFallback(c, !!(p.name || version.name), (dropName) =>
        c.post<Pipeline>("/pipelines/create", {
          ...opts,
          body: dropName
            ? { pipeline: withoutNameField(p), pipeline_version: withoutNameField(version) }
            : { pipeline: p, pipeline_version: version },
          ...(reconcile ? { reconcile } : {}),
        }),
      );
    },
    get: (c, id, opts) => c.get<Pipeline>(path`/pipelines/${id}`, opts),
    getByName: (c, name, namespace, opts) =>
      c.get<Pipeline>(path`/pipelines/names/${name}`, { ...opts, query: { namespace } }),
    list: (params, namespace) => ({
      path: "/pipelines",
      query: listQuery(params, api, "pipelines", { namespace }),
      itemsKey: "pipelines",
    }),
    delete: async (c, id, opts, cascade) => {
      await c.delete(path`/pipelines/${id}`, { ...opts, query: { cascade: cascade ? true : undefined } });
    },
    update: (c, id, body, opts) => c.patch<Pipeline>(path`/pipelines/${id}`, { ...opts, body }),
    fromUpload: (raw) => raw as Pipeline,
  };
}

const V1 = "/apis/v1beta1/pipelines";

const v1Routes: PipelineRoutes = {
  api: "v1beta1",
  createsEmptyPipelines: false,
  create: async () => {
    throw unsupported("creating a pipeline without a version", "v1beta1", "POST", V1);
  },
  async createWithVersion(c, pipeline, version, namespace, opts, reconcile) {
    if (pipeline.tags || version.tags) throw unsupported("tags", "v1beta1", "POST", V1);
    const v1: Record<string, unknown> = {
      name: pipeline.name ?? pipeline.display_name,
      description: pipeline.description,
      url: { pipeline_url: version.package_url.pipeline_url },
    };
    if (namespace)
      v1.resource_references = [{ key: { type: "NAMESPACE", id: namespace }, relationship: "OWNER" }];
    const raw = await c.post<V1Pipeline | Pipeline>(V1, {
      ...opts,
      body: v1,
      ...(reconcile ? { reconcile } : {}),
    });
    return v1Routes.fromUpload(raw);
  },
  get: async (c, id, opts) => pipelineFromV1(await c.get<V1Pipeline>(`${V1}${path`/${id}`}`, opts)),
  // "-" stands for "no namespace" (shared) in the v1 route.
  getByName: async (c, name, namespace, opts) =>
    pipelineFromV1(
      await c.get<V1Pipeline>(path`/apis/v1beta1/namespaces/${namespace ?? "-"}/pipelines/${name}`, opts),
    ),
  list: (params, namespace) => ({
    path: V1,
    query: listQuery(
      params,
      "v1beta1",
      "pipelines",
      namespace ? { "resource_reference_key.type": "NAMESPACE", "resource_reference_key.id": namespace } : {},
    ),
    itemsKey: "pipelines",
    map: (raw) => pipelineFromV1(raw as V1Pipeline),
  }),
  async delete(c, id, opts, cascade) {
    if (cascade) {
      // v1beta1 has no cascade: the versions are deleted one by one first (bounded in rounds).
      const versions = c.pipelines.versions;
      for (let round = 0; round < 1000; round++) {
        const page = await versions.list(id, { page_size: 200 }, opts);
        if (page.items.length === 0) break;
        for (const v of page.items) await versions.delete(id, v.pipeline_version_id, opts);
      }
    }
    await c.delete(`${V1}${path`/${id}`}`, opts);
  },
  update: async () => {
    throw unsupported("updating a pipeline", "v1beta1", "PATCH", V1);
  },
  fromUpload: (raw) => ("pipeline_id" in raw ? (raw as Pipeline) : pipelineFromV1(raw as V1Pipeline)),
};

const V2BETA1 = v2Routes("v2beta1");
const V2 = v2Routes("v2");

/** The pipeline routes of `api`. */
export function pipelineRoutes(api: ApiVersion): PipelineRoutes {
  return api === "v1beta1" ? v1Routes : api === "v2" ? V2 : V2BETA1;
}
