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
 */
import YAML from "yaml";
import { V1_PARAMETER, V1_REFERENCE, V1_RESOURCE_TYPES } from "./api/pipeline-wire.js";
import { enumOf, mapOf, message, repeated } from "./body.js";
import type { RequestContext } from "./context.js";
import { int64, JsonCache, listResponse, listResponseJson, omitZero, timestamp } from "./encode.js";
import { type ApiError, internal, invalidInput, notFound } from "./errors.js";
import {
  archiveExperiment,
  createExperiment,
  deleteExperiment,
  EXPERIMENT_LIST_SPEC,
  fetchExperiment,
  listExperimentsScoped,
  toApiExperimentV1,
  unarchiveExperiment,
} from "./experiments.js";
import { checkListOptions, listRows } from "./list.js";
import { latestVersion } from "./model/pipeline.js";
import type { RecurringRunRecord } from "./model/recurring-run.js";
import { RUNS, type RunRecord, runSpecOf } from "./model/run.js";
import type { ModuleHost } from "./module.js";
import {
  changeJobMode,
  createJob,
  deleteJob,
  fetchJob,
  jobsInScope,
  RECURRING_RUN_LIST_SPEC,
  TRIGGER_SHAPE,
  toApiTrigger,
  triggerFromBody,
  validateSchedule,
} from "./recurring-runs.js";
import { canAccessRun } from "./resource/access.js";
import {
  archiveRun,
  createRun,
  deleteRun,
  fetchRun,
  RUN_LIST_SPEC,
  retryRun,
  runsInScope,
  terminateRun,
  unarchiveRun,
  v1Status,
  wrapError,
} from "./runs.js";
import type { Store } from "./store.js";

const MODEL_TYPE: Record<string, string> = {
  NAMESPACE: "Namespace",
  EXPERIMENT: "Experiment",
  PIPELINE: "pipeline",
  PIPELINE_VERSION: "PipelineVersion",
  JOB: "Job",
};

const EXPERIMENT_V1 = message("Experiment", {
  id: "string",
  name: "string",
  description: "string",
  created_at: "timestamp",
  resource_references: repeated(V1_REFERENCE),
  storage_state: enumOf("StorageState", [
    "STORAGESTATE_UNSPECIFIED",
    "STORAGESTATE_AVAILABLE",
    "STORAGESTATE_ARCHIVED",
  ]),
});

const PIPELINE_SPEC_V1 = message("PipelineSpec", {
  pipeline_id: "string",
  pipeline_name: "string",
  workflow_manifest: "string",
  pipeline_manifest: "string",
  parameters: repeated(V1_PARAMETER),
  runtime_config: message("RuntimeConfig", { parameters: mapOf("value"), pipeline_root: "string" }),
});

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

const JOB_V1 = message("Job", {
  id: "string",
  name: "string",
  description: "string",
  pipeline_spec: PIPELINE_SPEC_V1,
  resource_references: repeated(V1_REFERENCE),
  service_account: "string",
  max_concurrency: "int64",
  trigger: TRIGGER_SHAPE,
  mode: enumOf("Mode", ["UNKNOWN_MODE", "ENABLED", "DISABLED"]),
  created_at: "timestamp",
  updated_at: "timestamp",
  status: "string",
  error: "string",
  enabled: "bool",
  no_catchup: "bool",
});

interface RefInput {
  key?: { type?: string; id?: string };
  relationship?: string;
}

function refOf(refs: RefInput[] | undefined, type: string, relationship?: string): string {
  let found = "";
  for (const r of refs ?? []) {
    if (r.key?.type !== type) continue;
    if (relationship && r.relationship !== relationship) continue;
    found = r.key.id ?? "";
    // PIPELINE_VERSION takes the last match upstream; the others the first.
    if (type !== "PIPELINE_VERSION") break;
  }
  return found;
}

function ref(type: string, id: string, relationship: "OWNER" | "CREATOR"): Record<string, unknown> {
  return { key: omitZero({ type, id }), relationship };
}

/** `resource_reference_key.type` / `.id` → `validateFilterV1`. */
function referenceKey(ctx: RequestContext): { type: string; id: string } | undefined {
  const type = ctx.qEnum("resource_reference_key.type", V1_RESOURCE_TYPES);
  const id = ctx.q("resource_reference_key.id");
  if (type === undefined && id === undefined) return undefined;
  const t = type ?? "UNKNOWN_RESOURCE_TYPE";
  if (!MODEL_TYPE[t]) {
    throw invalidInput(`Failed to convert unsupported v1beta1 API resource type ${t}`).wrap(
      "Unrecognized resource reference type",
    );
  }
  return { type: t, id: id ?? "" };
}

/** Run and job lists: `resource_reference_key` as a namespace or experiment scope ("" when unset). */
function runScopeOf(ctx: RequestContext): { namespace: string; experimentId: string } {
  let key: { type: string; id: string } | undefined;
  try {
    key = referenceKey(ctx);
  } catch (err) {
    throw (err as ApiError).wrap("Failed to list v1beta1 runs: validating filter failed");
  }
  return {
    namespace: key?.type === "NAMESPACE" ? key.id : "",
    experimentId: key?.type === "EXPERIMENT" ? key.id : "",
  };
}

// ---------------------------------------------------------------------------------------------------
// Runs

function v1Parameters(
  p: { name: string; value: string }[] | undefined,
): Record<string, unknown>[] | undefined {
  if (!p || p.length === 0) return undefined;
  return p.map((x) => omitZero({ name: x.name, value: x.value }));
}

function runtimeConfigV1(r: RunRecord | RecurringRunRecord): Record<string, unknown> | undefined {
  const rc = r.runtime_config;
  if (!rc) return undefined;
  const params = rc.parameters && Object.keys(rc.parameters).length > 0 ? rc.parameters : undefined;
  if (!params && !rc.pipeline_root) return undefined;
  return omitZero({ parameters: params, pipeline_root: rc.pipeline_root ?? "" });
}

function manifestText(store: Store, r: RunRecord): { pipeline_manifest: string; workflow_manifest: string } {
  const stored = runSpecOf(store, r.run_id);
  if (!stored) return { pipeline_manifest: "", workflow_manifest: "" };
  if (r.template_type === "v1")
    return { pipeline_manifest: "", workflow_manifest: JSON.stringify(stored.spec) };
  return { pipeline_manifest: YAML.stringify(stored.spec, { lineWidth: 0 }), workflow_manifest: "" };
}

const RUN_V1_JSON = new JsonCache<RunRecord>();

export function toApiRunV1(store: Store, r: RunRecord): Record<string, unknown> {
  const refs: Record<string, unknown>[] = [];
  if (r.experiment_id) refs.push(ref("EXPERIMENT", r.experiment_id, "OWNER"));
  if (r.namespace) refs.push(ref("NAMESPACE", r.namespace, "OWNER"));
  if (r.recurring_run_id) refs.push(ref("JOB", r.recurring_run_id, "CREATOR"));
  if (r.pipeline_version_id) refs.push(ref("PIPELINE_VERSION", r.pipeline_version_id, "CREATOR"));
  else if (r.pipeline_id) refs.push(ref("PIPELINE", r.pipeline_id, "CREATOR"));
  const m = manifestText(store, r);
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
  const store = ctx.store;
  if (!store.has(RUNS, runId)) throw notFound("Run %s not found", runId);
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
    const rec = store.get<RunRecord>(RUNS, runId);
    if (!rec) throw notFound("Run", runId).wrap(`Failed to fetch run ${runId}`);
    if (rec.metrics?.some((x) => x.name === m.name && x.node_id === m.node_id)) {
      result(
        "DUPLICATE_REPORTING",
        `Failed to create a run metric. Same metric has been reported before: ${m.node_id}/${m.name}`,
      );
      continue;
    }
    store.put(RUNS, runId, { ...rec, metrics: [...(rec.metrics ?? []), m] });
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
export function toApiRunDetailV1(store: Store, r: RunRecord): Record<string, unknown> {
  const reported = r.workflow_phase !== undefined;
  let runtime: Record<string, unknown>;
  if (r.template_type === "v1") {
    runtime = { workflow_manifest: workflowJson(r, reported) };
  } else if (!reported) {
    runtime = { pipeline_manifest: workflowJson(r, false) };
  } else {
    runtime = { pipeline_manifest: workflowJson(r, false), workflow_manifest: workflowJson(r, true) };
  }
  return { run: toApiRunV1(store, r), pipeline_runtime: runtime };
}

function pipelineSpecInput(body: Record<string, unknown>): {
  pipeline_id: string;
  pipeline_name: string;
  manifest: string;
  parameters: { name: string; value: string }[];
  runtime_config?: { parameters?: Record<string, unknown>; pipeline_root?: string };
} {
  const ps = (body.pipeline_spec ?? {}) as Record<string, unknown>;
  const rc = ps.runtime_config as
    | { parameters?: Record<string, unknown>; pipeline_root?: string }
    | undefined;
  return {
    pipeline_id: String(ps.pipeline_id ?? ""),
    pipeline_name: String(ps.pipeline_name ?? ""),
    manifest: String(ps.pipeline_manifest ?? "") || String(ps.workflow_manifest ?? ""),
    parameters: ((ps.parameters ?? []) as { name?: string; value?: string }[]).map((p) => ({
      name: p.name ?? "",
      value: p.value ?? "",
    })),
    ...(rc
      ? {
          runtime_config: {
            ...(rc.parameters ? { parameters: rc.parameters } : {}),
            ...(rc.pipeline_root ? { pipeline_root: rc.pipeline_root } : {}),
          },
        }
      : {}),
  };
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
    return toApiRunDetailV1(ctx.store, rec);
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
    // Rendering a v1 run writes its manifest as YAML: keep the JSON per stored record (runs.ts).
    const cache = RUN_V1_JSON.variant("v1beta1");
    ctx.sendJson(
      200,
      listResponseJson(
        "runs",
        RUN_V1_JSON.lookupAll(cache, page.items, (x) => toApiRunV1(ctx.store, x)),
        page.total_size,
        page.next_page_token,
      ),
    );
  });

  r.get("v1beta1", "/runs/{run_id}", (ctx) =>
    toApiRunDetailV1(ctx.store, fetchRun(ctx, ctx.param("run_id"), "Failed to get a v1beta1 run")),
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

// ---------------------------------------------------------------------------------------------------
// Experiments

function registerExperiments(app: ModuleHost): void {
  const r = app.router;

  r.post("v1beta1", "/experiments", (ctx) => {
    const body = ctx.readJson(EXPERIMENT_V1);
    const rec = createExperiment(
      ctx,
      {
        name: String(body.name ?? ""),
        description: String(body.description ?? ""),
        namespace: refOf(body.resource_references as RefInput[] | undefined, "NAMESPACE"),
      },
      "v1beta1",
    );
    return toApiExperimentV1(rec);
  });

  r.get("v1beta1", "/experiments", (ctx) => {
    const q = ctx.listQuery();
    let key: { type: string; id: string } | undefined;
    try {
      key = referenceKey(ctx);
    } catch (err) {
      throw (err as ApiError).wrap("Validating v1beta1 filter failed");
    }
    let namespace = "";
    if (key) {
      if (key.type !== "NAMESPACE") {
        throw invalidInput(
          `Failed to list v1beta1 experiment due to invalid resource reference key. It must be of type 'Namespace' and contain an existing or empty namespace, but you provided ${key.id} of type ${MODEL_TYPE[key.type]}`,
        );
      }
      namespace = key.id;
    }
    const listOpts = checkListOptions(q, EXPERIMENT_LIST_SPEC, "v1beta1", "Failed to create list options");
    const rows = listExperimentsScoped(ctx, namespace, "List v1beta1 experiments failed");
    const page = listRows(rows, q, EXPERIMENT_LIST_SPEC, "v1beta1", listOpts);
    return listResponse(
      "experiments",
      page.items.map(toApiExperimentV1),
      page.total_size,
      page.next_page_token,
    );
  });

  r.get("v1beta1", "/experiments/{id}", (ctx) =>
    toApiExperimentV1(fetchExperiment(ctx, ctx.param("id"), "Failed to fetch v1beta1 experiment")),
  );

  r.delete("v1beta1", "/experiments/{id}", (ctx) => {
    deleteExperiment(ctx, ctx.param("id"), "Failed to delete v1beta1 experiment");
    return {};
  });

  r.post("v1beta1", "/experiments/{id}:archive", (ctx) => {
    archiveExperiment(ctx, ctx.param("id"), "Failed to archive v1beta1 experiment");
    return {};
  });

  r.post("v1beta1", "/experiments/{id}:unarchive", (ctx) => {
    unarchiveExperiment(ctx, ctx.param("id"), "Failed to unarchive v1beta1 experiment");
    return {};
  });
}

// ---------------------------------------------------------------------------------------------------
// Jobs

export function toApiJobV1(j: RecurringRunRecord): Record<string, unknown> {
  const refs: Record<string, unknown>[] = [];
  if (j.namespace) refs.push(ref("NAMESPACE", j.namespace, "OWNER"));
  if (j.experiment_id) refs.push(ref("EXPERIMENT", j.experiment_id, "OWNER"));
  if (j.pipeline_id) refs.push(ref("PIPELINE", j.pipeline_id, "CREATOR"));
  if (j.pipeline_version_id) refs.push(ref("PIPELINE_VERSION", j.pipeline_version_id, "CREATOR"));
  const trigger = toApiTrigger(j.trigger);
  const params = v1Parameters(j.v1_parameters);
  let manifest = { pipeline_manifest: "", workflow_manifest: "" };
  if (j.pipeline_version_id === "" && j.inline_spec) {
    manifest = { pipeline_manifest: YAML.stringify(j.inline_spec, { lineWidth: 0 }), workflow_manifest: "" };
  }
  return omitZero({
    id: j.recurring_run_id,
    name: j.display_name,
    description: j.description,
    pipeline_spec: omitZero({
      pipeline_id: j.pipeline_id,
      pipeline_name: j.pipeline_name,
      workflow_manifest: manifest.workflow_manifest,
      pipeline_manifest: manifest.pipeline_manifest,
      parameters: params,
      runtime_config: params ? undefined : runtimeConfigV1(j),
    }),
    resource_references: refs,
    service_account: j.service_account,
    max_concurrency: int64(j.max_concurrency),
    trigger: Object.keys(trigger).length > 0 ? trigger : undefined,
    created_at: timestamp(j.created_at),
    updated_at: timestamp(j.updated_at),
    status: j.enabled ? "ENABLED" : "DISABLED",
    enabled: j.enabled,
    no_catchup: j.no_catchup,
  });
}

function registerJobs(app: ModuleHost): void {
  const r = app.router;

  r.post("v1beta1", "/jobs", (ctx) => {
    const body = ctx.readJson(JOB_V1);
    const refs = body.resource_references as RefInput[] | undefined;
    const ps = pipelineSpecInput(body);
    const conv = "Failed to create a recurring run due to conversion error";
    const name = String(body.name ?? "") || ps.pipeline_name;
    if (name === "") {
      throw internal(
        "Failed to convert a v1beta1 API recurring run to its internal representation",
        invalidInput("Job name cannot be empty"),
      ).wrap(conv);
    }
    const trigger = triggerFromBody(body.trigger as Record<string, unknown> | undefined);
    const maxConcurrency = Number(body.max_concurrency ?? 0);
    try {
      validateSchedule(maxConcurrency, trigger);
    } catch (err) {
      throw (err as ApiError).wrap(conv);
    }
    const pipelineId = ps.pipeline_id || refOf(refs, "PIPELINE");
    let versionId = refOf(refs, "PIPELINE_VERSION", "CREATOR");
    if (pipelineId !== "" && ps.manifest === "" && versionId === "") {
      const latest = latestVersion(ctx.store, pipelineId);
      if (!latest) {
        throw notFound("Pipeline", pipelineId)
          .wrap("Failed to get the latest pipeline version as pipeline was not found")
          .wrap(`Failed to fetch a pipeline version from pipeline ${pipelineId}`);
      }
      versionId = latest.pipeline_version_id;
    }
    const rec = createJob(
      ctx,
      {
        display_name: name,
        description: String(body.description ?? ""),
        experiment_id: refOf(refs, "EXPERIMENT"),
        namespace: refOf(refs, "NAMESPACE"),
        pipeline_id: pipelineId,
        pipeline_version_id: versionId,
        pipeline_manifest: ps.manifest,
        runtime_config: ps.runtime_config,
        service_account: String(body.service_account ?? ""),
        max_concurrency: maxConcurrency,
        trigger,
        enabled: body.enabled === true || body.mode === "ENABLED",
        no_catchup: body.no_catchup === true,
        v1_parameters: ps.parameters.length > 0 ? ps.parameters : undefined,
      },
      "Failed to create a recurring run",
    );
    return toApiJobV1(rec);
  });

  r.get("v1beta1", "/jobs", (ctx) => {
    const q = ctx.listQuery();
    const { namespace, experimentId } = runScopeOf(ctx);
    const listOpts = checkListOptions(
      q,
      RECURRING_RUN_LIST_SPEC,
      "v1beta1",
      "Failed to list jobs due to error parsing the listing options",
    );
    const rows = jobsInScope(ctx, namespace, experimentId, "Failed to list jobs");
    const page = listRows(rows, q, RECURRING_RUN_LIST_SPEC, "v1beta1", listOpts);
    return listResponse("jobs", page.items.map(toApiJobV1), page.total_size, page.next_page_token);
  });

  r.get("v1beta1", "/jobs/{id}", (ctx) =>
    toApiJobV1(fetchJob(ctx, ctx.param("id"), "Failed to fetch a v1beta1 recurring run")),
  );

  r.delete("v1beta1", "/jobs/{id}", (ctx) => {
    deleteJob(ctx, ctx.param("id"), "Failed to disable a recurring run");
    return {};
  });

  r.post("v1beta1", "/jobs/{id}/enable", (ctx) => {
    changeJobMode(ctx, ctx.param("id"), true, "Failed to enable a v1beta1 recurring run");
    return {};
  });

  r.post("v1beta1", "/jobs/{id}/disable", (ctx) => {
    changeJobMode(ctx, ctx.param("id"), false, "Failed to disable a v1beta1 recurring run");
    return {};
  });
}

export function register(app: ModuleHost): void {
  registerExperiments(app);
  registerRuns(app);
  registerJobs(app);
}
