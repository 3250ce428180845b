/**
 * A run's tasks → the state of each graph node (pure). Tasks are matched to the spec by name: a
 * `task_details` entry (v2beta1) or a `tasks` entry (v2) whose `display_name` is a task key of the
 * spec. Driver, executor and iteration bookkeeping rows (`…-driver`, `executor`, `iteration-…`) match
 * no task key and are ignored. A task that ran several times (in a loop) gets the most telling state
 * of its instances: FAILED, then RUNNING/PENDING, then CANCELED, then SUCCEEDED, SKIPPED, CACHED.
 */
import type { GraphNode } from "./graph.js";

export interface TaskInstance {
  taskId: string;
  name: string;
  state: string;
  startTime?: string;
  endTime?: string;
  error?: string;
  history: { time: string; state: string }[];
  inputs?: unknown;
  outputs?: unknown;
}

export interface NodeState {
  state: string;
  instances: TaskInstance[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const RANK: Record<string, number> = {
  FAILED: 0,
  RUNNING: 1,
  PENDING: 2,
  CANCELING: 3,
  CANCELED: 4,
  PAUSED: 5,
  SUCCEEDED: 6,
  CACHED: 7,
  SKIPPED: 8,
};

/** The colour class of a state (`state-failed`, …): states outside the list are "unknown". */
export function stateClass(state: string | undefined): string {
  const s = (state ?? "").toUpperCase();
  if (s in RANK) return `state-${s.toLowerCase()}`;
  return "state-unknown";
}

function errorText(v: unknown): string | undefined {
  if (!isObj(v)) return undefined;
  const m = v.message;
  return typeof m === "string" && m ? m : undefined;
}

/** The task entries of a run (v2beta1 `run_details.task_details` or v2 `tasks`), normalised. */
export function runTasks(run: unknown): TaskInstance[] {
  if (!isObj(run)) return [];
  const details = isObj(run.run_details) ? run.run_details.task_details : undefined;
  const list = Array.isArray(details) ? details : Array.isArray(run.tasks) ? run.tasks : [];
  const out: TaskInstance[] = [];
  for (const t of list) {
    if (!isObj(t)) continue;
    const name =
      typeof t.display_name === "string" ? t.display_name : typeof t.name === "string" ? t.name : "";
    const hist = Array.isArray(t.state_history)
      ? t.state_history
      : Array.isArray(t.status_history)
        ? t.status_history
        : [];
    const inst: TaskInstance = {
      taskId: String(t.task_id ?? ""),
      name,
      state: typeof t.state === "string" ? t.state : "RUNTIME_STATE_UNSPECIFIED",
      history: hist
        .filter(isObj)
        .map((h) => ({ time: String(h.update_time ?? ""), state: String(h.state ?? "") })),
    };
    if (typeof t.start_time === "string") inst.startTime = t.start_time;
    if (typeof t.end_time === "string") inst.endTime = t.end_time;
    // v2beta1 `error`; v2 reports a failed task's cause in `status_metadata.message`.
    const err = errorText(t.error) ?? (t.state === "FAILED" ? errorText(t.status_metadata) : undefined);
    if (err) inst.error = err;
    if (t.inputs !== undefined) inst.inputs = t.inputs;
    if (t.outputs !== undefined) inst.outputs = t.outputs;
    out.push(inst);
  }
  return out;
}

/** State of each graph node that has run (keyed by node id). */
export function nodeStates(nodes: readonly GraphNode[], run: unknown): Map<string, NodeState> {
  const byName = new Map<string, TaskInstance[]>();
  for (const t of runTasks(run)) {
    const list = byName.get(t.name);
    if (list) list.push(t);
    else byName.set(t.name, [t]);
  }
  const out = new Map<string, NodeState>();
  for (const n of nodes) {
    const instances = byName.get(n.task) ?? (n.label !== n.task ? byName.get(n.label) : undefined);
    if (!instances?.length) continue;
    let best = instances[0]!.state;
    for (const i of instances) if ((RANK[i.state] ?? 99) < (RANK[best] ?? 99)) best = i.state;
    out.set(n.id, { state: best, instances });
  }
  return out;
}

/** Seconds between two RFC 3339 times, or undefined (zero times, missing end). */
export function durationSeconds(start: string | undefined, end: string | undefined): number | undefined {
  if (!start || !end || start.startsWith("0001-") || end.startsWith("0001-")) return undefined;
  const d = (Date.parse(end) - Date.parse(start)) / 1000;
  return Number.isFinite(d) && d >= 0 ? d : undefined;
}

/** "4s", "2m 05s", "1h 02m". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
