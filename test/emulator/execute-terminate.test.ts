/**
 * Terminate in execute mode with the real task runner: the run's processes (a shell and the `sleep`
 * it started, in the task's process group) are gone once the run ended; the run went through
 * CANCELING to FAILED (the Argo backend's end for a terminated run) and the task that had not
 * started never runs. Also: deleting a running run stops it the same way.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutedRunEngine } from "../../packages/emulator/src/engine/executed.js";
import { createTaskRunner } from "../../packages/emulator/src/execute/runner.js";
import type { TaskRunner } from "../../packages/emulator/src/execute/task.js";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { processesWith, TEST_VENV_CACHE } from "./helpers/execute-task.js";
import { api, waitFinished } from "./runs-fixtures.js";

function sleeperSpec(marker: string): Record<string, unknown> {
  const sleeper = {
    container: {
      image: "alpine",
      command: ["sh", "-c", `echo ${marker}-started; sleep 300 & wait; echo ${marker}`],
    },
  };
  const echo = { container: { image: "alpine", command: ["echo", `${marker}-after`] } };
  return {
    pipelineInfo: { name: "sleepers" },
    schemaVersion: "2.1.0",
    sdkVersion: "kfp-2.14.3",
    components: {
      "comp-sleep": { executorLabel: "exec-sleep" },
      "comp-echo": { executorLabel: "exec-echo" },
    },
    deploymentSpec: { executors: { "exec-sleep": sleeper, "exec-echo": echo } },
    root: {
      dag: {
        tasks: {
          "sleep-1": { componentRef: { name: "comp-sleep" }, taskInfo: { name: "sleep-1" } },
          "sleep-2": { componentRef: { name: "comp-sleep" }, taskInfo: { name: "sleep-2" } },
          after: {
            componentRef: { name: "comp-echo" },
            dependentTasks: ["sleep-1"],
            taskInfo: { name: "after" },
          },
        },
      },
    },
  };
}

/** Emits "started" with the marker when a task's log says it started (its process exists). */
const started = new EventEmitter();
function announcing(runner: TaskRunner): TaskRunner {
  return (req) =>
    runner({
      ...req,
      onLog: (chunk) => {
        req.onLog?.(chunk);
        const m = /(kfp-\w+-[0-9a-f-]+)-started/.exec(chunk);
        if (m) started.emit("started", m[1]);
      },
    });
}

/** Resolves once `n` tasks printed `<marker>-started`. */
function whenStarted(marker: string, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => reject(new Error(`only ${seen} of ${n} tasks started in 20 s`)), 20_000);
    const on = (m: string) => {
      if (m !== marker || ++seen < n) return;
      clearTimeout(timer);
      started.off("started", on);
      resolve();
    };
    started.on("started", on);
  });
}

describe.runIf(process.platform === "linux")(
  "execute mode: terminate and delete stop the run's processes",
  () => {
    let emu: Emulator;
    let root: string;
    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), "kfp-exec-term-"));
      emu = await startEmulator({
        execute: true,
        pipelineRoot: root,
        taskRunner: announcing(createTaskRunner({ cacheDir: TEST_VENV_CACHE, killGraceMs: 300 })),
      });
    });
    afterAll(async () => {
      await emu?.close();
      rmSync(root, { recursive: true, force: true });
    });

    async function startSleepers(marker: string): Promise<string> {
      const both = whenStarted(marker, 2);
      const r = await api(emu).post("/apis/v2beta1/runs", {
        display_name: "sleepers",
        pipeline_spec: sleeperSpec(marker),
      });
      expect(r.status, r.text).toBe(200);
      await both;
      return r.body.run_id as string;
    }

    const runningExecutor = (runId: string) =>
      emu.store.get("runs", runId)!.tasks.find((t) => t.display_name === "executor" && t.state === "RUNNING")!
        .pod_name;

    it("terminate kills every process of the run; the run ends FAILED after CANCELING", async () => {
      const marker = `kfp-term-${randomUUID()}`;
      const runId = await startSleepers(marker);
      expect(processesWith(marker).length).toBeGreaterThanOrEqual(2);
      // the log endpoint serves the running task's output live
      await emu.app.engine.waitFor(runId, (r) =>
        r.tasks.some((t) => t.display_name === "executor" && t.state === "RUNNING"),
      );
      const live = await api(emu).get(`/apis/v1alpha1/runs/${runId}/nodes/${runningExecutor(runId)}/log`);
      expect(live.text).toContain(`${marker}-started`);
      const t = await api(emu).post(`/apis/v2beta1/runs/${runId}:terminate`);
      expect(t.status, t.text).toBe(200);
      const rec = await waitFinished(emu, runId, 20_000);
      await (emu.app.engine as ExecutedRunEngine).settled(runId);
      expect(rec.state).toBe("FAILED");
      expect(rec.state_history.map((h) => h.state)).toEqual(["PENDING", "RUNNING", "CANCELING", "FAILED"]);
      expect(processesWith(marker)).toEqual([]);
      const executors = rec.tasks.filter((t) => t.display_name === "executor");
      expect(executors.map((t) => t.state)).toEqual(["FAILED", "FAILED"]);
      expect(rec.tasks.some((t) => t.display_name === "after")).toBe(false);
    });

    it("deleting a running run stops its processes", async () => {
      const marker = `kfp-del-${randomUUID()}`;
      const runId = await startSleepers(marker);
      expect(processesWith(marker).length).toBeGreaterThanOrEqual(2);
      const engine = emu.app.engine as ExecutedRunEngine;
      const settled = engine.settled(runId);
      const d = await api(emu).del(`/apis/v2beta1/runs/${runId}`);
      expect(d.status, d.text).toBe(200);
      await settled;
      expect(processesWith(marker)).toEqual([]);
      expect((await api(emu).get(`/apis/v2beta1/runs/${runId}`)).status).toBe(404);
    });
  },
);
