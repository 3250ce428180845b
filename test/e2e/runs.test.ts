import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";

import {
  BadRequestError,
  ConnectionError,
  NotFoundError,
  ValidationError,
} from "../../packages/kfp-ts/src/core/errors.js";
import { runFilter } from "../../packages/kfp-ts/src/core/filters.js";
import { ParameterError, RunFailedError } from "../../packages/kfp-ts/src/core/run-errors.js";
import { fromPath } from "../../packages/kfp-ts/src/core/uploads.js";
import { Kfp } from "../helpers/kfp.js";
import { needs } from "../helpers/needs.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const valid = path.resolve(repoRoot, "../shared/kfp-api/pipelines/valid");
const haveShared = needs(existsSync(valid), valid);
const read = (rel: string) => readFileSync(path.join(valid, rel), "utf8");

describe.skipIf(!haveShared)("runs (single-user emulator over HTTP)", () => {
  let emu: Emulator;
  let kfp: Kfp;
  let addId: string;
  let addV1: string;
  let addV2: string;
  const emuClient = (apiVersion: "v2beta1" | "v2") => kfp.withOptions({ apiVersion });

  beforeAll(async () => {
    // A clock that moves one second per reading, so versions have distinct created_at values.
    let now = Date.now();
    emu = await startEmulator({ lifecycle: { failTasks: ["fail"] }, clock: () => (now += 1000) });
    kfp = new Kfp({ host: emu.url, logLevel: "off" });
    const p = await kfp.pipelines.upload(read("critical/add_numbers.yaml"), { name: "add-numbers" });
    addId = p.pipeline_id;
    const versions = await kfp.pipelines.versions.list(addId);
    addV1 = versions.items[0]!.pipeline_version_id;
    const v2 = await kfp.pipelines.uploadVersion(read("critical/add_numbers.yaml"), {
      pipeline_id: addId,
      name: "v2",
    });
    addV2 = v2.pipeline_version_id;
  });
  afterAll(async () => {
    await kfp.close();
    await emu.close();
  });

  it("creates from a pipeline version by ids, with runtime config and service account", async () => {
    const run = await kfp.runs.create({
      display_name: "by-ids",
      pipeline_id: addId,
      pipeline_version_id: addV1,
      parameters: { a: 1, b: 2 },
      pipeline_root: "minio://bucket/root",
      service_account: "runner-sa",
    });
    expect(run.run_id).toBeTruthy();
    expect(run.state).toBe("PENDING");
    expect(run.pipeline_version_reference).toEqual({ pipeline_id: addId, pipeline_version_id: addV1 });
    expect(run.runtime_config).toEqual({ parameters: { a: 1, b: 2 }, pipeline_root: "minio://bucket/root" });
    expect(run.service_account).toBe("runner-sa");
    expect(run.experiment_id).toBeTruthy(); // the default experiment
  });

  it("creates from pipeline name + version name, and from the pipeline's latest version", async () => {
    const byName = await kfp.runs.create({
      display_name: "by-names",
      pipeline_name: "add-numbers",
      version_name: "v2",
      parameters: { a: 3, b: 4 },
    });
    expect(byName.pipeline_version_reference).toEqual({ pipeline_id: addId, pipeline_version_id: addV2 });
    const latest = await kfp.runs.create({
      display_name: "latest",
      pipeline_id: addId,
      parameters: { a: 1, b: 1 },
    });
    expect(latest.pipeline_version_reference?.pipeline_version_id).toBe(addV2);
    await expect(
      kfp.runs.create({ display_name: "x", pipeline_name: "no-such-pipeline", parameters: {} }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      kfp.runs.create({ display_name: "x", pipeline_id: addId, version_name: "nope", parameters: {} }),
    ).rejects.toThrow(/has no version named "nope"/);
  });

  it("checks parameters against the version's spec before sending, naming the parameter and type", async () => {
    emu.clearRequests();
    const err = await kfp.runs
      .create({
        display_name: "bad",
        pipeline_id: addId,
        pipeline_version_id: addV1,
        parameters: { a: "1", c: 2 },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ParameterError);
    expect(err.problems.map((p: { parameter: string; kind: string }) => `${p.parameter}:${p.kind}`)).toEqual([
      "a:type",
      "b:missing",
      "c:unknown",
    ]);
    expect(err.message).toMatch(/"a": expected NUMBER_INTEGER/);
    expect(emu.requests().filter((r) => r.method === "POST" && r.path.endsWith("/runs"))).toEqual([]);
    // With checking off, the server's own check answers (400).
    await expect(
      kfp.runs.create({
        display_name: "bad",
        pipeline_id: addId,
        pipeline_version_id: addV1,
        parameters: { a: "1", b: 2 },
        checkParameters: false,
      }),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it("creates from an inline spec object, YAML text, a zip package and a file, overriding caching", async () => {
    const text = read("arguments_parameters.yaml");
    const fromText = await kfp.runs.create({
      display_name: "inline-text",
      package: text,
      parameters: { param2: "b" },
    });
    expect(fromText.pipeline_spec).toBeTruthy();
    expect(fromText.pipeline_version_reference).toBeUndefined();
    const zip = readFileSync(path.join(valid, "arguments_parameters.zip"));
    const fromZip = await kfp.runs.create({
      display_name: "inline-zip",
      package: new Uint8Array(zip),
      parameters: { param2: "z" },
    });
    expect(fromZip.state).toBe("PENDING");
    const fromFile = await kfp.runs.create({
      display_name: "inline-file",
      package: fromPath(path.join(valid, "arguments_parameters.yaml")),
      parameters: { param2: "f" },
      enable_caching: false,
    });
    const stored = emu.store.get("run_specs", fromFile.run_id)!;
    type Root = { dag: { tasks: Record<string, { cachingOptions?: { enableCache?: boolean } }> } };
    const tasks = (stored.inline_spec!.root as Root).dag.tasks;
    expect(Object.values(tasks).map((t) => t.cachingOptions?.enableCache)).toEqual([false]);
    const spec = (await kfp.pipelines.versions.get(addId, addV1)).pipeline_spec as Record<string, unknown>;
    const fromObject = await kfp.runs.create({
      display_name: "inline-object",
      pipeline_spec: spec,
      parameters: { a: 5, b: 6 },
    });
    expect(fromObject.runtime_config?.parameters).toEqual({ a: 5, b: 6 });
    await expect(
      kfp.runs.create({ display_name: "x", pipeline_spec: spec, parameters: { a: 5 } }),
    ).rejects.toBeInstanceOf(ParameterError);
    await expect(
      kfp.runs.create({
        display_name: "x",
        pipeline_id: addId,
        parameters: { a: 1, b: 2 },
        enable_caching: true,
      }),
    ).rejects.toThrow(/enable_caching cannot be applied to a stored pipeline version/);
  });

  it("refuses ambiguous or missing sources and names before sending", async () => {
    await expect(kfp.runs.create({ display_name: "x" })).rejects.toThrow(/needs a pipeline/);
    await expect(kfp.runs.create({ display_name: "x", pipeline_id: addId, package: "a" })).rejects.toThrow(
      /only one pipeline source/,
    );
    await expect(kfp.runs.create({ display_name: "", pipeline_id: addId })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(kfp.runs.create({ display_name: "x", pipeline_version_id: addV1 } as never)).rejects.toThrow(
      /need pipeline_id or pipeline_name/,
    );
  });

  it("gets, lists (typed filters, experiment scope, every page) and waits", async () => {
    const exp = await kfp.experiments.create({ display_name: "runs-list" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await kfp.runs.create({
        display_name: `listed-${i}`,
        experiment_id: exp.experiment_id,
        pipeline_id: addId,
        parameters: { a: i, b: i },
      });
      ids.push(r.run_id);
    }
    const got = await kfp.runs.get(ids[0]!);
    expect(got.display_name).toBe("listed-0");
    const page = await kfp.runs.list({ experiment_id: exp.experiment_id, page_size: 2 });
    expect(page.total_size).toBe(3);
    expect(page.items).toHaveLength(2);
    const all: string[] = [];
    for await (const r of kfp.runs.list({ experiment_id: exp.experiment_id, page_size: 1 }))
      all.push(r.run_id);
    expect(all.sort()).toEqual([...ids].sort());
    const done = await kfp.runs.wait(ids[2]!, { pollInterval: 5, maxPollInterval: 20, timeout: 10_000 });
    expect(done.state).toBe("SUCCEEDED");
    const succeeded = await kfp.runs.list({
      experiment_id: exp.experiment_id,
      filter: runFilter().eq("state", "SUCCEEDED").eq("display_name", "listed-2"),
    });
    expect(succeeded.items.map((r) => r.run_id)).toEqual([ids[2]]);
    const created = await kfp.runs.list({
      filter: runFilter()
        .gte("created_at", new Date(Date.parse(got.created_at!) - 1000))
        .substring("display_name", "listed-"),
    });
    expect(created.items.length).toBe(3);
  });

  it("returns the task tree and reads an artifact (decoded)", async () => {
    // task_details are a v2beta1 field (the stable v2 API has `tasks` with view=FULL instead).
    const kfp = emuClient("v2beta1");
    const run = await kfp.runs.createAndWait(
      { display_name: "tree", pipeline_id: addId, parameters: { a: 1, b: 2 } },
      { pollInterval: 5, maxPollInterval: 20, timeout: 10_000 },
    );
    expect(run.state).toBe("SUCCEEDED");
    const tree = await kfp.runs.tasks(run.run_id);
    expect(tree.total).toBeGreaterThanOrEqual(5);
    expect(Object.keys(tree.counts)).toEqual(["SUCCEEDED"]);
    expect(tree.tasks.map((t) => t.name)).toEqual(
      expect.arrayContaining(["root-driver", "root", "add-numbers", "executor"]),
    );
    const stored = emu.store.get("runs", run.run_id)!;
    const node = stored.tasks.find((t) => t.artifacts?.includes("main-logs"))!;
    const art = await kfp.runs.readArtifact(run.run_id, node.pod_name, "main-logs");
    expect(art.text()).toContain(`of run ${run.run_id}`);
    expect(Buffer.isBuffer(art.data)).toBe(true);
    await expect(kfp.runs.readArtifact(run.run_id, node.pod_name, "nope")).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("raises RunFailedError with the failed tasks for a failing pipeline", async () => {
    const kfp = emuClient("v2beta1");
    const err = await kfp.runs
      .createAndWait(
        { display_name: "fails", package: read("failing/fail_v2.yaml") },
        { pollInterval: 5, timeout: 10_000 },
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect(err.state).toBe("FAILED");
    expect(err.failedTasks.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(["fail"]));
    // retry: back to PENDING, then (the failure was injected on the first attempt only) SUCCEEDED.
    await kfp.runs.retry(err.runId);
    const again = await kfp.runs.wait(err.runId, { pollInterval: 5, timeout: 10_000 });
    expect(again.state).toBe("SUCCEEDED");
  });

  it("archives, unarchives and deletes runs", async () => {
    const r = await kfp.runs.create({
      display_name: "to-archive",
      pipeline_id: addId,
      parameters: { a: 1, b: 1 },
    });
    await kfp.runs.archive(r.run_id);
    expect((await kfp.runs.get(r.run_id)).storage_state).toBe("ARCHIVED");
    const archived = await kfp.runs.list({ filter: runFilter().eq("storage_state", "ARCHIVED") });
    expect(archived.items.map((x) => x.run_id)).toContain(r.run_id);
    await kfp.runs.unarchive(r.run_id);
    expect((await kfp.runs.get(r.run_id)).storage_state).toBe("AVAILABLE");
    await kfp.runs.delete(r.run_id);
    await expect(kfp.runs.get(r.run_id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("does not retry a run creation whose answer was lost (the outcome is unknown)", async () => {
    const exp = await kfp.experiments.create({ display_name: "lost-run" });
    emu.faults.add({ method: "POST", path: "^/apis/v2(beta1)?/runs$", action: "reset-after-body", times: 1 });
    const err = await kfp.runs
      .create({
        display_name: "lost",
        experiment_id: exp.experiment_id,
        pipeline_id: addId,
        parameters: { a: 1, b: 1 },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.outcomeUnknown).toBe(true);
    const runs = await kfp.runs.list({ experiment_id: exp.experiment_id });
    expect(runs.total_size).toBe(1); // created exactly once
  });

  it("creates a run in a named experiment (created when missing)", async () => {
    const r = await kfp.runs.create({
      display_name: "in-named-exp",
      experiment_name: "auto-created",
      pipeline_id: addId,
      parameters: { a: 1, b: 1 },
    });
    const exp = await kfp.experiments.getByName("auto-created");
    expect(r.experiment_id).toBe(exp.experiment_id);
  });
});
