/**
 * Runs (v2beta1 and /apis/v2): create, get, list, archive, unarchive, delete, terminate, retry, the
 * artifact read endpoint, and the engine that drives each run's simulated lifecycle
 * (FACTS.md §7.3, §7.4, §8, §11; PIPELINE-SPEC.md §2.3, §4, §5.2; upstream `run_server.go`,
 * `resource_manager.go` `CreateRun`/`TerminateRun`/`RetryRun`, `run_store.go`).
 *
 * Creation resolves the pipeline source (version id, else the latest version of the pipeline id, else
 * the inline `pipeline_spec`); any failure there is a 500 like upstream. Parameters are validated
 * against the root inputs (400), then a few compile-time checks run (500 "Internal error: ...").
 * The response is the stored run: `PENDING`, one history entry, `scheduled_at` = `created_at`,
 * `finished_at` at the epoch, `service_account` defaulting to `pipeline-runner`.
 *
 * On `/apis/v2` (FACTS.md §S.2) runs carry `task_count`, `view=FULL` fills `tasks` (v2-tasks.ts builds
 * them from the node rows) and caps list pages at 100, `skip_count=true` reports `total_size` -1, and
 * the read-only task API (`GET /runs/{id}/tasks`, `GET /runs/{id}/tasks/{task_id}`) is served; the
 * task writes and the ArtifactService answer 501 (not emulated). /apis/v2beta1 keeps `task_details`.
 *
 * The `RunEngine` (service "runs") starts a lifecycle `Simulation` per run, stores every report
 * (state, history, finished_at, task rows) and emits a `"run"` event after each change, so tests can
 * wait for states without sleeping (`engine.waitFor(runId, predicate)`).
 */
import { createHash } from "node:crypto";
import { enumOf, mapOf, message, repeated } from "./body.js";
import type { EmulatorApp, RequestContext } from "./context.js";
import { JsonCache, listResponseJson, omitZero, timestamp } from "./encode.js";
import { appendState, artifactContent, GO_ZERO_TIME } from "./engine/report.js";
import { v1AsIr } from "./engine/simulated.js";
import { workflowNameFor } from "./engine/workflow.js";
import {
  ApiError,
  badRequest,
  failedPrecondition,
  gatewayInvalid,
  internal,
  invalidInput,
  notFound,
  ServerError,
} from "./errors.js";
import {
  namespaceOfExperiment,
  replaceNamespace,
  touchExperiment,
  validExperimentNamespacePair,
} from "./experiments.js";
import { checkListOptions, type ListSpec, listRows } from "./list.js";
import { EXPERIMENTS, type ExperimentRecord } from "./model/experiment.js";
import { getVersionRecord } from "./model/pipeline.js";
import {
  RUN_SPECS,
  RUNS,
  RUNTIME_STATES,
  type RunRecord,
  type RunSpecRecord,
  type RuntimeConfigRecord,
  type RuntimeState,
  runSpecOf,
  type StateEntry,
  type TaskRow,
} from "./model/run.js";
import type { ModuleHost } from "./module.js";
import { asRecord, validateRunParameters } from "./params.js";
import { canAccessRun, canUseReferencedPipeline } from "./resource/access.js";
import {
  compileProblem,
  type ResolvedSource,
  resolveSource,
  type SourceInput,
} from "./resource/run-source.js";
import { ALL_V2, type ApiVersion } from "./router.js";
import type { Store } from "./store.js";
import { templateStruct } from "./template/template.js";
import { apiTask, buildRunTasks, type V2Task } from "./v2-tasks.js";

export const DEFAULT_SERVICE_ACCOUNT = "pipeline-runner";

const TERMINAL: ReadonlySet<RuntimeState> = new Set(["SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"]);

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
    const existing = store.get<RunRecord>(RUNS, id);
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
    store.put<RunSpecRecord>(RUN_SPECS, runId, {
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

/**
 * A v1 (Argo Workflow) template has no IR: it is simulated as a pipeline whose root DAG runs one
 * container task per task/step of the entrypoint template, in dependency (or step) order.
 */

// ---------------------------------------------------------------------------------------------------
// Lifecycle engine

// ---------------------------------------------------------------------------------------------------
// JSON

function toApiRuntimeConfig(rc: RuntimeConfigRecord | undefined): Record<string, unknown> | undefined {
  if (!rc) return undefined;
  const params = rc.parameters && Object.keys(rc.parameters).length > 0 ? rc.parameters : undefined;
  if (!params && !rc.pipeline_root) return undefined;
  return omitZero({ parameters: params, pipeline_root: rc.pipeline_root ?? "" });
}

function toApiHistory(h: StateEntry[]): Record<string, unknown>[] {
  return h.map((e) =>
    omitZero({
      update_time: timestamp(e.update_time),
      state: e.state === "RUNTIME_STATE_UNSPECIFIED" ? "" : e.state,
    }),
  );
}

export function toApiTask(runId: string, t: TaskRow): Record<string, unknown> {
  return omitZero({
    run_id: runId,
    task_id: t.task_id,
    display_name: t.display_name,
    create_time: timestamp(t.create_time),
    start_time: timestamp(t.start_time || GO_ZERO_TIME),
    end_time: timestamp(t.end_time || GO_ZERO_TIME),
    state: t.state === "RUNTIME_STATE_UNSPECIFIED" ? "" : t.state,
    state_history: toApiHistory(t.state_history),
    child_tasks: t.child_tasks.map((c) => ({ pod_name: c })),
  });
}

/** The inline spec as the server echoes it (`YamlStringToPipelineSpecStruct` of the stored YAML). */
export function echoInlineSpec(s: Record<string, unknown>): Record<string, unknown> {
  if (Object.hasOwn(s, "pipeline_spec")) {
    const ps = asRecord(s.pipeline_spec) ?? {};
    const plat = asRecord(s.platform_spec);
    const isK8s = plat && asRecord(plat.platforms) && "kubernetes" in (plat.platforms as object);
    return isK8s ? { pipeline_spec: ps, platform_spec: plat } : ps;
  }
  return s;
}

/** How a run is rendered on `/apis/v2` (`GetRunRequest.view` / `ListRunsRequest.view`). */
export interface V2RunView {
  /** `view=FULL`: fill `tasks`. */
  full: boolean;
  /** Lifecycle option `loopCount` (iterations of loops whose items are unknown before run time). */
  loopCount: number;
  /**
   * GetRun with FULL: upstream prefers an embedded `pipeline_spec` when the run stores a pipeline
   * manifest (every v2 run does), so runtime clients need no GetPipelineVersion call; the
   * `pipeline_version_reference` of the oneof is then absent.
   */
  preferEmbeddedSpec?: boolean;
}

const TASK_ID_NAMESPACE = "6f1d2a3b-7c4e-4d5f-9a8b-1c2d3e4f5a6b";

/** The run's `/apis/v2` tasks (v2-tasks.ts), rebuilt from its node rows and spec. */
export function v2TasksOf(store: Store, rec: RunRecord, loopCount: number): V2Task[] {
  if (rec.tasks.length === 0) return [];
  const stored = runSpecOf(store, rec.run_id);
  if (!stored) return [];
  return buildRunTasks({
    runId: rec.run_id,
    namespace: rec.namespace,
    workflowName: rec.workflow_name,
    spec: rec.template_type === "v2" ? stored.spec : v1AsIr(stored.spec),
    parameters: rec.runtime_config?.parameters,
    rows: rec.tasks,
    terminated: rec.state === "CANCELING" || rec.state_history.some((h) => h.state === "CANCELING"),
    loopCount,
    id: (key) => uuidV5(TASK_ID_NAMESPACE, `${rec.run_id}/${key}`),
  });
}

/** The spec a FULL GetRun embeds: the stored manifest (the version's package when it still exists). */
function embeddedSpec(store: Store, r: RunRecord): Record<string, unknown> | undefined {
  if (r.template_type !== "v2") return undefined;
  const version = r.pipeline_version_id !== "" ? getVersionRecord(store, r.pipeline_version_id) : undefined;
  if (version) return echoInlineSpec(templateStruct(version.template));
  return runSpecOf(store, r.run_id)?.spec;
}

export function toApiRun(
  store: Store,
  r: RunRecord,
  api: ApiVersion = "v2beta1",
  view?: V2RunView,
): Record<string, unknown> {
  const inline = r.has_inline_spec ? runSpecOf(store, r.run_id)?.inline_spec : undefined;
  let ref =
    r.pipeline_version_id !== ""
      ? omitZero({ pipeline_id: r.pipeline_id, pipeline_version_id: r.pipeline_version_id })
      : undefined;
  const pipelineReference = ref;
  let spec = ref ? undefined : inline ? echoInlineSpec(inline) : undefined;
  if (api === "v2" && view?.preferEmbeddedSpec && !inline) {
    const embedded = embeddedSpec(store, r);
    if (embedded && Object.keys(embedded).length > 0) {
      spec = embedded;
      ref = undefined;
    }
  }
  const taskDetails =
    api !== "v2" && r.tasks.length > 0 ? r.tasks.map((t) => toApiTask(r.run_id, t)) : undefined;
  const v2Tasks = api === "v2" ? v2TasksOf(store, r, view?.loopCount ?? 2) : [];
  return omitZero({
    experiment_id: r.experiment_id,
    run_id: r.run_id,
    display_name: r.display_name,
    storage_state: r.storage_state,
    description: r.description,
    pipeline_spec: spec,
    pipeline_version_reference: ref,
    runtime_config:
      toApiRuntimeConfig(r.runtime_config) ??
      (r.v1_parameters
        ? { parameters: Object.fromEntries(r.v1_parameters.map((p) => [p.name, p.value])) }
        : undefined),
    service_account: r.service_account,
    created_at: timestamp(r.created_at),
    scheduled_at: timestamp(r.scheduled_at),
    finished_at: timestamp(r.finished_at),
    state: r.state === "RUNTIME_STATE_UNSPECIFIED" ? "" : r.state,
    run_details: taskDetails ? { task_details: taskDetails } : undefined,
    recurring_run_id: r.recurring_run_id,
    state_history: toApiHistory(r.state_history),
    plugins_input: r.plugins_input,
    pipeline_reference: api === "v2" ? pipelineReference : undefined,
    task_count: v2Tasks.length,
    tasks: view?.full ? v2Tasks.map(apiTask) : undefined,
  });
}

const RUN_JSON = new JsonCache<RunRecord>();

/**
 * `JSON.stringify(toApiRun(store, r, api, view))` as UTF-8 for each run, cached per record object
 * and variant (lists render the same settled runs over and over). Everything it reads besides the
 * record is immutable for the run's lifetime (its stored specs); `preferEmbeddedSpec` also reads the
 * pipeline version and is not cached.
 */
export function toApiRunsJson(
  store: Store,
  runs: readonly RunRecord[],
  api: ApiVersion,
  view?: V2RunView,
): Buffer[] {
  if (view?.preferEmbeddedSpec) {
    return runs.map((r) => Buffer.from(JSON.stringify(toApiRun(store, r, api, view))));
  }
  const cache = RUN_JSON.variant(`${api}/${view?.full ? "full" : "default"}/${view?.loopCount ?? 2}`);
  return RUN_JSON.lookupAll(cache, runs, (r) => toApiRun(store, r, api, view));
}

/** `RuntimeState.ToV1()`: the v1beta1 `status` string. */
export function v1Status(s: RuntimeState): string {
  switch (s) {
    case "PENDING":
    case "PAUSED":
      return "Pending";
    case "RUNNING":
      return "Running";
    case "SUCCEEDED":
      return "Succeeded";
    case "SKIPPED":
      return "Skipped";
    case "FAILED":
    case "CANCELED":
      return "Failed";
    case "CANCELING":
      return "Terminating";
    default:
      return "Unknown";
  }
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
// Operations shared by v2beta1 and v1beta1

export function getRunRecord(store: Store, id: string): RunRecord {
  const rec = store.get<RunRecord>(RUNS, id);
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
  const rec = ctx.store.get<RunRecord>(RUNS, id);
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
    if (experimentId !== "") return ctx.store.find<RunRecord>(RUNS, "experiment_id", experimentId);
    if (!ctx.isMultiUser && namespace === "") return ctx.store.snapshot<RunRecord>(RUNS);
    return ctx.store.find<RunRecord>(RUNS, "namespace", namespace);
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
  const exp = store.get<ExperimentRecord>(EXPERIMENTS, rec.experiment_id);
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
  engine.emit("run", store.get<RunRecord>(RUNS, id), rec);
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
  if (!TERMINAL.has(rec.state)) {
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

// ---------------------------------------------------------------------------------------------------
// Artifact read (plain handler, FACTS §11)

function writeArtifactError(ctx: RequestContext, status: number, message: string, details?: string): void {
  const esc = (s: string) =>
    JSON.stringify(s).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
  const body = `{"error_message":${esc(message)},"error_details":${esc(details ?? message)}}`;
  // The handler calls WriteHeader before setting Content-Type, so Go sniffs the JSON as text.
  ctx.sendRaw(status, body, "text/plain; charset=utf-8");
}

/**
 * `ReadRunLogV1` (`/apis/v1alpha1/runs/{run_id}/nodes/{node_id}/log`, and `/apis/v2/.../log` on the
 * newer server): the node's log as text. Upstream writes the 200 status before reading the log, so
 * failures arrive as HTTP 200 with a JSON `{error_message, error_details}` body; there is no
 * authorization check. `node_id` is the pod (node) id shown in `child_tasks`.
 */
function readLog(ctx: RequestContext): void {
  const runId = ctx.param("run_id");
  const nodeId = ctx.param("node_id");
  const fail = (message: string) => {
    const esc = (x: string) =>
      JSON.stringify(x).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
    ctx.sendRaw(
      200,
      `{"error_message":${esc(message)},"error_details":${esc(`${message}\n${STACK}`)}}`,
      "text/plain; charset=utf-8",
    );
  };
  const rec = ctx.store.get<RunRecord>(RUNS, runId);
  if (!rec) {
    fail(
      `BadRequestError: Failed to read logs for run ${runId} due to run fetching error: Failed to fetch run ${runId}: ResourceNotFoundError: Run ${runId} not found`,
    );
    return;
  }
  const row = rec.tasks.find((t) => t.pod_name === nodeId);
  if (row?.node_type !== "Pod") {
    fail(
      `BadRequestError: Failed to read logs for run ${runId}: InternalServerError: Failed to read logs from pod ${nodeId} due to error opening log stream: pods "${nodeId}" not found`,
    );
    return;
  }
  ctx.sendRaw(200, artifactContent(runId, row!, "main-logs"), "text/plain; charset=utf-8", {
    "cache-control": "no-cache, private",
  });
}

function readArtifact(ctx: RequestContext): void {
  const runId = ctx.param("run_id");
  const nodeId = ctx.param("node_id");
  const name = ctx.param("artifact_name");
  try {
    canAccessRun(ctx, runId, "", "readArtifact");
  } catch (err) {
    const e = (err as ApiError).wrap("Failed to authorize the request");
    writeArtifactError(ctx, 403, e.message, `${e.message}\n${STACK}`);
    return;
  }
  const rec = ctx.store.get<RunRecord>(RUNS, runId);
  const row = rec?.tasks.find((t) => t.pod_name === nodeId);
  if (!rec || !row?.artifacts?.includes(name)) {
    writeArtifactError(ctx, 404, "artifact not found: <nil>");
    return;
  }
  const data = artifactContent(runId, row, name).toString("base64");
  ctx.sendRaw(200, `{"data":"${data}"}`, "application/json", { "cache-control": "no-cache, private" });
}

const STACK = [
  "github.com/kubeflow/pipelines/backend/src/common/util.Wrap",
  "\t/go/src/github.com/kubeflow/pipelines/backend/src/common/util/error.go",
  "github.com/kubeflow/pipelines/backend/src/apiserver/server.(*RunArtifactServer).ReadArtifact",
  "\t/go/src/github.com/kubeflow/pipelines/backend/src/apiserver/server/run_artifact_server.go",
].join("\n");

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
    return toApiRun(ctx.store, rec, ctx.api);
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
        toApiRunsJson(ctx.store, page.items, ctx.api, view),
        skipCount ? -1 : page.total_size,
        page.next_page_token,
      ),
    );
  });

  r.get(ALL_V2, "/runs/{run_id}", (ctx) => {
    const full = ctx.api === "v2" && ctx.qEnum("view", VIEW_MODES) === "FULL";
    const rec = fetchRun(ctx, ctx.param("run_id"), "Failed to get a run");
    return toApiRun(ctx.store, rec, ctx.api, {
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
