import { describe, expect, it } from "vitest";
import {
  failedTasksOf,
  formatTaskTree,
  summarizeTasks,
  taskDetailsFromWorkflowManifest,
  taskTree,
  taskTreeFromDetails,
} from "../../packages/kfp-ts/src/core/tasks.js";
import type { PipelineTaskDetail, Run } from "../../packages/kfp-ts/src/types/runs.js";

/** v2beta1 entries as the Argo path produces them (PIPELINE-SPEC §4.3): unlinkable child_tasks, a cache row. */
const argoEntries: PipelineTaskDetail[] = [
  {
    run_id: "r",
    task_id: "t1",
    display_name: "two-step-abcde",
    state: "RUNNING",
    child_tasks: [{ pod_name: "wf-1" }],
  },
  {
    run_id: "r",
    task_id: "t2",
    display_name: "root-driver",
    state: "SUCCEEDED",
    start_time: "2026-01-01T00:00:01Z",
  },
  {
    run_id: "r",
    task_id: "t3",
    display_name: "write-to-gcs",
    state: "FAILED",
    end_time: "0001-01-01T00:00:00Z",
  },
  {
    run_id: "r",
    task_id: "t4",
    display_name: "executor",
    state: "FAILED",
    error: { message: "exit code 1" },
  },
  { run_id: "r", task_id: "t5", execution_id: "42", create_time: "2026-01-01T00:00:00Z" },
];

describe("taskTree from run_details.task_details (v2beta1)", () => {
  it("counts per state, leaves nameless stateless rows out, finds failed tasks and their errors", () => {
    const run: Run = { run_id: "r", state: "RUNNING", run_details: { task_details: argoEntries } };
    const tree = taskTree(run);
    expect(tree.source).toBe("task_details");
    expect(tree.total).toBe(4);
    expect(tree.hidden).toBe(1);
    expect(tree.counts).toEqual({ RUNNING: 1, SUCCEEDED: 1, FAILED: 2 });
    expect(tree.roots).toHaveLength(4); // Argo node ids in child_tasks match no entry: flat
    expect(tree.tasks[1]!.startTime).toBe("2026-01-01T00:00:01Z");
    expect(tree.tasks[2]!.endTime).toBeUndefined(); // Go zero time means "not finished"
    expect(summarizeTasks(tree)).toBe("4 tasks: 2 FAILED, 1 RUNNING, 1 SUCCEEDED");
    expect(failedTasksOf(run)).toEqual([
      { name: "write-to-gcs", state: "FAILED", task_id: "t3" },
      { name: "executor", state: "FAILED", task_id: "t4", error: "exit code 1" },
    ]);
  });

  it("links by parent_task_id and by child_tasks task_id / pod_name, without cycles", () => {
    const details: PipelineTaskDetail[] = [
      {
        task_id: "a",
        display_name: "root",
        state: "RUNNING",
        child_tasks: [{ task_id: "b" }, { pod_name: "pod-c" }],
      },
      { task_id: "b", display_name: "train", state: "SUCCEEDED" },
      {
        task_id: "c",
        pod_name: "pod-c",
        display_name: "eval",
        state: "RUNNING",
        child_tasks: [{ task_id: "a" }],
      },
      { task_id: "d", display_name: "eval-driver", state: "PENDING", parent_task_id: "c" },
    ];
    const tree = taskTreeFromDetails(details);
    expect(tree.roots.map((n) => n.name)).toEqual(["root"]);
    expect(tree.roots[0]!.children.map((n) => n.name)).toEqual(["train", "eval"]);
    expect(tree.roots[0]!.children[1]!.children.map((n) => n.name)).toEqual(["eval-driver"]);
    expect(formatTaskTree(tree)).toBe(
      ["root [RUNNING]", "  train [SUCCEEDED]", "  eval [RUNNING]", "    eval-driver [PENDING]"].join("\n"),
    );
  });

  it("reports no tasks for a fresh run", () => {
    const tree = taskTree({ run_id: "r", state: "PENDING" });
    expect(tree).toMatchObject({ total: 0, source: "none", roots: [] });
    expect(summarizeTasks(tree)).toBe("no tasks reported yet");
  });
});

describe("taskTree from tasks (stable v2)", () => {
  it("uses names, types, parents and status messages", () => {
    const run: Run = {
      run_id: "r",
      state: "FAILED",
      tasks: [
        {
          task_id: "1",
          name: "root",
          type: "ROOT",
          state: "FAILED",
          child_tasks: [{ task_id: "2" }, { task_id: "3" }],
        },
        {
          task_id: "2",
          name: "prep",
          display_name: "Prepare",
          type: "RUNTIME",
          state: "CACHED",
          parent_task_id: "1",
        },
        {
          task_id: "3",
          name: "train",
          type: "RUNTIME",
          state: "FAILED",
          parent_task_id: "1",
          status_metadata: { message: "OOMKilled" },
          pods: [
            { name: "train-driver", type: "DRIVER" },
            { name: "train-exec", type: "EXECUTOR" },
          ],
        },
      ],
    };
    const tree = taskTree(run);
    expect(tree.source).toBe("tasks");
    expect(tree.roots).toHaveLength(1);
    expect(tree.roots[0]!.type).toBe("ROOT");
    expect(tree.roots[0]!.children.map((c) => c.name)).toEqual(["Prepare", "train"]);
    expect(tree.counts).toEqual({ FAILED: 2, CACHED: 1 });
    expect(tree.tasks[2]!.podName).toBe("train-exec");
    expect(failedTasksOf(run)).toEqual([
      { name: "root", state: "FAILED", task_id: "1" },
      { name: "train", state: "FAILED", task_id: "3", error: "OOMKilled" },
    ]);
  });
});

describe("tasks from an Argo workflow manifest (v1beta1)", () => {
  it("maps node phases and children", () => {
    const wf = {
      status: {
        nodes: {
          "wf-1": { id: "wf-1", displayName: "wf", phase: "Failed", children: ["wf-2", "wf-3"] },
          "wf-2": {
            id: "wf-2",
            displayName: "step-a",
            phase: "Succeeded",
            startedAt: "2026-01-01T00:00:00Z",
          },
          "wf-3": { id: "wf-3", displayName: "step-b", phase: "Error", message: "boom" },
          "wf-4": { id: "wf-4", displayName: "skipped", phase: "Omitted" },
        },
      },
    };
    const details = taskDetailsFromWorkflowManifest(JSON.stringify(wf));
    expect(details.map((d) => [d.display_name, d.state])).toEqual([
      ["wf", "FAILED"],
      ["step-a", "SUCCEEDED"],
      ["step-b", "FAILED"],
      ["skipped", undefined],
    ]);
    const tree = taskTreeFromDetails(details, "workflow");
    expect(tree.roots.map((r) => r.name)).toEqual(["wf", "skipped"]);
    expect(tree.roots[0]!.children.map((c) => [c.name, c.error])).toEqual([
      ["step-a", undefined],
      ["step-b", "boom"],
    ]);
    expect(taskDetailsFromWorkflowManifest("not json")).toEqual([]);
    expect(taskDetailsFromWorkflowManifest(undefined)).toEqual([]);
  });
});
