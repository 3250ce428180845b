/**
 * The recurring-run rules that read or write the store (FACTS.md §7.5, §8; upstream
 * `resource_manager.go CreateJob/ChangeJobMode/DeleteJob`, `job_store.go`), shared by the v2beta1,
 * /apis/v2 and v1beta1 handlers (api/recurring-runs.ts, api/v1-jobs.ts). The scheduler (scheduler.ts)
 * creates the runs.
 *
 * Validation order and texts follow upstream: `max_concurrency` outside 1..10 (0 when omitted) → 400;
 * cron checked with robfig/cron v1.2.0 semantics → 400 "Schedule cron is not a supported format(...)";
 * `interval_second` < 1 → 400. A version id (or inline spec) pins the pipeline: parameters are
 * validated and compiled now; a pipeline id alone is validated against its latest version and each run
 * uses the latest version at trigger time.
 *
 * As upstream, the stored namespace is the Kubernetes namespace of the ScheduledWorkflow: the
 * experiment's namespace, or the server's own (`kubeflow`) in single-user mode — so single-user
 * responses carry `"namespace": "kubeflow"`.
 */
import { createHash } from "node:crypto";
import { cronError } from "../engine/cron.js";
import type { EmulatorApp, RequestContext } from "../http/context.js";
import { type ApiError, internal, invalidInput, notFound } from "../http/errors.js";
import { getPipelineRecord, latestVersion } from "../model/pipeline.js";
import { RECURRING_RUNS, type RecurringRunRecord, type TriggerRecord } from "../model/recurring-run.js";
import type { RuntimeConfigRecord } from "../model/run.js";
import { validateRunParameters } from "../template/params.js";
import { canAccessJob, canUseReferencedPipeline } from "./access.js";
import { namespaceOfExperiment, replaceNamespace, validExperimentNamespacePair } from "./experiments.js";
import { compileProblem, type ResolvedSource, resolveSource } from "./run-source.js";
import { defaultServiceAccount, PlainError, podNamespace, v1Blocked, wrapError } from "./runs.js";

export { RECURRING_RUNS };

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
// Operations shared by v2beta1 and v1beta1

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
    return ctx.store.get(RECURRING_RUNS, id) ?? rec;
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
  const rec = ctx.store.get(RECURRING_RUNS, id);
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
    if (experimentId !== "") return store.find(RECURRING_RUNS, "experiment_id", experimentId);
    if (!ctx.isMultiUser && namespace === "") return store.snapshot(RECURRING_RUNS);
    return store.find(RECURRING_RUNS, "namespace", namespace);
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
  const rec = store.get(RECURRING_RUNS, id);
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

/** Experiment archive: disable the experiment's enabled recurring runs (`updated_at` = now). */
export function disableExperimentRecurringRuns(app: EmulatorApp, experimentId: string): void {
  const now = app.now();
  for (const j of [...app.store.all(RECURRING_RUNS)]) {
    if (j.experiment_id === experimentId && j.enabled) {
      app.store.put(RECURRING_RUNS, j.recurring_run_id, { ...j, enabled: false, updated_at: now });
    }
  }
}
