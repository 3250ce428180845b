/**
 * Runs (v2beta1 and /apis/v2) over HTTP: the request shapes, the routes for create, get, list,
 * archive, unarchive, delete, terminate, retry and the plain artifact/log readers, and the list spec
 * (FACTS.md §7.3, §7.4, §8, §11; PIPELINE-SPEC.md §2.3, §4, §5.2; upstream `run_server.go`).
 * The rules that read or write the store are in resource/runs.ts, the JSON in run-json.ts, the
 * artifact and log readers in run-artifacts.ts.
 *
 * On `/apis/v2` (FACTS.md §S.2) runs carry `task_count`, `view=FULL` fills `tasks` (v2-tasks.ts builds
 * them from the node rows) and caps list pages at 100, `skip_count=true` reports `total_size` -1, and
 * the read-only task API (`GET /runs/{id}/tasks`, `GET /runs/{id}/tasks/{task_id}`) is served; the
 * task writes and the ArtifactService answer 501 (not emulated). /apis/v2beta1 keeps `task_details`.
 *
 * The run engine (engine/) drives each run's simulated lifecycle after `createRunCore` hands it over,
 * stores every report and emits a `"run"` event after each change, so tests can wait for states
 * without sleeping (`engine.waitFor(runId, predicate)`).
 */
import { enumOf, mapOf, message, repeated } from "../http/body.js";
import { listResponseJson } from "../http/encode.js";
import { badRequest, gatewayInvalid, internal, invalidInput } from "../http/errors.js";
import type { ModuleHost } from "../http/module.js";
import { ALL_V2 } from "../http/router.js";
import { checkListOptions, type ListSpec, listRows } from "../list/list.js";
import { RUNTIME_STATES, type RunRecord, type RuntimeConfigRecord } from "../model/run.js";
import { v1Status } from "../model/run-state.js";
import type { SourceInput } from "../resource/run-source.js";
import {
  archiveRun,
  createRun,
  deleteRun,
  fetchRun,
  retryRun,
  runsInScope,
  terminateRun,
  unarchiveRun,
  wrapError,
} from "../resource/runs.js";
import { readArtifact, readLog } from "./run-artifacts.js";
import { toApiRun, toApiRunsJson } from "./run-json.js";

// ---------------------------------------------------------------------------------------------------
// Request shapes

const STATUS = message("Status", { code: "int32", message: "string", details: repeated("any") });
const RUNTIME_STATE = enumOf("RuntimeState", RUNTIME_STATES);
const RUNTIME_STATUS = message("RuntimeStatus", {
  update_time: "timestamp",
  state: RUNTIME_STATE,
  error: STATUS,
});
export const RUNTIME_CONFIG_SHAPE = message("RuntimeConfig", {
  parameters: mapOf("value"),
  pipeline_root: "string",
});
export const PVR_SHAPE = message("PipelineVersionReference", {
  pipeline_id: "string",
  pipeline_version_id: "string",
});

const RUN_FIELDS = {
  experiment_id: "string",
  run_id: "string",
  display_name: "string",
  storage_state: enumOf("StorageState", ["STORAGE_STATE_UNSPECIFIED", "AVAILABLE", "ARCHIVED"]),
  description: "string",
  pipeline_version_id: "string",
  pipeline_spec: "struct",
  pipeline_version_reference: PVR_SHAPE,
  runtime_config: RUNTIME_CONFIG_SHAPE,
  service_account: "string",
  created_at: "timestamp",
  scheduled_at: "timestamp",
  finished_at: "timestamp",
  state: RUNTIME_STATE,
  error: STATUS,
  run_details: "any",
  recurring_run_id: "string",
  state_history: repeated(RUNTIME_STATUS),
  plugins_input: mapOf("struct"),
  plugins_output: mapOf("any"),
} as const;

const RUN_SHAPE = message("Run", RUN_FIELDS);
const RUN_SHAPE_V2 = message("Run", {
  ...RUN_FIELDS,
  pipeline_reference: PVR_SHAPE,
  task_count: "int32",
  tasks: "any",
});

/** protojson rejects a second member of a oneof: `pipeline_source` here. */
export function checkOneof(
  body: Record<string, unknown>,
  members: string[],
  oneof: string,
  raw: Buffer,
): void {
  const present = members.filter((m) => body[m] !== undefined);
  if (present.length < 2) return;
  const text = raw.toString("utf8");
  const second = present
    .map((m) => ({
      m,
      at: Math.max(
        text.indexOf(`"${m}"`),
        text.indexOf(`"${m.replace(/_([a-z])/g, (_x, c: string) => c.toUpperCase())}"`),
      ),
    }))
    .sort((a, b) => a.at - b.at)[1]!;
  throw gatewayInvalid(
    `proto: (line 1:${second.at + 1}): error parsing "${second.m}", oneof ${oneof} is already set`,
  );
}

const runIdField = { get: (r: RunRecord) => r.run_id, kind: "string" as const, column: "UUID" };
const runNameField = {
  get: (r: RunRecord) => r.display_name,
  kind: "string" as const,
  column: "DisplayName",
};

export const RUN_LIST_SPEC: ListSpec<RunRecord> = {
  model: "runs",
  typeName: "Run",
  fields: {
    run_id: runIdField,
    id: runIdField,
    display_name: runNameField,
    name: runNameField,
    created_at: { get: (r) => r.created_at, kind: "timestamp", column: "CreatedAtInSec" },
    finished_at: { get: (r) => r.finished_at, kind: "timestamp", column: "FinishedAtInSec" },
    scheduled_at: { get: (r) => r.scheduled_at, kind: "timestamp", column: "ScheduledAtInSec" },
    description: { get: (r) => r.description, kind: "string", column: "Description" },
    storage_state: { get: (r) => r.storage_state, kind: "string", column: "StorageState" },
    status: { get: (r) => v1Status(r.state), kind: "string", column: "Conditions" },
    namespace: { get: (r) => r.namespace, kind: "string", column: "Namespace" },
    experiment_id: { get: (r) => r.experiment_id, kind: "string", column: "ExperimentUUID" },
    state: { get: (r) => r.state, kind: "string", column: "State" },
    state_history: {
      get: (r) =>
        JSON.stringify(r.state_history.map((h) => ({ UpdateTimeInSec: h.update_time, State: h.state }))),
      kind: "string",
      column: "StateHistory",
    },
    runtime_details: { get: () => "", kind: "string", column: "PipelineRuntimeManifest" },
    recurring_run_id: { get: (r) => r.recurring_run_id, kind: "string", column: "JobUUID" },
  },
  id: (r) => r.run_id,
  createdAt: (r) => r.created_at,
  // v1 run metrics (`:reportMetrics`); the first one reported under the name counts.
  metric: (r, name, exact) => {
    for (const m of r.metrics ?? []) {
      if (exact ? m.name === name : m.name.toLowerCase() === name) return m.number_value;
    }
    return undefined;
  },
};

// ---------------------------------------------------------------------------------------------------
// Routes

export function runParamsFromBody(body: Record<string, unknown>): {
  source: SourceInput;
  runtime_config?: RuntimeConfigRecord | undefined;
} {
  const ref = body.pipeline_version_reference as
    | { pipeline_id?: string; pipeline_version_id?: string }
    | undefined;
  const rc = body.runtime_config as RuntimeConfigRecord | undefined;
  return {
    source: {
      pipeline_spec: body.pipeline_spec as Record<string, unknown> | undefined,
      pipeline_id: ref?.pipeline_id ?? "",
      pipeline_version_id: ref?.pipeline_version_id ?? "",
    },
    runtime_config: rc
      ? {
          ...(rc.parameters ? { parameters: rc.parameters } : {}),
          ...(rc.pipeline_root ? { pipeline_root: rc.pipeline_root } : {}),
        }
      : undefined,
  };
}

export function register(app: ModuleHost): void {
  const r = app.router;

  r.post(ALL_V2, "/runs", (ctx) => {
    const body = ctx.readJson(ctx.api === "v2" ? RUN_SHAPE_V2 : RUN_SHAPE);
    checkOneof(
      body,
      ["pipeline_version_id", "pipeline_spec", "pipeline_version_reference"],
      `kubeflow.pipelines.backend.api.${ctx.api}.Run.pipeline_source`,
      ctx.body,
    );
    if (body.plugins_output !== undefined) {
      const e = badRequest(
        "plugins_output is server-owned and populated exclusively via plugin lifecycle hooks",
      );
      e.message += ": plugins_output must not be set by the client";
      throw e;
    }
    const conv = "CreateJob(job.ToV2())Failed to create a run due to conversion error";
    const name = String(body.display_name ?? "");
    if (name === "") {
      throw internal(
        "Failed to convert a API run detail to its internal representation",
        invalidInput("Run name cannot be empty"),
      ).wrap(conv);
    }
    const runId = String(body.run_id ?? "");
    const experimentId = String(body.experiment_id ?? "");
    for (const [f, v, max] of [
      ["UUID", runId, 191],
      ["ExperimentId", experimentId, 64],
    ] as const) {
      if (Buffer.byteLength(v) > max) {
        throw internal(
          "Failed to convert API run to its internal representation",
          invalidInput(`Run.${f} length cannot exceed ${max}`),
        ).wrap(conv);
      }
    }
    const { source, runtime_config } = runParamsFromBody(body);
    const rec = createRun(
      ctx,
      {
        run_id: runId,
        display_name: name,
        description: String(body.description ?? ""),
        experiment_id: experimentId,
        namespace: "",
        source,
        runtime_config,
        service_account: String(body.service_account ?? ""),
        plugins_input: body.plugins_input as Record<string, unknown> | undefined,
        recurring_run_id: String(body.recurring_run_id ?? ""),
      },
      "Failed to create a new run",
    );
    return toApiRun(ctx.app, rec, ctx.api);
  });

  r.get(ALL_V2, "/runs", (ctx) => {
    // The gateway parses typed query parameters before the handler; `view` and `skip_count` exist on
    // /apis/v2 only (unknown query parameters are ignored on v2beta1).
    const full = ctx.api === "v2" && ctx.qEnum("view", VIEW_MODES) === "FULL";
    const skipCount = ctx.api === "v2" && ctx.qBool("skip_count") === true;
    const q = ctx.listQuery();
    if (full) q.page_size = String(fullViewPageSize(q.page_size));
    const api = ctx.api === "v1beta1" ? "v2beta1" : ctx.api;
    // validatedListOptions runs before the scoping and authorization.
    const listOpts = checkListOptions(q, RUN_LIST_SPEC, api, "Failed to create list options");
    const rows = runsInScope(ctx, ctx.q("namespace"), ctx.q("experiment_id") ?? "", "Failed to list runs");
    // Past the options checks, listing fails only when a metric sort cannot make its next page token.
    let page: ReturnType<typeof listRows<RunRecord>>;
    try {
      page = listRows(rows, q, RUN_LIST_SPEC, api, listOpts);
    } catch (err) {
      throw wrapError(err, "Failed to list runs");
    }
    const view = { full, loopCount: ctx.app.engine.options.loopCount };
    ctx.sendJson(
      200,
      listResponseJson(
        "runs",
        toApiRunsJson(ctx.app, page.items, ctx.api, view),
        skipCount ? -1 : page.total_size,
        page.next_page_token,
      ),
    );
  });

  r.get(ALL_V2, "/runs/{run_id}", (ctx) => {
    const full = ctx.api === "v2" && ctx.qEnum("view", VIEW_MODES) === "FULL";
    const rec = fetchRun(ctx, ctx.param("run_id"), "Failed to get a run");
    return toApiRun(ctx.app, rec, ctx.api, {
      full,
      loopCount: ctx.app.engine.options.loopCount,
      preferEmbeddedSpec: full,
    });
  });

  r.delete(ALL_V2, "/runs/{run_id}", (ctx) => {
    deleteRun(ctx, ctx.param("run_id"), "Failed to delete a run");
    return {};
  });

  r.post(ALL_V2, "/runs/{run_id}:archive", (ctx) => {
    archiveRun(ctx, ctx.param("run_id"), "Failed to archive a run");
    return {};
  });

  r.post(ALL_V2, "/runs/{run_id}:unarchive", (ctx) => {
    unarchiveRun(ctx, ctx.param("run_id"), "Failed to unarchive a run");
    return {};
  });

  r.post(ALL_V2, "/runs/{run_id}:terminate", (ctx) => {
    terminateRun(ctx, ctx.param("run_id"), "Failed to terminate a run");
    return {};
  });

  r.post(ALL_V2, "/runs/{run_id}:retry", (ctx) => {
    retryRun(ctx, ctx.param("run_id"), "Failed to retry a run");
    return {};
  });

  // `.Methods(GET)` on the mux: other methods fall through to the gateway, which knows no such path.
  r.plain(
    ["v1beta1", "v2beta1", "v2"],
    "/runs/{run_id}/nodes/{node_id}/artifacts/{artifact_name}:read",
    (ctx) => readArtifact(ctx),
    { method: "GET" },
  );
  r.plain("v1beta1", "/apis/v1alpha1/runs/{run_id}/nodes/{node_id}/log", (ctx) => readLog(ctx));
  // Moved to /apis/v2 and limited to GET there (FACTS.md §S.1, router item 5).
  r.plain("v2", "/runs/{run_id}/nodes/{node_id}/log", (ctx) => readLog(ctx), { method: "GET" });
}

// ---------------------------------------------------------------------------------------------------
// /apis/v2 view modes and the task API (FACTS.md §S.2; upstream run_server.go ListTasks/GetTask)

export const VIEW_MODES = ["DEFAULT", "FULL"] as const;
export const DEFAULT_PAGE_SIZE = 20;
export const FULL_VIEW_MAX_PAGE_SIZE = 100;

/** `listRunsPageSizeForView` with FULL: 0 → 20, negative unchanged (400 later), capped at 100. */
export function fullViewPageSize(raw: string | undefined): number {
  const n = raw === undefined || raw === "" ? 0 : Number(raw);
  const size = n === 0 ? DEFAULT_PAGE_SIZE : n;
  return size < 0 ? size : Math.min(size, FULL_VIEW_MAX_PAGE_SIZE);
}
