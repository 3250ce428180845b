/** Experiment records (upstream `model/experiment.go`). */

export const EXPERIMENTS = "experiments" as const;
export const DEFAULT_EXPERIMENT_META = "default_experiment_id";
export const DEFAULT_EXPERIMENT_DESCRIPTION =
  "All runs created without specifying an experiment will be grouped here.";

export type StorageState = "AVAILABLE" | "ARCHIVED";

export interface ExperimentRecord {
  experiment_id: string;
  display_name: string;
  description: string;
  namespace: string;
  created_at: number;
  last_run_created_at: number;
  storage_state: StorageState;
}

/** `common.IsEmptyNamespace`-like: "" and "-" (v1 wildcard) both mean no namespace. */
export function isEmptyNamespace(ns: string | undefined): boolean {
  return ns === undefined || ns === "" || ns === "-";
}

/** Hooks other modules install to take part in an experiment's archival. */
export interface ExperimentArchiveHooks {
  /** Disable every recurring run of the experiment. */
  disableRecurringRuns?(experimentId: string): void;
}
