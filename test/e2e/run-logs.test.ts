/**
 * `kfp.runs.readLog` and `executorNodes` against the emulator in execute mode (a shell task that
 * echoes to stdout and stderr and writes an artifact), on v2beta1 (`/apis/v1alpha1/.../log`) and v2
 * (`/apis/v2/.../log`), on both transports (the undici one here; KFP_TS_TRANSPORT=fetch reruns it),
 * and the errors: the server's 200-with-error-body answers become NotFoundError.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { executorNodes, NotFoundError, type Run, ValidationError } from "../../packages/kfp-ts/src/index.js";
import { Kfp } from "../helpers/kfp.js";
import { REPORT, SAID, SAID_ERR, sayPipeline } from "./run-logs-fixtures.js";

describe("runs.readLog (execute mode)", () => {
  let emu: Emulator;
  let kfp: Kfp;
  let root: string;
  let run: Run;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "kfp-ts-run-logs-"));
    emu = await startEmulator({ execute: true, pipelineRoot: root });
    kfp = new Kfp({ host: emu.url, logLevel: "off" });
    const created = await kfp.runs.create({ display_name: "say", pipeline_spec: sayPipeline("say-logs") });
    run = await kfp.runs.wait(created.run_id, { timeout: 20_000, pollInterval: 50 });
  });

  afterAll(async () => {
    await kfp?.close();
    await emu?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("finds the say task's executor node and reads its log: stdout and stderr", async () => {
    expect(run.state).toBe("SUCCEEDED");
    const nodes = executorNodes(run);
    expect(nodes.map((n) => [n.task, n.state])).toEqual([["say", "SUCCEEDED"]]);
    const log = await kfp.runs.readLog(run.run_id, nodes[0]!.nodeId);
    expect(log).toContain(SAID);
    expect(log).toContain(SAID_ERR);
    const artifact = await kfp.runs.readArtifact(run.run_id, nodes[0]!.nodeId, "report");
    expect(artifact.text()).toBe(REPORT);
  });

  it("reads the same log on the stable API (/apis/v2/.../log, the EXECUTOR pod of a v2 task)", async () => {
    const v2 = kfp.withOptions({ apiVersion: "v2" });
    const r = await v2.runs.get(run.run_id);
    const nodes = executorNodes(r);
    expect(nodes.map((n) => n.task)).toEqual(["say"]);
    expect(nodes[0]!.nodeId).toBe(executorNodes(run)[0]!.nodeId);
    expect(await v2.runs.readLog(run.run_id, nodes[0]!.nodeId)).toContain(SAID);
  });

  it("turns the server's 200 error body for an unknown node or run into NotFoundError", async () => {
    const err = await kfp.runs.readLog(run.run_id, "no-such-pod").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toContain('pods "no-such-pod" not found');
    expect((err as NotFoundError).message).toContain("The server has no log for this node.");
    const noRun = await kfp.runs.readLog("no-such-run", "no-such-pod").catch((e: unknown) => e);
    expect(noRun).toBeInstanceOf(NotFoundError);
    expect((noRun as NotFoundError).shortMessage).toContain("Run no-such-run not found");
  });

  it("refuses an empty node id before sending", async () => {
    const err = await kfp.runs.readLog(run.run_id, "").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toMatch(/node id/);
  });
});

describe("executorNodes", () => {
  it("links a v2beta1 executor entry that carries its pod_name to its task", () => {
    const run = {
      run_id: "r",
      run_details: {
        task_details: [
          {
            display_name: "train",
            state: "RUNNING",
            child_tasks: [{ pod_name: "p-1" }, { pod_name: "p-2" }],
          },
          { display_name: "executor", pod_name: "p-2", state: "RUNNING" },
          { display_name: "train-driver", pod_name: "p-1", state: "SUCCEEDED" },
        ],
      },
    } as Run;
    expect(executorNodes(run)).toEqual([{ task: "train", nodeId: "p-2", state: "RUNNING" }]);
  });

  it("is empty for a run without tasks", () => {
    expect(executorNodes({ run_id: "r" } as Run)).toEqual([]);
  });
});
