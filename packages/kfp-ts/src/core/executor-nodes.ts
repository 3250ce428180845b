/**
 * Which node of a run holds each task's log and output artifacts: the executor pod. The log and
 * artifact-read endpoints take that pod's name as `node_id`.
 *
 * - stable v2 (`run.tasks`): the task's pod of type `EXECUTOR`.
 * - v2beta1 (`run.run_details.task_details`, Argo backend): an entry named `executor` with a
 *   `pod_name` is linked to the task whose `child_tasks` lists it; servers that leave `pod_name` out of
 *   the entries (the Argo node rows) are read by shape instead: a pipeline task's node has exactly one
 *   child, its executor pod, while DAG nodes have a driver and a body per child task.
 */
import type { PipelineTask, PipelineTaskDetail, Run } from "../types/runs.js";

/** One task's executor node. */
export interface ExecutorNode {
  /** The pipeline task's name (its task key, `display_name` of the entry). */
  task: string;
  /** The node (pod) id for `readLog` and `readArtifact`. */
  nodeId: string;
  /** The task's state as the server reports it. */
  state: string;
  /** The entry's `task_id`, when it has one. */
  taskId?: string;
}

/** Bookkeeping rows of the Argo backend: not pipeline tasks. */
const NOT_A_TASK = /^(executor|root|root-driver)$|-driver$|^iteration-/;

function fromV2(tasks: readonly PipelineTask[]): ExecutorNode[] {
  const out: ExecutorNode[] = [];
  for (const t of tasks) {
    const pod = t.pods?.find((p) => p.type === "EXECUTOR")?.name;
    if (!pod) continue;
    const node: ExecutorNode = {
      task: t.display_name || t.name || pod,
      nodeId: pod,
      state: t.state ?? "RUNTIME_STATE_UNSPECIFIED",
    };
    if (t.task_id) node.taskId = t.task_id;
    out.push(node);
  }
  return out;
}

function fromDetails(details: readonly PipelineTaskDetail[]): ExecutorNode[] {
  const executors = new Set(
    details.filter((d) => d.display_name === "executor" && d.pod_name).map((d) => d.pod_name as string),
  );
  const out: ExecutorNode[] = [];
  for (const d of details) {
    const name = d.display_name ?? "";
    if (!name || NOT_A_TASK.test(name)) continue;
    const children = (d.child_tasks ?? []).map((c) => c.pod_name).filter((p): p is string => !!p);
    const pod =
      executors.size > 0
        ? children.find((c) => executors.has(c))
        : children.length === 1
          ? children[0]
          : undefined;
    if (!pod) continue;
    const node: ExecutorNode = { task: name, nodeId: pod, state: d.state ?? "RUNTIME_STATE_UNSPECIFIED" };
    if (d.task_id) node.taskId = d.task_id;
    out.push(node);
  }
  return out;
}

/**
 * The executor node of each pipeline task of `run` (read with its tasks: `kfp.runs.get`), in the
 * server's order; a task that ran several times (a loop) appears once per run. Empty when the server
 * reports no tasks (yet).
 */
export function executorNodes(run: Run): ExecutorNode[] {
  if (Array.isArray(run.tasks) && run.tasks.length > 0) return fromV2(run.tasks);
  const details = run.run_details?.task_details;
  return Array.isArray(details) ? fromDetails(details) : [];
}
