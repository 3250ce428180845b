/**
 * The web UI in Chromium — runs: a run started from the generated parameter form (types checked in
 * the page before anything is sent) whose graph changes colour live until every task is SUCCEEDED;
 * an injected task failure turns its node red and the run FAILED; the runs list with states and the
 * state filter; experiments and recurring runs pages.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../packages/emulator/src/index.js";
import { Kfp } from "../../packages/kfp-ts/src/index.js";
import { ensureUiBuilt, hasChromium, launch, openPage, screenshot, startUiEmulator } from "./harness.js";
import { chainSpec } from "./specs.js";

const GOOD = chainSpec({
  name: "colours",
  tasks: ["prepare", "train", "evaluate"],
  parameters: {
    epochs: ["NUMBER_INTEGER"],
    rate: ["NUMBER_DOUBLE", 0.1],
    note: ["STRING", "hi"],
    fast: ["BOOLEAN", false],
  },
});
const BAD = chainSpec({ name: "breaks", tasks: ["fetch", "explode", "report"] });

/** Record every data-state a graph node shows, with the time, from page load on. */
async function recordStates(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: { id: string; state: string; t: number }[] = [];
    (window as unknown as { __states: typeof seen }).__states = seen;
    new MutationObserver((muts) => {
      for (const m of muts) {
        const el = m.target as Element;
        if (m.type === "attributes" && el.getAttribute?.("data-node-id")) {
          seen.push({
            id: el.getAttribute("data-node-id")!,
            state: el.getAttribute("data-state") ?? "",
            t: performance.now(),
          });
        }
        for (const n of m.addedNodes) {
          if (n instanceof Element)
            for (const e of [n, ...n.querySelectorAll("[data-node-id]")])
              if (e.getAttribute("data-node-id"))
                seen.push({
                  id: e.getAttribute("data-node-id")!,
                  state: e.getAttribute("data-state") ?? "",
                  t: performance.now(),
                });
        }
      }
    }).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["data-state"],
    });
  });
}

describe.skipIf(!hasChromium)("runs in the browser", () => {
  let emu: Emulator;
  let browser: Browser;
  let kfp: Kfp;
  let good: { pipelineId: string; versionId: string };
  let bad: { pipelineId: string; versionId: string };

  beforeAll(async () => {
    await ensureUiBuilt();
    // Slow enough that each task is RUNNING across several of the page's polls.
    emu = await startUiEmulator({ lifecycle: { tickMs: 100, podTicks: 6, failTasks: ["explode"] } });
    kfp = new Kfp({ host: emu.url });
    browser = await launch();
    for (const [spec, set] of [
      [GOOD, (x: typeof good) => (good = x)],
      [BAD, (x: typeof bad) => (bad = x)],
    ] as const) {
      const p = await kfp.pipelines.upload(spec, { name: spec.pipelineInfo.name });
      const v = (await kfp.pipelines.versions.list(p.pipeline_id)).items[0]!;
      set({ pipelineId: p.pipeline_id, versionId: v.pipeline_version_id });
    }
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await emu?.close();
    await kfp?.close();
  });

  it("the form checks types in the page: nothing is sent until the values fit the spec", async () => {
    const { context, page } = await openPage(browser);
    await page.goto(`${emu.url}/#/pipelines/${good.pipelineId}/versions/${good.versionId}/run`);
    await page.locator("#param-epochs").waitFor();
    const before = (await kfp.runs.list()).total_size;
    await page.getByRole("button", { name: "Start run" }).click();
    await expect(page.locator('[data-testid="form-problems"]').textContent()).resolves.toBe(
      "epochs: a value is required (integer)",
    );
    await page.locator("#param-epochs").fill("2.5");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.locator('[data-testid="form-problems"]', { hasText: '"2.5" is not integer' }).waitFor();
    expect((await kfp.runs.list()).total_size).toBe(before);
    await screenshot(page, "run-form");
    await context.close();
  });

  it("a run started from the form: its nodes change colour live until all are SUCCEEDED", async () => {
    const { context, page } = await openPage(browser);
    await recordStates(page);
    await page.goto(`${emu.url}/#/pipelines/${good.pipelineId}/versions/${good.versionId}/run`);
    await page.locator("#param-epochs").fill("3");
    await page.locator("#param-fast").check();
    await page.locator("#run-name").fill("from the form");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/#\/runs\/[0-9a-f-]+$/);
    const runId = decodeURIComponent(page.url().split("/").pop()!);
    const run = await kfp.runs.get(runId);
    expect(run.display_name).toBe("from the form");
    expect(run.runtime_config?.parameters).toEqual({ epochs: 3, rate: 0.1, note: "hi", fast: true });
    // A mid-run screenshot once the second task is running.
    await page.locator('[data-node-id="train"][data-state="RUNNING"]').waitFor({ timeout: 20_000 });
    await screenshot(page, "run-live");
    await page.locator('[data-testid="run-state"]', { hasText: "SUCCEEDED" }).waitFor({ timeout: 30_000 });
    await page.waitForFunction(() =>
      [...document.querySelectorAll("svg [data-node-id]")].every(
        (e) => e.getAttribute("data-state") === "SUCCEEDED",
      ),
    );
    const seen = await page.evaluate(
      () => (window as unknown as { __states: { id: string; state: string }[] }).__states,
    );
    for (const task of ["prepare", "train", "evaluate"]) {
      const states = seen.filter((s) => s.id === task).map((s) => s.state);
      expect(states.at(-1), task).toBe("SUCCEEDED");
      expect(
        states.some((s) => s === "RUNNING" || s === "PENDING"),
        `${task} was seen moving: ${states.join(" → ")}`,
      ).toBe(true);
    }
    // The colour is the state's: a SUCCEEDED box is filled green.
    const fill = await page
      .locator('[data-node-id="evaluate"] rect.box')
      .evaluate((r) => getComputedStyle(r).fill);
    expect(fill).toBe("rgb(220, 245, 228)");
    await page.locator('[data-node-id="train"]').click();
    const details = await page.locator('[data-testid="task-details"]').textContent();
    expect(details).toContain("SUCCEEDED");
    expect(details).toContain("RUNNING"); // the state history
    await screenshot(page, "run-succeeded");
    await context.close();
  }, 60_000);

  it("an injected task failure turns its node red and the run FAILED; retry is offered", async () => {
    const created = await kfp.runs.create({
      display_name: "breaks",
      pipeline_id: bad.pipelineId,
      pipeline_version_id: bad.versionId,
    });
    const { context, page } = await openPage(browser);
    await page.goto(`${emu.url}/#/runs/${created.run_id}`);
    await page.locator('[data-node-id="explode"][data-state="FAILED"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="run-state"]', { hasText: "FAILED" }).waitFor({ timeout: 30_000 });
    const fill = await page
      .locator('[data-node-id="explode"] rect.box')
      .evaluate((r) => getComputedStyle(r).fill);
    expect(fill).toBe("rgb(253, 226, 226)");
    expect(await page.locator('[data-node-id="fetch"]').getAttribute("data-state")).toBe("SUCCEEDED");
    expect(await page.locator('[data-node-id="report"]').getAttribute("data-state")).not.toBe("SUCCEEDED");
    expect(await page.getByRole("button", { name: "Retry" }).isEnabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Terminate" }).isEnabled()).toBe(false);
    await page.locator('[data-node-id="explode"]').click();
    await screenshot(page, "run-failed");
    await context.close();
  }, 60_000);

  it("the runs list shows states and durations, and filters by state", async () => {
    await kfp.runs.create({
      display_name: "quick",
      pipeline_id: good.pipelineId,
      pipeline_version_id: good.versionId,
      parameters: { epochs: 1 },
    });
    const { context, page } = await openPage(browser);
    await page.goto(`${emu.url}/#/runs`);
    await page.locator('[data-testid="runs"] tbody tr[data-run-id]').nth(2).waitFor();
    await page.locator('[data-testid="state-filter"]').selectOption("FAILED");
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="runs"] tbody tr[data-run-id]')];
      return rows.length === 1 && rows[0]!.textContent!.includes("breaks");
    });
    await page.locator('[data-testid="state-filter"]').selectOption("");
    await page.locator('[data-testid="runs"] tbody tr[data-run-id]').nth(2).waitFor();
    await screenshot(page, "runs-list");
    await context.close();
  });

  it("experiments and recurring runs: lists and detail", async () => {
    const exp = await kfp.experiments.create({ display_name: "nightly" });
    await kfp.recurringRuns.create({
      display_name: "every hour",
      experiment_id: exp.experiment_id,
      pipeline_id: good.pipelineId,
      pipeline_version_id: good.versionId,
      parameters: { epochs: 1 },
      cron: "0 0 * * * *",
      enabled: false,
    });
    const { context, page } = await openPage(browser);
    await page.goto(`${emu.url}/#/experiments`);
    await page.getByRole("link", { name: "nightly" }).click();
    await page.getByRole("link", { name: "every hour" }).waitFor();
    await screenshot(page, "experiment");
    await page.goto(`${emu.url}/#/recurring`);
    await page.locator('[data-testid="recurring-runs"] tbody tr').first().waitFor();
    expect(await page.locator('[data-testid="recurring-runs"]').textContent()).toContain("every hour");
    await screenshot(page, "recurring-runs");
    await context.close();
  });
});
