/**
 * The run routes of each API version behind one interface: v2beta1/v2 (`/runs`, the client's shapes;
 * v2 reads runs with `view`) and v1beta1 (`/apis/v1beta1/runs`, converted). `runRoutes(api)` picks one
 * once the client knows its API version; the resource methods call it without branching.
 */
import type { ApiVersion, CallOptions, Kfp } from "../../client.js";
import type { ListRequest } from "../../core/pagination.js";
import { path } from "../../internal/path.js";
import type { ReadArtifactResponse, Run, V1Run, V1RunDetail } from "../../types/runs.js";
import { type ListParams, listQuery, unsupported } from "../shared.js";
import { runFromV1 } from "../v1/convert.js";
import { type RunFields, v1RunBody, v1ScopeKey, v2RunBody } from "./run-body.js";

/** The scope of a run list: an experiment, else a namespace. */
export interface RunScope {
  experimentId: string | undefined;
  namespace: string | undefined;
}

export type RunView = "DEFAULT" | "FULL";
export type RunAction = "archive" | "unarchive" | "terminate" | "retry";

/** The run calls of one API version; every answer in the client's (v2beta1) shape. */
export interface RunRoutes {
  readonly api: ApiVersion;
  /** Whether an inline spec is sent as YAML text (v1beta1 `pipeline_manifest`) rather than as JSON. */
  readonly specAsText: boolean;
  create(c: Kfp, fields: RunFields, opts: CallOptions): Promise<Run>;
  /** `view` is sent on v2 only (default FULL there). */
  get(c: Kfp, id: string, opts: CallOptions, view?: RunView): Promise<Run>;
  list(params: (ListParams<unknown> & { view?: RunView }) | undefined, scope: RunScope): ListRequest<Run>;
  delete(c: Kfp, id: string, opts: CallOptions): Promise<void>;
  action(c: Kfp, id: string, verb: RunAction, opts: CallOptions): Promise<void>;
  readArtifact(
    c: Kfp,
    id: string,
    node: string,
    name: string,
    opts: CallOptions,
  ): Promise<ReadArtifactResponse>;
  /**
   * The full path of a node's log: `/apis/v1alpha1/runs/{run}/nodes/{node}/log` (the v1beta1/v2beta1
   * servers), `/apis/v2/runs/{run}/nodes/{node}/log` on the stable API (FACTS.md §5, §S).
   */
  logPath(id: string, node: string): string;
}

function artifactPath(id: string, node: string, name: string): string {
  return `${path`/runs/${id}/nodes/${node}/artifacts/${name}`}:read`;
}

function logPath(api: ApiVersion, id: string, node: string): string {
  return `/apis/${api === "v2" ? "v2" : "v1alpha1"}${path`/runs/${id}/nodes/${node}/log`}`;
}

function v2Routes(api: ApiVersion): RunRoutes {
  return {
    api,
    specAsText: false,
    create: (c, f, opts) =>
      c.post<Run>("/runs", {
        ...opts,
        body: v2RunBody(f),
      }),
    get: (c, id, opts, view) =>
      c.get<Run>(path`/runs/${id}`, api === "v2" ? { ...opts, query: { view: view ?? "FULL" } } : opts),
    list(params, { experimentId, namespace }) {
      const extra: Record<string, string | undefined> = {
        experiment_id: experimentId,
        namespace: experimentId ? undefined : namespace,
      };
      if (params?.view) {
        if (api !== "v2") throw unsupported("Listing runs with `view`", api, "GET", "/runs");
        extra.view = params.view;
      }
      return { path: "/runs", query: listQuery(params, api, "runs", extra), itemsKey: "runs" };
    },
    delete: async (c, id, opts) => {
      await c.delete(path`/runs/${id}`, opts);
    },
    action: async (c, id, verb, opts) => {
      await c.post(`${path`/runs/${id}`}:${verb}`, opts);
    },
    readArtifact: (c, id, node, name, opts) =>
      c.get<ReadArtifactResponse>(artifactPath(id, node, name), opts),
    logPath: (id, node) => logPath(api, id, node),
  };
}

const V1 = "/apis/v1beta1/runs";

/** v1beta1 actions: archive/unarchive are `:verb`, terminate/retry are `/verb`. */
const V1_ACTION: Record<RunAction, string> = {
  archive: ":archive",
  unarchive: ":unarchive",
  terminate: "/terminate",
  retry: "/retry",
};

const v1Routes: RunRoutes = {
  api: "v1beta1",
  specAsText: true,
  async create(c, f, opts) {
    const d = await c.post<V1RunDetail>(V1, { ...opts, body: v1RunBody(f) });
    return runFromV1(d?.run ?? {}, d?.pipeline_runtime);
  },
  async get(c, id, opts) {
    const d = await c.get<V1RunDetail>(`${V1}${path`/${id}`}`, opts);
    return runFromV1(d?.run ?? {}, d?.pipeline_runtime);
  },
  list(params, { experimentId, namespace }) {
    if (params?.view === "FULL") throw unsupported("Listing runs with view=FULL", "v1beta1", "GET", V1);
    return {
      path: V1,
      query: listQuery(params, "v1beta1", "runs", v1ScopeKey(experimentId, namespace)),
      itemsKey: "runs",
      map: (raw) => runFromV1(raw as V1Run),
    };
  },
  delete: async (c, id, opts) => {
    await c.delete(`${V1}${path`/${id}`}`, opts);
  },
  action: async (c, id, verb, opts) => {
    await c.post(`${V1}${path`/${id}`}${V1_ACTION[verb]}`, opts);
  },
  readArtifact: (c, id, node, name, opts) =>
    c.get<ReadArtifactResponse>(`/apis/v1beta1${artifactPath(id, node, name)}`, opts),
  logPath: (id, node) => logPath("v1beta1", id, node),
};

const V2BETA1 = v2Routes("v2beta1");
const V2 = v2Routes("v2");

/** The run routes of `api`. */
export function runRoutes(api: ApiVersion): RunRoutes {
  return api === "v1beta1" ? v1Routes : api === "v2" ? V2 : V2BETA1;
}
