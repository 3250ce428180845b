/**
 * The run rules that read or write the store (upstream `resource_manager.go` `CreateRun`,
 * `TerminateRun`, `RetryRun`, `ArchiveRun`/`UnarchiveRun`/`DeleteRun`, `run_store.go`), shared by the
 * v2beta1, /apis/v2 and v1beta1 handlers (api/runs.ts, api/v1-runs.ts), the recurring-run handlers and
 * the scheduler.
 *
 * Creation resolves the pipeline source (version id, else the latest version of the pipeline id, else
 * the inline `pipeline_spec`); any failure there is a 500 like upstream. Parameters are validated
 * against the root inputs (400), then a few compile-time checks run (500 "Internal error: ...").
 * The stored run is `PENDING`, one history entry, `scheduled_at` = `created_at`, `finished_at` at the
 * epoch, `service_account` defaulting to `pipeline-runner`; it is then handed to `app.engine.start`.
 * Every operation authorizes through resource/access.ts and wraps its errors with the caller's prefix.
 */
import { createHash } from "node:crypto";
import { appendState } from "../engine/report.js";
import { workflowNameFor } from "../engine/workflow.js";
import type { EmulatorApp, RequestContext } from "../http/context.js";
import {
  ApiError,
  badRequest,
  failedPrecondition,
  internal,
  invalidInput,
  notFound,
  ServerError,
} from "../http/errors.js";
import { EXPERIMENTS } from "../model/experiment.js";
import { RUN_SPECS, RUNS, type RunRecord, type RuntimeConfigRecord } from "../model/run.js";
import { TERMINAL_STATES, v1Status } from "../model/run-state.js";
import type { Store } from "../storage/kinds.js";
import { asRecord, validateRunParameters } from "../template/params.js";
import { canAccessRun, canUseReferencedPipeline } from "./access.js";
import {
  namespaceOfExperiment,
  replaceNamespace,
  touchExperiment,
  validExperimentNamespacePair,
} from "./experiments.js";
import { compileProblem, type ResolvedSource, resolveSource, type SourceInput } from "./run-source.js";

/** A v1beta1 run metric as stored (`:reportMetrics`). */
type RunMetric = NonNullable<RunRecord["metrics"]>[number];

export const DEFAULT_SERVICE_ACCOUNT = "pipeline-runner";

/** RFC 4122 v5 UUID (`uuid.NewSHA1`). */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** `util.NewDeterministicUUID(recurringRunId + "/" + displayName)`. */
export function recurringRunRunId(recurringRunId: string, displayName: string): string {
  return uuidV5("c2f3a9d4-1e6b-4c8a-9f7d-0b5e3a1c2d4f", `${recurringRunId}/${displayName}`);
}

/** A plain (non-UserError) failure: the server reports it as code 13 "Internal error: <chain>". */
export class PlainError extends ServerError {}

/** `util.Wrap` for either error kind. */
export function wrapError(err: unknown, prefix: string): unknown {
  if (err instanceof ApiError || err instanceof PlainError) return err.wrap(prefix);
  return err;
}

export function defaultServiceAccount(app: EmulatorApp): string {
  const v = app.config.defaultServiceAccount;
  return v !== "" ? v : DEFAULT_SERVICE_ACCOUNT;
}

export function v1Blocked(app: EmulatorApp, namespace: string): boolean {
  const list = app.config.blockV1Pipelines;
  return list.includes("*") || list.includes(namespace);
}

export function podNamespace(app: EmulatorApp): string {
  return app.config.multiUser?.kfpNamespace ?? "kubeflow";
}

// ---------------------------------------------------------------------------------------------------
// Creation (resource_manager.CreateRun)

export interface NewRun {
  run_id?: string;
  display_name: string;
  description: string;
  experiment_id: string;
  namespace: string;
  source: SourceInput;
  runtime_config?: RuntimeConfigRecord | undefined;
  service_account: string;
  recurring_run_id?: string;
  plugins_input?: Record<string, unknown> | undefined;
  /** Scheduled time (runs of recurring runs); default: the creation time. */
  scheduled_at?: number;
  v1_parameters?: { name: string; value: string }[] | undefined;
}

/**
 * Create a run whose experiment and namespace are already validated and authorized. Throws ApiError
 * (source → 500, parameters → 400) or PlainError (compile checks → 500 "Internal error").
 */
export function createRunCore(app: EmulatorApp, m: NewRun): RunRecord {
  const store = app.store;
  if (m.recurring_run_id && m.display_name) {
    const id = recurringRunRunId(m.recurring_run_id, m.display_name);
    const existing = store.get(RUNS, id);
    if (existing) return existing;
  }
  let src: ResolvedSource;
  try {
    src = resolveSource(app, m.source);
  } catch (err) {
    throw internal("Failed to create a run due to error fetching manifest", err as Error);
  }
  const runId =
    m.run_id && m.run_id !== ""
      ? m.run_id
      : m.recurring_run_id && m.display_name
        ? recurringRunRunId(m.recurring_run_id, m.display_name)
        : app.newId();
  const params = m.runtime_config?.parameters;
  let spec: Record<string, unknown>;
  if (src.template.type === "v2") {
    spec = src.template.pipelineSpec;
    const problem = validateRunParameters(spec, params ?? {});
    if (problem !== undefined) {
      throw invalidInput(problem)
        .wrap("invalid pipeline job inputs")
        .wrap("Failed to generate the ExecutionSpec");
    }
    const compile = compileProblem(spec);
    if (compile !== undefined) {
      throw new PlainError(`Failed to generate the ExecutionSpec: Failed to compile job: ${compile}`);
    }
  } else {
    spec = src.template.workflow;
  }
  const k8sNamespace = m.namespace !== "" ? m.namespace : podNamespace(app);
  if (src.template.type === "v1" && v1Blocked(app, k8sNamespace)) {
    throw invalidInput(
      `Namespace ${k8sNamespace} is not allowed to run v1 pipelines. Please migrate to using KFP V2 pipelines.`,
    );
  }
  if (store.has(RUNS, runId)) {
    throw internal(
      `Failed to store run ${m.display_name} to table`,
      new Error(`Duplicate entry '${runId}' for key 'PRIMARY'`),
    ).wrap("Failed to create a run");
  }
  const now = app.now();
  const rec: RunRecord = {
    run_id: runId,
    experiment_id: m.experiment_id,
    display_name: m.display_name,
    description: m.description,
    namespace: m.namespace,
    storage_state: "AVAILABLE",
    pipeline_id: src.pipeline_id,
    pipeline_version_id: src.pipeline_version_id,
    pipeline_name: src.pipeline_name,
    ...(src.inline ? { has_inline_spec: true } : {}),
    template_type: src.template.type,
    ...(m.runtime_config ? { runtime_config: m.runtime_config } : {}),
    service_account: m.service_account !== "" ? m.service_account : defaultServiceAccount(app),
    created_at: now,
    scheduled_at: m.scheduled_at ?? now,
    finished_at: 0,
    state: "PENDING",
    state_history: [{ update_time: now, state: "PENDING" }],
    recurring_run_id: m.recurring_run_id ?? "",
    ...(m.plugins_input ? { plugins_input: m.plugins_input } : {}),
    tasks: [],
    workflow_name: src.template.type === "v2" ? workflowNameFor(spec, runId) : v1WorkflowName(spec, runId),
    retry_generation: 0,
    ...(m.v1_parameters && m.v1_parameters.length > 0 ? { v1_parameters: m.v1_parameters } : {}),
  };
  store.transaction(() => {
    store.put(RUN_SPECS, runId, {
      run_id: runId,
      spec,
      ...(src.inline ? { inline_spec: src.inline } : {}),
    });
    store.put(RUNS, runId, rec);
    touchExperiment(store, m.experiment_id, now);
  });
  app.engine.start(rec);
  return rec;
}

function v1WorkflowName(wf: Record<string, unknown>, runId: string): string {
  const meta = asRecord(wf.metadata) ?? {};
  const base =
    typeof meta.name === "string"
      ? meta.name
      : typeof meta.generateName === "string"
        ? meta.generateName
        : "workflow-";
  return workflowNameFor({ pipelineInfo: { name: base.replace(/-$/, "") } }, runId);
}

// ---------------------------------------------------------------------------------------------------
// Operations shared by v2beta1 and v1beta1

export function getRunRecord(store: Store, id: string): RunRecord {
  const rec = store.get(RUNS, id);
  if (!rec) throw notFound("Run", id).wrap(`Failed to fetch run ${id}`);
  return rec;
}

function authorized(ctx: RequestContext, runId: string, verb: string, prefix: string): void {
  try {
    canAccessRun(ctx, runId, "", verb);
  } catch (err) {
    throw (err as ApiError).wrap("Failed to authorize the request").wrap(prefix);
  }
}

/** `authorized`, then the run row; a missing row is `notFound` wrapped with `missing`, then `prefix`. */
function authorizedRun(
  ctx: RequestContext,
  id: string,
  verb: string,
  prefix: string,
  missing: string,
): RunRecord {
  authorized(ctx, id, verb, prefix);
  const rec = ctx.store.get(RUNS, id);
  if (!rec) {
    throw notFound("Run", id).wrap(`Failed to fetch run ${id}`).wrap(missing).wrap(prefix);
  }
  return rec;
}

/** Terminate/retry: `authorizedRun`, then its experiment's namespace must resolve. */
function runForAction(ctx: RequestContext, id: string, verb: string, prefix: string): RunRecord {
  const rec = authorizedRun(
    ctx,
    id,
    verb,
    prefix,
    `Failed to ${verb} run ${id} due to error fetching the run`,
  );
  try {
    namespaceOfExperiment(ctx.store, rec.experiment_id);
  } catch (err) {
    throw (err as ApiError)
      .wrap(`Failed to fetch namespace from run ${id}`)
      .wrap(`Failed to ${verb} run ${id} due to error fetching its namespace`)
      .wrap(prefix);
  }
  return rec;
}

export interface RunCreateInput {
  run_id: string;
  display_name: string;
  description: string;
  experiment_id: string;
  namespace: string;
  source: SourceInput;
  runtime_config?: RuntimeConfigRecord | undefined;
  service_account: string;
  plugins_input?: Record<string, unknown> | undefined;
  recurring_run_id?: string;
  v1_parameters?: { name: string; value: string }[] | undefined;
}

/** `BaseRunServer.createRun` + `ResourceManager.CreateRun`; errors are wrapped with `prefix`. */
export function createRun(ctx: RequestContext, input: RunCreateInput, prefix: string): RunRecord {
  try {
    if (input.display_name === "") {
      throw invalidInput("The run name is empty. Please specify a valid name").wrap(
        "Failed to create a run due to invalid name",
      );
    }
    let pair: { experimentId: string; namespace: string };
    try {
      pair = validExperimentNamespacePair(ctx, input.experiment_id, input.namespace);
    } catch (err) {
      throw (err as ApiError).wrap(
        "Failed to create a run due to invalid experimentId and namespace combination",
      );
    }
    if (ctx.isMultiUser && pair.namespace === "") {
      throw invalidInput("A run cannot have an empty namespace in multi-user mode");
    }
    try {
      canAccessRun(ctx, "", pair.namespace, "create");
    } catch (err) {
      throw (err as ApiError).wrap(
        `Failed to create a run due to authorization error. Check if you have write permissions to namespace ${pair.namespace}`,
      );
    }
    try {
      canUseReferencedPipeline(ctx, input.source, pair.namespace, "run");
    } catch (err) {
      throw (err as ApiError).wrap("Failed to create a run due to an inaccessible pipeline reference");
    }
    return createRunCore(ctx.app, {
      ...input,
      experiment_id: pair.experimentId,
      namespace: pair.namespace,
    });
  } catch (err) {
    throw wrapError(err, prefix);
  }
}

/**
 * Runs visible to a list call, after namespace/experiment scoping and authorization (FACTS §8),
 * from the store's indexes (frozen lists, see store.ts).
 */
export function runsInScope(
  ctx: RequestContext,
  rawNamespace: string | undefined,
  experimentId: string,
  prefix: string,
): readonly RunRecord[] {
  try {
    let namespace = replaceNamespace(ctx, rawNamespace);
    if (experimentId !== "") {
      try {
        namespace = namespaceOfExperiment(ctx.store, experimentId);
      } catch (err) {
        throw (err as ApiError).wrap(
          `Failed to list runs due to error fetching namespace for experiment ${experimentId}. Try filtering based on namespace`,
        );
      }
    }
    try {
      canAccessRun(ctx, "", namespace, "list");
    } catch (err) {
      throw (err as ApiError).wrap(
        `Failed to list runs due to authorization error. Check if you have permission to access namespace ${namespace}`,
      );
    }
    if (experimentId !== "") return ctx.store.find(RUNS, "experiment_id", experimentId);
    if (!ctx.isMultiUser && namespace === "") return ctx.store.snapshot(RUNS);
    return ctx.store.find(RUNS, "namespace", namespace);
  } catch (err) {
    throw wrapError(err, prefix);
  }
}

export function fetchRun(ctx: RequestContext, id: string, prefix: string): RunRecord {
  authorized(ctx, id, "get", prefix);
  try {
    return getRunRecord(ctx.store, id);
  } catch (err) {
    throw wrapError(err, prefix);
  }
}

export function archiveRun(ctx: RequestContext, id: string, prefix: string): void {
  const store = ctx.store;
  const rec = authorizedRun(
    ctx,
    id,
    "archive",
    prefix,
    `Failed to archive run ${id} as it failed to be retrieved`,
  );
  store.put(RUNS, id, { ...rec, storage_state: "ARCHIVED" });
}

export function unarchiveRun(ctx: RequestContext, id: string, prefix: string): void {
  const store = ctx.store;
  const rec = authorizedRun(
    ctx,
    id,
    "unarchive",
    prefix,
    `Failed to unarchive run ${id} as it does not exist`,
  );
  const exp = store.get(EXPERIMENTS, rec.experiment_id);
  if (!exp) {
    throw notFound("Experiment", rec.experiment_id)
      .wrap(`Failed to unarchive run ${id} due to experiment fetching error`)
      .wrap(prefix);
  }
  if (exp.storage_state === "ARCHIVED") {
    const e = failedPrecondition(
      `Failed to unarchive run ${id} as experiment ${rec.experiment_id} must be un-archived first`,
    );
    e.message += ": Unarchive the experiment first to allow the run to be restored";
    throw e.wrap(prefix);
  }
  store.put(RUNS, id, { ...rec, storage_state: "AVAILABLE" });
}

export function deleteRun(ctx: RequestContext, id: string, prefix: string): void {
  const store = ctx.store;
  const rec = authorizedRun(ctx, id, "delete", prefix, `Failed to delete run ${id} as it does not exist`);
  if (rec.namespace === "") {
    try {
      namespaceOfExperiment(store, rec.experiment_id);
    } catch (err) {
      throw (err as ApiError)
        .wrap(`Failed to delete a run ${id} due to namespace fetching error`)
        .wrap(prefix);
    }
  }
  ctx.app.engine.stop(id);
  store.transaction(() => {
    store.delete(RUNS, id);
    store.delete(RUN_SPECS, id);
  });
}

export function terminateRun(ctx: RequestContext, id: string, prefix: string): void {
  const store = ctx.store;
  const rec = runForAction(ctx, id, "terminate", prefix);
  if (!["PENDING", "RUNNING", "PAUSED", "RUNTIME_STATE_UNSPECIFIED"].includes(rec.state)) {
    throw invalidInput(`Failed to terminate a run ${id}. Row not found`)
      .wrap(`Failed to terminate run ${id}`)
      .wrap(prefix);
  }
  // The terminate call sets CANCELING without appending to the history (run_store.TerminateRun).
  store.put(RUNS, id, { ...rec, state: "CANCELING" });
  const engine = ctx.app.engine;
  engine.terminate(id);
  engine.emit("run", store.get(RUNS, id), rec);
}

export function retryRun(ctx: RequestContext, id: string, prefix: string): void {
  const store = ctx.store;
  const rec = runForAction(ctx, id, "retry", prefix);
  if (rec.workflow_phase === undefined) {
    const e = badRequest(`Failed to retry run ${id} due to error fetching workflow manifest`);
    e.message += ": Invalid input error: Workflow manifest cannot be empty";
    throw e.wrap(prefix);
  }
  if (rec.workflow_phase !== "Failed") {
    const e = badRequest("Workflow must be Failed/Error to retry");
    e.message += ": workflow cannot be retried";
    throw e.wrap(`Failed to retry run ${id}`).wrap(prefix);
  }
  if (!TERMINAL_STATES.has(rec.state)) {
    const e = badRequest(`Cannot claim run ${id} for retry: not in a terminal state`);
    e.message += `: run is not in a terminal state: State="${rec.state}" Conditions="${v1Status(rec.state)}"`;
    throw e
      .wrap(`Failed to retry run ${id}: could not claim database row before workflow operation`)
      .wrap(prefix);
  }
  const engine = ctx.app.engine;
  const now = ctx.now();
  const next: RunRecord = {
    ...rec,
    state: "RUNNING",
    state_history: appendState(rec.state_history, "RUNNING", now),
    finished_at: 0,
    workflow_phase: "Running",
    retry_generation: rec.retry_generation + 1,
  };
  store.put(RUNS, id, next);
  engine.retry(next);
  engine.emit("run", next, rec);
}

/** `ReportRunMetricsV1` first checks the run exists (its own message, before any authorization). */
export function requireRun(app: EmulatorApp, runId: string): void {
  if (!app.store.has(RUNS, runId)) throw notFound("Run %s not found", runId);
}

/**
 * Store one v1 run metric that passed its checks; false (nothing stored) when the same node and name
 * were reported before (`DUPLICATE_REPORTING`).
 */
export function recordRunMetric(app: EmulatorApp, runId: string, metric: RunMetric): boolean {
  const store = app.store;
  const rec = store.get(RUNS, runId);
  if (!rec) throw notFound("Run", runId).wrap(`Failed to fetch run ${runId}`);
  if (rec.metrics?.some((x) => x.name === metric.name && x.node_id === metric.node_id)) return false;
  store.put(RUNS, runId, { ...rec, metrics: [...(rec.metrics ?? []), metric] });
  return true;
}
