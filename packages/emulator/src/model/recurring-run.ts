/** Recurring run (job) records (upstream `model/job.go`). */
import type { RuntimeConfigRecord } from "./run.js";

export const RECURRING_RUNS = "recurring_runs" as const;

export interface TriggerRecord {
  cron_schedule?: { cron: string; start_time?: number; end_time?: number };
  periodic_schedule?: { interval_second: number; start_time?: number; end_time?: number };
}

export interface RecurringRunRecord {
  recurring_run_id: string;
  display_name: string;
  description: string;
  /** Pinned: set with the resolved version; unpinned: only `pipeline_id`. */
  pipeline_id: string;
  pipeline_version_id: string;
  pipeline_name: string;
  inline_spec?: Record<string, unknown>;
  runtime_config?: RuntimeConfigRecord;
  service_account: string;
  max_concurrency: number;
  trigger: TriggerRecord;
  enabled: boolean;
  no_catchup: boolean;
  /** Kubernetes namespace of the ScheduledWorkflow. */
  namespace: string;
  experiment_id: string;
  plugins_input?: Record<string, unknown>;
  created_at: number;
  updated_at: number;
  /** ScheduledWorkflow name (`<sanitised display name ≤25><5 chars>`). */
  k8s_name: string;
  /** Scheduler status: index of the last run and its scheduled time. */
  last_index: number;
  last_triggered_time?: number;
  /** v1beta1 only: the job's `enabled`/`mode` input and v1 parameters. */
  v1_parameters?: { name: string; value: string }[];
}
