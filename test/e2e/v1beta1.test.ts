/**
 * The same resource API through the v1beta1 adapter (apiVersion: "v1beta1"), against the emulator's
 * /apis/v1beta1 routes: the client returns the v2beta1 shapes.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";

import { NotFoundError, UnsupportedError, ValidationError } from "../../packages/kfp-ts/src/core/errors.js";
import { experimentFilter, runFilter } from "../../packages/kfp-ts/src/core/filters.js";
import { ParameterError, RunFailedError } from "../../packages/kfp-ts/src/core/run-errors.js";
import { Kfp } from "../helpers/kfp.js";
import { needs } from "../helpers/needs.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const valid = path.resolve(repoRoot, "../shared/kfp-api/pipelines/valid");
const haveShared = needs(existsSync(valid), valid);
const read = (rel: string) => readFileSync(path.join(valid, rel), "utf8");
const poll = { pollInterval: 5, maxPollInterval: 25, timeout: 15_000 };

describe.skipIf(!haveShared)("v1beta1 adapter (single-user)", () => {
  let emu: Emulator;
  let kfp: Kfp;
  let pipelineId: string;
  let versionId: string;

  beforeAll(async () => {
    emu = await startEmulator({ lifecycle: { failTasks: ["fail"], tickMs: 5, podTicks: 4 } });
    kfp = new Kfp({ host: emu.url, apiVersion: "v1beta1", logLevel: "off" });
    pipelineId = (await kfp.pipelines.upload(read("critical/add_numbers.yaml"), { name: "v1-add" }))
      .pipeline_id;
    versionId = (await kfp.pipelines.versions.list(pipelineId)).items[0]!.pipeline_version_id;
  });
  afterAll(async () => {
    await kfp.close();
    await emu.close();
  });

  const onlyV1 = () => emu.requests().every((r) => r.path.startsWith("/apis/v1beta1/"));

  it("experiments: create, get, find by name, list, archive, unarchive, delete", async () => {
    emu.clearRequests();
    const e = await kfp.experiments.create({ display_name: "v1-exp", description: "d" });
    expect(e).toMatchObject({ display_name: "v1-exp", description: "d", storage_state: "AVAILABLE" });
    expect(e.experiment_id).toBeTruthy();
    expect(await kfp.experiments.get(e.experiment_id)).toMatchObject({ experiment_id: e.experiment_id });
    expect((await kfp.experiments.getByName("v1-exp")).experiment_id).toBe(e.experiment_id);
    expect((await kfp.experiments.getOrCreate({ display_name: "v1-exp" })).experiment_id).toBe(
      e.experiment_id,
    );
    for (let i = 0; i < 3; i++) await kfp.experiments.create({ display_name: `v1-page-${i}` });
    const names: string[] = [];
    for await (const x of kfp.experiments.list({
      page_size: 1,
      filter: experimentFilter().substring("name", "v1-page-"),
    })) {
      names.push(x.display_name!);
    }
    expect(names.sort()).toEqual(["v1-page-0", "v1-page-1", "v1-page-2"]);
    await kfp.experiments.archive(e.experiment_id);
    expect((await kfp.experiments.get(e.experiment_id)).storage_state).toBe("ARCHIVED");
    await kfp.experiments.unarchive(e.experiment_id);
    expect((await kfp.experiments.get(e.experiment_id)).storage_state).toBe("AVAILABLE");
    await kfp.experiments.delete(e.experiment_id);
    await expect(kfp.experiments.get(e.experiment_id)).rejects.toBeInstanceOf(NotFoundError);
    // A create whose answer is lost is reconciled by name, in the v2beta1 shape.
    emu.faults.add({
      method: "POST",
      path: "^/apis/v1beta1/experiments$",
      action: "reset-after-body",
      times: 1,
    });
    const lost = await kfp.experiments.create({ display_name: "v1-lost" });
    expect(lost).toMatchObject({ display_name: "v1-lost", storage_state: "AVAILABLE" });
    expect(
      emu
        .requests()
        .filter((r) => r.method === "POST" && r.path.endsWith("/experiments"))
        .at(-1)?.fault,
    ).toBe("reset-after-body");
    expect(onlyV1()).toBe(true);
  });

  it("runs: create from a version or a package, get, list, wait, task tree, artifact", async () => {
    emu.clearRequests();
    const exp = await kfp.experiments.create({ display_name: "v1-runs" });
    const run = await kfp.runs.create({
      display_name: "v1-run",
      experiment_id: exp.experiment_id,
      pipeline_id: pipelineId,
      pipeline_version_id: versionId,
      parameters: { a: 1, b: 2 },
      service_account: "sa-1",
    });
    expect(run).toMatchObject({
      display_name: "v1-run",
      experiment_id: exp.experiment_id,
      pipeline_version_reference: { pipeline_id: pipelineId, pipeline_version_id: versionId },
      runtime_config: { parameters: { a: 1, b: 2 } },
      service_account: "sa-1",
    });
    expect(["PENDING", "RUNNING"]).toContain(run.state);
    await expect(
      kfp.runs.create({
        display_name: "x",
        pipeline_id: pipelineId,
        pipeline_version_id: versionId,
        parameters: { a: 1 },
      }),
    ).rejects.toBeInstanceOf(ParameterError);
    const inline = await kfp.runs.create({
      display_name: "v1-inline",
      experiment_id: exp.experiment_id,
      package: read("arguments_parameters.yaml"),
      parameters: { param2: "x" },
    });
    expect(inline.pipeline_spec?.pipelineInfo).toEqual({ name: "echo" });
    const done = await kfp.runs.wait(run.run_id, poll);
    expect(done.state).toBe("SUCCEEDED");
    const tree = await kfp.runs.tasks(run.run_id);
    expect(tree.source).toBe("task_details");
    expect(tree.total).toBeGreaterThanOrEqual(5);
    expect(tree.roots.length).toBeLessThan(tree.total); // the workflow's node children link the tree
    expect(Object.keys(tree.counts)).toEqual(["SUCCEEDED"]);
    const listed = await kfp.runs.list({
      experiment_id: exp.experiment_id,
      filter: runFilter().eq("name", "v1-run"),
    });
    expect(listed.items.map((r) => r.run_id)).toEqual([run.run_id]);
    expect(listed.items[0]!.state).toBe("SUCCEEDED");
    const node = emu.store.get("runs", run.run_id)!.tasks.find((t) => t.artifacts?.includes("main-logs"))!;
    expect((await kfp.runs.readArtifact(run.run_id, node.pod_name, "main-logs")).text()).toContain(
      run.run_id,
    );
    expect(onlyV1()).toBe(true);
  });

  it("runs: failure, retry, terminate, archive, delete", async () => {
    const err = await kfp.runs
      .createAndWait({ display_name: "v1-fail", package: read("failing/fail_v2.yaml") }, poll)
      .catch((e) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect(err.failedTasks.map((t: { name: string }) => t.name)).toContain("fail");
    await kfp.runs.retry(err.runId);
    expect((await kfp.runs.wait(err.runId, poll)).state).toBe("SUCCEEDED");
    const r = await kfp.runs.create({
      display_name: "v1-term",
      pipeline_id: pipelineId,
      parameters: { a: 1, b: 1 },
    });
    await kfp.runs.terminate(r.run_id);
    const ended = await kfp.runs.wait(r.run_id, { ...poll, throwOnFailure: false });
    expect(ended.state).toBe("FAILED"); // v1 reads CANCELED as Failed too
    await kfp.runs.archive(r.run_id);
    expect((await kfp.runs.get(r.run_id)).storage_state).toBe("ARCHIVED");
    await kfp.runs.unarchive(r.run_id);
    expect((await kfp.runs.get(r.run_id)).storage_state).toBe("AVAILABLE");
    await kfp.runs.delete(r.run_id);
    await expect(kfp.runs.get(r.run_id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("recurring runs go through /jobs and come back in the v2beta1 shape", async () => {
    emu.clearRequests();
    const exp = await kfp.experiments.create({ display_name: "v1-jobs" });
    const rr = await kfp.recurringRuns.create({
      display_name: "v1-job",
      experiment_id: exp.experiment_id,
      pipeline_id: pipelineId,
      pipeline_version_id: versionId,
      parameters: { a: 1, b: 2 },
      cron: "0 0 3 * * *",
      max_concurrency: 2,
      catchup: false,
    });
    expect(rr).toMatchObject({
      display_name: "v1-job",
      experiment_id: exp.experiment_id,
      max_concurrency: "2",
      status: "ENABLED",
      mode: "ENABLE",
      no_catchup: true,
      trigger: { cron_schedule: { cron: "0 0 3 * * *" } },
      pipeline_version_reference: { pipeline_id: pipelineId, pipeline_version_id: versionId },
    });
    await kfp.recurringRuns.disable(rr.recurring_run_id);
    expect((await kfp.recurringRuns.get(rr.recurring_run_id)).status).toBe("DISABLED");
    await kfp.recurringRuns.enable(rr.recurring_run_id);
    expect((await kfp.recurringRuns.get(rr.recurring_run_id)).status).toBe("ENABLED");
    const page = await kfp.recurringRuns.list({ experiment_id: exp.experiment_id });
    expect(page.items.map((x) => x.recurring_run_id)).toEqual([rr.recurring_run_id]);
    await kfp.recurringRuns.delete(rr.recurring_run_id);
    await expect(kfp.recurringRuns.get(rr.recurring_run_id)).rejects.toBeInstanceOf(NotFoundError);
    expect(onlyV1()).toBe(true);
  });

  it("what v1beta1 cannot do is an UnsupportedError, sent nowhere", async () => {
    emu.clearRequests();
    await expect(kfp.runs.list({ view: "FULL" })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(
      kfp.recurringRuns.delete("some-id", { propagation_policy: "ORPHAN" }),
    ).rejects.toBeInstanceOf(UnsupportedError);
    await expect(kfp.recurringRuns.delete("some-id", { propagation_policy: "ORPHAN" })).rejects.toThrow(
      /not supported by the v1beta1 API/,
    );
    expect(emu.requests()).toEqual([]);
    await expect(kfp.runs.get("")).rejects.toBeInstanceOf(ValidationError);
  });
});

describe.skipIf(!haveShared)("v1beta1 adapter (multi-user)", () => {
  let emu: Emulator;
  let kfp: Kfp;
  beforeAll(async () => {
    emu = await startEmulator({ multiUser: true });
    kfp = new Kfp({
      host: emu.url,
      apiVersion: "v1beta1",
      headers: { "kubeflow-userid": "carol@example.com" },
      logLevel: "off",
    });
  });
  afterAll(async () => {
    await kfp.close();
    await emu.close();
  });

  it("scopes experiments and runs by namespace through resource references", async () => {
    await expect(kfp.experiments.create({ display_name: "nope" })).rejects.toThrow(/pass a namespace/);
    const ns = kfp.withNamespace("team-c");
    const e = await ns.experiments.create({ display_name: "mu-v1" });
    expect(e.namespace).toBe("team-c");
    expect((await ns.experiments.list()).items.map((x) => x.experiment_id)).toEqual([e.experiment_id]);
    await expect(
      ns.runs.create({
        display_name: "r",
        package: read("critical/add_numbers.yaml"),
        parameters: { a: 1, b: 2 },
      }),
    ).rejects.toThrow(/Experiment id can not be empty in multi-user mode/);
    // Once the client knows the server is multi-user (healthz), it says so before sending.
    await ns.serverInfo();
    await expect(
      ns.runs.create({
        display_name: "r",
        package: read("critical/add_numbers.yaml"),
        parameters: { a: 1, b: 2 },
      }),
    ).rejects.toThrow(/a run needs an experiment/);
    const run = await ns.runs.create({
      display_name: "r",
      experiment_id: e.experiment_id,
      package: read("critical/add_numbers.yaml"),
      parameters: { a: 1, b: 2 },
    });
    expect((await ns.runs.list()).items.map((r) => r.run_id)).toEqual([run.run_id]);
  });
});
