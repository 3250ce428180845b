/**
 * The experiment rules that read or write the store (FACTS.md §7.2, §8; upstream
 * `resource_manager.go`, `experiment_store.go`), shared by the v2beta1, /apis/v2 and v1beta1 handlers
 * (api/experiments.ts, api/v1-experiments.ts), runs and recurring runs; plus the default experiment of
 * single-user servers.
 *
 * Behaviour worth knowing:
 * - empty `display_name` → 500 (the converter wraps the InvalidInput in an InternalServerError);
 *   names longer than 128 bytes / namespaces longer than 63 → 500 too;
 * - (namespace, display_name) is unique → 409; deleting the default experiment → 409 (Aborted);
 * - archive marks the experiment and all its runs ARCHIVED and disables its recurring runs;
 *   unarchive restores only the experiment; delete keeps runs and recurring runs;
 * - in single-user mode archive/unarchive of an unknown id succeed (an UPDATE of no rows upstream);
 * - multi-user: create/list need a namespace (400), get/delete/archive of an unknown id → 404, and
 *   every call is authorized against the experiment's namespace (resource `experiments`).
 */

import type { EmulatorApp, RequestContext } from "../http/context.js";
import {
  type ApiError,
  alreadyExists,
  badRequest,
  internal,
  invalidInput,
  notFound,
} from "../http/errors.js";
import {
  DEFAULT_EXPERIMENT_DESCRIPTION,
  DEFAULT_EXPERIMENT_META,
  EXPERIMENTS,
  type ExperimentRecord,
} from "../model/experiment.js";
import { RUNS } from "../model/run.js";
import type { Store } from "../storage/kinds.js";
import { canAccessExperiment } from "./access.js";

/** `ExperimentStore.GetExperiment`: 404 "Experiment <id> not found". */
export function getExperiment(store: Store, id: string): ExperimentRecord {
  const rec = store.get(EXPERIMENTS, id);
  if (!rec) throw notFound("Experiment", id);
  return rec;
}

export function findExperiment(store: Store, id: string): ExperimentRecord | undefined {
  return store.get(EXPERIMENTS, id);
}

export function defaultExperimentId(store: Store): string {
  return store.getMeta(DEFAULT_EXPERIMENT_META) ?? "";
}

/**
 * `CreateDefaultExperiment(namespace)`: reuse the stored default, else an experiment named `Default`
 * in that namespace, else create one.
 */
export function ensureDefaultExperiment(app: EmulatorApp, namespace = ""): string {
  const store = app.store;
  const existing = defaultExperimentId(store);
  if (existing !== "") return existing;
  return store.transaction(() => {
    let rec = [...store.all(EXPERIMENTS)].find(
      (e) => e.display_name === "Default" && e.namespace === namespace,
    );
    if (!rec) {
      rec = {
        experiment_id: app.newId(),
        display_name: "Default",
        description: DEFAULT_EXPERIMENT_DESCRIPTION,
        namespace,
        created_at: app.now(),
        last_run_created_at: 0,
        storage_state: "AVAILABLE",
      };
      store.put(EXPERIMENTS, rec.experiment_id, rec);
    }
    store.setMeta(DEFAULT_EXPERIMENT_META, rec.experiment_id);
    return rec.experiment_id;
  });
}

/** `GetNamespaceFromExperimentId`: "" for an empty id; 404 (wrapped) for an unknown one. */
export function namespaceOfExperiment(store: Store, experimentId: string): string {
  if (experimentId === "") return "";
  const rec = store.get(EXPERIMENTS, experimentId);
  if (!rec)
    throw notFound("Experiment", experimentId).wrap(
      `Failed to fetch namespace from experiment ${experimentId}`,
    );
  return rec.namespace;
}

/**
 * `GetValidExperimentNamespacePair`: multi-user needs an experiment id (400); a given experiment's
 * namespace wins (a different non-empty namespace → 400); no id → the default experiment.
 */
export function validExperimentNamespacePair(
  ctx: RequestContext,
  experimentId: string,
  namespace: string,
): { experimentId: string; namespace: string } {
  if (ctx.isMultiUser && experimentId === "")
    throw invalidInput("Experiment id can not be empty in multi-user mode");
  if (experimentId !== "") {
    let ns: string;
    try {
      ns = namespaceOfExperiment(ctx.store, experimentId);
    } catch (err) {
      throw (err as ApiError).wrap(`Failed to fetch namespace for experiment ${experimentId}`);
    }
    if (namespace !== "" && namespace !== ns) {
      throw invalidInput(`Experiment ${experimentId} belongs to namespace '${ns}' instead of '${namespace}'`);
    }
    return { experimentId, namespace: ns };
  }
  return { experimentId: ensureDefaultExperiment(ctx.app, namespace), namespace };
}

/** `ReplaceNamespace`: namespaces are ignored in single-user mode. */
export function replaceNamespace(ctx: RequestContext, ns: string | undefined): string {
  return ctx.isMultiUser ? (ns ?? "") : "";
}

/** Set `last_run_created_at` of an experiment (on run creation). */
export function touchExperiment(store: Store, experimentId: string, createdAt: number): void {
  const rec = store.get(EXPERIMENTS, experimentId);
  if (rec) store.put(EXPERIMENTS, experimentId, { ...rec, last_run_created_at: createdAt });
}

// ---------------------------------------------------------------------------------------------------
// Operations shared by v2beta1 and v1beta1

/** Validate and store a new experiment (conversion errors → 500, duplicates → 409). */
export function createExperiment(
  ctx: RequestContext,
  input: { name: string; description: string; namespace: string },
  version: "v1beta1" | "v2beta1",
): ExperimentRecord {
  const conv =
    version === "v1beta1" ? "Failed to create a v1beta1 experiment" : "Failed to create a experiment";
  const convPrefix = `[ExperimentServer]: ${conv} due to conversion error`;
  if (input.name === "") {
    throw internal(
      "Failed to convert API experiment to model experiment",
      invalidInput("Experiment must have a non-empty name"),
    ).wrap(convPrefix);
  }
  if (Buffer.byteLength(input.name) > 128) {
    throw internal(
      "Failed to convert API experiment to model experiment",
      invalidInput("Experiment.Name length cannot exceed 128"),
    ).wrap(convPrefix);
  }
  if (Buffer.byteLength(input.namespace) > 63) {
    throw internal(
      "Failed to convert API experiment to model experiment",
      invalidInput("Experiment.Namespace length cannot exceed 63"),
    ).wrap(convPrefix);
  }
  const namespace = replaceNamespace(ctx, input.namespace);
  try {
    canAccessExperiment(ctx, "", namespace, "create", input.name);
  } catch (err) {
    throw (err as ApiError).wrap("Failed to authorize the request").wrap(conv);
  }
  const store = ctx.store;
  return store.transaction(() => {
    for (const e of store.all(EXPERIMENTS)) {
      if (e.display_name === input.name && e.namespace === namespace) {
        throw alreadyExists(
          `Failed to create a new experiment. The name ${input.name} already exists. Please specify a new name`,
        ).wrap(conv);
      }
    }
    const rec: ExperimentRecord = {
      experiment_id: ctx.newId(),
      display_name: input.name,
      description: input.description,
      namespace,
      created_at: ctx.now(),
      last_run_created_at: 0,
      storage_state: "AVAILABLE",
    };
    store.put(EXPERIMENTS, rec.experiment_id, rec);
    return rec;
  });
}

export function fetchExperiment(ctx: RequestContext, id: string, prefix: string): ExperimentRecord {
  try {
    canAccessExperiment(ctx, id, "", "get");
  } catch (err) {
    throw (err as ApiError).wrap("Failed to authorize the request").wrap(prefix);
  }
  try {
    return getExperiment(ctx.store, id);
  } catch (err) {
    throw (err as ApiError).wrap(prefix);
  }
}

/** Rows visible to a list call in `namespace` (already authorized). */
export function experimentsInScope(ctx: RequestContext, namespace: string): readonly ExperimentRecord[] {
  if (!ctx.isMultiUser && namespace === "") return ctx.store.snapshot(EXPERIMENTS);
  return ctx.store.find(EXPERIMENTS, "namespace", namespace);
}

export function listExperimentsScoped(
  ctx: RequestContext,
  rawNamespace: string | undefined,
  prefix: string,
): readonly ExperimentRecord[] {
  const namespace = replaceNamespace(ctx, rawNamespace);
  try {
    canAccessExperiment(ctx, "", namespace, "list");
  } catch (err) {
    throw (err as ApiError).wrap("Failed to authorize with API").wrap(prefix);
  }
  return experimentsInScope(ctx, namespace);
}

export function deleteExperiment(ctx: RequestContext, id: string, prefix: string): void {
  try {
    canAccessExperiment(ctx, id, "", "delete");
  } catch (err) {
    throw (err as ApiError).wrap("Failed to authorize the request").wrap(prefix);
  }
  const store = ctx.store;
  const def = defaultExperimentId(store);
  if (def !== "" && id === def) {
    const e = badRequest(`Failed to delete experiment ${id}. The default experiment cannot be deleted`);
    e.message = `BadRequestError: Failed to delete experiment ${id}. The default experiment cannot be deleted: Invalid input error: Experiment id cannot be equal to the default id ${def}`;
    throw e.wrap(prefix);
  }
  if (!store.has(EXPERIMENTS, id)) {
    throw notFound("Experiment", id)
      .wrap(`Failed to delete experiment ${id} due to error fetching it`)
      .wrap(prefix);
  }
  store.delete(EXPERIMENTS, id);
}

/** Archive: recurring runs disabled, experiment and all its runs ARCHIVED. */
export function archiveExperiment(ctx: RequestContext, id: string, prefix: string): void {
  try {
    canAccessExperiment(ctx, id, "", "archive");
  } catch (err) {
    throw (err as ApiError).wrap("Failed to authorize the request").wrap(prefix);
  }
  const store = ctx.store;
  store.transaction(() => {
    ctx.app.experimentArchive.disableRecurringRuns?.(id);
    const rec = store.get(EXPERIMENTS, id);
    if (rec) store.put(EXPERIMENTS, id, { ...rec, storage_state: "ARCHIVED" });
    for (const run of store.find(RUNS, "experiment_id", id)) {
      if (run.storage_state !== "ARCHIVED") {
        store.put(RUNS, run.run_id, { ...run, storage_state: "ARCHIVED" });
      }
    }
  });
}

export function unarchiveExperiment(ctx: RequestContext, id: string, prefix: string): void {
  try {
    canAccessExperiment(ctx, id, "", "unarchive");
  } catch (err) {
    throw (err as ApiError).wrap("Failed to authorize the request").wrap(prefix);
  }
  const rec = ctx.store.get(EXPERIMENTS, id);
  if (rec) ctx.store.put(EXPERIMENTS, id, { ...rec, storage_state: "AVAILABLE" });
}
