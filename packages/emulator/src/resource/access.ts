/**
 * The resource layer's authorization rules (upstream `resource_manager.IsAuthorized` and the
 * servers' `canAccess*` helpers, FACTS.md §8). Every handler reaches the store through these checks
 * first; in single-user mode they are no-ops. A rule that needs a record looks it up itself, so the
 * namespace a request is authorized against is always the stored one, never one the caller names.
 *
 * Two rules are the emulator's own, stricter than upstream, because upstream leaks there (see
 * ARCHITECTURE.md): an empty namespace in a lookup by name means shared pipelines only, and a
 * pipeline or pipeline version referenced by id inside a run or recurring run create must be shared
 * or live in the run's namespace (`canUseReferencedPipeline`).
 */
import type { ResolvedMultiUser } from "../auth.js";
import { type ApiError, internal, invalidInput, notFound } from "../http/errors.js";
import { EXPERIMENTS, isEmptyNamespace } from "../model/experiment.js";
import { getPipelineRecord, getVersionRecord } from "../model/pipeline.js";
import { RECURRING_RUNS } from "../model/recurring-run.js";
import { RUNS } from "../model/run.js";
import type { Store } from "../storage/kinds.js";

/** What the rules need from a request: the store, the mode, and the authorizer of auth.ts. */
export interface AccessSubject {
  readonly store: Store;
  readonly multiUser: ResolvedMultiUser | undefined;
  readonly isMultiUser: boolean;
  authorize(namespace: string, resource: string, verb: string, name?: string): void;
}

/**
 * `canAccessPipeline`: multi-user only; looks up the pipeline's namespace; reads of shared
 * pipelines are free, writes to them are authorized against the KFP namespace.
 */
export function canAccessPipeline(
  ctx: AccessSubject,
  pipelineId: string,
  verb: string,
  namespace = "",
  name = "",
  /** How the messages name what was asked for (a version check names the version, not its parent). */
  shown = pipelineId,
): void {
  const mu = ctx.multiUser;
  if (!mu) return;
  let ns = namespace;
  let n = name;
  if (pipelineId) {
    const p = getPipelineRecord(ctx.store, pipelineId);
    if (!p) {
      throw notFound("Pipeline", pipelineId).wrap(
        `Failed to access pipeline ${pipelineId}. Check if it exists and have a namespace assigned`,
      );
    }
    ns = p.namespace;
    if (!n) n = p.name;
  }
  if (ns === "" || ns === "-") {
    if (verb === "get" || verb === "list") return;
    try {
      ctx.authorize(mu.kfpNamespace, "pipelines", verb, n);
    } catch (err) {
      throw (err as ApiError).wrap(
        `Failed to access shared pipeline ${shown}. Check if you have permission to ${verb} shared pipelines`,
      );
    }
    return;
  }
  try {
    ctx.authorize(ns, "pipelines", verb, n);
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to access pipeline ${shown}. Check if you have access to namespace ${ns}`,
    );
  }
}

/** `canAccessPipelineVersion`. */
export function canAccessPipelineVersion(
  ctx: AccessSubject,
  versionId: string,
  verb: string,
  namespace = "",
): void {
  if (!ctx.isMultiUser) return;
  let pid = "";
  if (versionId) {
    const v = getVersionRecord(ctx.store, versionId);
    if (!v) {
      throw notFound("PipelineVersion", versionId).wrap(
        `Failed to access pipeline version ${versionId}. Check if it exists`,
      );
    }
    pid = v.pipeline_id;
  }
  // Denials name the version the caller sent, never its parent pipeline's id (isolation matrix).
  canAccessPipeline(ctx, pid, verb, namespace, "", versionId ? `version ${versionId}` : pid);
}

/** `canAccessExperiment`: no-op in single-user mode; looks up the experiment's namespace by id. */
export function canAccessExperiment(
  ctx: AccessSubject,
  experimentId: string,
  namespace: string,
  verb: string,
  name = "",
): void {
  if (!ctx.isMultiUser) return;
  let ns = namespace;
  let n = name;
  if (experimentId !== "") {
    const rec = ctx.store.get(EXPERIMENTS, experimentId);
    if (!rec) throw notFound("Experiment", experimentId).wrap("Failed to authorize with the experiment ID");
    ns = rec.namespace;
    if (n === "") n = rec.display_name;
  }
  if (isEmptyNamespace(ns))
    throw invalidInput("An experiment cannot have an empty namespace in multi-user mode");
  ctx.authorize(ns, "experiments", verb, n);
}

/** `canAccessRecurringRun` (resource `jobs`): a recurring run's namespace is its own or its experiment's. */
export function canAccessJob(
  ctx: AccessSubject,
  jobId: string,
  namespace: string,
  verb: string,
  name = "",
): void {
  if (!ctx.isMultiUser) return;
  let ns = namespace;
  let n = name;
  if (jobId !== "") {
    const rec = ctx.store.get(RECURRING_RUNS, jobId);
    if (!rec) throw notFound("Job", jobId).wrap("failed to authorize with the recurring run ID");
    if (isEmptyNamespace(rec.namespace)) {
      const exp = ctx.store.get(EXPERIMENTS, rec.experiment_id);
      if (!exp) {
        throw internal(
          `recurring run ${jobId} has an empty namespace and the parent experiment ${rec.experiment_id} could not be fetched`,
          notFound("Experiment", rec.experiment_id),
        );
      }
      ns = exp.namespace;
    } else {
      ns = rec.namespace;
    }
    if (n === "") n = rec.display_name;
  }
  if (isEmptyNamespace(ns))
    throw invalidInput("a recurring run cannot have an empty namespace in multi-user mode");
  try {
    ctx.authorize(ns, "jobs", verb, n);
  } catch (err) {
    const e = err as ApiError;
    e.message = e.message.replace(/^Failed to authorize with API/, "failed to authorize with API");
    throw e;
  }
}

/** `canAccessRun`: no-op in single-user mode; a run's namespace is its own or its experiment's. */
export function canAccessRun(ctx: AccessSubject, runId: string, namespace: string, verb: string): void {
  if (!ctx.isMultiUser) return;
  let ns = namespace;
  let name = "";
  if (runId !== "") {
    const rec = ctx.store.get(RUNS, runId);
    if (!rec) {
      throw notFound("Run", runId)
        .wrap(`Failed to fetch run ${runId}`)
        .wrap(`Failed to authorize with the run ID ${runId}`);
    }
    if (isEmptyNamespace(rec.namespace)) {
      const exp = ctx.store.get(EXPERIMENTS, rec.experiment_id);
      if (!exp) {
        throw invalidInput(
          `run ${runId} has an empty namespace and the parent experiment ${rec.experiment_id} could not be fetched: ResourceNotFoundError: Experiment ${rec.experiment_id} not found`,
        );
      }
      ns = exp.namespace;
    } else {
      ns = rec.namespace;
    }
    name = rec.workflow_name;
  }
  if (isEmptyNamespace(ns)) throw invalidInput("A run cannot have an empty namespace in multi-user mode");
  try {
    ctx.authorize(ns, "runs", verb, name);
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to access run ${runId}. Check if you have access to namespace ${ns}`,
    );
  }
}

/**
 * Whether a pipeline found by name may be returned for a lookup in `namespace` (already replaced:
 * "" in single-user mode). In multi-user mode an empty namespace means shared pipelines only
 * (FACTS.md §8); upstream's store matches any namespace there, which hands out private pipelines.
 */
export function visibleByName(ctx: AccessSubject, pipelineNamespace: string, namespace: string): boolean {
  if (namespace !== "") return pipelineNamespace === namespace;
  return !ctx.isMultiUser || isEmptyNamespace(pipelineNamespace);
}

/**
 * A run or recurring run created in `runNamespace` may name a pipeline (or version) by id only when
 * the caller may read it and it is shared or in the same namespace: otherwise the run would hand the
 * pipeline's spec to everyone who can read runs in `runNamespace`. Unknown ids pass: the source
 * resolution that follows answers them with upstream's not-found errors.
 */
export function canUseReferencedPipeline(
  ctx: AccessSubject,
  ref: { pipeline_id?: string | undefined; pipeline_version_id?: string | undefined },
  runNamespace: string,
  kind: "run" | "recurring run",
): void {
  if (!ctx.isMultiUser) return;
  let pipelineId = ref.pipeline_id ?? "";
  // What the messages name: what the caller sent (a version's parent id stays unsaid).
  const shown = pipelineId || `version ${ref.pipeline_version_id ?? ""}`;
  if (ref.pipeline_version_id) {
    const v = getVersionRecord(ctx.store, ref.pipeline_version_id);
    if (!v) return;
    pipelineId = v.pipeline_id;
  }
  if (pipelineId === "") return;
  const p = getPipelineRecord(ctx.store, pipelineId);
  if (!p || isEmptyNamespace(p.namespace)) return;
  try {
    ctx.authorize(p.namespace, "pipelines", "get", p.name);
  } catch (err) {
    throw (err as ApiError).wrap(
      `Failed to access pipeline ${shown}. Check if you have access to namespace ${p.namespace}`,
    );
  }
  if (p.namespace !== runNamespace) {
    throw invalidInput(
      `Pipeline ${shown} belongs to namespace '${p.namespace}': a ${kind} in namespace '${runNamespace}' can only use pipelines of its own namespace or shared pipelines`,
    );
  }
}
