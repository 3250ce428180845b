/**
 * The execute engine's DAG driver (engine/executed.ts, execute/dag*.ts) over real HTTP, with a fake
 * task runner (the task.ts contract) whose "commands" are small JS operations: dependencies and
 * values flowing between tasks, conditions, loops with a parallelism limit and collected outputs,
 * exit handlers with taskFinalStatus, retry policy, `:retry` re-running failed tasks only, terminate,
 * the global cap on concurrent tasks, unique task roots, and the log/artifact endpoints.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskRunner, TaskRunRequest, TaskRunResult } from "../../packages/emulator/src/execute/task.js";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import type { RunRecord } from "../../packages/emulator/src/model/run.js";
import { api, waitFinished, waitState } from "./runs-fixtures.js";

// --- a tiny spec builder ----------------------------------------------------------------------

type Json = Record<string, unknown>;
const P = (parameterType: string) => ({ parameterType });

function container(op: string, inputs: Json = {}, outputs: Json = {}, artifactsOut: string[] = []) {
  return {
    comp: {
      executorLabel: `exec-${op}`,
      inputDefinitions: { parameters: inputs },
      outputDefinitions: {
        parameters: outputs,
        ...(artifactsOut.length
          ? {
              artifacts: Object.fromEntries(
                artifactsOut.map((a) => [
                  a,
                  { artifactType: { schemaTitle: "system.Dataset", schemaVersion: "0.0.1" } },
                ]),
              ),
            }
          : {}),
      },
    },
    exec: { container: { image: "fake", command: [op] } },
  };
}

const ops = {
  add: container("add", { a: P("NUMBER_INTEGER"), b: P("NUMBER_INTEGER") }, { Output: P("NUMBER_INTEGER") }),
  flip: container("flip", { side: P("STRING") }, { Output: P("STRING") }),
  echo: container("echo", { msg: P("STRING") }, { Output: P("STRING") }, ["data"]),
  fail: container("fail", { msg: P("STRING") }),
  flaky: container("flaky", { msg: P("STRING") }, { Output: P("STRING") }),
  wait: container("wait"),
  status: container("status", { s: P("STRUCT") }, { Output: P("STRING") }),
  join: container("join", { xs: P("LIST") }, { Output: P("STRING") }),
};

function spec(name: string, tasks: Json, extraComponents: Json = {}, rootInputs: Json = {}): Json {
  const components: Json = { ...extraComponents };
  const executors: Json = {};
  for (const [op, def] of Object.entries(ops)) {
    components[`comp-${op}`] = def.comp;
    executors[`exec-${op}`] = def.exec;
  }
  return {
    pipelineInfo: { name },
    schemaVersion: "2.1.0",
    sdkVersion: "kfp-2.14.3",
    components,
    deploymentSpec: { executors },
    root: { dag: { tasks }, inputDefinitions: { parameters: rootInputs } },
  };
}

const c = (v: unknown) => ({ runtimeValue: { constant: v } });
const out = (producerTask: string, outputParameterKey = "Output") => ({
  taskOutputParameter: { producerTask, outputParameterKey },
});
const task = (op: string, params: Json = {}, extra: Json = {}) => ({
  componentRef: { name: `comp-${op}` },
  inputs: { parameters: params },
  taskInfo: { name: op },
  ...extra,
});

// --- the fake runner ----------------------------------------------------------------------------

interface Calls {
  reqs: TaskRunRequest[];
  running: number;
  maxRunning: number;
  flaky: Map<string, number>;
  failOnce: Set<string>;
}

function newCalls(): Calls {
  return { reqs: [], running: 0, maxRunning: 0, flaky: new Map(), failOnce: new Set() };
}

function fakeRunner(calls: Calls): TaskRunner {
  return async (req): Promise<TaskRunResult> => {
    calls.reqs.push(req);
    calls.running++;
    calls.maxRunning = Math.max(calls.maxRunning, calls.running);
    const startedAtMs = Date.now();
    mkdirSync(req.taskRoot, { recursive: true });
    const logPath = join(req.taskRoot, "log");
    const op = String((req.container.command as string[])[0]);
    const p = req.inputs.parameters;
    const done = (
      state: TaskRunResult["state"],
      parameters: Json = {},
      error?: string,
      artifacts: TaskRunResult["outputs"]["artifacts"] = {},
    ) => {
      calls.running--;
      const log = `${op} ${JSON.stringify(p)} -> ${state}\n`;
      req.onLog?.(log);
      writeFileSync(logPath, log);
      return {
        state,
        outputs: { parameters, artifacts },
        logPath,
        startedAtMs,
        finishedAtMs: Date.now(),
        ...(error ? { error } : {}),
      };
    };
    // Yield so that concurrent tasks overlap.
    await new Promise((r) => setImmediate(r));
    switch (op) {
      case "add":
        return done("SUCCEEDED", { Output: (p.a as number) + (p.b as number) });
      case "flip":
        return done("SUCCEEDED", { Output: p.side });
      case "echo": {
        const uri = join(req.taskRoot, "data");
        writeFileSync(uri, String(p.msg));
        return done("SUCCEEDED", { Output: p.msg }, undefined, {
          data: [{ name: "data", type: { schemaTitle: "system.Dataset" }, uri, metadata: {} }],
        });
      }
      case "fail":
        return done("FAILED", {}, `the command exited with code 1: ${p.msg}`);
      case "flaky": {
        const key = `${req.runId}/${req.taskName}`;
        const n = (calls.flaky.get(key) ?? 0) + 1;
        calls.flaky.set(key, n);
        if (calls.failOnce.has(key) ? n === 1 : n < 3) return done("FAILED", {}, `attempt ${n} failed`);
        return done("SUCCEEDED", { Output: `ok after ${n}` });
      }
      case "wait":
        await new Promise<void>((resolve) => {
          if (req.signal.aborted) resolve();
          req.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        return done("CANCELED", {}, "canceled: the run was terminated");
      case "status":
        return done("SUCCEEDED", { Output: JSON.stringify(p.s) });
      case "join":
        return done("SUCCEEDED", { Output: (p.xs as unknown[]).join(",") });
      default:
        return done("FAILED", {}, `unknown op ${op}`);
    }
  };
}

// --- tests ----------------------------------------------------------------------------------------

describe("execute engine: the DAG driver with a fake task runner", () => {
  let emu: Emulator;
  let root: string;
  const calls = newCalls();

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "kfp-exec-dag-"));
    emu = await startEmulator({
      execute: true,
      pipelineRoot: root,
      taskRunner: fakeRunner(calls),
      executeLimits: { maxConcurrentTasks: 3 },
    });
  });
  afterAll(async () => {
    await emu?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function run(s: Json, parameters: Json = {}): Promise<RunRecord> {
    const r = await api(emu).post("/apis/v2beta1/runs", {
      display_name: String((s.pipelineInfo as Json).name),
      pipeline_spec: s,
      runtime_config: { parameters },
    });
    expect(r.status, r.text).toBe(200);
    return waitFinished(emu, r.body.run_id, 20_000);
  }
  const reqsOf = (runId: string) => calls.reqs.filter((q) => q.runId === runId);
  const row = (rec: RunRecord, name: string, i = 0) => rec.tasks.filter((t) => t.display_name === name)[i];

  it("passes values along dependencies and reports the Argo-shaped rows", async () => {
    const rec = await run(
      spec(
        "chain",
        {
          "add-1": task("add", { a: { componentInputParameter: "x" }, b: c(2) }),
          "add-2": task("add", { a: out("add-1"), b: c(10) }),
        },
        {},
        { x: P("NUMBER_INTEGER") },
      ),
      { x: 5 },
    );
    expect(rec.state).toBe("SUCCEEDED");
    expect(rec.state_history.map((h) => h.state)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
    const reqs = reqsOf(rec.run_id);
    expect(reqs.map((q) => [q.taskName, q.inputs.parameters])).toEqual([
      ["add-1", { a: 5, b: 2 }],
      ["add-2", { a: 7, b: 10 }],
    ]);
    const names = rec.tasks.map((t) => t.display_name).sort();
    expect(names).toEqual(
      [
        "add-1",
        "add-1-driver",
        "add-2",
        "add-2-driver",
        "chain-" + rec.workflow_name.split("-").pop(),
        "executor",
        "executor",
        "root",
        "root-driver",
      ].sort(),
    );
    expect(rec.tasks.every((t) => t.state === "SUCCEEDED")).toBe(true);
    expect(new Set(reqs.map((q) => q.taskRoot)).size).toBe(2);
    const v2 = await api(emu).get(`/apis/v2/runs/${rec.run_id}/tasks`);
    expect(v2.status, v2.text).toBe(200);
    const byName = Object.fromEntries((v2.body.tasks as Json[]).map((t) => [t.name, [t.type, t.state]]));
    expect(byName).toMatchObject({
      ROOT: ["ROOT", "SUCCEEDED"],
      "add-1": ["RUNTIME", "SUCCEEDED"],
      "add-2": ["RUNTIME", "SUCCEEDED"],
    });
    for (const q of reqs) {
      expect(q.pipelineJobResourceName).toBe(rec.workflow_name);
      expect(q.runDisplayName).toBe("chain");
      expect(q.runCreatedAtMs).toBe(rec.created_at * 1000);
    }
    for (const q of reqs) expect(q.taskRoot.startsWith(join(root, rec.run_id))).toBe(true);
  });

  it("evaluates conditions: the true branch runs, the false one is skipped", async () => {
    const cond = (side: string) => ({
      componentRef: { name: "comp-condition" },
      dependentTasks: ["flip"],
      inputs: { parameters: { "pipelinechannel--flip-Output": out("flip") } },
      triggerPolicy: { condition: `inputs.parameter_values['pipelinechannel--flip-Output'] == '${side}'` },
      taskInfo: { name: `condition-${side}` },
    });
    const rec = await run(
      spec(
        "cond",
        {
          flip: task("flip", { side: c("heads") }),
          "condition-heads": cond("heads"),
          "condition-tails": cond("tails"),
        },
        {
          "comp-condition": {
            dag: {
              tasks: {
                "echo-in": task("echo", { msg: { componentInputParameter: "pipelinechannel--flip-Output" } }),
              },
            },
            inputDefinitions: { parameters: { "pipelinechannel--flip-Output": P("STRING") } },
          },
        },
      ),
    );
    expect(rec.state).toBe("SUCCEEDED");
    expect(row(rec, "condition-heads")!.state).toBe("SUCCEEDED");
    expect(row(rec, "condition-tails")!.state).toBe("SKIPPED");
    expect(reqsOf(rec.run_id).map((q) => q.taskName)).toEqual(["flip", "echo-in"]);
  });

  it("a condition that is not a bool fails the driver and the run, naming the problem", async () => {
    const rec = await run(
      spec("badcond", {
        flip: task("flip", { side: c("x") }),
        "echo-1": task(
          "echo",
          { msg: out("flip") },
          { triggerPolicy: { condition: "inputs.parameter_values['msg']" } },
        ),
      }),
    );
    expect(rec.state).toBe("FAILED");
    expect(row(rec, "echo-1-driver")!.state).toBe("FAILED");
  });

  it("loops with a parallelism limit and collects the iterations' outputs", async () => {
    const before = calls.maxRunning;
    calls.maxRunning = 0;
    const rec = await run(
      spec(
        "loop",
        {
          "for-loop-1": {
            componentRef: { name: "comp-for-loop-1" },
            parameterIterator: { itemInput: "item", items: { raw: "[1, 2, 3, 4]" } },
            iteratorPolicy: { parallelismLimit: 1 },
            taskInfo: { name: "for-loop-1" },
          },
          "join-1": task("join", { xs: out("for-loop-1", "sums") }),
        },
        {
          "comp-for-loop-1": {
            dag: {
              tasks: { "add-i": task("add", { a: { componentInputParameter: "item" }, b: c(100) }) },
              outputs: {
                parameters: {
                  sums: { valueFromParameter: { producerSubtask: "add-i", outputParameterKey: "Output" } },
                },
              },
            },
            inputDefinitions: { parameters: { item: P("NUMBER_INTEGER") } },
          },
        },
      ),
    );
    expect(rec.state).toBe("SUCCEEDED");
    const reqs = reqsOf(rec.run_id);
    expect(reqs.filter((q) => q.taskName === "add-i").map((q) => q.inputs.parameters.a)).toEqual([
      1, 2, 3, 4,
    ]);
    expect(reqs.find((q) => q.taskName === "join-1")!.inputs.parameters.xs).toEqual([101, 102, 103, 104]);
    expect(calls.maxRunning).toBe(1);
    expect(rec.tasks.filter((t) => t.display_name.startsWith("iteration-iterations(")).length).toBe(4);
    calls.maxRunning = Math.max(before, calls.maxRunning);
  });

  it("a failed task omits its dependents; the exit task still runs with its final status; the run fails", async () => {
    const rec = await run(
      spec(
        "exit",
        {
          "exit-handler-1": {
            componentRef: { name: "comp-exit-handler-1" },
            taskInfo: { name: "exit-handler-1" },
          },
          status: task(
            "status",
            { s: { taskFinalStatus: { producerTask: "exit-handler-1" } } },
            {
              dependentTasks: ["exit-handler-1"],
              triggerPolicy: { strategy: "ALL_UPSTREAM_TASKS_COMPLETED" },
            },
          ),
        },
        {
          "comp-exit-handler-1": {
            dag: {
              tasks: {
                "fail-1": task("fail", { msg: c("boom") }),
                "echo-after": task("echo", { msg: c("never") }, { dependentTasks: ["fail-1"] }),
              },
            },
          },
        },
      ),
    );
    expect(rec.state).toBe("FAILED");
    const reqs = reqsOf(rec.run_id);
    expect(reqs.map((q) => q.taskName)).toEqual(["fail-1", "status"]);
    const st = reqs[1]!.inputs.parameters.s as Json;
    expect(st.state).toBe("FAILED");
    expect(st.pipelineTaskName).toBe("exit-handler-1");
    expect(String(st.pipelineJobResourceName)).toBe(rec.workflow_name);
    expect(JSON.stringify(st.error)).toContain("boom");
    expect(row(rec, "echo-after-driver")!.state).toBe("RUNTIME_STATE_UNSPECIFIED");
    expect(row(rec, "exit-handler-1.onExit")!.state).toBe("SUCCEEDED");
  });

  it("retryPolicy re-runs a failing executor in fresh task roots", async () => {
    const rec = await run(
      spec("retrypolicy", {
        flaky: task("flaky", { msg: c("x") }, { retryPolicy: { maxRetryCount: 3, backoffDuration: "0s" } }),
      }),
    );
    expect(rec.state).toBe("SUCCEEDED");
    const reqs = reqsOf(rec.run_id);
    expect(reqs.length).toBe(3);
    expect(new Set(reqs.map((q) => q.taskRoot)).size).toBe(3);
  });

  it(":retry re-runs only the failed tasks and keeps the succeeded outputs", async () => {
    const s = spec("retry", {
      "add-1": task("add", { a: c(1), b: c(1) }),
      flaky: task("flaky", { msg: out("add-1") }),
    });
    const created = await api(emu).post("/apis/v2beta1/runs", { display_name: "retry", pipeline_spec: s });
    const runId = created.body.run_id as string;
    calls.failOnce.add(`${runId}/flaky`);
    const first = await waitFinished(emu, runId, 20_000);
    expect(first.state).toBe("FAILED");
    const r = await api(emu).post(`/apis/v2beta1/runs/${runId}:retry`);
    expect(r.status, r.text).toBe(200);
    const second = await waitState(emu, runId, "SUCCEEDED", 20_000);
    const reqs = reqsOf(runId);
    expect(reqs.map((q) => q.taskName)).toEqual(["add-1", "flaky", "flaky"]);
    expect(reqs[2]!.inputs.parameters.msg).toBe(2);
    expect(reqs[1]!.taskRoot).not.toBe(reqs[2]!.taskRoot);
    expect(second.tasks.every((t) => t.state === "SUCCEEDED")).toBe(true);
  });

  it("terminate aborts the running tasks: CANCELING, then FAILED", async () => {
    const s = spec("term", {
      "wait-1": task("wait"),
      "wait-2": task("wait"),
      "echo-after": task("echo", { msg: c("no") }, { dependentTasks: ["wait-1"] }),
    });
    const created = await api(emu).post("/apis/v2beta1/runs", { display_name: "term", pipeline_spec: s });
    const runId = created.body.run_id as string;
    await emu.app.engine.waitFor(
      runId,
      (r) => r.tasks.filter((t) => t.display_name === "executor" && t.state === "RUNNING").length === 2,
      10_000,
    );
    const t = await api(emu).post(`/apis/v2beta1/runs/${runId}:terminate`);
    expect(t.status, t.text).toBe(200);
    const rec = await waitFinished(emu, runId, 10_000);
    expect(rec.state).toBe("FAILED");
    expect(rec.state_history.map((h) => h.state)).toContain("CANCELING");
    const waits = reqsOf(runId).filter((q) => q.taskName.startsWith("wait"));
    expect(waits.every((q) => q.signal.aborted)).toBe(true);
    expect(reqsOf(runId).some((q) => q.taskName === "echo-after")).toBe(false);
  });

  it("never runs more tasks at once than the global cap", async () => {
    calls.maxRunning = 0;
    const tasks: Json = {};
    for (let i = 0; i < 8; i++) tasks[`add-${i}`] = task("add", { a: c(i), b: c(i) });
    const rec = await run(spec("cap", tasks));
    expect(rec.state).toBe("SUCCEEDED");
    expect(calls.maxRunning).toBeLessThanOrEqual(3);
    expect(calls.maxRunning).toBeGreaterThan(1);
  });

  it("serves a task's log and output artifact through the API", async () => {
    const rec = await run(spec("files", { "echo-1": task("echo", { msg: c("hello files") }) }));
    expect(rec.state).toBe("SUCCEEDED");
    const exec = rec.tasks.find((t) => t.display_name === "executor")!;
    expect(exec.artifacts).toEqual(expect.arrayContaining(["data", "main-logs"]));
    const art = await api(emu).get(
      `/apis/v2beta1/runs/${rec.run_id}/nodes/${exec.pod_name}/artifacts/data:read`,
    );
    expect(art.status, art.text).toBe(200);
    expect(Buffer.from(art.body.data, "base64").toString()).toBe("hello files");
    const log = await api(emu).get(`/apis/v1alpha1/runs/${rec.run_id}/nodes/${exec.pod_name}/log`);
    expect(log.status).toBe(200);
    expect(log.text).toContain('echo {"msg":"hello files"} -> SUCCEEDED');
    const none = await api(emu).get(
      `/apis/v2beta1/runs/${rec.run_id}/nodes/${exec.pod_name}/artifacts/nope:read`,
    );
    expect(none.status).toBe(404);
  });
});

describe("execute mode: wiring and safety", () => {
  it("refuses a non-loopback host unless remote execution is allowed, then warns", async () => {
    await expect(
      startEmulator({ execute: true, host: "0.0.0.0", taskRunner: fakeRunner(newCalls()) }),
    ).rejects.toThrow(/listens on loopback only; host 0.0.0.0 needs allowRemoteExecute/);
    const warnings: string[] = [];
    const emu = await startEmulator({
      execute: true,
      host: "0.0.0.0",
      allowRemoteExecute: true,
      taskRunner: fakeRunner(newCalls()),
      pipelineRoot: mkdtempSync(join(tmpdir(), "kfp-exec-host-")),
      logger: { info() {}, debug() {}, error() {}, warn: (m: string) => warnings.push(m) },
    });
    await emu.close();
    expect(warnings.join("\n")).toMatch(/anyone who reaches this port can run code on this machine/);
  });

  it("the command line takes --execute, --pipeline-root and caps, and refuses them without --execute", async () => {
    const { parseEmulatorArgs, UsageError } = await import("../../packages/emulator/src/cli.js");
    const p = await parseEmulatorArgs(
      ["--execute", "--pipeline-root", "/tmp/x", "--max-tasks", "2", "--task-timeout", "5"],
      {},
    );
    expect(p.options).toMatchObject({
      execute: true,
      pipelineRoot: "/tmp/x",
      executeLimits: { maxConcurrentTasks: 2, taskTimeoutMs: 5000 },
    });
    await expect(parseEmulatorArgs(["--pipeline-root", "/tmp/x"], {})).rejects.toThrow(UsageError);
    await expect(parseEmulatorArgs(["--execute", "--host", "0.0.0.0"], {})).rejects.toThrow(
      /needs --allow-remote-execute/,
    );
    await expect(parseEmulatorArgs(["--execute", "--max-tasks", "0"], {})).rejects.toThrow(
      /--max-tasks must be a whole number from 1 to 256/,
    );
  });
});
