/**
 * The simulated run lifecycle (emulator engine/lifecycle.ts) on real compiled pipelines: node structure
 * per PIPELINE-SPEC.md §4.3, dependency order, loops, conditions, exit handlers, failure injection,
 * terminate and retry. Simulations are driven tick by tick (`step()`), never by sleeping.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { Simulation, type Timers } from "../../packages/emulator/src/engine/lifecycle.js";
import {
  type LifecycleOptions,
  resolveLifecycleOptions,
} from "../../packages/emulator/src/engine/lifecycle-options.js";
import { mergeReport, workflowState } from "../../packages/emulator/src/engine/report.js";
import { argoNodeId, type WorkflowReport } from "../../packages/emulator/src/engine/workflow.js";
import type { TaskRow } from "../../packages/emulator/src/model/run.js";
import { hasShared, sharedPipelines } from "./helpers/shared.js";

function loadSpec(rel: string): Record<string, unknown> {
  const text = readFileSync(resolve(sharedPipelines, "valid", rel), "utf8");
  return YAML.parseAllDocuments(text)[0]!.toJS() as Record<string, unknown>;
}

/** Timers that never fire: the test calls step() itself. */
const manualTimers: Timers = { setTimeout: () => 0, clearTimeout: () => {} };

interface Driven {
  sim: Simulation;
  reports: WorkflowReport[];
  rows: () => TaskRow[];
  runToEnd: (maxTicks?: number) => WorkflowReport;
}

function drive(
  spec: Record<string, unknown>,
  opts: LifecycleOptions = {},
  parameters?: Record<string, unknown>,
): Driven {
  const reports: WorkflowReport[] = [];
  let rows: TaskRow[] = [];
  let clock = 1_700_000_000_000;
  let ids = 0;
  const sim = new Simulation(
    { runId: "run-1", spec, ...(parameters ? { parameters } : {}) },
    resolveLifecycleOptions(opts),
    {
      now: () => clock,
      onReport: (r) => {
        reports.push(r);
        rows = mergeReport(rows, r, 1_700_000_000, Math.floor(clock / 1000), () => `task-${++ids}`);
      },
      timers: manualTimers,
    },
  );
  const runToEnd = (maxTicks = 500) => {
    for (let i = 0; i < maxTicks && !sim.isFinished; i++) {
      clock += 1000;
      sim.step();
    }
    expect(sim.isFinished).toBe(true);
    return reports[reports.length - 1]!;
  };
  return { sim, reports, rows: () => rows, runToEnd };
}

const names = (r: WorkflowReport) => r.nodes.map((n) => n.displayName);
const byName = (r: WorkflowReport, name: string) => r.nodes.filter((n) => n.displayName === name);

describe.skipIf(!hasShared)("lifecycle on real specs", () => {
  it("two_step_pipeline: the 9 Argo-derived entries, drivers before bodies, success", () => {
    const d = drive(loadSpec("two_step_pipeline.yaml"));
    const last = d.runToEnd();
    expect(last.phase).toBe("Succeeded");
    expect(workflowState(last)).toBe("SUCCEEDED");
    const wf = d.sim.workflowName;
    expect(wf).toMatch(/^simple-two-step-pipeline-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(names(last)).toEqual([
      wf,
      "root-driver",
      "root",
      "write-to-gcs-driver",
      "write-to-gcs",
      "executor",
      "read-from-gcs-driver",
      "read-from-gcs",
      "executor",
    ]);
    expect(last.nodes.every((n) => n.phase === "Succeeded")).toBe(true);
    expect(last.nodes[0]!.id).toBe(wf);
    expect(last.nodes[1]!.id).toBe(argoNodeId(wf, `${wf}.root-driver`));
    // The consumer's driver is created only once the producer's body has succeeded.
    const firstSeen = d.reports.find((r) => byName(r, "read-from-gcs-driver").length > 0)!;
    expect(byName(firstSeen, "write-to-gcs")[0]!.phase).toBe("Succeeded");
    // Argo children: root-driver → root; the producer's executor → the consumer's driver.
    const id = (n: string, i = 0) => byName(last, n)[i]!.id;
    expect(byName(last, "root-driver")[0]!.children).toEqual([id("root")]);
    expect(byName(last, "executor")[0]!.children).toEqual([id("read-from-gcs-driver")]);
    expect(byName(last, "write-to-gcs")[0]!.children).toEqual([id("executor", 0)]);
    // Rows: stable ids, histories appended only on change, all sharing the workflow creation time.
    const rows = d.rows();
    expect(rows).toHaveLength(9);
    expect(new Set(rows.map((r) => r.task_id)).size).toBe(9);
    expect(rows.every((r) => r.create_time === 1_700_000_000)).toBe(true);
    const driver = rows.find((r) => r.display_name === "write-to-gcs-driver")!;
    expect(driver.state_history.map((h) => h.state)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
    const dag = rows.find((r) => r.display_name === "root")!;
    expect(dag.state_history.map((h) => h.state)).toEqual(["RUNNING", "SUCCEEDED"]);
    // Output artifacts are readable on the producer's executor only.
    expect(byName(last, "executor")[0]!.artifacts).toEqual(["output_gcs_path", "main-logs"]);
    expect(byName(last, "executor")[1]!.artifacts).toEqual(["main-logs"]);
  });

  it("loops: iterations from a LIST parameter, a raw list and an unresolvable task output", () => {
    const spec = loadSpec("parallel_and_nested/pipeline_with_loops.yaml");
    const d = drive(spec, { loopCount: 3 }, { loop_parameter: ["x", "y", "z", "w"] });
    const last = d.runToEnd();
    expect(last.phase).toBe("Succeeded");
    for (const n of ["for-loop-1", "for-loop-2", "for-loop-4"]) expect(byName(last, n)).toHaveLength(1);
    expect(byName(last, "for-loop-1-driver")).toHaveLength(0); // loop tasks have no driver of their own
    expect(byName(last, "iteration-driver")).toHaveLength(3);
    // for-loop-1: 4 items (parameter), for-loop-2: 3 (loopCount), for-loop-4: 2 (raw JSON list)
    expect(byName(last, "iteration-item")).toHaveLength(4 + 3 + 2);
    expect(byName(last, "iteration-iterations(3:3)")).toHaveLength(1);
    expect(byName(last, "print-text-driver")).toHaveLength(4);
    expect(byName(last, "executor")).toHaveLength(1 + 4 + 3 * 3 + 2 * 3);
    // for-loop-2 waits for its producer
    const seen = d.reports.find((r) => byName(r, "for-loop-2").length > 0)!;
    expect(byName(seen, "args-generator-op")[0]!.phase).toBe("Succeeded");
  });

  it("loops: the default value of the loop parameter applies when none is given", () => {
    const d = drive(loadSpec("parallel_and_nested/pipeline_with_loops.yaml"), { loopCount: 1 });
    const last = d.runToEnd();
    expect(byName(last, "print-text-driver")).toHaveLength(2); // default ['a', 'b']
  });

  it("loops over a loop item's sub-field (parameterExpressionSelector) use the selected list", () => {
    const spec = loadSpec("pipeline_with_nested_loops.yaml");
    const loopParameter = [
      { p_a: [{ q_a: "1" }], p_b: "x" },
      '{"p_a": [{"q_a": "1"}, {"q_a": "2"}, {"q_a": "3"}], "p_b": "y"}', // items may be JSON text too
    ];
    const d = drive(spec, {}, { loop_parameter: loopParameter });
    const last = d.runToEnd();
    expect(last.phase).toBe("Succeeded");
    const iterationsOf = (loop: string) =>
      last.nodes.filter((n) => n.taskKey === loop && n.displayName === "iteration-item").length;
    expect(iterationsOf("for-loop-1")).toBe(2);
    expect(iterationsOf("for-loop-2")).toBe(1 + 3); // p_a of each item
    expect(iterationsOf("for-loop-4")).toBe(2); // raw ["1", "2"]
    expect(iterationsOf("for-loop-6")).toBe(2 * 3); // raw ["100", "200", "300"] in each
    // The default value works the same way (2 items with 2 sub-items each).
    const byDefault = drive(spec).runToEnd();
    expect(byDefault.phase).toBe("Succeeded");
    expect(
      byDefault.nodes.filter((n) => n.taskKey === "for-loop-2" && n.displayName === "iteration-item"),
    ).toHaveLength(4);
  });

  it("loops over sub-fields of items known only at run time get loopCount unknown items", () => {
    const spec = loadSpec("pipeline_with_loops_and_conditions.yaml");
    const last = drive(spec, { loopCount: 2 }).runToEnd();
    expect(last.phase).toBe("Succeeded");
    const iterationsOf = (loop: string) =>
      last.nodes.filter((n) => n.taskKey === loop && n.displayName === "iteration-item").length;
    // for-loop-2 iterates a task output (unknown: 2 items); for-loop-8 inside it a sub-field of its
    // item (unknown too: 2 per outer iteration); nothing fails as a type mismatch.
    expect(iterationsOf("for-loop-2")).toBe(2);
    expect(iterationsOf("for-loop-8")).toBe(2 * 2);
    expect(last.nodes.some((n) => n.phase === "Failed")).toBe(false);
  });

  it("loops: items that are not a list fail the iteration driver and the run", () => {
    const spec = loadSpec("pipeline_with_parallelfor_pipeline_param.yaml");
    const d = drive(spec, {}, { loop_parameter: "not a list", prefix: "p" });
    const last = d.runToEnd();
    expect(last.phase).toBe("Failed");
    expect(byName(last, "iteration-driver").some((n) => n.phase === "Failed")).toBe(true);
  });

  it("parallelism limit: at most N iterations active at once", () => {
    const spec = loadSpec("pipeline_with_parallelfor_pipeline_param.yaml");
    const d = drive(spec, {}, { loop_parameter: ["a", "b", "c"], prefix: "p" });
    d.runToEnd();
    let maxActive = 0;
    for (const r of d.reports) {
      for (const key of ["for-loop-1", "for-loop-2"]) {
        const active = r.nodes.filter(
          (n) =>
            n.taskKey === key &&
            /^iteration-iterations\(\d+:\d+\)$/.test(n.displayName) &&
            n.phase === "Running",
        ).length;
        if (key === "for-loop-1")
          expect(active).toBeLessThanOrEqual(1); // parallelismLimit: 1
        else maxActive = Math.max(maxActive, active);
      }
    }
    expect(maxActive).toBe(3); // no limit: all three iterations of for-loop-2 at once
  });

  it("a false condition skips the branch body, the run still succeeds", () => {
    const d = drive(loadSpec("essential/pipeline_with_condition.yaml"), { falseConditions: ["condition-1"] });
    const last = d.runToEnd();
    expect(last.phase).toBe("Succeeded");
    expect(byName(last, "condition-1-driver")[0]!.phase).toBe("Succeeded");
    expect(byName(last, "condition-1")[0]!.phase).toBe("Skipped");
    expect(byName(last, "flip-coin-op-2-driver")).toHaveLength(0);
    const rows = d.rows();
    expect(rows.find((r) => r.display_name === "condition-1")!.state).toBe("SKIPPED");
  });

  it("conditions are true by default", () => {
    const last = drive(loadSpec("essential/pipeline_with_condition.yaml")).runToEnd();
    expect(byName(last, "condition-1")[0]!.phase).toBe("Succeeded");
    expect(byName(last, "print-op-2")).toHaveLength(1);
  });

  it("exit handler: the exit task runs after a failing body and the run fails", () => {
    const d = drive(loadSpec("failing/pipeline_with_exit_handler.yaml"), { failTasks: ["fail-op"] });
    const last = d.runToEnd();
    expect(last.phase).toBe("Failed");
    expect(workflowState(last)).toBe("FAILED");
    expect(byName(last, "exit-handler-1")[0]!.phase).toBe("Failed");
    const hook = byName(last, "exit-handler-1.onExit")[0]!;
    expect(hook.phase).toBe("Succeeded");
    expect(byName(last, "print-op")[0]!.phase).toBe("Succeeded");
    // The hook starts only after its target finished.
    const seen = d.reports.find((r) => byName(r, "exit-handler-1.onExit").length > 0)!;
    expect(byName(seen, "exit-handler-1")[0]!.phase).toBe("Failed");
    // print-op-2 (a sibling of the failing task) still ran; nothing depended on fail-op.
    expect(byName(last, "print-op-2")[0]!.phase).toBe("Succeeded");
  });

  it("exit handler without failure: everything succeeds and the hook runs once", () => {
    const last = drive(loadSpec("failing/pipeline_with_exit_handler.yaml")).runToEnd();
    expect(last.phase).toBe("Succeeded");
    expect(byName(last, "exit-handler-1.onExit")).toHaveLength(1);
  });

  it("a failed task omits its downstream (no state) and fails every enclosing DAG", () => {
    const d = drive(loadSpec("two_step_pipeline.yaml"), { failTasks: ["write-to-gcs"] });
    const last = d.runToEnd();
    expect(last.phase).toBe("Failed");
    expect(byName(last, "write-to-gcs")[0]!.phase).toBe("Failed");
    expect(byName(last, "root")[0]!.phase).toBe("Failed");
    expect(byName(last, "read-from-gcs-driver")[0]!.phase).toBe("Omitted");
    expect(byName(last, "read-from-gcs")[0]!.phase).toBe("Omitted");
    expect(byName(last, "executor")).toHaveLength(1);
    const omitted = d.rows().find((r) => r.display_name === "read-from-gcs-driver")!;
    expect(omitted.state).toBe("RUNTIME_STATE_UNSPECIFIED");
  });

  it("terminate: one CANCELING report, then every unfinished node fails", () => {
    const d = drive(loadSpec("two_step_pipeline.yaml"), { podTicks: 1000 });
    for (let i = 0; i < 6; i++) d.sim.step();
    expect(d.sim.isFinished).toBe(false);
    d.sim.terminate();
    d.sim.step();
    const canceling = d.reports[d.reports.length - 1]!;
    expect(canceling.terminating).toBe(true);
    expect(workflowState(canceling)).toBe("CANCELING");
    d.sim.step();
    const last = d.reports[d.reports.length - 1]!;
    expect(last.phase).toBe("Failed");
    expect(last.terminating).toBe(false);
    expect(last.nodes.every((n) => n.phase === "Failed" || n.phase === "Succeeded")).toBe(true);
    expect(byName(last, "read-from-gcs-driver")).toHaveLength(0);
  });

  it("retry: failed parts re-run with the same node ids, succeeded parts are kept", () => {
    const d = drive(loadSpec("two_step_pipeline.yaml"), { failTasks: ["read-from-gcs"] });
    const failed = d.runToEnd();
    expect(failed.phase).toBe("Failed");
    const rowsBefore = d.rows();
    const producerExec = byName(failed, "executor")[0]!;
    expect(d.sim.retry()).toBe(true);
    const ok = d.runToEnd();
    expect(ok.phase).toBe("Succeeded");
    // the producer's executor was not re-run
    const producerAfter = byName(ok, "executor")[0]!;
    expect(producerAfter.id).toBe(producerExec.id);
    expect(producerAfter.finishedAt).toBe(producerExec.finishedAt);
    const rowsAfter = d.rows();
    expect(rowsAfter.map((r) => r.task_id)).toEqual(rowsBefore.map((r) => r.task_id));
    const consumerExec = rowsAfter.filter((r) => r.display_name === "executor")[1]!;
    expect(consumerExec.state_history.map((h) => h.state)).toEqual([
      "PENDING",
      "RUNNING",
      "FAILED",
      "PENDING",
      "RUNNING",
      "SUCCEEDED",
    ]);
  });

  it("retry is refused unless the workflow failed", () => {
    const d = drive(loadSpec("two_step_pipeline.yaml"));
    d.runToEnd();
    expect(d.sim.retry()).toBe(false);
  });

  it("failure injection by rate is deterministic for a seed", () => {
    const spec = loadSpec("two_step_pipeline.yaml");
    const keys = Simulation.containerTaskKeys(spec);
    expect(keys.sort()).toEqual(["read-from-gcs", "write-to-gcs"]);
    const fails = (randomFailure?: string) => {
      const reports: WorkflowReport[] = [];
      const sim = new Simulation(
        { runId: "r", spec, ...(randomFailure ? { randomFailure } : {}) },
        resolveLifecycleOptions(),
        { now: () => 0, onReport: (r) => reports.push(r), timers: manualTimers },
      );
      for (let i = 0; i < 200 && !sim.isFinished; i++) sim.step();
      return reports[reports.length - 1]!.phase;
    };
    expect(fails()).toBe("Succeeded");
    expect(fails("read-from-gcs")).toBe("Failed");
  });
});

describe("mergeReport", () => {
  it("keeps rows of nodes missing from a later report and appends history on change only", () => {
    const report = (phase: "Running" | "Succeeded", nodes: WorkflowReport["nodes"]): WorkflowReport => ({
      workflowName: "wf",
      phase,
      terminating: false,
      finishedAt: 0,
      nodes,
    });
    const node = (id: string, p: "Running" | "Succeeded") => ({
      id,
      displayName: id,
      type: "Pod" as const,
      phase: p,
      startedAt: 10,
      finishedAt: p === "Succeeded" ? 20 : 0,
      children: [],
    });
    let n = 0;
    const id = () => `t${++n}`;
    let rows = mergeReport([], report("Running", [node("a", "Running")]), 5, 100, id);
    rows = mergeReport(rows, report("Running", [node("a", "Running"), node("b", "Running")]), 5, 101, id);
    rows = mergeReport(rows, report("Succeeded", [node("b", "Succeeded")]), 5, 102, id);
    expect(rows.map((r) => [r.task_id, r.display_name, r.state])).toEqual([
      ["t1", "a", "RUNNING"],
      ["t2", "b", "SUCCEEDED"],
    ]);
    expect(rows[0]!.state_history).toEqual([{ update_time: 100, state: "RUNNING" }]);
    expect(rows[1]!.state_history).toEqual([
      { update_time: 101, state: "RUNNING" },
      { update_time: 102, state: "SUCCEEDED" },
    ]);
    expect(rows[0]!.end_time).toBe(-62135596800);
  });
});
