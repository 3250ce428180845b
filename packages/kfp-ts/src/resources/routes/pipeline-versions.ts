/**
 * The pipeline-version routes of each API version behind one interface: v2beta1/v2
 * (`/pipelines/{pipeline_id}/versions`, the client's shapes) and v1beta1 (`/apis/v1beta1/pipeline_versions`
 * with `resource_key` queries, converted; `get` fills `pipeline_spec` from the version's template).
 * `versionRoutes(api)` picks one once the client knows its API version.
 */
import type { ApiVersion, CallOptions, Kfp, ReconcileContext } from "../../client.js";
import type { ListRequest } from "../../core/pagination.js";
import { path } from "../../internal/path.js";
import { compact } from "../../internal/values.js";
import type {
  PipelineVersion,
  PipelineVersionCreateParams,
  PipelineVersionUpdateParams,
} from "../../types/pipelines.js";
import type { V1GetTemplateResponse, V1PipelineVersion } from "../../types/v1-pipelines.js";
import {
  createWithNameFallback,
  type ListParams,
  listQuery,
  unsupported,
  withoutNameField,
} from "../shared.js";
import { specFromTemplate, versionFromV1 } from "../v1/convert.js";

type Reconcile = ((ctx: ReconcileContext) => Promise<PipelineVersion | undefined>) | undefined;

/** The pipeline-version calls of one API version; every answer in the client's (v2beta1) shape. */
export interface PipelineVersionRoutes {
  readonly api: ApiVersion;
  /** Whether listed versions carry `pipeline_spec` (v1beta1 lists do not: `get` reads the template). */
  readonly listsSpecs: boolean;
  list(pipelineId: string, params: ListParams<unknown>): ListRequest<PipelineVersion>;
  get(c: Kfp, pipelineId: string, versionId: string, opts: CallOptions): Promise<PipelineVersion>;
  delete(c: Kfp, pipelineId: string, versionId: string, opts: CallOptions): Promise<void>;
  create(
    c: Kfp,
    pipelineId: string,
    body: PipelineVersionCreateParams,
    opts: CallOptions,
    reconcile: Reconcile,
  ): Promise<PipelineVersion>;
  update(
    c: Kfp,
    pipelineId: string,
    versionId: string,
    body: PipelineVersionUpdateParams,
    opts: CallOptions,
  ): Promise<PipelineVersion>;
  /** The answer to an `upload_version` (a reconciled answer is already converted). */
  fromUpload(raw: PipelineVersion | V1PipelineVersion, pipelineId: string): PipelineVersion;
}

function v2Routes(api: ApiVersion): PipelineVersionRoutes {
  return {
    api,
    listsSpecs: true,
    list: (pipelineId, params) => ({
      path: `/pipelines/${path`${pipelineId}`}/versions`,
      query: listQuery(params, api, "pipeline_versions"),
      itemsKey: "pipeline_versions",
    }),
    get: (c, pipelineId, versionId, opts) =>
      c.get<PipelineVersion>(path`/pipelines/${pipelineId}/versions/${versionId}`, opts),
    delete: async (c, pipelineId, versionId, opts) => {
      await c.delete(path`/pipelines/${pipelineId}/versions/${versionId}`, opts);
    },
    create(c, pipelineId, body, opts, reconcile) {
      const payload = { ...body, pipeline_id: pipelineId };
      // Servers before 2.14.0 refuse `name`: sent again with the name as display_name.
      return createWithNameFallback(c, !!payload.name, (dropName) =>
        c.post<PipelineVersion>(path`/pipelines/${pipelineId}/versions`, {
          ...opts,
          body: dropName ? withoutNameField(payload) : payload,
          ...(reconcile ? { reconcile } : {}),
        }),
      );
    },
    update: (c, pipelineId, versionId, body, opts) =>
      c.patch<PipelineVersion>(path`/pipelines/${pipelineId}/versions/${versionId}`, { ...opts, body }),
    fromUpload: (raw) => raw as PipelineVersion,
  };
}

const V1 = "/apis/v1beta1/pipeline_versions";

const v1Routes: PipelineVersionRoutes = {
  api: "v1beta1",
  listsSpecs: false,
  list: (pipelineId, params) => ({
    path: V1,
    query: listQuery(params, "v1beta1", "pipeline_versions", {
      "resource_key.type": "PIPELINE",
      "resource_key.id": pipelineId,
    }),
    itemsKey: "versions",
    map: (raw) => versionFromV1(raw as V1PipelineVersion, pipelineId),
  }),
  async get(c, pipelineId, versionId, opts) {
    const out = versionFromV1(
      await c.get<V1PipelineVersion>(`${V1}${path`/${versionId}`}`, opts),
      pipelineId,
    );
    const t = await c.get<V1GetTemplateResponse>(`${V1}${path`/${versionId}/templates`}`, opts);
    const spec = specFromTemplate(t.template);
    if (spec) out.pipeline_spec = spec;
    return out;
  },
  delete: async (c, _pipelineId, versionId, opts) => {
    await c.delete(`${V1}${path`/${versionId}`}`, opts);
  },
  async create(c, pipelineId, body, opts, reconcile) {
    if (body.tags) throw unsupported("version tags", "v1beta1", "POST", V1);
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
    const created = await c.post<V1PipelineVersion | PipelineVersion>(V1, {
      ...opts,
      body: v1,
      ...(reconcile ? { reconcile } : {}),
    });
    return v1Routes.fromUpload(created, pipelineId);
  },
  update: async () => {
    throw unsupported("updating a pipeline version", "v1beta1", "PATCH", V1);
  },
  fromUpload: (raw, pipelineId) =>
    "pipeline_version_id" in raw
      ? (raw as PipelineVersion)
      : versionFromV1(raw as V1PipelineVersion, pipelineId),
};

const V2BETA1 = v2Routes("v2beta1");
const V2 = v2Routes("v2");

/** The pipeline-version routes of `api`. */
export function versionRoutes(api: ApiVersion): PipelineVersionRoutes {
  return api === "v1beta1" ? v1Routes : api === "v2" ? V2 : V2BETA1;
}
