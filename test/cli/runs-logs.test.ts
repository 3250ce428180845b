/**
 * `kfp-ts runs logs` against the emulator in execute mode: one task by name, every task with a
 * header line, one node by id, and the errors (unknown task, unknown node, both flags).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { EXIT } from "../../packages/kfp-ts/src/cli/exit-codes.js";
import { executorNodes, Kfp } from "../../packages/kfp-ts/src/index.js";
import { SAID, SAID_ERR, sayPipeline } from "../e2e/run-logs-fixtures.js";
import { cli, isolatedConfig } from "./helpers.js";

describe("kfp-ts runs logs (execute mode)", () => {
  let emu: Emulator;
  let root: string;
  let host: string[];
  let env: Record<string, string>;
  let runId: string;
  let nodeId: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "kfp-ts-cli-logs-"));
    emu = await startEmulator({ execute: true, pipelineRoot: root });
    host = ["--host", emu.url];
    env = { KFP_TS_CONFIG: isolatedConfig() };
    const kfp = new Kfp({ host: emu.url, logLevel: "off" });
    const run = await kfp.runs.createAndWait(
      { display_name: "say", pipeline_spec: sayPipeline("cli-logs") },
      { timeout: 20_000, pollInterval: 50 },
    );
    runId = run.run_id;
    nodeId = executorNodes(run)[0]!.nodeId;
    await kfp.close();
  });

  afterAll(async () => {
    await emu?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("prints one task's log with --task, exactly as the server serves it", async () => {
    const r = await cli([...host, "runs", "logs", runId, "--task", "say"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toContain(`${SAID}\n`);
    expect(r.stdout).toContain(SAID_ERR);
    expect(r.stdout).not.toContain("==>");
  });

  it("prints every task's log after a header line without a flag, and one node's with --node", async () => {
    const all = await cli([...host, "runs", "logs", runId], { env });
    expect(all.code).toBe(EXIT.OK);
    expect(all.stdout.split("\n")[0]).toBe(`==> say (node ${nodeId}, SUCCEEDED) <==`);
    expect(all.stdout).toContain(SAID);
    const one = await cli([...host, "run", "log", runId, "--node", nodeId], { env });
    expect(one.code).toBe(EXIT.OK);
    expect(one.stdout).toContain(SAID);
  });

  it("names the run's tasks for an unknown --task, and exits NOT_FOUND for an unknown --node", async () => {
    const task = await cli([...host, "runs", "logs", runId, "--task", "nope"], { env });
    expect(task.code).toBe(EXIT.USAGE);
    expect(task.stderr).toContain(`run ${runId} has no task "nope" with an executor node; its tasks: say`);
    const node = await cli([...host, "runs", "logs", runId, "--node", "no-such-pod"], { env });
    expect(node.code).toBe(EXIT.NOT_FOUND);
    expect(node.stderr).toContain('pods "no-such-pod" not found');
    const both = await cli([...host, "runs", "logs", runId, "--node", nodeId, "--task", "say"], { env });
    expect(both.code).toBe(EXIT.USAGE);
    expect(both.stderr).toContain("give --node or --task, not both");
  });
});
