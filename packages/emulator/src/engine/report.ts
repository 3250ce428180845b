/**
 * Workflow reports → run state and `run_details.task_details` rows, the way the API server stores
 * what the persistence agent reports (report_server.go, task_store.go).
 */
import type { RunRecord, RuntimeState, StateEntry, TaskRow } from "../model/run.js";
import type { NodePhase, WorkflowReport } from "./workflow.js";

/** Go zero time as unix seconds (`time.Time{}.Unix()`), shown as `0001-01-01T00:00:00Z`. */
export const GO_ZERO_TIME = -62135596800;

/** `model.RuntimeState(node.Phase).ToV2()`. */
export function nodePhaseToState(p: NodePhase): RuntimeState {
  switch (p) {
    case "Pending":
      return "PENDING";
    case "Running":
      return "RUNNING";
    case "Succeeded":
      return "SUCCEEDED";
    case "Skipped":
      return "SKIPPED";
    case "Failed":
      return "FAILED";
    default:
      return "RUNTIME_STATE_UNSPECIFIED";
  }
}

/** The run state the server derives from a workflow report. */
export function workflowState(report: WorkflowReport): RuntimeState {
  if (report.terminating) return "CANCELING";
  switch (report.phase) {
    case "Running":
      return "RUNNING";
    case "Succeeded":
      return "SUCCEEDED";
    case "Failed":
      return "FAILED";
  }
}

/** Append `state` to a history only when it differs from the last entry. */
export function appendState(history: StateEntry[], state: RuntimeState, now: number): StateEntry[] {
  const last = history[history.length - 1];
  if (last && last.state === state) return history;
  return [...history, { update_time: now, state }];
}

/**
 * Upsert the report's nodes into the stored rows (matched by node id): new rows get a fresh id and
 * the workflow creation time; every row's history gets the current state appended on change. Rows of
 * nodes missing from the report (removed by a retry) are kept unchanged.
 */
export function mergeReport(
  rows: readonly TaskRow[],
  report: WorkflowReport,
  createdAt: number,
  now: number,
  newId: () => string,
): TaskRow[] {
  const byPod = new Map(rows.map((r) => [r.pod_name, r]));
  const out = [...rows];
  for (const n of report.nodes) {
    const state = nodePhaseToState(n.phase);
    const prev = byPod.get(n.id);
    const row: TaskRow = {
      task_id: prev?.task_id ?? newId(),
      pod_name: n.id,
      display_name: n.displayName,
      create_time: createdAt,
      start_time: n.startedAt || GO_ZERO_TIME,
      end_time: n.finishedAt || GO_ZERO_TIME,
      state,
      state_history: appendState(prev?.state_history ?? [], state, now),
      child_tasks: n.children,
      node_type: n.type,
      ...(n.taskKey !== undefined ? { task_key: n.taskKey } : {}),
      ...(n.artifacts ? { artifacts: n.artifacts } : {}),
    };
    if (prev) out[out.indexOf(prev)] = row;
    else out.push(row);
    byPod.set(n.id, row);
  }
  return out;
}

/**
 * The run record after a workflow report, as the server stores one: the run's state and its history,
 * the finish time and the task rows. Both engines (simulated and executed) report through this.
 */
export function applyReport(
  prev: RunRecord,
  report: WorkflowReport,
  now: number,
  newId: () => string,
): RunRecord {
  const state = workflowState(report);
  return {
    ...prev,
    state,
    state_history: appendState(prev.state_history, state, now),
    finished_at: report.phase === "Running" ? 0 : report.finishedAt,
    tasks: mergeReport(prev.tasks, report, prev.created_at, now, newId),
    workflow_phase: report.phase,
  };
}

/** Deterministic artifact bytes for a finished node. */
export function artifactContent(runId: string, row: TaskRow, artifactName: string): Buffer {
  if (artifactName === "main-logs") {
    return Buffer.from(
      `time="emulated" level=info msg="${row.display_name} (${row.task_key ?? "system"}) of run ${runId}: ${row.state.toLowerCase()}"\n`,
    );
  }
  return Buffer.from(`${row.task_key ?? row.display_name}/${artifactName} of run ${runId}\n`);
}
