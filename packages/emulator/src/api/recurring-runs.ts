/**
 * The recurring-run handlers of v2beta1 and /apis/v2: create, get, list (key `recurringRuns`), enable,
 * disable, delete (FACTS.md §7.5, §8; upstream `job_server.go`, `api_converter.go
 * toModelJob/toApiRecurringRun`): wire shapes, triggers, JSON and list fields. Conversion checks come
 * first (empty `display_name` → 500, then the schedule checks); every rule that needs stored state is in
 * resource/recurring-runs.ts.
 */
import { enumOf, mapOf, message, repeated } from "../http/body.js";
import { int64, listResponse, omitZero, parseTimestamp, timestamp } from "../http/encode.js";
import { type ApiError, internal, invalidInput } from "../http/errors.js";
import type { ModuleHost } from "../http/module.js";
import { ALL_V2 } from "../http/router.js";
import { checkListOptions, type ListSpec, listRows } from "../list/list.js";
import type { RecurringRunRecord, TriggerRecord } from "../model/recurring-run.js";
import type { RuntimeConfigRecord } from "../model/run.js";
import {
  changeJobMode,
  createJob,
  deleteJob,
  disableExperimentRecurringRuns,
  fetchJob,
  jobsInScope,
  validateSchedule,
} from "../resource/recurring-runs.js";
import { checkOneof, PVR_SHAPE, RUNTIME_CONFIG_SHAPE, runParamsFromBody } from "./runs.js";

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
// Routes

const PROPAGATION = ["DELETE_PROPAGATION_POLICY_UNSPECIFIED", "FOREGROUND", "BACKGROUND", "ORPHAN"];

export function register(app: ModuleHost): void {
  app.experimentArchive.disableRecurringRuns = (experimentId: string) =>
    disableExperimentRecurringRuns(app, experimentId);
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
