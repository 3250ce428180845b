/**
 * Recurring runs (v2beta1 and /apis/v2): create, get, list (key `recurringRuns`), enable, disable,
 * delete (FACTS.md §7.5, §8; upstream `job_server.go`, `api_converter.go toModelJob/toApiRecurringRun`,
 * `resource_manager.go CreateJob/ChangeJobMode/DeleteJob`). The scheduler (scheduler.ts) creates the
 * runs.
 *
 * Validation order and texts follow upstream: empty `display_name` → 500; `max_concurrency` outside
 * 1..10 (0 when omitted) → 400; cron checked with robfig/cron v1.2.0 semantics → 400 "Schedule cron is
 * not a supported format(...)"; `interval_second` < 1 → 400. A version id (or inline spec) pins the
 * pipeline: parameters are validated and compiled now; a pipeline id alone is validated against its
 * latest version and each run uses the latest version at trigger time.
 *
 * As upstream, the stored namespace is the Kubernetes namespace of the ScheduledWorkflow: the
 * experiment's namespace, or the server's own (`kubeflow`) in single-user mode — so single-user
 * responses carry `"namespace": "kubeflow"`.
 */
import { createHash } from "node:crypto";
import { checkOneof, PVR_SHAPE, RUNTIME_CONFIG_SHAPE, runParamsFromBody } from "./api/runs.js";
import { enumOf, mapOf, message, repeated } from "./body.js";
import type { RequestContext } from "./context.js";
import { cronError } from "./cron.js";
import { int64, listResponse, omitZero, parseTimestamp, timestamp } from "./encode.js";
import { type ApiError, internal, invalidInput, notFound } from "./errors.js";
import { namespaceOfExperiment, replaceNamespace, validExperimentNamespacePair } from "./experiments.js";
import { checkListOptions, type ListSpec, listRows } from "./list.js";
import { getPipelineRecord, latestVersion } from "./model/pipeline.js";
import { RECURRING_RUNS, type RecurringRunRecord, type TriggerRecord } from "./model/recurring-run.js";
import type { RuntimeConfigRecord } from "./model/run.js";
import type { ModuleHost } from "./module.js";
import { validateRunParameters } from "./params.js";
import { canAccessJob, canUseReferencedPipeline } from "./resource/access.js";
import { compileProblem, type ResolvedSource, resolveSource } from "./resource/run-source.js";
import { defaultServiceAccount, PlainError, podNamespace, v1Blocked, wrapError } from "./resource/runs.js";
import { ALL_V2 } from "./router.js";

export { RECURRING_RUNS };

const MODES = ["MODE_UNSPECIFIED", "ENABLE", "DISABLE"];
const STATUSES = ["STATUS_UNSPECIFIED", "ENABLED", "", "DISABLED"];
const STATUS = message("Status", { code: "int32", message: "string", details: repeated("any") });

export const TRIGGER_SHAPE = message("Trigger", {
  cron_schedule: message("CronSchedule", { start_time: "timestamp", end_time: "timestamp", cron: "string" }),
  periodic_schedule: message("PeriodicSchedule", {
    start_time: "timestamp",
    end_time: "timestamp",
    interval_second: "int64",
  }),
});

const RECURRING_RUN_SHAPE = message("RecurringRun", {
  recurring_run_id: "string",
  display_name: "string",
  description: "string",
  pipeline_version_id: "string",
  pipeline_spec: "struct",
  pipeline_version_reference: PVR_SHAPE,
  runtime_config: RUNTIME_CONFIG_SHAPE,
  service_account: "string",
  max_concurrency: "int64",
  trigger: TRIGGER_SHAPE,
  mode: enumOf("Mode", MODES),
  created_at: "timestamp",
  updated_at: "timestamp",
  status: enumOf("Status", STATUSES),
  error: STATUS,
  no_catchup: "bool",
  namespace: "string",
  experiment_id: "string",
  plugins_input: mapOf("struct"),
});

const K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** ScheduledWorkflow name: `toSWFCRDResourceGeneratedName` + the 5-character generateName suffix. */
export function swfName(displayName: string, uid: string): string {
  let base = displayName.toLowerCase().replace(/[^a-z0-9-]+/g, "");
  if (base === "") base = "job-";
  base = [...base].slice(0, 25).join("");
  const digest = createHash("sha1").update(uid).digest();
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += K8S_ALPHABET[digest[i]! % K8S_ALPHABET.length];
  return base + suffix;
}

/** Parse a trigger from a decoded body (`toModelTrigger`). */
export function triggerFromBody(t: Record<string, unknown> | undefined): TriggerRecord {
  const out: TriggerRecord = {};
  if (!t) return out;
  const ts = (v: unknown) => (v === undefined ? undefined : parseTimestamp(v));
  const cron = t.cron_schedule as Record<string, unknown> | undefined;
  if (cron) {
    out.cron_schedule = { cron: String(cron.cron ?? "") };
    const s = ts(cron.start_time);
    const e = ts(cron.end_time);
    if (s !== undefined) out.cron_schedule.start_time = s;
    if (e !== undefined) out.cron_schedule.end_time = e;
  }
  const per = t.periodic_schedule as Record<string, unknown> | undefined;
  if (per) {
    out.periodic_schedule = { interval_second: Number(per.interval_second ?? 0) };
    const s = ts(per.start_time);
    const e = ts(per.end_time);
    if (s !== undefined) out.periodic_schedule.start_time = s;
    if (e !== undefined) out.periodic_schedule.end_time = e;
  }
  return out;
}

/** The `toModelJob` checks shared by both API versions: concurrency, cron, interval. */
export function validateSchedule(maxConcurrency: number, trigger: TriggerRecord): void {
  if (maxConcurrency > 10 || maxConcurrency < 1) {
    throw invalidInput(
      `Max concurrency of a recurring run must be at least 1 and at most 10. Received ${maxConcurrency}`,
    );
  }
  if (trigger.cron_schedule) {
    const err = cronError(trigger.cron_schedule.cron);
    if (err !== undefined) {
      throw invalidInput(
        `Schedule cron is not a supported format(https://godoc.org/github.com/robfig/cron). Error: ${err}`,
      );
    }
  }
  if (trigger.periodic_schedule && trigger.periodic_schedule.interval_second < 1) {
    throw invalidInput(
      `Found invalid period schedule interval ${trigger.periodic_schedule.interval_second}. Set at interval to least 1 second`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// JSON

export function toApiTrigger(t: TriggerRecord): Record<string, unknown> {
  if (t.cron_schedule && t.cron_schedule.cron !== "") {
    const c = t.cron_schedule;
    return {
      cron_schedule: omitZero({
        start_time: c.start_time !== undefined ? timestamp(c.start_time) : undefined,
        end_time: c.end_time !== undefined ? timestamp(c.end_time) : undefined,
        cron: c.cron,
      }),
    };
  }
  if (t.periodic_schedule && t.periodic_schedule.interval_second !== 0) {
    const p = t.periodic_schedule;
    return {
      periodic_schedule: omitZero({
        start_time: p.start_time !== undefined ? timestamp(p.start_time) : undefined,
        end_time: p.end_time !== undefined ? timestamp(p.end_time) : undefined,
        interval_second: int64(p.interval_second),
      }),
    };
  }
  return {};
}

function toApiRuntimeConfig(rc: RuntimeConfigRecord | undefined): Record<string, unknown> | undefined {
  if (!rc) return undefined;
  const params = rc.parameters && Object.keys(rc.parameters).length > 0 ? rc.parameters : undefined;
  if (!params && !rc.pipeline_root) return undefined;
  return omitZero({ parameters: params, pipeline_root: rc.pipeline_root ?? "" });
}

export function toApiRecurringRun(j: RecurringRunRecord): Record<string, unknown> {
  const hasRef = j.pipeline_id !== "" || j.pipeline_version_id !== "";
  const out = omitZero({
    recurring_run_id: j.recurring_run_id,
    display_name: j.display_name,
    description: j.description,
    pipeline_spec: hasRef ? undefined : j.inline_spec,
    pipeline_version_reference: hasRef
      ? omitZero({ pipeline_id: j.pipeline_id, pipeline_version_id: j.pipeline_version_id })
      : undefined,
    runtime_config: toApiRuntimeConfig(j.runtime_config),
    service_account: j.service_account,
    max_concurrency: int64(j.max_concurrency),
    trigger: undefined,
    mode: j.enabled ? "ENABLE" : "DISABLE",
    created_at: timestamp(j.created_at),
    updated_at: timestamp(j.updated_at),
    status: j.enabled ? "ENABLED" : "DISABLED",
    no_catchup: j.no_catchup,
    namespace: j.namespace,
    experiment_id: j.experiment_id,
    plugins_input: j.plugins_input,
  }) as Record<string, unknown>;
  // A set Trigger message is emitted even when empty (`"trigger": {}`); keep the proto field order.
  const ordered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(out)) {
    if (k === "mode") ordered.trigger = toApiTrigger(j.trigger);
    ordered[k] = v;
  }
  return ordered;
}

const jobIdField = {
  get: (j: RecurringRunRecord) => j.recurring_run_id,
  kind: "string" as const,
  column: "UUID",
};
const jobNameField = {
  get: (j: RecurringRunRecord) => j.display_name,
  kind: "string" as const,
  column: "DisplayName",
};

export const RECURRING_RUN_LIST_SPEC: ListSpec<RecurringRunRecord> = {
  model: "jobs",
  typeName: "Job",
  fields: {
    recurring_run_id: jobIdField,
    id: jobIdField,
    display_name: jobNameField,
    name: jobNameField,
    created_at: { get: (j) => j.created_at, kind: "timestamp", column: "CreatedAtInSec" },
    updated_at: { get: (j) => j.updated_at, kind: "timestamp", column: "UpdatedAtInSec" },
    description: { get: (j) => j.description, kind: "string", column: "Description" },
  },
  id: (j) => j.recurring_run_id,
  createdAt: (j) => j.created_at,
};

// ---------------------------------------------------------------------------------------------------
// Operations shared by v2beta1 and v1beta1

/** `canAccessJob`: no-op in single-user mode; uses the job's namespace (or its experiment's). */

export interface JobCreateInput {
  display_name: string;
  description: string;
  experiment_id: string;
  namespace: string;
  pipeline_id: string;
  pipeline_version_id: string;
  pipeline_spec?: Record<string, unknown> | undefined;
  /** v1beta1: pipeline/workflow manifest text. */
  pipeline_manifest?: string | undefined;
  runtime_config?: RuntimeConfigRecord | undefined;
  service_account: string;
  max_concurrency: number;
  trigger: TriggerRecord;
  enabled: boolean;
  no_catchup: boolean;
  plugins_input?: Record<string, unknown> | undefined;
  v1_parameters?: { name: string; value: string }[];
}

/** `BaseJobServer.createJob` + `ResourceManager.CreateJob`. Errors are wrapped with `prefix`. */
export function createJob(ctx: RequestContext, input: JobCreateInput, prefix: string): RecurringRunRecord {
  try {
    if (input.display_name === "")
      throw invalidInput("Recurring run name is empty. Please specify a valid name");
    let pair: { experimentId: string; namespace: string };
    try {
      pair = validExperimentNamespacePair(ctx, input.experiment_id, input.namespace);
    } catch (err) {
      throw (err as ApiError).wrap(
        "Failed to create a recurring run due to invalid experimentId and namespace combination",
      );
    }
    if (ctx.isMultiUser && pair.namespace === "") {
      throw invalidInput("Recurring run cannot have an empty namespace in multi-user mode");
    }
    try {
      canAccessJob(ctx, "", pair.namespace, "create", input.display_name);
    } catch (err) {
      throw (err as ApiError).wrap(
        `Failed to create a recurring run due to authorization error. Check if you have write permission to namespace ${pair.namespace}`,
      );
    }
    try {
      canUseReferencedPipeline(ctx, input, pair.namespace, "recurring run");
    } catch (err) {
      throw (err as ApiError).wrap(
        "Failed to create a recurring run due to an inaccessible pipeline reference",
      );
    }
    const app = ctx.app;
    const k8sNamespace = pair.namespace !== "" ? pair.namespace : podNamespace(app);
    const pinned =
      input.pipeline_version_id !== "" ||
      !!input.pipeline_manifest ||
      (input.pipeline_spec !== undefined && Object.keys(input.pipeline_spec).length > 0);
    let resolved: ResolvedSource | undefined;
    let serviceAccount = input.service_account;
    if (pinned) {
      try {
        resolved = resolveSource(app, {
          pipeline_spec: input.pipeline_spec,
          manifest: input.pipeline_manifest,
          pipeline_id: input.pipeline_id,
          pipeline_version_id: input.pipeline_version_id,
        });
      } catch (err) {
        throw internal(
          "Failed to create a recurring run with an invalid pipeline spec manifest",
          err as Error,
        );
      }
      if (resolved.template.type === "v2") {
        const problem = validateRunParameters(
          resolved.template.pipelineSpec,
          input.runtime_config?.parameters ?? {},
        );
        if (problem !== undefined) {
          throw invalidInput(problem)
            .wrap("invalid pipeline job inputs")
            .wrap("Failed to create a recurring run during scheduled workflow creation");
        }
        const compile = compileProblem(resolved.template.pipelineSpec);
        if (compile !== undefined) {
          throw new PlainError(
            `Failed to create a recurring run during scheduled workflow creation: Failed to compile job: ${compile}`,
          );
        }
      }
      if (serviceAccount === "") serviceAccount = defaultServiceAccount(app);
    } else if (input.pipeline_id === "") {
      throw new PlainError("Cannot create a job with an empty pipeline ID");
    } else {
      const validateErr = "Failed to validate the input parameters on the latest pipeline version";
      if (!getPipelineRecord(app.store, input.pipeline_id)) {
        throw notFound("Pipeline", input.pipeline_id)
          .wrap("Failed to get the latest template as pipeline was not found")
          .wrap(validateErr);
      }
      const latest = latestVersion(app.store, input.pipeline_id);
      if (!latest) {
        throw notFound("PipelineVersion", `latest version of pipeline ${input.pipeline_id}`)
          .wrap("Failed to get the latest template for a pipeline")
          .wrap(validateErr);
      }
      if (latest.template.type === "v2") {
        const problem = validateRunParameters(
          latest.template.pipelineSpec,
          input.runtime_config?.parameters ?? {},
        );
        if (problem !== undefined) {
          throw invalidInput(problem).wrap(validateErr);
        }
      }
    }
    if (resolved?.template.type === "v1" && v1Blocked(app, k8sNamespace)) {
      throw invalidInput(
        `Namespace ${k8sNamespace} is not allowed to run v1 pipelines. Please migrate to using KFP V2 pipelines.`,
      );
    }
    const now = ctx.now();
    const id = ctx.newId();
    const rec: RecurringRunRecord = {
      recurring_run_id: id,
      display_name: input.display_name,
      description: input.description,
      pipeline_id: resolved ? resolved.pipeline_id : input.pipeline_id,
      pipeline_version_id: resolved ? resolved.pipeline_version_id : "",
      pipeline_name: resolved?.pipeline_name ?? "",
      ...(resolved?.inline ? { inline_spec: resolved.inline } : {}),
      ...(input.runtime_config ? { runtime_config: input.runtime_config } : {}),
      service_account: serviceAccount,
      max_concurrency: input.max_concurrency,
      trigger: input.trigger,
      enabled: input.enabled,
      no_catchup: input.no_catchup,
      namespace: k8sNamespace,
      experiment_id: pair.experimentId,
      ...(input.plugins_input ? { plugins_input: input.plugins_input } : {}),
      created_at: now,
      updated_at: now,
      k8s_name: swfName(input.display_name, id),
      last_index: 0,
      ...(input.v1_parameters ? { v1_parameters: input.v1_parameters } : {}),
    };
    ctx.store.put(RECURRING_RUNS, id, rec);
    app.scheduler.poke(id);
    return ctx.store.get<RecurringRunRecord>(RECURRING_RUNS, id) ?? rec;
  } catch (err) {
    throw wrapError(err, prefix);
  }
}

export function fetchJob(ctx: RequestContext, id: string, prefix: string): RecurringRunRecord {
  try {
    canAccessJob(ctx, id, "", "get");
  } catch (err) {
    throw (err as ApiError).wrap("Failed to authorize the request").wrap(prefix);
  }
  const rec = ctx.store.get<RecurringRunRecord>(RECURRING_RUNS, id);
  if (!rec) throw notFound("Job", id).wrap(prefix);
  return rec;
}

export function jobsInScope(
  ctx: RequestContext,
  rawNamespace: string | undefined,
  experimentId: string,
  prefix: string,
): readonly RecurringRunRecord[] {
  try {
    let namespace = replaceNamespace(ctx, rawNamespace);
    if (experimentId !== "") {
      try {
        namespace = namespaceOfExperiment(ctx.store, experimentId);
      } catch (err) {
        throw (err as ApiError).wrap(
          `Failed to list recurring runs due to error fetching namespace for experiment ${experimentId}. Try filtering based on namespace`,
        );
      }
    }
    try {
      canAccessJob(ctx, "", namespace, "list");
    } catch (err) {
      throw (err as ApiError).wrap(
        `Failed to list recurring runs due to authorization error. Check if you have permission to access namespace ${namespace}`,
      );
    }
    const store = ctx.store;
    if (experimentId !== "")
      return store.find<RecurringRunRecord>(RECURRING_RUNS, "experiment_id", experimentId);
    if (!ctx.isMultiUser && namespace === "") return store.snapshot<RecurringRunRecord>(RECURRING_RUNS);
    return store.find<RecurringRunRecord>(RECURRING_RUNS, "namespace", namespace);
  } catch (err) {
    throw wrapError(err, prefix);
  }
}

/** `ChangeJobMode`: flips `enabled` (and `updated_at`) only when it changes. */
export function changeJobMode(ctx: RequestContext, id: string, enable: boolean, prefix: string): void {
  try {
    canAccessJob(ctx, id, "", enable ? "enable" : "disable");
  } catch (err) {
    throw (err as ApiError).wrap("Failed to authorize the request").wrap(prefix);
  }
  const store = ctx.store;
  const rec = store.get<RecurringRunRecord>(RECURRING_RUNS, id);
  if (!rec) {
    throw notFound("Job", id)
      .wrap(`Failed to change recurring run's mode to enable:${enable}. Check if recurring run ${id} exists`)
      .wrap(prefix);
  }
  if (rec.enabled !== enable)
    store.put(RECURRING_RUNS, id, { ...rec, enabled: enable, updated_at: ctx.now() });
  ctx.app.scheduler.poke(id);
}

export function deleteJob(ctx: RequestContext, id: string, prefix: string): void {
  try {
    canAccessJob(ctx, id, "", "delete");
  } catch (err) {
    throw (err as ApiError).wrap("Failed to authorize the request").wrap(prefix);
  }
  const store = ctx.store;
  if (!store.has(RECURRING_RUNS, id)) {
    throw notFound("Job", id).wrap(`Failed to delete recurring run ${id}. Check if exists`).wrap(prefix);
  }
  store.delete(RECURRING_RUNS, id);
  ctx.app.scheduler.forget(id);
}

// ---------------------------------------------------------------------------------------------------
// Routes

const PROPAGATION = ["DELETE_PROPAGATION_POLICY_UNSPECIFIED", "FOREGROUND", "BACKGROUND", "ORPHAN"];

export function register(app: ModuleHost): void {
  app.experimentArchive.disableRecurringRuns = (experimentId: string) => {
    const now = app.now();
    for (const j of [...app.store.all<RecurringRunRecord>(RECURRING_RUNS)]) {
      if (j.experiment_id === experimentId && j.enabled) {
        app.store.put(RECURRING_RUNS, j.recurring_run_id, { ...j, enabled: false, updated_at: now });
      }
    }
  };
  const r = app.router;

  r.post(ALL_V2, "/recurringruns", (ctx) => {
    const body = ctx.readJson(RECURRING_RUN_SHAPE);
    checkOneof(
      body,
      ["pipeline_version_id", "pipeline_spec", "pipeline_version_reference"],
      `kubeflow.pipelines.backend.api.${ctx.api}.RecurringRun.pipeline_source`,
      ctx.body,
    );
    const trig = body.trigger as Record<string, unknown> | undefined;
    if (trig) {
      checkOneof(
        trig,
        ["cron_schedule", "periodic_schedule"],
        `kubeflow.pipelines.backend.api.${ctx.api}.Trigger.trigger`,
        ctx.body,
      );
    }
    const conv = "Failed to create a recurring run due to conversion error";
    const name = String(body.display_name ?? "");
    if (name === "") {
      throw internal(
        "Failed to convert a API recurring run to its internal representation",
        invalidInput("Recurring run's name cannot be empty"),
      ).wrap(conv);
    }
    const trigger = triggerFromBody(trig);
    const maxConcurrency = Number(body.max_concurrency ?? 0);
    try {
      validateSchedule(maxConcurrency, trigger);
    } catch (err) {
      throw (err as ApiError).wrap(conv);
    }
    const { source, runtime_config } = runParamsFromBody(body);
    const rec = createJob(
      ctx,
      {
        display_name: name,
        description: String(body.description ?? ""),
        experiment_id: String(body.experiment_id ?? ""),
        namespace: String(body.namespace ?? ""),
        pipeline_id: source.pipeline_id ?? "",
        pipeline_version_id: source.pipeline_version_id ?? "",
        pipeline_spec: source.pipeline_spec,
        runtime_config,
        service_account: String(body.service_account ?? ""),
        max_concurrency: maxConcurrency,
        trigger,
        enabled: body.mode === "ENABLE",
        no_catchup: body.no_catchup === true,
        plugins_input: body.plugins_input as Record<string, unknown> | undefined,
      },
      "Failed to create a recurring run",
    );
    return toApiRecurringRun(rec);
  });

  r.get(ALL_V2, "/recurringruns", (ctx) => {
    const q = ctx.listQuery();
    const api = ctx.api === "v1beta1" ? "v2beta1" : ctx.api;
    const listOpts = checkListOptions(
      q,
      RECURRING_RUN_LIST_SPEC,
      api,
      "Failed to list recurring runs due to error parsing the listing options",
    );
    const rows = jobsInScope(ctx, ctx.q("namespace"), ctx.q("experiment_id") ?? "", "Failed to list jobs");
    const page = listRows(rows, q, RECURRING_RUN_LIST_SPEC, api, listOpts);
    return listResponse(
      "recurringRuns",
      page.items.map(toApiRecurringRun),
      page.total_size,
      page.next_page_token,
    );
  });

  r.get(ALL_V2, "/recurringruns/{recurring_run_id}", (ctx) =>
    toApiRecurringRun(fetchJob(ctx, ctx.param("recurring_run_id"), "Failed to fetch a recurring run")),
  );

  r.post(ALL_V2, "/recurringruns/{recurring_run_id}:enable", (ctx) => {
    changeJobMode(ctx, ctx.param("recurring_run_id"), true, "Failed to enable a recurring run");
    return {};
  });

  r.post(ALL_V2, "/recurringruns/{recurring_run_id}:disable", (ctx) => {
    changeJobMode(ctx, ctx.param("recurring_run_id"), false, "Failed to disable a recurring run");
    return {};
  });

  r.delete(ALL_V2, "/recurringruns/{recurring_run_id}", (ctx) => {
    ctx.qEnum("propagation_policy", PROPAGATION);
    deleteJob(ctx, ctx.param("recurring_run_id"), "Failed to delete a recurring run");
    return {};
  });
}
