/**
 * The experiment routes of each API version behind one interface: v2beta1/v2 (`/experiments`, the
 * client's shapes) and v1beta1 (`/apis/v1beta1/experiments`, converted). `experimentRoutes(api)` picks
 * one once the client knows its API version; the resource methods call it without branching.
 */
import type { ApiVersion, CallOptions, Kfp, ReconcileContext } from "../../client.js";
import type { ListRequest } from "../../core/pagination.js";
import { path } from "../../internal/path.js";
import { compact } from "../../internal/values.js";
import type { Experiment, V1Experiment } from "../../types/runs.js";
import { type ListParams, listQuery } from "../shared.js";
import { experimentFromV1, v1References } from "../v1/convert.js";

/** What `experiments.create()` sends, checked. */
export interface ExperimentBody {
  display_name: string;
  description?: string | undefined;
  namespace?: string | undefined;
}

type Reconcile = (ctx: ReconcileContext) => Promise<Experiment | undefined>;

/** The experiment calls of one API version; every answer in the client's (v2beta1) shape. */
export interface ExperimentRoutes {
  /** The filter key of an experiment's display name. */
  readonly nameKey: string;
  create(c: Kfp, body: ExperimentBody, opts: CallOptions, reconcile: Reconcile): Promise<Experiment>;
  get(c: Kfp, id: string, opts: CallOptions): Promise<Experiment>;
  list(params: ListParams<unknown> | undefined, namespace: string | undefined): ListRequest<Experiment>;
  delete(c: Kfp, id: string, opts: CallOptions): Promise<void>;
  action(c: Kfp, id: string, verb: "archive" | "unarchive", opts: CallOptions): Promise<void>;
}

function v2Routes(api: ApiVersion): ExperimentRoutes {
  return {
    nameKey: "display_name",
    create: (c, body, opts, reconcile) =>
      c.post<Experiment>("/experiments", { ...opts, body: compact({ ...body }), reconcile }),
    get: (c, id, opts) => c.get<Experiment>(path`/experiments/${id}`, opts),
    list: (params, namespace) => ({
      path: "/experiments",
      query: listQuery(params, api, "experiments", { namespace }),
      itemsKey: "experiments",
    }),
    delete: async (c, id, opts) => {
      await c.delete(path`/experiments/${id}`, opts);
    },
    action: async (c, id, verb, opts) => {
      await c.post(`${path`/experiments/${id}`}:${verb}`, opts);
    },
  };
}

const V1 = "/apis/v1beta1/experiments";

const v1Routes: ExperimentRoutes = {
  nameKey: "name",
  async create(c, { display_name, description, namespace }, opts, reconcile) {
    const body = compact({
      name: display_name,
      description,
      resource_references: v1References({ namespace }),
    });
    // A reconciled answer is already in the v2beta1 shape; tag it so it is not converted again.
    const raw = await c.post<V1Experiment | { reconciled: Experiment }>(V1, {
      ...opts,
      body,
      reconcile: async (ctx) => {
        const found = await reconcile(ctx);
        return found ? { reconciled: found } : undefined;
      },
    });
    return "reconciled" in raw ? raw.reconciled : experimentFromV1(raw);
  },
  get: async (c, id, opts) => experimentFromV1(await c.get<V1Experiment>(`${V1}${path`/${id}`}`, opts)),
  list: (params, namespace) => ({
    path: V1,
    query: listQuery(params, "v1beta1", "experiments", {
      "resource_reference_key.type": namespace ? "NAMESPACE" : undefined,
      "resource_reference_key.id": namespace,
    }),
    itemsKey: "experiments",
    map: (raw) => experimentFromV1(raw as V1Experiment),
  }),
  delete: async (c, id, opts) => {
    await c.delete(`${V1}${path`/${id}`}`, opts);
  },
  action: async (c, id, verb, opts) => {
    await c.post(`${V1}${path`/${id}`}:${verb}`, opts);
  },
};

const V2BETA1 = v2Routes("v2beta1");
const V2 = v2Routes("v2");

/** The experiment routes of `api`. */
export function experimentRoutes(api: ApiVersion): ExperimentRoutes {
  return api === "v1beta1" ? v1Routes : api === "v2" ? V2 : V2BETA1;
}
