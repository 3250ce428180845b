import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";

import { NotFoundError, ValidationError } from "../../packages/kfp-ts/src/core/errors.js";
import { recurringRunFilter } from "../../packages/kfp-ts/src/core/filters.js";
import { ParameterError } from "../../packages/kfp-ts/src/core/run-errors.js";
import { Kfp } from "../helpers/kfp.js";
import { needs } from "../helpers/needs.js";
import { waitForRunRecord } from "../helpers/run-events.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const valid = path.resolve(repoRoot, "../shared/kfp-api/pipelines/valid");
const haveShared = needs(existsSync(valid), valid);
const read = (rel: string) => readFileSync(path.join(valid, rel), "utf8");

describe.skipIf(!haveShared)("recurring runs (single-user emulator over HTTP)", () => {
  let emu: Emulator;
  let kfp: Kfp;
  let pipelineId: string;
  const warnings: string[] = [];

  beforeAll(async () => {
    emu = await startEmulator();
    kfp = new Kfp({
      host: emu.url,
      logLevel: "warn",
      logger: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} },
    });
    pipelineId = (await kfp.pipelines.upload(read("critical/add_numbers.yaml"), { name: "rr-add" }))
      .pipeline_id;
  });
  afterAll(async () => {
    await kfp.close();
    await emu.close();
  });

  const base = () => ({ pipeline_id: pipelineId, parameters: { a: 1, b: 2 } });

  it("creates a cron recurring run with the server's defaults made explicit", async () => {
    const start = new Date(Date.UTC(2030, 0, 1, 9, 0, 0));
    const rr = await kfp.recurringRuns.create({
      ...base(),
      display_name: "nightly",
      cron: "0 0 2 * * *",
      start_time: start,
      end_time: "2031-01-01T00:00:00Z",
    });
    expect(rr.recurring_run_id).toBeTruthy();
    expect(rr.max_concurrency).toBe("1");
    expect(rr.mode).toBe("ENABLE");
    expect(rr.status).toBe("ENABLED");
    expect(rr.trigger?.cron_schedule).toEqual({
      cron: "0 0 2 * * *",
      start_time: "2030-01-01T09:00:00Z",
      end_time: "2031-01-01T00:00:00Z",
    });
    expect(rr.pipeline_version_reference?.pipeline_id).toBe(pipelineId);
    expect(rr.runtime_config?.parameters).toEqual({ a: 1, b: 2 });
    expect(await kfp.recurringRuns.get(rr.recurring_run_id)).toMatchObject({ display_name: "nightly" });
  });

  it("creates an interval recurring run, disabled, without catchup, with max_concurrency", async () => {
    const rr = await kfp.recurringRuns.create({
      ...base(),
      display_name: "hourly",
      interval: 3600,
      enabled: false,
      catchup: false,
      max_concurrency: 3,
    });
    expect(rr.trigger?.periodic_schedule?.interval_second).toBe("3600");
    expect(rr.status).toBe("DISABLED");
    expect(rr.no_catchup).toBe(true);
    expect(rr.max_concurrency).toBe("3");
    await kfp.recurringRuns.enable(rr.recurring_run_id);
    expect((await kfp.recurringRuns.get(rr.recurring_run_id)).status).toBe("ENABLED");
    await kfp.recurringRuns.disable(rr.recurring_run_id);
    expect((await kfp.recurringRuns.get(rr.recurring_run_id)).status).toBe("DISABLED");
  });

  it("warns about a 5-field cron (read seconds-first) and converts it with cronFormat: 'unix'", async () => {
    warnings.length = 0;
    const kfpForm = await kfp.recurringRuns.create({
      ...base(),
      display_name: "five",
      cron: "*/5 * * * *",
      enabled: false,
    });
    expect(kfpForm.trigger?.cron_schedule?.cron).toBe("*/5 * * * *");
    expect(warnings.join("\n")).toMatch(/5 fields: KFP reads it seconds-first/);
    const unix = await kfp.recurringRuns.create({
      ...base(),
      display_name: "unix",
      cron: "30 9 * * 1-5",
      cronFormat: "unix",
      enabled: false,
    });
    expect(unix.trigger?.cron_schedule?.cron).toBe("0 30 9 * * 1-5");
  });

  it("checks the server's rules before sending", async () => {
    emu.clearRequests();
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ cron: "0 0 0 * * *", interval: 60 }, /either cron or interval/],
      [{}, /needs a schedule/],
      [{ cron: "61 * * * * *" }, /rejected by the server: End of range \(61\) above maximum \(59\)/],
      [{ cron: "* * *" }, /Expected 5 to 6 fields/],
      [{ interval: 0 }, /interval must be a whole number of seconds ≥ 1/],
      [{ interval: 1.5 }, /interval/],
      [{ interval: 60, max_concurrency: 0 }, /max_concurrency must be an integer from 1 to 10/],
      [{ interval: 60, max_concurrency: 11 }, /max_concurrency/],
      [
        { interval: 60, start_time: "2030-01-02T00:00:00Z", end_time: "2030-01-01T00:00:00Z" },
        /must be before end_time/,
      ],
      [{ interval: 60, start_time: "tomorrow" }, /start_time must be a Date or an RFC 3339/],
      [{ cron: "0 0 * * 1", cronFormat: "cron" }, /cronFormat must be/],
    ];
    for (const [extra, re] of bad) {
      await expect(
        kfp.recurringRuns.create({ ...base(), display_name: "bad", ...extra } as never),
        JSON.stringify(extra),
      ).rejects.toThrow(re);
    }
    await expect(
      kfp.recurringRuns.create({
        pipeline_id: pipelineId,
        parameters: { a: "x" },
        display_name: "p",
        interval: 60,
      }),
    ).rejects.toBeInstanceOf(ParameterError);
    await expect(
      kfp.recurringRuns.create({ ...base(), display_name: "", interval: 60 }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(emu.requests().filter((r) => r.path.endsWith("/recurringruns"))).toEqual([]);
  });

  it("lists (camelCase recurringRuns key) with filters and pages, and deletes", async () => {
    const exp = await kfp.experiments.create({ display_name: "rr-list" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const rr = await kfp.recurringRuns.create({
        ...base(),
        display_name: `rr-${i}`,
        experiment_id: exp.experiment_id,
        interval: 600,
        enabled: false,
      });
      ids.push(rr.recurring_run_id);
    }
    const page = await kfp.recurringRuns.list({ experiment_id: exp.experiment_id, page_size: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.total_size).toBe(3);
    const all: string[] = [];
    for await (const rr of kfp.recurringRuns.list({ experiment_id: exp.experiment_id, page_size: 1 })) {
      all.push(rr.recurring_run_id);
    }
    expect(all.sort()).toEqual([...ids].sort());
    const filtered = await kfp.recurringRuns.list({
      filter: recurringRunFilter().eq("display_name", "rr-1"),
    });
    expect(filtered.items.map((r) => r.recurring_run_id)).toEqual([ids[1]]);
    await kfp.recurringRuns.delete(ids[0]!, { propagation_policy: "BACKGROUND" });
    await kfp.recurringRuns.delete(ids[1]!);
    await expect(kfp.recurringRuns.get(ids[0]!)).rejects.toBeInstanceOf(NotFoundError);
    expect((await kfp.recurringRuns.list({ experiment_id: exp.experiment_id })).total_size).toBe(1);
    await expect(
      kfp.recurringRuns.delete(ids[2]!, { propagation_policy: "NOW" as never }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it("the scheduler starts runs for an enabled schedule", async () => {
    const rr = await kfp.recurringRuns.create({ ...base(), display_name: "every-second", cron: "@every 1s" });
    await waitForRunRecord(
      emu,
      (r) => r.recurring_run_id === rr.recurring_run_id,
      `of ${rr.recurring_run_id}`,
    );
    const runs = await kfp.runs.list({ filter: { recurring_run_id: rr.recurring_run_id } });
    expect(runs.items.length).toBeGreaterThan(0);
    await kfp.recurringRuns.delete(rr.recurring_run_id);
  });
});
