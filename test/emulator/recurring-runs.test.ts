/**
 * Recurring runs over real HTTP (FACTS.md §7.5, §8) and the scheduler that really creates their runs:
 * validation messages, response shape, enable/disable, max_concurrency, catch-up, cron and interval
 * triggers (with an injected clock, plus one real-time interval), deterministic run ids, multi-user.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextResourceName, nextScheduledEpoch } from "../../packages/emulator/src/engine/scheduler.js";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import type { RunRecord } from "../../packages/emulator/src/model/run.js";
import { recurringRunRunId, uuidV5 } from "../../packages/emulator/src/resource/runs.js";
import { hasShared } from "./helpers/shared.js";
import {
  api,
  detail,
  engineOf,
  schedulerOf,
  specText,
  uploadPipeline,
  waitFinished,
} from "./runs-fixtures.js";

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

function runsOf(emu: Emulator, rrId: string): RunRecord[] {
  return [...emu.store.all("runs")].filter((r) => r.recurring_run_id === rrId);
}

/** Resolve once `n` runs of the recurring run exist (checked on every run event). */
function waitRunCount(emu: Emulator, rrId: string, n: number, timeoutMs = 5000): Promise<RunRecord[]> {
  return new Promise((resolve, reject) => {
    const engine = engineOf(emu);
    const check = () => {
      const runs = runsOf(emu, rrId);
      if (runs.length >= n) {
        cleanup();
        resolve(runs);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`only ${runsOf(emu, rrId).length} of ${n} runs after ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      engine.off("run", check);
    };
    engine.on("run", check);
    check();
  });
}

describe("scheduling rules (pure)", () => {
  it("periodic: first fire at creation + interval, start/end times, catch-up vs no_catchup", () => {
    const base = { created_at: 1000, no_catchup: false };
    const per = (p: Record<string, number>) => ({ periodic_schedule: { interval_second: 60, ...p } });
    expect(nextScheduledEpoch({ ...base, trigger: per({}) }, 1000)).toBe(1060);
    expect(nextScheduledEpoch({ ...base, trigger: per({}), last_triggered_time: 1060 }, 5000)).toBe(1120);
    // upstream: the start time counts as the "last" fire, so the first run is at start + interval ...
    expect(nextScheduledEpoch({ ...base, trigger: per({ start_time: 2000 }) }, 1000)).toBe(2060);
    // ... unless an earlier fire precedes the start time
    expect(
      nextScheduledEpoch({ ...base, trigger: per({ start_time: 2000 }), last_triggered_time: 1500 }, 1000),
    ).toBe(2000);
    expect(
      nextScheduledEpoch({ ...base, trigger: per({ end_time: 1100 }), last_triggered_time: 1060 }, 0),
    ).toBe(undefined);
    // no_catchup: when a whole interval was missed, run now
    expect(
      nextScheduledEpoch({ ...base, no_catchup: true, trigger: per({}), last_triggered_time: 1060 }, 5000),
    ).toBe(5000);
    expect(
      nextScheduledEpoch({ ...base, no_catchup: true, trigger: per({}), last_triggered_time: 1060 }, 1150),
    ).toBe(1120);
  });

  it("cron: robfig Next after the last fire; no_catchup jumps to the latest due fire; end time", () => {
    const t0 = Date.UTC(2024, 0, 1, 0, 0, 30) / 1000;
    const s = { created_at: t0, no_catchup: false, trigger: { cron_schedule: { cron: "0 * * * * *" } } };
    expect(nextScheduledEpoch(s, t0)).toBe(t0 + 30);
    expect(nextScheduledEpoch({ ...s, last_triggered_time: t0 + 30 }, t0 + 1000)).toBe(t0 + 90);
    expect(nextScheduledEpoch({ ...s, no_catchup: true, last_triggered_time: t0 + 30 }, t0 + 1000)).toBe(
      t0 + 990,
    );
    const ended = { ...s, trigger: { cron_schedule: { cron: "0 * * * * *", end_time: t0 + 10 } } };
    expect(nextScheduledEpoch(ended, t0)).toBe(undefined);
  });

  it("one-off (no trigger): once at creation", () => {
    expect(nextScheduledEpoch({ created_at: 50, no_catchup: false, trigger: {} }, 0)).toBe(50);
    expect(
      nextScheduledEpoch({ created_at: 50, no_catchup: false, trigger: {}, last_triggered_time: 50 }, 99),
    ).toBe(undefined);
  });

  it("run names and ids are deterministic", () => {
    expect(nextResourceName("myjobabcde", 1)).toMatch(/^myjobabcde-1-\d+$/);
    expect(nextResourceName("myjobabcde", 1)).toBe(nextResourceName("myjobabcde", 1));
    expect(nextResourceName("myjobabcde", 2)).not.toBe(nextResourceName("myjobabcde", 1));
    // RFC 4122 example: uuid v5 of "www.example.com" in the DNS namespace
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });
});

describe.skipIf(!hasShared)("recurring runs API (single-user, manual clock)", () => {
  let emu: Emulator;
  let nowMs = Date.UTC(2026, 0, 1, 0, 0, 0);
  let p: { pipelineId: string; versionId: string };
  let defaultExp: string;
  const create = (body: Record<string, unknown>) =>
    api(emu).post("/apis/v2beta1/recurringruns", {
      display_name: "rr",
      max_concurrency: "1",
      pipeline_version_reference: { pipeline_id: p.pipelineId },
      ...body,
    });
  const advance = (seconds: number) => {
    nowMs += seconds * 1000;
    schedulerOf(emu).poke();
  };
  beforeAll(async () => {
    emu = await startEmulator({ clock: () => nowMs, lifecycle: { tickMs: 1 } });
    p = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step");
    defaultExp = (await api(emu).get("/apis/v2beta1/experiments")).body.experiments[0].experiment_id;
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("validation: max_concurrency, cron, interval, name, sources, oneofs", async () => {
    const periodic = { trigger: { periodic_schedule: { interval_second: "60" } } };
    const noMax = await create({ max_concurrency: undefined, ...periodic });
    expect(noMax.status).toBe(400);
    expect(detail(noMax)).toBe(
      "Max concurrency of a recurring run must be at least 1 and at most 10. Received 0",
    );
    expect((await create({ max_concurrency: "11", ...periodic })).status).toBe(400);
    const badCron = await create({ trigger: { cron_schedule: { cron: "1 * *" } } });
    expect(badCron.status).toBe(400);
    expect(detail(badCron)).toBe(
      "Schedule cron is not a supported format(https://godoc.org/github.com/robfig/cron). Error: Expected 5 to 6 fields, found 3: 1 * *",
    );
    const range = await create({ trigger: { cron_schedule: { cron: "0 0 25 * * *" } } });
    expect(detail(range)).toBe(
      "Schedule cron is not a supported format(https://godoc.org/github.com/robfig/cron). Error: End of range (25) above maximum (23): 25",
    );
    const interval = await create({ trigger: { periodic_schedule: { interval_second: "0" } } });
    expect(interval.status).toBe(400);
    expect(detail(interval)).toBe(
      "Found invalid period schedule interval 0. Set at interval to least 1 second",
    );
    const noName = await create({ display_name: "", ...periodic });
    expect(noName.status).toBe(500);
    expect(noName.body.message).toContain("Recurring run's name cannot be empty");
    const both = await create({
      trigger: { cron_schedule: { cron: "@hourly" }, periodic_schedule: { interval_second: "60" } },
    });
    expect(both.status).toBe(400);
    const noSource = await create({ pipeline_version_reference: undefined, ...periodic });
    expect(noSource.status).toBe(500);
    expect(noSource.body.message).toBe(
      "Internal error: Failed to create a recurring run: Cannot create a job with an empty pipeline ID",
    );
    const unknownPipeline = await create({
      pipeline_version_reference: { pipeline_id: "nope" },
      ...periodic,
    });
    expect(unknownPipeline.status).toBe(404);
    expect(detail(unknownPipeline)).toBe("Pipeline nope not found");
    const unknownVersion = await create({
      pipeline_version_reference: { pipeline_id: p.pipelineId, pipeline_version_id: "nope" },
      ...periodic,
    });
    expect(unknownVersion.status).toBe(500);
    // five-field crons (seconds first) and descriptors are accepted
    for (const cron of ["*/5 * * * *", "@every 1h", "0 0 9 ? * 2-6"]) {
      const r = await create({ trigger: { cron_schedule: { cron } } });
      expect(r.status, r.text).toBe(200);
      await api(emu).del(`/apis/v2beta1/recurringruns/${r.body.recurring_run_id}`);
    }
  });

  it("response shape: strings for int64, trigger echo, mode/status, namespace kubeflow, default experiment", async () => {
    const r = await create({
      description: "d",
      max_concurrency: 3,
      no_catchup: true,
      trigger: { periodic_schedule: { interval_second: 3600, start_time: "2030-01-01T00:00:00.5+00:00" } },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      recurring_run_id: expect.any(String),
      display_name: "rr",
      description: "d",
      pipeline_version_reference: { pipeline_id: p.pipelineId },
      max_concurrency: "3",
      trigger: { periodic_schedule: { start_time: "2030-01-01T00:00:00Z", interval_second: "3600" } },
      mode: "DISABLE",
      created_at: expect.stringMatching(TS),
      updated_at: r.body.created_at,
      status: "DISABLED",
      no_catchup: true,
      namespace: "kubeflow",
      experiment_id: defaultExp,
    });
    const pinned = await create({
      mode: "ENABLE",
      pipeline_version_reference: { pipeline_id: p.pipelineId, pipeline_version_id: p.versionId },
      trigger: { cron_schedule: { cron: "@yearly" } },
    });
    expect(pinned.body).toMatchObject({
      pipeline_version_reference: { pipeline_id: p.pipelineId, pipeline_version_id: p.versionId },
      service_account: "pipeline-runner",
      trigger: { cron_schedule: { cron: "@yearly" } },
      mode: "ENABLE",
      status: "ENABLED",
    });
    const oneOff = await create({ trigger: undefined });
    expect(oneOff.body.trigger).toEqual({});
    expect((await api(emu).get(`/apis/v2beta1/recurringruns/${r.body.recurring_run_id}`)).body).toEqual(
      r.body,
    );
    for (const id of [r.body.recurring_run_id, pinned.body.recurring_run_id, oneOff.body.recurring_run_id]) {
      await api(emu).del(`/apis/v2beta1/recurringruns/${id}`);
    }
  });

  it("list key is recurringRuns; empty list is {}; get/delete unknown → 404", async () => {
    expect((await api(emu).get("/apis/v2beta1/recurringruns")).body).toEqual({});
    const r = await create({ trigger: { periodic_schedule: { interval_second: "60" } } });
    const list = await api(emu).get(`/apis/v2beta1/recurringruns?experiment_id=${defaultExp}`);
    expect(list.body.recurringRuns.map((x: { recurring_run_id: string }) => x.recurring_run_id)).toEqual([
      r.body.recurring_run_id,
    ]);
    expect(list.body.total_size).toBe(1);
    const g = await api(emu).get("/apis/v2beta1/recurringruns/nope");
    expect(g.status).toBe(404);
    expect(detail(g)).toBe("Job nope not found");
    expect((await api(emu).del("/apis/v2beta1/recurringruns/nope")).status).toBe(404);
    expect(
      (await api(emu).del(`/apis/v2beta1/recurringruns/${r.body.recurring_run_id}?propagation_policy=BOGUS`))
        .status,
    ).toBe(400);
    expect(
      (
        await api(emu).del(
          `/apis/v2beta1/recurringruns/${r.body.recurring_run_id}?propagation_policy=FOREGROUND`,
        )
      ).status,
    ).toBe(200);
  });

  it("interval trigger: runs appear when the clock reaches each fire time; catch-up; deterministic ids", async () => {
    const created = Math.floor(nowMs / 1000);
    const r = await create({
      display_name: "Every Minute!",
      mode: "ENABLE",
      max_concurrency: "10",
      trigger: { periodic_schedule: { interval_second: "60" } },
    });
    const id = r.body.recurring_run_id as string;
    advance(30);
    expect(runsOf(emu, id)).toHaveLength(0);
    advance(30);
    const [first] = await waitRunCount(emu, id, 1);
    expect(first!.scheduled_at).toBe(created + 60);
    expect(first!.display_name).toMatch(/^everyminute[bcdfghjklmnpqrstvwxz2456789]{5}-1-\d+$/);
    expect(first!.run_id).toBe(recurringRunRunId(id, first!.display_name));
    expect(first!.experiment_id).toBe(defaultExp);
    const apiRun = (await api(emu).get(`/apis/v2beta1/runs/${first!.run_id}`)).body;
    expect(apiRun.recurring_run_id).toBe(id);
    expect(apiRun.pipeline_version_reference).toEqual({
      pipeline_id: p.pipelineId,
      pipeline_version_id: p.versionId,
    });
    // three missed fires are caught up
    advance(180);
    const runs = await waitRunCount(emu, id, 4);
    expect(runs.map((x) => x.scheduled_at).sort()).toEqual([
      created + 60,
      created + 120,
      created + 180,
      created + 240,
    ]);
    expect(new Set(runs.map((x) => x.display_name)).size).toBe(4);
    await api(emu).post(`/apis/v2beta1/recurringruns/${id}:disable`);
    for (const x of runs) await waitFinished(emu, x.run_id);
    advance(600);
    expect(runsOf(emu, id)).toHaveLength(4);
    await api(emu).del(`/apis/v2beta1/recurringruns/${id}`);
    // runs survive the deletion of their recurring run
    expect((await api(emu).get(`/apis/v2beta1/runs/${first!.run_id}`)).status).toBe(200);
  });

  it("no_catchup: only the latest missed fire runs", async () => {
    const r = await create({
      mode: "ENABLE",
      max_concurrency: "10",
      no_catchup: true,
      trigger: { periodic_schedule: { interval_second: "60" } },
    });
    const id = r.body.recurring_run_id as string;
    advance(600);
    const runs = await waitRunCount(emu, id, 1);
    await new Promise((res) => setImmediate(res));
    expect(runsOf(emu, id)).toHaveLength(1);
    expect(runs[0]!.scheduled_at).toBe(Math.floor(nowMs / 1000));
    await api(emu).del(`/apis/v2beta1/recurringruns/${id}`);
    await waitFinished(emu, runs[0]!.run_id);
  });

  it("disabled recurring runs create nothing until enabled; enable/disable update updated_at", async () => {
    const r = await create({ trigger: { periodic_schedule: { interval_second: "60" } } });
    const id = r.body.recurring_run_id as string;
    advance(120);
    expect(runsOf(emu, id)).toHaveLength(0);
    expect((await api(emu).post(`/apis/v2beta1/recurringruns/${id}:enable`)).body).toEqual({});
    const enabled = (await api(emu).get(`/apis/v2beta1/recurringruns/${id}`)).body;
    expect(enabled).toMatchObject({ mode: "ENABLE", status: "ENABLED" });
    expect(enabled.updated_at).not.toBe(enabled.created_at);
    const runs = await waitRunCount(emu, id, 1);
    await api(emu).post(`/apis/v2beta1/recurringruns/${id}:disable`);
    expect((await api(emu).get(`/apis/v2beta1/recurringruns/${id}`)).body.status).toBe("DISABLED");
    for (const x of runs) await waitFinished(emu, x.run_id);
    expect((await api(emu).post("/apis/v2beta1/recurringruns/nope:enable")).status).toBe(404);
    await api(emu).del(`/apis/v2beta1/recurringruns/${id}`);
  });

  it("cron trigger fires at robfig's next time", async () => {
    nowMs = Math.ceil(nowMs / 60_000) * 60_000 + 20_000; // hh:mm:20
    const r = await create({ mode: "ENABLE", trigger: { cron_schedule: { cron: "0 * * * * *" } } });
    const id = r.body.recurring_run_id as string;
    advance(30);
    expect(runsOf(emu, id)).toHaveLength(0);
    advance(10); // hh:(mm+1):00
    const [run] = await waitRunCount(emu, id, 1);
    expect(run!.scheduled_at % 60).toBe(0);
    await api(emu).del(`/apis/v2beta1/recurringruns/${id}`);
    await waitFinished(emu, run!.run_id);
  });

  it("a recurring run without trigger runs once", async () => {
    const r = await create({ mode: "ENABLE", trigger: undefined });
    const id = r.body.recurring_run_id as string;
    const [run] = await waitRunCount(emu, id, 1);
    await waitFinished(emu, run!.run_id);
    advance(3600);
    expect(runsOf(emu, id)).toHaveLength(1);
    await api(emu).del(`/apis/v2beta1/recurringruns/${id}`);
  });
});

describe.skipIf(!hasShared)("scheduler in real time and max_concurrency", () => {
  it("an interval of 1 s really creates runs", async () => {
    const emu = await startEmulator({ lifecycle: { tickMs: 1 } });
    try {
      const p = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step");
      const start = new Date((Math.floor(Date.now() / 1000) - 1) * 1000).toISOString();
      const r = await api(emu).post("/apis/v2beta1/recurringruns", {
        display_name: "fast",
        mode: "ENABLE",
        max_concurrency: "2",
        trigger: { periodic_schedule: { interval_second: "1", start_time: start } },
        pipeline_version_reference: { pipeline_id: p.pipelineId },
      });
      expect(r.status, r.text).toBe(200);
      const runs = await waitRunCount(emu, r.body.recurring_run_id, 2, 5000);
      await api(emu).post(`/apis/v2beta1/recurringruns/${r.body.recurring_run_id}:disable`);
      for (const x of runs) await waitFinished(emu, x.run_id);
    } finally {
      await emu.close();
    }
  });

  it("max_concurrency holds further runs until an active one finishes", async () => {
    let nowMs = Date.UTC(2026, 5, 1);
    const emu = await startEmulator({ clock: () => nowMs, lifecycle: { tickMs: 2, podTicks: 100_000 } });
    try {
      const p = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step");
      const r = await api(emu).post("/apis/v2beta1/recurringruns", {
        display_name: "limited",
        mode: "ENABLE",
        max_concurrency: "1",
        trigger: { periodic_schedule: { interval_second: "60" } },
        pipeline_version_reference: { pipeline_id: p.pipelineId },
      });
      const id = r.body.recurring_run_id as string;
      nowMs += 600_000;
      schedulerOf(emu).poke();
      const [first] = await waitRunCount(emu, id, 1);
      schedulerOf(emu).poke();
      expect(runsOf(emu, id)).toHaveLength(1);
      await api(emu).post(`/apis/v2beta1/runs/${first!.run_id}:terminate`);
      await waitFinished(emu, first!.run_id);
      const two = await waitRunCount(emu, id, 2);
      expect(two.filter((x) => !["SUCCEEDED", "FAILED"].includes(x.state))).toHaveLength(1);
      await api(emu).post(`/apis/v2beta1/recurringruns/${id}:disable`);
      for (const x of two) await api(emu).post(`/apis/v2beta1/runs/${x.run_id}:terminate`);
    } finally {
      await emu.close();
    }
  });
});

describe.skipIf(!hasShared)("recurring runs (multi-user)", () => {
  let emu: Emulator;
  const alice = { "kubeflow-userid": "alice@example.com" };
  const bob = { "kubeflow-userid": "bob@example.com" };
  beforeAll(async () => {
    emu = await startEmulator({
      multiUser: {
        users: { "alice@example.com": { namespaces: ["ns-a"] }, "bob@example.com": { namespaces: ["ns-b"] } },
      },
    });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("experiment required; namespace from the experiment; isolation both ways", async () => {
    const p = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step", alice, {
      namespace: "ns-a",
    });
    const expA = (
      await api(emu).post("/apis/v2beta1/experiments", { display_name: "a", namespace: "ns-a" }, alice)
    ).body;
    const body = {
      display_name: "rr",
      max_concurrency: "1",
      trigger: { periodic_schedule: { interval_second: "3600" } },
      pipeline_version_reference: { pipeline_id: p.pipelineId },
    };
    const noExp = await api(emu).post("/apis/v2beta1/recurringruns", body, alice);
    expect(noExp.status).toBe(400);
    expect(detail(noExp)).toBe("Experiment id can not be empty in multi-user mode");
    const ok = await api(emu).post(
      "/apis/v2beta1/recurringruns",
      { ...body, experiment_id: expA.experiment_id },
      alice,
    );
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.namespace).toBe("ns-a");
    expect(
      (
        await api(emu).post(
          "/apis/v2beta1/recurringruns",
          { ...body, experiment_id: expA.experiment_id },
          bob,
        )
      ).status,
    ).toBe(403);
    expect((await api(emu).get(`/apis/v2beta1/recurringruns/${ok.body.recurring_run_id}`, bob)).status).toBe(
      403,
    );
    expect(
      (await api(emu).post(`/apis/v2beta1/recurringruns/${ok.body.recurring_run_id}:enable`, {}, bob)).status,
    ).toBe(403);
    const noNs = await api(emu).get("/apis/v2beta1/recurringruns", alice);
    expect(noNs.status).toBe(400);
    expect(detail(noNs)).toBe("a recurring run cannot have an empty namespace in multi-user mode");
    const listA = await api(emu).get("/apis/v2beta1/recurringruns?namespace=ns-a", alice);
    expect(listA.body.total_size).toBe(1);
    expect((await api(emu).get("/apis/v2beta1/recurringruns?namespace=ns-a", bob)).status).toBe(403);
    expect((await api(emu).get("/apis/v2beta1/recurringruns?namespace=ns-b", bob)).body).toEqual({});
  });
});
