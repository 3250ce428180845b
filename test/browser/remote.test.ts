/**
 * The web UI in Chromium through `kfp-ts ui --host URL` (the built CLI serving the built UI and
 * forwarding the API) against a second emulator standing in for a remote KFP server: the page shows
 * that server's pipelines, a run with its coloured graph, and its runs list.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { Kfp } from "../../packages/kfp-ts/src/index.js";
import { ROOT } from "../helpers/build.js";
import { ensureUiBuilt, hasChromium, launch, openPage, outsideRequests, screenshot } from "./harness.js";
import { chainSpec } from "./specs.js";

const BIN = path.join(ROOT, "packages/kfp-ts/dist/cli/main.js");

describe.skipIf(!hasChromium)("kfp-ts ui --host in the browser", () => {
  let remote: Emulator;
  let browser: Browser;
  let child: ChildProcess;
  let home: string;
  let uiUrl: string;
  let runId: string;

  beforeAll(async () => {
    await ensureUiBuilt();
    remote = await startEmulator({ lifecycle: { tickMs: 1 } }); // no UI of its own: an API server
    const kfp = new Kfp({ host: remote.url });
    const p = await kfp.pipelines.upload(chainSpec({ name: "remote-pipeline", tasks: ["load", "fit"] }), {
      name: "remote-pipeline",
    });
    const v = (await kfp.pipelines.versions.list(p.pipeline_id)).items[0]!;
    const run = await kfp.runs.create({
      display_name: "remote-run",
      pipeline_id: p.pipeline_id,
      pipeline_version_id: v.pipeline_version_id,
    });
    runId = run.run_id;
    expect((await kfp.runs.wait(runId, { timeout: 20_000 })).state).toBe("SUCCEEDED");
    await kfp.close();

    home = mkdtempSync(path.join(tmpdir(), "kfp-ts-ui-remote-"));
    child = spawn(process.execPath, [BIN, "ui", "--host", remote.url, "--port", "0"], {
      cwd: home,
      env: { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: home, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    uiUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`kfp-ts ui printed no URL within 15 s:\n${out}`)),
        15_000,
      );
      const on = (d: Buffer) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout?.on("data", on);
      child.stderr?.on("data", on);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`kfp-ts ui exited (${code}) before printing its URL:\n${out}`));
      });
    });
    browser = await launch();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    await remote?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("shows the remote server's pipelines and its run, coloured, and its runs list", async () => {
    expect(uiUrl).not.toBe(remote.url);
    const { context, page } = await openPage(browser);
    await page.goto(`${uiUrl}/#/pipelines`);
    await page.locator('[data-testid="pipelines"] tbody tr[data-pipeline-id]').first().waitFor();
    expect(
      await page
        .locator('[data-testid="pipelines"] tbody tr[data-pipeline-id] td:first-child')
        .allTextContents(),
    ).toEqual(["remote-pipeline"]);
    await screenshot(page, "remote-pipelines");
    await page.goto(`${uiUrl}/#/runs/${runId}`);
    await page.locator('[data-testid="run-state"]', { hasText: "SUCCEEDED" }).waitFor();
    await page.waitForFunction(() => {
      const boxes = [...document.querySelectorAll("svg [data-node-id]")];
      return boxes.length === 2 && boxes.every((b) => b.getAttribute("data-state") === "SUCCEEDED");
    });
    await page.goto(`${uiUrl}/#/runs`);
    await page.locator('[data-testid="runs"] tr[data-run-id]', { hasText: "remote-run" }).waitFor();
    await screenshot(page, "remote-runs");
    // The page talked to the UI server only; the remote saw the API calls.
    expect(outsideRequests(page)).toEqual([]);
    expect(remote.requests().some((r) => r.path === `/apis/v2beta1/runs/${runId}`)).toBe(true);
    await context.close();
  });
});
