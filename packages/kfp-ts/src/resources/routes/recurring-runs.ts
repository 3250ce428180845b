/**
 * The recurring-run routes of each API version behind one interface: v2beta1/v2 (`/recurringruns`,
 * the client's shapes) and v1beta1 (`/apis/v1beta1/jobs`, converted). `recurringRunRoutes(api)` picks
 * one once the client knows its API version; the resource methods call it without branching.
 */
import type { ApiVersion, CallOptions, Kfp } from "../../client.js";
import type { ListRequest } from "../../core/pagination.js";
import { path } from "../../internal/path.js";
import { compact } from "../../internal/values.js";
import type { DeletePropagationPolicy, RecurringRun, Trigger, V1Job } from "../../types/runs.js";
import { type ListParams, listQuery, unsupported } from "../shared.js";
import { recurringRunFromV1 } from "../v1/convert.js";
import { type RunFields, v1RunBody, v1ScopeKey, v2RunBody } from "./run-body.js";
import type { RunScope } from "./runs.js";

/** What `recurringRuns.create()` sends, checked and resolved. */
export interface RecurringRunFields extends RunFields {
  max_concurrency: number;
  trigger: Trigger;
  enabled: boolean;
  no_catchup: true | undefined;
}

/** The recurring-run calls of one API version; every answer in the client's (v2beta1) shape. */
export interface RecurringRunRoutes {
  readonly api: ApiVersion;
  /** Whether an inline spec is sent as YAML text (v1beta1 `pipeline_manifest`) rather than as JSON. */
  readonly specAsText: boolean;
  create(c: Kfp, fields: RecurringRunFields, opts: CallOptions): Promise<RecurringRun>;
  get(c: Kfp, id: string, opts: CallOptions): Promise<RecurringRun>;
  list(params: ListParams<unknown> | undefined, scope: RunScope): ListRequest<RecurringRun>;
  delete(c: Kfp, id: string, opts: CallOptions, policy: DeletePropagationPolicy | undefined): Promise<void>;
  action(c: Kfp, id: string, verb: "enable" | "disable", opts: CallOptions): Promise<void>;
}

function v2Routes(api: ApiVersion): RecurringRunRoutes {
  return {
    api,
    specAsText: false,
    create: (c, f, opts) => {
      const body = compact({
        ...v2RunBody(f),
        max_concurrency: String(f.max_concurrency),
        trigger: f.trigger,
        mode: f.enabled ? "ENABLE" : "DISABLE",
        no_catchup: f.no_catchup,
      });
      return c.post<RecurringRun>("/recurringruns", { ...opts, body });
    },
    get: (c, id, opts) => c.get<RecurringRun>(path`/recurringruns/${id}`, opts),
    list: (params, { experimentId, namespace }) => ({
      path: "/recurringruns",
      query: listQuery(params, api, "recurring_runs", {
        experiment_id: experimentId,
        namespace: experimentId ? undefined : namespace,
      }),
      // The server's list key is camelCase (`recurringRuns`), unlike every other list.
      itemsKey: "recurringRuns",
    }),
    delete: async (c, id, opts, policy) => {
      await c.delete(path`/recurringruns/${id}`, {
        ...opts,
        ...(policy ? { query: { propagation_policy: policy } } : {}),
      });
    },
    action: async (c, id, verb, opts) => {
      await c.post(`${path`/recurringruns/${id}`}:${verb}`, opts);
    },
  };
}

const V1 = "/apis/v1beta1/jobs";

const v1Routes: RecurringRunRoutes = {
  api: "v1beta1",
  specAsText: true,
  async create(c, f, opts) {
    const body = compact({
      ...v1RunBody(f),
      max_concurrency: String(f.max_concurrency),
      trigger: f.trigger,
      enabled: f.enabled,
      no_catchup: f.no_catchup,
    });
    return recurringRunFromV1(await c.post<V1Job>(V1, { ...opts, body }));
  },
  get: async (c, id, opts) => recurringRunFromV1(await c.get<V1Job>(`${V1}${path`/${id}`}`, opts)),
  list: (params, { experimentId, namespace }) => ({
    path: V1,
    query: listQuery(params, "v1beta1", "recurring_runs", v1ScopeKey(experimentId, namespace)),
    itemsKey: "jobs",
    map: (raw) => recurringRunFromV1(raw as V1Job),
  }),
  delete: async (c, id, opts, policy) => {
    if (policy)
      throw unsupported("Deleting a recurring run with propagation_policy", "v1beta1", "DELETE", V1);
    await c.delete(`${V1}${path`/${id}`}`, opts);
  },
  action: async (c, id, verb, opts) => {
    await c.post(`${V1}${path`/${id}`}/${verb}`, opts);
  },
};

const V2BETA1 = v2Routes("v2beta1");
const V2 = v2Routes("v2");

/** The recurring-run routes of `api`. */
export function recurringRunRoutes(api: ApiVersion): RecurringRunRoutes {
  return api === "v1beta1" ? v1Routes : api === "v2" ? V2 : V2BETA1;
}
