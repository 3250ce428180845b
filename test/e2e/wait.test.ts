/** `runs.wait` / `createAndWait` against the emulator's simulated run lifecycle. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";

import { AbortError, TimeoutError } from "../../packages/kfp-ts/src/core/errors.js";
import { RunFailedError } from "../../packages/kfp-ts/src/core/run-errors.js";
import { RunWaitTimeoutError, type WaitProgress } from "../../packages/kfp-ts/src/core/wait.js";
import { Kfp } from "../helpers/kfp.js";
import { needs } from "../helpers/needs.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const valid = path.resolve(repoRoot, "../shared/kfp-api/pipelines/valid");
const haveShared = needs(existsSync(valid), valid);
const read = (rel: string) => readFileSync(path.join(valid, rel), "utf8");

const poll = { pollInterval: 5, maxPollInterval: 25, timeout: 15_000 };

describe.skipIf(!haveShared)("runs.wait against the emulator", () => {
  let emu: Emulator;
  let kfp: Kfp;
  let addNumbers: string;
  let failing: string;

  beforeAll(async () => {
    // Slow enough (each pod runs ~10 ticks of 10 ms) to observe RUNNING and to terminate a run.
    emu = await startEmulator({ lifecycle: { failTasks: ["fail"], tickMs: 10, podTicks: 10 } });
    kfp = new Kfp({ host: emu.url, apiVersion: "v2beta1", logLevel: "off" });
    addNumbers = read("critical/add_numbers.yaml");
    failing = read("failing/fail_v2.yaml");
  });
  afterAll(async () => {
    await kfp.close();
    await emu.close();
  });

  it("waits for success, reporting state and task progress", async () => {
    const seen: WaitProgress[] = [];
    const run = await kfp.runs.createAndWait(
      { display_name: "ok", package: addNumbers, parameters: { a: 1, b: 2 } },
      { ...poll, onProgress: (p) => seen.push(p) },
    );
    expect(run.state).toBe("SUCCEEDED");
    const states = seen.map((p) => p.state);
    expect(["PENDING", "RUNNING"]).toContain(states[0]);
    expect(states).toContain("RUNNING");
    expect(states.at(-1)).toBe("SUCCEEDED");
    // Task counts grew while the run was RUNNING.
    const running = seen.filter((p) => p.state === "RUNNING");
    expect(running.length).toBeGreaterThan(1);
    expect(seen.at(-1)!.tasks.counts.SUCCEEDED).toBe(seen.at(-1)!.tasks.total);
    expect(seen.at(-1)!.summary).toMatch(/^SUCCEEDED — \d+ tasks: \d+ SUCCEEDED$/);
  });

  it("raises RunFailedError carrying the failed tasks", async () => {
    const err = await kfp.runs.createAndWait({ display_name: "bad", package: failing }, poll).catch((e) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect(err.state).toBe("FAILED");
    expect(err.failedTasks.length).toBeGreaterThan(0);
    expect(err.failedTasks.every((t: { state: string }) => t.state === "FAILED")).toBe(true);
    expect(err.message).toMatch(/ended FAILED: task "/);
    const run = await kfp.runs.wait(err.runId, { ...poll, throwOnFailure: false });
    expect(run.state).toBe("FAILED");
  });

  it("follows a terminated run to its end (CANCELING, then FAILED like Argo)", async () => {
    const run = await kfp.runs.create({
      display_name: "term",
      package: addNumbers,
      parameters: { a: 1, b: 2 },
    });
    await kfp.runs.wait(run.run_id, { ...poll, until: "RUNNING" });
    await kfp.runs.terminate(run.run_id);
    const states: string[] = [];
    const err = await kfp.runs
      .wait(run.run_id, { ...poll, onProgress: (p) => states.push(p.state) })
      .catch((e) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect(states[0]).toBe("CANCELING");
    expect(["FAILED", "CANCELED"]).toContain(err.state);
    // Terminating a finished run is a 400 from the server.
    await expect(kfp.runs.terminate(run.run_id)).rejects.toThrow(/400/);
  });

  it("times out with the last known state", async () => {
    const run = await kfp.runs.create({
      display_name: "slow",
      package: addNumbers,
      parameters: { a: 1, b: 2 },
    });
    const err = await kfp.runs.wait(run.run_id, { pollInterval: 5, timeout: 30 }).catch((e) => e);
    expect(err).toBeInstanceOf(RunWaitTimeoutError);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(["PENDING", "RUNNING"]).toContain(err.lastState);
    await kfp.runs.terminate(run.run_id).catch(() => undefined);
  });

  it("stops on abort", async () => {
    const run = await kfp.runs.create({
      display_name: "abort",
      package: addNumbers,
      parameters: { a: 1, b: 2 },
    });
    const ac = new AbortController();
    const err = await kfp.runs
      .wait(run.run_id, {
        ...poll,
        signal: ac.signal,
        onProgress: (p) => p.state === "RUNNING" && ac.abort(),
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    await kfp.runs.terminate(run.run_id).catch(() => undefined);
  });

  it("survives a server that fails twice in the middle of a wait", async () => {
    const run = await kfp.runs.create({
      display_name: "flaky",
      package: addNumbers,
      parameters: { a: 1, b: 2 },
    });
    emu.faults.add([
      {
        method: "GET",
        path: `^/apis/v2beta1/runs/${run.run_id}$`,
        action: "unavailable",
        after: 2,
        times: 1,
        retryAfter: 0,
      },
      {
        method: "GET",
        path: `^/apis/v2beta1/runs/${run.run_id}$`,
        action: "reset-before-body",
        after: 3,
        times: 1,
      },
    ]);
    emu.clearRequests();
    const done = await kfp.runs.wait(run.run_id, poll);
    expect(done.state).toBe("SUCCEEDED");
    const faults = emu
      .requests()
      .filter((r) => r.fault)
      .map((r) => r.fault);
    expect(faults).toEqual(["unavailable", "reset-before-body"]);
  });
});
