/**
 * The legacy v1beta1 routes for experiments, runs and jobs (FACTS.md §14; upstream
 * `experiment_server.go`, `run_server.go`, `job_server.go` V1 handlers and `api_converter.go`
 * `toApiExperimentV1`/`toApiRunV1`/`toApiRunDetailV1`/`toApiJobV1`). They share the v2beta1 logic and
 * storage; only the shapes differ:
 *
 * - objects use `id`/`name`, `resource_references` (`{key: {type, id}, relationship}`) instead of
 *   `namespace`/`experiment_id`, storage states `STORAGESTATE_*` (a v1 run's `STORAGESTATE_AVAILABLE`
 *   is enum value 0, so it is omitted), run `status` strings (`Pending`, `Running`, `Succeeded`,
 *   `Failed`, `Terminating`...);
 * - `GET /runs/{id}` and `POST /runs` answer `{run, pipeline_runtime}`; `pipeline_runtime` carries a
 *   synthetic Argo workflow (JSON) with the simulated node statuses;
 * - lists take `resource_reference_key.type` / `.id` and filters with `op`.
 *
 * This module registers all three (v1-experiments.ts, v1-jobs.ts, the shared shapes in v1-shapes.ts)
 * and holds the runs: their shapes, `toApiRunV1`, the synthetic workflow and `:reportMetrics`.
 */
import YAML from "yaml";
import { enumOf, message, repeated } from "../http/body.js";
import type { EmulatorApp, RequestContext } from "../http/context.js";
import { JsonCache, listResponseJson, omitZero, timestamp } from "../http/encode.js";
import { type ApiError, internal, invalidInput } from "../http/errors.js";
import type { ModuleHost } from "../http/module.js";
import { checkListOptions, listRows } from "../list/list.js";
import type { RunRecord } from "../model/run.js";
import { v1Status } from "../model/run-state.js";
import { canAccessRun } from "../resource/access.js";
import { storedRunSpec } from "../resource/run-reads.js";
import {
  archiveRun,
  createRun,
  deleteRun,
  fetchRun,
  recordRunMetric,
  requireRun,
  retryRun,
  runsInScope,
  terminateRun,
  unarchiveRun,
  wrapError,
} from "../resource/runs.js";
import { V1_REFERENCE } from "./pipeline-wire.js";
import { RUN_LIST_SPEC } from "./runs.js";
import { registerExperiments } from "./v1-experiments.js";
import { registerJobs } from "./v1-jobs.js";
import {
  PIPELINE_SPEC_V1,
  pipelineSpecInput,
  type RefInput,
  ref,
  refOf,
  runScopeOf,
  runtimeConfigV1,
  v1Parameters,
} from "./v1-shapes.js";

const RUN_V1 = message("Run", {
  id: "string",
  name: "string",
  storage_state: enumOf("StorageState", ["STORAGESTATE_AVAILABLE", "STORAGESTATE_ARCHIVED"]),
  description: "string",
  pipeline_spec: PIPELINE_SPEC_V1,
  resource_references: repeated(V1_REFERENCE),
  service_account: "string",
  created_at: "timestamp",
  scheduled_at: "timestamp",
  finished_at: "timestamp",
  status: "string",
  error: "string",
  metrics: repeated("any"),
});

function manifestText(
  app: EmulatorApp,
  r: RunRecord,
): { pipeline_manifest: string; workflow_manifest: string } {
  const stored = storedRunSpec(app, r.run_id);
  if (!stored) return { pipeline_manifest: "", workflow_manifest: "" };
  if (r.template_type === "v1")
    return { pipeline_manifest: "", workflow_manifest: JSON.stringify(stored.spec) };
  return { pipeline_manifest: YAML.stringify(stored.spec, { lineWidth: 0 }), workflow_manifest: "" };
}

const RUN_V1_JSON = new JsonCache<RunRecord>();

export function toApiRunV1(app: EmulatorApp, r: RunRecord): Record<string, unknown> {
  const refs: Record<string, unknown>[] = [];
  if (r.experiment_id) refs.push(ref("EXPERIMENT", r.experiment_id, "OWNER"));
  if (r.namespace) refs.push(ref("NAMESPACE", r.namespace, "OWNER"));
  if (r.recurring_run_id) refs.push(ref("JOB", r.recurring_run_id, "CREATOR"));
  if (r.pipeline_version_id) refs.push(ref("PIPELINE_VERSION", r.pipeline_version_id, "CREATOR"));
  else if (r.pipeline_id) refs.push(ref("PIPELINE", r.pipeline_id, "CREATOR"));
  const m = manifestText(app, r);
  const params = v1Parameters(r.v1_parameters);
  return omitZero({
    id: r.run_id,
    name: r.display_name,
    storage_state: r.storage_state === "ARCHIVED" ? "STORAGESTATE_ARCHIVED" : "",
    description: r.description,
    pipeline_spec: omitZero({
      pipeline_id: r.pipeline_id,
      pipeline_name: r.pipeline_name,
      workflow_manifest: m.workflow_manifest,
      pipeline_manifest: m.pipeline_manifest,
      parameters: params,
      runtime_config: params ? undefined : runtimeConfigV1(r),
    }),
    resource_references: refs,
    service_account: r.service_account,
    created_at: timestamp(r.created_at),
    scheduled_at: timestamp(r.scheduled_at),
    finished_at: timestamp(r.finished_at),
    status: v1Status(r.state),
    metrics: r.metrics?.map((m) =>
      omitZero({
        name: m.name,
        node_id: m.node_id,
        number_value: m.number_value,
        format: m.format === "UNSPECIFIED" ? "" : m.format,
      }),
    ),
  });
}

const METRIC_NAME = /^[a-zA-Z]([-_a-zA-Z0-9]{0,62}[a-zA-Z0-9])?$/;

const REPORT_METRICS_BODY = message("ReportRunMetricsRequest", {
  run_id: "string",
  metrics: repeated(
    message("RunMetric", {
      name: "string",
      node_id: "string",
      number_value: "double",
      format: enumOf("Format", ["UNSPECIFIED", "RAW", "PERCENTAGE"]),
    }),
  ),
});

/** `ReportRunMetricsV1`: per-metric results; invalid and duplicate metrics do not fail the call. */
function reportMetrics(ctx: RequestContext): Record<string, unknown> {
  const runId = ctx.param("run_id");
  const body = ctx.readJson(REPORT_METRICS_BODY);
  requireRun(ctx.app, runId);
  const results: Record<string, unknown>[] = [];
  for (const raw of (body.metrics ?? []) as Record<string, unknown>[]) {
    const m = {
      name: String(raw.name ?? ""),
      node_id: String(raw.node_id ?? ""),
      number_value: Number(raw.number_value ?? 0),
      format: String(raw.format ?? "UNSPECIFIED"),
    };
    const result = (status: string, message = "") =>
      results.push(omitZero({ metric_name: m.name, metric_node_id: m.node_id, status, message }));
    if (Buffer.byteLength(m.name) > 191 || Buffer.byteLength(m.node_id) > 191) {
      result("INVALID_ARGUMENT", "Internal Server Error");
      continue;
    }
    try {
      canAccessRun(ctx, runId, "", "reportMetrics");
    } catch (err) {
      throw (err as ApiError)
        .wrap("Failed to authorize the request")
        .wrap("Failed to report v1beta1 run metrics");
    }
    if (!METRIC_NAME.test(m.name) || m.node_id === "" || m.node_id.length > 128) {
      result("INVALID_ARGUMENT");
      continue;
    }
    if (!recordRunMetric(ctx.app, runId, m)) {
      result(
        "DUPLICATE_REPORTING",
        `Failed to create a run metric. Same metric has been reported before: ${m.node_id}/${m.name}`,
      );
      continue;
    }
    result("OK");
  }
  return omitZero({ results });
}

const ARGO_PHASE: Record<string, string> = {
  PENDING: "Pending",
  RUNNING: "Running",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
  SKIPPED: "Skipped",
};

/** A synthetic Argo Workflow (JSON) standing in for the compiled/reported workflow manifests. */
function workflowJson(r: RunRecord, withStatus: boolean): string {
  const wf: Record<string, unknown> = {
    kind: "Workflow",
    apiVersion: "argoproj.io/v1alpha1",
    metadata: {
      name: r.workflow_name,
      namespace: r.namespace || "kubeflow",
      creationTimestamp: timestamp(r.created_at),
      labels: { "pipeline/runid": r.run_id },
      annotations: { "pipelines.kubeflow.org/run_name": r.display_name },
    },
    spec: { entrypoint: "entrypoint", serviceAccountName: r.service_account },
  };
  if (withStatus) {
    const nodes: Record<string, unknown> = {};
    for (const t of r.tasks) {
      nodes[t.pod_name] = omitZero({
        id: t.pod_name,
        name: t.display_name,
        displayName: t.display_name,
        phase: ARGO_PHASE[t.state] ?? (t.state === "RUNTIME_STATE_UNSPECIFIED" ? "Omitted" : ""),
        startedAt: t.start_time > 0 ? timestamp(t.start_time) : "",
        finishedAt: t.end_time > 0 ? timestamp(t.end_time) : "",
        children: t.child_tasks,
      });
    }
    wf.status = omitZero({
      phase: r.workflow_phase ?? "",
      startedAt: timestamp(r.created_at),
      finishedAt: r.finished_at > 0 ? timestamp(r.finished_at) : "",
      nodes,
    });
  }
  return JSON.stringify(wf);
}

/** `toApiRunDetailV1`. */
export function toApiRunDetailV1(app: EmulatorApp, r: RunRecord): Record<string, unknown> {
  const reported = r.workflow_phase !== undefined;
  let runtime: Record<string, unknown>;
  if (r.template_type === "v1") {
    runtime = { workflow_manifest: workflowJson(r, reported) };
  } else if (!reported) {
    runtime = { pipeline_manifest: workflowJson(r, false) };
  } else {
    runtime = { pipeline_manifest: workflowJson(r, false), workflow_manifest: workflowJson(r, true) };
  }
  return { run: toApiRunV1(app, r), pipeline_runtime: runtime };
}

function registerRuns(app: ModuleHost): void {
  const r = app.router;

  r.post("v1beta1", "/runs", (ctx) => {
    const body = ctx.readJson(RUN_V1);
    const refs = body.resource_references as RefInput[] | undefined;
    const ps = pipelineSpecInput(body);
    const name = String(body.name ?? "") || ps.pipeline_name;
    if (name === "") {
      throw internal(
        "Failed to convert a v1beta1 API run detail to its internal representation",
        invalidInput("Run name cannot be empty"),
      ).wrap("CreateJob(job.ToV2())Failed to create a v1beta1 run due to conversion error");
    }
    const rec = createRun(
      ctx,
      {
        run_id: String(body.id ?? ""),
        display_name: name,
        description: String(body.description ?? ""),
        experiment_id: refOf(refs, "EXPERIMENT"),
        namespace: refOf(refs, "NAMESPACE"),
        source: {
          pipeline_id: ps.pipeline_id || refOf(refs, "PIPELINE"),
          pipeline_version_id: refOf(refs, "PIPELINE_VERSION", "CREATOR"),
          manifest: ps.manifest,
        },
        runtime_config: ps.runtime_config,
        service_account: String(body.service_account ?? ""),
        recurring_run_id: refOf(refs, "JOB"),
        v1_parameters: ps.parameters,
      },
      "Failed to create a new v1beta1 run",
    );
    return toApiRunDetailV1(ctx.app, rec);
  });

  r.get("v1beta1", "/runs", (ctx) => {
    const q = ctx.listQuery();
    const { namespace, experimentId } = runScopeOf(ctx);
    const listOpts = checkListOptions(q, RUN_LIST_SPEC, "v1beta1", "Failed to create list options");
    const rows = runsInScope(ctx, namespace, experimentId, "Failed to list v1beta1 runs");
    // Past the options checks, listing fails only when a metric sort cannot make its next page token.
    let page: ReturnType<typeof listRows<RunRecord>>;
    try {
      page = listRows(rows, q, RUN_LIST_SPEC, "v1beta1", listOpts);
    } catch (err) {
      throw wrapError(err, "Failed to list v1beta1 runs");
    }
    // Rendering a v1 run writes its manifest as YAML: keep the JSON per stored record (like run-json.ts).
    const cache = RUN_V1_JSON.variant("v1beta1");
    ctx.sendJson(
      200,
      listResponseJson(
        "runs",
        RUN_V1_JSON.lookupAll(cache, page.items, (x) => toApiRunV1(ctx.app, x)),
        page.total_size,
        page.next_page_token,
      ),
    );
  });

  r.get("v1beta1", "/runs/{run_id}", (ctx) =>
    toApiRunDetailV1(ctx.app, fetchRun(ctx, ctx.param("run_id"), "Failed to get a v1beta1 run")),
  );

  r.delete("v1beta1", "/runs/{id}", (ctx) => {
    deleteRun(ctx, ctx.param("id"), "Failed to delete a v1beta1 run");
    return {};
  });

  r.post("v1beta1", "/runs/{id}:archive", (ctx) => {
    archiveRun(ctx, ctx.param("id"), "Failed to archive a v1beta1 run");
    return {};
  });

  r.post("v1beta1", "/runs/{id}:unarchive", (ctx) => {
    unarchiveRun(ctx, ctx.param("id"), "Failed to unarchive a v1beta1 run");
    return {};
  });

  r.post("v1beta1", "/runs/{run_id}/terminate", (ctx) => {
    terminateRun(ctx, ctx.param("run_id"), "Failed to terminate a v1beta1 run");
    return {};
  });

  r.post("v1beta1", "/runs/{run_id}:reportMetrics", (ctx) => reportMetrics(ctx));

  r.post("v1beta1", "/runs/{run_id}/retry", (ctx) => {
    retryRun(ctx, ctx.param("run_id"), "Failed to retry a run");
    return {};
  });
}

export function register(app: ModuleHost): void {
  registerExperiments(app);
  registerRuns(app);
  registerJobs(app);
}
