/**
 * The web UI in Chromium — a task's log and output artifacts on the run page, with the emulator in
 * execute mode (shell tasks only): the log grows while the task runs (the page polls it), a finished
 * task shows its stdout and stderr and its output artifact (preview and download), and a server
 * without a log for the node is a "no log" note, not an error banner. Screenshot `run-logs`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../packages/emulator/src/index.js";
import { Kfp } from "../../packages/kfp-ts/src/index.js";
import {
  FIRST,
  gatedPipeline,
  REPORT,
  SAID,
  SAID_ERR,
  SECOND,
  sayPipeline,
} from "../e2e/run-logs-fixtures.js";
import {
  ensureUiBuilt,
  hasChromium,
  launch,
  openPage,
  outsideRequests,
  screenshot,
  startUiEmulator,
} from "./harness.js";

describe.skipIf(!hasChromium)("task logs and artifacts in the browser (execute mode)", () => {
  let emu: Emulator;
  let browser: Browser;
  let kfp: Kfp;
  let dir: string;

  beforeAll(async () => {
    await ensureUiBuilt();
    dir = mkdtempSync(join(tmpdir(), "kfp-ts-ui-logs-"));
    emu = await startUiEmulator({ execute: true, pipelineRoot: join(dir, "root") });
    kfp = new Kfp({ host: emu.url, logLevel: "off" });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await kfp?.close();
    await emu?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows the log of a running task as it grows, then its end", async () => {
    const gate = join(dir, "gate");
    const run = await kfp.runs.create({
      display_name: "live",
      pipeline_spec: gatedPipeline("live-log", gate),
    });
    const { context, page } = await openPage(browser);
    await page.goto(`${emu.url}/#/runs/${run.run_id}`);
    await page.locator('[data-node-id="stream"][data-state="RUNNING"]').click({ timeout: 20_000 });
    const log = page.locator('[data-testid="task-log"]');
    await log.filter({ hasText: FIRST }).waitFor();
    expect(await log.textContent()).not.toContain(SECOND);
    expect(await page.locator('[data-testid="run-state"]').textContent()).toBe("RUNNING");
    writeFileSync(gate, "");
    await log.filter({ hasText: SECOND }).waitFor();
    await page.locator('[data-testid="run-state"]', { hasText: "SUCCEEDED" }).waitFor({ timeout: 20_000 });
    expect(outsideRequests(page)).toEqual([]);
    await context.close();
  });

  it("shows a finished task's stdout and stderr and its output artifact, with a download", async () => {
    const run = await kfp.runs.createAndWait(
      { display_name: "say", pipeline_spec: sayPipeline("say-ui") },
      { timeout: 20_000, pollInterval: 50 },
    );
    const { context, page } = await openPage(browser, { height: 900 });
    await page.goto(`${emu.url}/#/runs/${run.run_id}`);
    await page.locator('[data-node-id="say"][data-state="SUCCEEDED"]').click({ timeout: 20_000 });
    const log = page.locator('[data-testid="task-log"]');
    await log.filter({ hasText: SAID }).waitFor();
    expect(await log.textContent()).toContain(SAID_ERR);
    const artifact = page.locator('[data-artifact="report"]');
    await artifact.locator('[data-testid="artifact-preview"]', { hasText: REPORT }).waitFor();
    expect(await page.locator('[role="alert"]').count()).toBe(0);
    await screenshot(page, "run-logs");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      artifact.getByRole("button", { name: /^Download/ }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("report");
    expect(readFileSync((await download.path())!, "utf8")).toBe(REPORT);
    await context.close();
  });

  it("says 'no log' (not an error banner) when the server has no log route", async () => {
    const run = await kfp.runs.createAndWait(
      { display_name: "say-nolog", pipeline_spec: sayPipeline("say-nolog") },
      { timeout: 20_000, pollInterval: 50 },
    );
    const { context, page } = await openPage(browser);
    // A server without the log endpoint (e.g. a KFP that removed v1alpha1): the gateway's plain 404.
    await page.route(/\/nodes\/[^/]+\/log$/, (route) =>
      route.fulfill({ status: 404, contentType: "text/plain", body: "404 page not found\n" }),
    );
    await page.goto(`${emu.url}/#/runs/${run.run_id}`);
    await page.locator('[data-node-id="say"][data-state="SUCCEEDED"]').click({ timeout: 20_000 });
    await page.locator('[data-testid="task-log-none"]', { hasText: "No log for this task" }).waitFor();
    expect(await page.locator('[role="alert"]').count()).toBe(0);
    expect(await page.locator('[data-testid="task-log"]').count()).toBe(0);
    await context.close();
  });
});
