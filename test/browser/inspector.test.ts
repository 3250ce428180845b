/**
 * The web UI in Chromium — the emulator's own pages and acting as a user: the Requests page shows an
 * upload with its `uploadfile` part and a redacted `authorization` header (the token never reaches
 * the page); faults are added and removed; in multi-user mode the UI acting as alice does not show
 * bob's private pipeline, and the other way round.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../packages/emulator/src/index.js";
import { Kfp } from "../../packages/kfp-ts/src/index.js";
import { hasShared, sharedPipelines } from "../helpers/specs.js";
import { ensureUiBuilt, hasChromium, launch, openPage, screenshot, startUiEmulator } from "./harness.js";
import { chainSpec } from "./specs.js";

const TOKEN = "tok-3b1f9c0d7e5a4c2b8f6e";

describe.skipIf(!hasChromium || !hasShared)("the emulator's pages in the browser", () => {
  let emu: Emulator;
  let browser: Browser;

  beforeAll(async () => {
    await ensureUiBuilt();
    emu = await startUiEmulator();
    browser = await launch();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await emu?.close();
  });

  it("Requests: an upload with its uploadfile part, the authorization header redacted, copy as curl", async () => {
    const kfp = new Kfp({ host: emu.url, token: TOKEN });
    const text = readFileSync(path.join(sharedPipelines, "valid", "hello_world.yaml"), "utf8");
    await kfp.pipelines.upload(text, { name: "inspected", filename: "hello_world.yaml" });
    await kfp.close();
    const { context, page } = await openPage(browser);
    await page.goto(`${emu.url}/#/requests`);
    const row = page.locator(
      '[data-testid="requests"] li[data-path="/apis/v2beta1/pipelines/upload"] button.request-row',
    );
    await row.waitFor();
    await row.click();
    const detail = page.locator('[data-testid="request-detail"]');
    await detail.waitFor();
    const part = detail.locator('[data-part="uploadfile"] td');
    expect(await part.allTextContents()).toEqual([
      "uploadfile",
      "hello_world.yaml",
      expect.any(String),
      `${Buffer.byteLength(text)} B`,
      "YAML pipeline package",
    ]);
    expect(await detail.locator("tr.preview pre").first().textContent()).toContain("# PIPELINE DEFINITION");
    expect(await detail.getByTestId("response").textContent()).toContain('"pipeline_id"');
    const auth = await detail
      .locator('[data-testid="headers"] tr', { hasText: "authorization" })
      .locator("td")
      .textContent();
    expect(auth).toBe("[redacted]");
    const html = await page.content();
    expect(html).not.toContain(TOKEN);
    const curl = await detail.locator('[data-testid="curl"]').textContent();
    expect(curl).toContain("-F 'uploadfile=@hello_world.yaml");
    expect(curl).toContain("/apis/v2beta1/pipelines/upload?name=inspected");
    await screenshot(page, "requests");
    // Filter by status: the upload is a 200, not an error.
    await page.getByLabel("Status").selectOption("error");
    await page.waitForFunction(
      () =>
        !document.querySelector('[data-testid="requests"] li[data-path="/apis/v2beta1/pipelines/upload"]'),
    );
    await page.getByLabel("Status").selectOption("");
    await page.getByRole("button", { name: "Clear" }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="requests"] li').length === 0);
    expect(emu.requests()).toEqual([]);
    await context.close();
  });

  it("Faults: add a rule, see it fire, remove it", async () => {
    const { context, page } = await openPage(browser);
    await page.goto(`${emu.url}/#/faults`);
    await page.locator('[data-testid="fault-form"]').waitFor();
    await page.getByLabel("Path (regular expression)").fill("^/apis/v2beta1/experiments$");
    await page.getByLabel("Method").selectOption("GET");
    await page.getByLabel("Times").fill("1");
    await page.getByRole("button", { name: "Add rule" }).click();
    const rule = page.locator('[data-testid="faults"] tbody tr[data-fault-id]');
    await rule.waitFor();
    expect(emu.faults.list().map((f) => [f.method, f.path, f.action, f.times])).toEqual([
      ["GET", "^/apis/v2beta1/experiments$", "unavailable", 1],
    ]);
    await screenshot(page, "faults");
    await rule.getByRole("button", { name: "Remove" }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="faults"] tbody tr[data-fault-id]').length === 0,
    );
    expect(emu.faults.list()).toEqual([]);
    await context.close();
  });
});

describe.skipIf(!hasChromium)("multi-user: the UI acts as one user", () => {
  let emu: Emulator;
  let browser: Browser;
  const alice = { "kubeflow-userid": "alice@example.com" };
  const bob = { "kubeflow-userid": "bob@example.com" };

  beforeAll(async () => {
    await ensureUiBuilt();
    emu = await startUiEmulator({
      multiUser: {
        users: {
          "alice@example.com": { namespaces: ["team-a"] },
          "bob@example.com": { namespaces: ["team-b"] },
        },
      },
    });
    browser = await launch();
    for (const [who, ns, name] of [
      [alice, "team-a", "alice-private"],
      [bob, "team-b", "bob-private"],
    ] as const) {
      const kfp = new Kfp({ host: emu.url, headers: who, namespace: ns });
      await kfp.pipelines.upload(chainSpec({ name, tasks: ["one"] }), { name, namespace: ns });
      await kfp.close();
    }
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await emu?.close();
  });

  for (const [user, ns, mine, theirs] of [
    ["alice@example.com", "team-a", "alice-private", "bob-private"],
    ["bob@example.com", "team-b", "bob-private", "alice-private"],
  ] as const) {
    it(`as ${user}: ${mine} is listed, ${theirs} is not, and the other namespace is refused`, async () => {
      const settings = { auth: "header", headerName: "kubeflow-userid", identity: user, namespace: ns };
      const { context, page } = await openPage(browser, { settings });
      await page.goto(`${emu.url}/#/pipelines`);
      await page.locator('[data-testid="pipelines"] tbody tr[data-pipeline-id]').first().waitFor();
      const names = await page
        .locator('[data-testid="pipelines"] tbody tr[data-pipeline-id] td:first-child')
        .allTextContents();
      expect(names).toEqual([mine]);
      expect(await page.content()).not.toContain(theirs);
      expect(await page.getByTestId("who").textContent()).toContain(user);
      if (user.startsWith("alice")) await screenshot(page, "pipelines-as-alice");
      // Pointing the UI at the other namespace gets the server's refusal, not the pipeline.
      await page.goto(`${emu.url}/#/settings`);
      await page.getByLabel("Namespace").fill(ns === "team-a" ? "team-b" : "team-a");
      await page.getByRole("button", { name: "Save" }).click();
      await page.goto(`${emu.url}/#/pipelines`);
      await page.locator("main [role=alert]").waitFor();
      expect(await page.locator("main [role=alert]").textContent()).toMatch(/^403 /);
      expect(await page.content()).not.toContain(theirs);
      if (user.startsWith("bob")) {
        await page.goto(`${emu.url}/#/settings`);
        await page.getByLabel("Namespace").waitFor();
        await screenshot(page, "settings");
      }
      await context.close();
    });
  }
});
