/**
 * A readable task tree for a run, from `run_details.task_details` (v2beta1, ≤ 2.17.0), from `tasks`
 * (stable v2 with `view=FULL`), or from an Argo workflow manifest (v1beta1 `pipeline_runtime`).
 *
 * Links are taken from `parent_task_id` and `child_tasks` (`task_id` or `pod_name`). With the Argo
 * backend the v2beta1 entries often cannot be linked (their `child_tasks` name Argo node ids that no
 * entry carries), so the tree is then flat: every task is a root. Entries with neither a name nor a
 * state (cache bookkeeping rows, PIPELINE-SPEC §4.3) are left out of the tree and counted in `hidden`.
 */
import type { PipelineTask, PipelineTaskDetail, Run } from "../types/runs.js";
import type { FailedTask } from "./run-errors.js";

/** One task of a run, with its state and child tasks. */
export interface TaskNode {
  /** `task_id` (or the Argo node id for workflow-derived entries; a synthetic `#<index>` when absent). */
  id: string;
  name: string;
  /** RuntimeState (v2beta1) or task state (v2: RUNNING, SUCCEEDED, SKIPPED, FAILED, CACHED); `RUNTIME_STATE_UNSPECIFIED` when absent. */
  state: string;
  /** v2 task type (ROOT, RUNTIME, DAG, LOOP, ...), when known. */
  type?: string;
  startTime?: string;
  endTime?: string;
  error?: string;
  podName?: string;
  children: TaskNode[];
  /** The task as the server sent it. */
  raw: PipelineTaskDetail | PipelineTask | Record<string, unknown>;
}

/** A run's tasks as a tree (`kfp.runs.tasks(id)`), with counts per state and the failed tasks. */
export interface TaskTree {
  /** Top-level tasks (tasks without a known parent). */
  roots: TaskNode[];
  /** Every task in the tree, in the server's order. */
  tasks: TaskNode[];
  /** Number of tasks per state. */
  counts: Record<string, number>;
  total: number;
  /** Tasks whose state is FAILED. */
  failed: TaskNode[];
  /** Entries left out because they carry neither a name nor a state. */
  hidden: number;
  /** Where the tasks came from. */
  source: "task_details" | "tasks" | "workflow" | "none";
}

const UNSPECIFIED = "RUNTIME_STATE_UNSPECIFIED";
const ZERO_TIME = /^0001-01-01T00:00:00Z$/;

function time(t: string | undefined): string | undefined {
  if (!t || ZERO_TIME.test(t)) return undefined;
  return t;
}

interface Proto {
  node: TaskNode;
  parentId?: string;
  childRefs: string[];
  keys: string[];
}

function fromDetail(t: PipelineTaskDetail, i: number): Proto | undefined {
  if (!t.display_name && !t.state) return undefined;
  const id = t.task_id || t.pod_name || `#${i}`;
  const node: TaskNode = {
    id,
    name: t.display_name || "(unnamed)",
    state: t.state || UNSPECIFIED,
    children: [],
    raw: t,
  };
  const st = time(t.start_time);
  const et = time(t.end_time);
  if (st) node.startTime = st;
  if (et) node.endTime = et;
  const err = t.error?.message || lastHistoryError(t.state_history);
  if (err) node.error = err;
  if (t.pod_name) node.podName = t.pod_name;
  const keys = [t.task_id, t.pod_name].filter((k): k is string => !!k);
  const childRefs = (t.child_tasks ?? []).map((c) => c.task_id || c.pod_name).filter((k): k is string => !!k);
  const proto: Proto = { node, childRefs, keys };
  if (t.parent_task_id) proto.parentId = t.parent_task_id;
  return proto;
}

function fromV2Task(t: PipelineTask, i: number): Proto | undefined {
  if (!t.display_name && !t.name && !t.state) return undefined;
  const node: TaskNode = {
    id: t.task_id || `#${i}`,
    name: t.display_name || t.name || "(unnamed)",
    state: t.state || UNSPECIFIED,
    children: [],
    raw: t,
  };
  if (t.type) node.type = t.type;
  const st = time(t.create_time);
  const et = time(t.end_time);
  if (st) node.startTime = st;
  if (et) node.endTime = et;
  const err =
    lastHistoryError(t.state_history) ||
    (t.state === "FAILED" ? t.status_metadata?.message || t.lifecycle_message : undefined);
  if (err) node.error = err;
  const pod = t.pods?.find((p) => p.type === "EXECUTOR")?.name ?? t.pods?.[0]?.name;
  if (pod) node.podName = pod;
  const proto: Proto = {
    node,
    childRefs: (t.child_tasks ?? []).map((c) => c.task_id).filter((k): k is string => !!k),
    keys: t.task_id ? [t.task_id] : [],
  };
  if (t.parent_task_id) proto.parentId = t.parent_task_id;
  return proto;
}

function lastHistoryError(h: Array<{ error?: { message?: string } }> | undefined): string | undefined {
  if (!h) return undefined;
  for (let i = h.length - 1; i >= 0; i--) {
    const m = h[i]?.error?.message;
    if (m) return m;
  }
  return undefined;
}

function build(protos: Array<Proto | undefined>, source: TaskTree["source"], totalEntries: number): TaskTree {
  const list = protos.filter((p): p is Proto => p !== undefined);
  const byKey = new Map<string, Proto>();
  for (const p of list) for (const k of p.keys) if (!byKey.has(k)) byKey.set(k, p);
  const parentOf = new Map<Proto, Proto>();
  const isAncestor = (candidate: Proto, of: Proto): boolean => {
    // Bounded walk up from `candidate`: true when `of` is `candidate` or one of its ancestors.
    let cur: Proto | undefined = candidate;
    for (let n = 0; cur && n <= list.length; n++) {
      if (cur === of) return true;
      cur = parentOf.get(cur);
    }
    return false;
  };
  const link = (parent: Proto, child: Proto) => {
    if (parent === child || parentOf.has(child) || isAncestor(parent, child)) return;
    parentOf.set(child, parent);
    parent.node.children.push(child.node);
  };
  for (const p of list) {
    if (p.parentId) {
      const parent = byKey.get(p.parentId);
      if (parent) link(parent, p);
    }
  }
  for (const p of list) {
    for (const ref of p.childRefs) {
      const child = byKey.get(ref);
      if (child) link(p, child);
    }
  }
  const counts: Record<string, number> = {};
  for (const p of list) counts[p.node.state] = (counts[p.node.state] ?? 0) + 1;
  return {
    roots: list.filter((p) => !parentOf.has(p)).map((p) => p.node),
    tasks: list.map((p) => p.node),
    counts,
    total: list.length,
    failed: list.filter((p) => p.node.state === "FAILED").map((p) => p.node),
    hidden: totalEntries - list.length,
    source,
  };
}

/** Argo node phase → RuntimeState (PIPELINE-SPEC §4.2). */
function argoPhaseToState(phase: unknown): string {
  switch (phase) {
    case "Pending":
      return "PENDING";
    case "Running":
      return "RUNNING";
    case "Succeeded":
      return "SUCCEEDED";
    case "Skipped":
      return "SKIPPED";
    case "Failed":
    case "Error":
      return "FAILED";
    default:
      return UNSPECIFIED;
  }
}

/**
 * Task entries (v2beta1 shape) from an Argo workflow manifest (JSON text, as in v1beta1
 * `pipeline_runtime.workflow_manifest`). Node ids become `pod_name`, node children `child_tasks`.
 * Returns [] when the manifest is absent or not JSON.
 */
export function taskDetailsFromWorkflowManifest(manifest: string | undefined): PipelineTaskDetail[] {
  if (!manifest) return [];
  let wf: unknown;
  try {
    wf = JSON.parse(manifest);
  } catch {
    return [];
  }
  const nodes = (wf as { status?: { nodes?: unknown } } | null)?.status?.nodes;
  if (!nodes || typeof nodes !== "object") return [];
  const out: PipelineTaskDetail[] = [];
  for (const [key, raw] of Object.entries(nodes as Record<string, unknown>)) {
    if (!raw || typeof raw !== "object") continue;
    const n = raw as Record<string, unknown>;
    const id = typeof n.id === "string" ? n.id : key;
    const d: PipelineTaskDetail = {
      task_id: id,
      pod_name: id,
      display_name:
        typeof n.displayName === "string" ? n.displayName : typeof n.name === "string" ? n.name : id,
    };
    const state = argoPhaseToState(n.phase);
    if (state !== UNSPECIFIED) d.state = state as PipelineTaskDetail["state"];
    if (typeof n.startedAt === "string") d.start_time = n.startedAt;
    if (typeof n.finishedAt === "string") d.end_time = n.finishedAt;
    if (typeof n.message === "string" && n.message && state === "FAILED") d.error = { message: n.message };
    if (Array.isArray(n.children)) {
      d.child_tasks = n.children
        .filter((c): c is string => typeof c === "string")
        .map((c) => ({ pod_name: c }));
    }
    out.push(d);
  }
  return out;
}

/** Build the task tree of a run (v2beta1 `run_details.task_details` or v2 `tasks`). */
export function taskTree(run: Run): TaskTree {
  if (Array.isArray(run.tasks) && run.tasks.length > 0) {
    return build(
      run.tasks.map((t, i) => fromV2Task(t, i)),
      "tasks",
      run.tasks.length,
    );
  }
  const details = run.run_details?.task_details;
  if (Array.isArray(details) && details.length > 0) {
    return build(
      details.map((t, i) => fromDetail(t, i)),
      "task_details",
      details.length,
    );
  }
  return build([], "none", 0);
}

/** Build a tree from v2beta1 task entries directly (e.g. from `taskDetailsFromWorkflowManifest`). */
export function taskTreeFromDetails(
  details: PipelineTaskDetail[],
  source: TaskTree["source"] = "task_details",
): TaskTree {
  return build(
    details.map((t, i) => fromDetail(t, i)),
    source,
    details.length,
  );
}

/** One line: `5 tasks: 3 SUCCEEDED, 1 RUNNING, 1 PENDING`. */
export function summarizeTasks(tree: TaskTree): string {
  if (tree.total === 0) return "no tasks reported yet";
  const parts = Object.entries(tree.counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([s, n]) => `${n} ${s}`);
  return `${tree.total} task${tree.total === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

/** Indented multi-line rendering of the tree (bounded depth). */
export function formatTaskTree(tree: TaskTree, maxDepth = 32): string {
  const lines: string[] = [];
  const seen = new Set<TaskNode>();
  const walk = (n: TaskNode, depth: number) => {
    if (seen.has(n) || depth > maxDepth) return;
    seen.add(n);
    lines.push(`${"  ".repeat(depth)}${n.name} [${n.state}]${n.error ? ` — ${n.error}` : ""}`);
    for (const c of n.children) walk(c, depth + 1);
  };
  for (const r of tree.roots) walk(r, 0);
  return lines.join("\n");
}

/** Failed tasks of a run, as carried by RunFailedError. */
export function failedTasksOf(run: Run): FailedTask[] {
  return taskTree(run).failed.map((t) => {
    const f: FailedTask = { name: t.name, state: t.state };
    if (!t.id.startsWith("#")) f.task_id = t.id;
    if (t.error) f.error = t.error;
    return f;
  });
}
