/**
 * Namespaces: multi-user mode detected from healthz, so namespace mistakes are explained before the
 * server rejects them; per-call overrides; `withNamespace()`.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";

import {
  AuthenticationError,
  PermissionDeniedError,
  ValidationError,
} from "../../packages/kfp-ts/src/core/errors.js";
import { Kfp } from "../helpers/kfp.js";
import { needs } from "../helpers/needs.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const valid = path.resolve(repoRoot, "../shared/kfp-api/pipelines/valid");
const haveShared = needs(existsSync(valid), valid);
const read = (rel: string) => readFileSync(path.join(valid, rel), "utf8");

describe.skipIf(!haveShared)("multi-user mode", () => {
  let emu: Emulator;
  let alice: Kfp;
  let pipelineId: string;

  beforeAll(async () => {
    emu = await startEmulator({
      multiUser: {
        users: {
          "alice@example.com": { namespaces: ["team-a"] },
          "bob@example.com": { namespaces: ["team-b"] },
        },
      },
      lifecycle: { tickMs: 2 },
    });
    alice = new Kfp({ host: emu.url, headers: { "kubeflow-userid": "alice@example.com" }, logLevel: "off" });
    pipelineId = (
      await alice
        .withNamespace("team-a")
        .pipelines.upload(read("critical/add_numbers.yaml"), { name: "mu-add" })
    ).pipeline_id;
  });
  afterAll(async () => {
    await alice.close();
    await emu.close();
  });

  const noWrites = () =>
    emu
      .requests()
      .filter((r) => r.method !== "GET")
      .map((r) => `${r.method} ${r.path}`);

  it("detects multi-user mode from healthz", async () => {
    expect((await alice.serverInfo()).multiUser).toBe(true);
  });

  it("explains a missing namespace for experiments before sending", async () => {
    emu.clearRequests();
    const err = await alice.experiments.create({ display_name: "e" }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe("namespace");
    expect(err.message).toMatch(/multi-user mode: to create an experiment pass a namespace/);
    await expect(alice.experiments.list()).rejects.toThrow(/to list experiments pass a namespace/);
    await expect(alice.experiments.getByName("e")).rejects.toBeInstanceOf(ValidationError);
    expect(noWrites()).toEqual([]);
    expect(emu.requests().filter((r) => r.path.includes("/experiments"))).toEqual([]);
  });

  it("uses a per-call namespace or a withNamespace() client", async () => {
    const e1 = await alice.experiments.create({ display_name: "per-call", namespace: "team-a" });
    expect(e1.namespace).toBe("team-a");
    const teamA = alice.withNamespace("team-a");
    expect(teamA.namespace).toBe("team-a");
    const e2 = await teamA.experiments.getOrCreate({ display_name: "via-client" });
    expect(e2.namespace).toBe("team-a");
    const names = (await teamA.experiments.list()).items.map((e) => e.display_name).sort();
    expect(names).toEqual(["per-call", "via-client"]);
    expect((await alice.experiments.list({ namespace: "team-a" })).total_size).toBe(2);
    // The server still enforces authorization: alice may not act in team-b.
    await expect(alice.experiments.create({ display_name: "x", namespace: "team-b" })).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
  });

  it("requires an experiment for runs and recurring runs, and a scope for their lists", async () => {
    emu.clearRequests();
    const err = await alice.runs
      .create({ display_name: "r", pipeline_id: pipelineId, parameters: { a: 1, b: 2 } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.field).toBe("experiment_id");
    expect(err.message).toMatch(/a run needs an experiment/);
    await expect(alice.runs.list()).rejects.toThrow(/listing runs needs a namespace or an experiment_id/);
    await expect(
      alice.recurringRuns.create({
        display_name: "rr",
        pipeline_id: pipelineId,
        parameters: { a: 1, b: 2 },
        interval: 60,
      }),
    ).rejects.toThrow(/a recurring run needs an experiment/);
    await expect(alice.recurringRuns.list()).rejects.toThrow(/listing recurring runs needs a namespace/);
    expect(noWrites()).toEqual([]);
  });

  it("runs in a namespace's experiment, lists by namespace, and waits", async () => {
    const teamA = alice.withNamespace("team-a");
    const run = await teamA.runs.createAndWait(
      {
        display_name: "mu-run",
        experiment_name: "mu-exp",
        pipeline_name: "mu-add",
        parameters: { a: 1, b: 2 },
      },
      { pollInterval: 5, timeout: 10_000 },
    );
    expect(run.state).toBe("SUCCEEDED");
    const exp = await teamA.experiments.getByName("mu-exp");
    expect(run.experiment_id).toBe(exp.experiment_id);
    expect((await teamA.runs.list()).items.map((r) => r.run_id)).toContain(run.run_id);
    expect((await alice.runs.list({ experiment_id: exp.experiment_id })).total_size).toBe(1);
    const rr = await teamA.recurringRuns.create({
      display_name: "mu-rr",
      experiment_id: exp.experiment_id,
      pipeline_id: pipelineId,
      parameters: { a: 1, b: 2 },
      interval: 3600,
      enabled: false,
    });
    expect(rr.namespace).toBe("team-a");
    expect((await teamA.recurringRuns.list()).items.map((r) => r.recurring_run_id)).toEqual([
      rr.recurring_run_id,
    ]);
  });

  it("every other operation works in a namespace", async () => {
    const teamA = alice.withNamespace("team-a");
    const exp = await teamA.experiments.create({ display_name: "mu-ops" });
    expect((await teamA.experiments.get(exp.experiment_id)).namespace).toBe("team-a");
    const run = await teamA.runs.createAndWait(
      {
        display_name: "ops",
        experiment_id: exp.experiment_id,
        package: read("critical/add_numbers.yaml"),
        parameters: { a: 1, b: 2 },
      },
      { pollInterval: 5, timeout: 10_000 },
    );
    expect((await teamA.runs.get(run.run_id)).state).toBe("SUCCEEDED");
    expect((await teamA.withOptions({ apiVersion: "v2beta1" }).runs.tasks(run.run_id)).total).toBeGreaterThan(
      0,
    );
    await expect(teamA.runs.terminate(run.run_id)).rejects.toThrow(/400/); // already finished
    await teamA.runs.archive(run.run_id);
    await teamA.runs.unarchive(run.run_id);
    const rr = await teamA.recurringRuns.create({
      display_name: "ops-rr",
      experiment_id: exp.experiment_id,
      pipeline_id: pipelineId,
      parameters: { a: 1, b: 2 },
      cron: "0 0 1 * * *",
    });
    await teamA.recurringRuns.disable(rr.recurring_run_id);
    await teamA.recurringRuns.enable(rr.recurring_run_id);
    expect((await teamA.recurringRuns.get(rr.recurring_run_id)).status).toBe("ENABLED");
    await teamA.recurringRuns.delete(rr.recurring_run_id);
    await teamA.experiments.archive(exp.experiment_id);
    expect((await teamA.runs.get(run.run_id)).storage_state).toBe("ARCHIVED"); // archiving archives its runs
    await teamA.experiments.unarchive(exp.experiment_id);
    await teamA.runs.delete(run.run_id);
    await teamA.experiments.delete(exp.experiment_id);
    // bob cannot read alice's namespace
    const bob = new Kfp({
      host: emu.url,
      headers: { "kubeflow-userid": "bob@example.com" },
      logLevel: "off",
    });
    await expect(bob.experiments.list({ namespace: "team-a" })).rejects.toBeInstanceOf(PermissionDeniedError);
    await bob.close();
  });

  it("an unidentified caller gets a 401 AuthenticationError", async () => {
    const anon = new Kfp({ host: emu.url, namespace: "team-a", logLevel: "off" });
    await expect(anon.experiments.list()).rejects.toBeInstanceOf(AuthenticationError);
    await anon.close();
  });
});

describe("single-user mode", () => {
  let emu: Emulator;
  let kfp: Kfp;
  beforeAll(async () => {
    emu = await startEmulator();
    kfp = new Kfp({ host: emu.url, logLevel: "off" });
  });
  afterAll(async () => {
    await kfp.close();
    await emu.close();
  });

  it("needs no namespace, and a given one is ignored by the server", async () => {
    expect((await kfp.serverInfo()).multiUser).toBe(false);
    const e = await kfp.experiments.create({ display_name: "anywhere" });
    expect(e.namespace).toBeUndefined();
    const e2 = await kfp.withNamespace("team-a").experiments.create({ display_name: "ns-ignored" });
    expect(e2.namespace).toBeUndefined();
    expect((await kfp.runs.list()).items).toEqual([]);
    expect((await kfp.recurringRuns.list()).items).toEqual([]);
  });
});
