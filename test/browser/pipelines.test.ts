/**
 * The web UI in Chromium — pipelines: a pipeline uploaded through the API is listed; a version's graph
 * shows exactly the spec's tasks and edges for real packages (loops and conditions, an exit handler,
 * a pipeline in a pipeline); groups close and open; parameters, the YAML and its download; uploads
 * through the file input and by drag and drop; dark and narrow screenshots.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Emulator } from "../../packages/emulator/src/index.js";
import { Kfp } from "../../packages/kfp-ts/src/index.js";
import { hasShared, sharedPipelines } from "../helpers/specs.js";
import { expectedGraph } from "./expected.js";
import {
  ensureUiBuilt,
  hasChromium,
  launch,
  openPage,
  outsideRequests,
  screenshot,
  startUiEmulator,
} from "./harness.js";

const PACKAGES = [
  "pipeline_with_loops_and_conditions.yaml",
  "pipeline_with_task_final_status.yaml",
  "parallel_and_nested/pipeline_in_pipeline.yaml",
];

describe.skipIf(!hasChromium || !hasShared)("pipelines in the browser", () => {
  let emu: Emulator;
  let browser: Browser;
  let kfp: Kfp;
  const ids = new Map<string, { pipelineId: string; versionId: string; spec: Record<string, unknown> }>();

  beforeAll(async () => {
    await ensureUiBuilt();
    emu = await startUiEmulator();
    kfp = new Kfp({ host: emu.url });
    browser = await launch();
    for (const file of PACKAGES) {
      const text = readFileSync(path.join(sharedPipelines, "valid", file), "utf8");
      const name = path.basename(file, ".yaml").replace(/_/g, "-");
      const p = await kfp.pipelines.upload(text, { name, filename: path.basename(file) });
      const v = (await kfp.pipelines.versions.list(p.pipeline_id)).items[0]!;
      ids.set(file, { pipelineId: p.pipeline_id, versionId: v.pipeline_version_id, spec: parse(text) });
    }
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await emu?.close();
    await kfp?.close();
  });

  const open = async (hash: string, opts: Parameters<typeof openPage>[1] = {}) => {
    const { context, page } = await openPage(browser, opts);
    await page.goto(`${emu.url}/${hash}`);
    return { context, page };
  };

  it("a pipeline uploaded through the API is listed, and the search finds it by name", async () => {
    const { context, page } = await open("#/pipelines");
    const rows = page.locator('[data-testid="pipelines"] tbody tr[data-pipeline-id]');
    await rows.first().waitFor();
    const names = await rows.locator("td:first-child a").allTextContents();
    expect(names.sort()).toEqual([
      "pipeline-in-pipeline",
      "pipeline-with-loops-and-conditions",
      "pipeline-with-task-final-status",
    ]);
    await screenshot(page, "pipelines-list");
    await page.getByLabel("Search").fill("final");
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="pipelines"] tbody tr[data-pipeline-id]').length === 1,
    );
    expect(await rows.locator("td:first-child a").allTextContents()).toEqual([
      "pipeline-with-task-final-status",
    ]);
    expect(outsideRequests(page)).toEqual([]);
    await context.close();
  });

  it.each(PACKAGES)("%s: the graph's nodes and edges are the spec's", async (file) => {
    const { pipelineId, versionId, spec } = ids.get(file)!;
    const want = expectedGraph(spec);
    const { context, page } = await open(`#/pipelines/${pipelineId}/versions/${versionId}`);
    const svg = page.locator('svg[aria-label="Pipeline graph"]');
    await svg.waitFor();
    const nodes = await page
      .locator("svg [data-node-id]")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-node-id")!));
    const edges = await page
      .locator("svg path[data-from]")
      .evaluateAll((els) => els.map((e) => `${e.getAttribute("data-from")}->${e.getAttribute("data-to")}`));
    expect(nodes.sort()).toEqual(want.nodes);
    expect(edges.sort()).toEqual(want.edges);
    // Every edge is drawn as a line with at least two points.
    const ds = await page
      .locator("svg path[data-from]")
      .evaluateAll((els) => els.map((e) => e.getAttribute("d") ?? ""));
    for (const d of ds) expect(d).toMatch(/^M[\d.-]+,[\d.-]+ L/);
    if (file === PACKAGES[0]) await screenshot(page, "version-graph");
    await context.close();
  });

  it("groups close and open; a closed group keeps the edges to it and hides its tasks", async () => {
    const { pipelineId, versionId, spec } = ids.get(PACKAGES[0]!)!;
    const want = expectedGraph(spec);
    const { context, page } = await open(`#/pipelines/${pipelineId}/versions/${versionId}`);
    await page.locator('[data-node-id="condition-1"]').waitFor();
    await page.locator('[data-toggle="condition-1"]').click();
    await page.locator('[data-node-id="condition-1"][data-open="false"]').waitFor();
    const inside = await page.locator('svg [data-node-id^="condition-1/"]').count();
    expect(inside).toBe(0);
    const into = await page
      .locator('svg path[data-to="condition-1"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-from")).sort());
    expect(into).toEqual(["args-generator-op", "flip-coin-op"]);
    // By keyboard: focus the group's box and press Space to open it again.
    await page.locator('[data-node-id="condition-1"]').focus();
    await page.keyboard.press(" ");
    await page.locator('[data-node-id="condition-1"][data-open="true"]').waitFor();
    expect(await page.locator('svg [data-node-id^="condition-1/"]').count()).toBe(
      want.nodes.filter((n) => n.startsWith("condition-1/")).length,
    );
    // Selecting a task shows its component and image.
    await page.locator('[data-node-id="flip-coin-op"]').click();
    const details = page.locator('[data-testid="task-details"]');
    await expect(details.textContent()).resolves.toContain("comp-flip-coin-op");
    await context.close();
  });

  it("parameters with types and defaults; the spec as YAML, downloaded as a file", async () => {
    const { pipelineId, versionId } = ids.get(PACKAGES[0]!)!;
    const { context, page } = await open(`#/pipelines/${pipelineId}/versions/${versionId}`);
    const rows = page.locator('[data-testid="parameters"] tbody tr');
    await rows.first().waitFor();
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
    );
    expect(cells).toContainEqual(["msg", "STRING", '"hello"', "no"]);
    expect(cells.map((c) => c[0])).toEqual(["loop_parameter", "msg"]);
    await page.getByRole("button", { name: "Show YAML" }).click();
    const yamlText = await page.locator('[data-testid="spec-yaml"]').textContent();
    const shown = parse(yamlText ?? "") as { pipelineInfo?: { name?: string }; root?: unknown };
    expect(shown.pipelineInfo?.name).toBe("pipeline-with-loops-and-conditions-multi-layers");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download YAML" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("pipeline-with-loops-and-conditions.yaml");
    const saved = readFileSync((await download.path())!, "utf8");
    expect(saved).toBe(yamlText);
    await context.close();
  });

  it("upload a pipeline with the file input, then a new version by drag and drop", async () => {
    const { context, page } = await open("#/pipelines");
    const file = path.join(sharedPipelines, "valid", "two_step_pipeline.yaml");
    await page.getByLabel("Upload a pipeline").setInputFiles(file);
    await page.getByRole("status").filter({ hasText: "Uploaded" }).waitFor();
    const listed = await kfp.pipelines.getByName("two_step_pipeline.yaml").catch(() => undefined);
    const p =
      listed ??
      (await kfp.pipelines.list({ page_size: 50 })).items.find((x) => x.display_name?.includes("two_step"));
    expect(p, "the uploaded pipeline is on the server").toBeDefined();
    await page.locator(`tr[data-pipeline-id="${p!.pipeline_id}"]`).waitFor();

    await page.goto(`${emu.url}/#/pipelines/${p!.pipeline_id}`);
    await page.locator('[data-testid="versions"] tbody tr').first().waitFor();
    const text = readFileSync(file, "utf8");
    await page.evaluate((yaml) => {
      const dt = new DataTransfer();
      dt.items.add(new File([yaml], "second.yaml", { type: "application/x-yaml" }));
      const zone = document.querySelector('[data-testid="dropzone"]')!;
      zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, text);
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="versions"] tbody tr').length === 2,
    );
    const versions = (await kfp.pipelines.versions.list(p!.pipeline_id)).items.map((v) => v.name);
    expect(versions).toContain("second.yaml");
    await screenshot(page, "pipeline-versions");
    await context.close();
  });

  it("a bad package gets the server's message, and nothing is created", async () => {
    const { context, page } = await open("#/pipelines");
    const before = (await kfp.pipelines.list()).total_size;
    await page.getByLabel("Upload a pipeline").setInputFiles({
      name: "broken.yaml",
      mimeType: "application/x-yaml",
      buffer: Buffer.from("root: [unclosed\n"),
    });
    const alert = page.locator(".dropzone [role=alert]");
    await alert.waitFor();
    expect((await alert.textContent())?.length).toBeGreaterThan(10);
    expect((await kfp.pipelines.list()).total_size).toBe(before);
    await context.close();
  });

  it("dark and narrow", async () => {
    const { pipelineId, versionId } = ids.get(PACKAGES[1]!)!;
    const dark = await open(`#/pipelines/${pipelineId}/versions/${versionId}`, { colorScheme: "dark" });
    await dark.page.locator("svg [data-node-id]").first().waitFor();
    const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe("rgb(17, 20, 26)");
    await screenshot(dark.page, "version-graph-dark");
    await dark.context.close();
    const narrow = await open("#/pipelines", { width: 390, height: 844 });
    await narrow.page.locator('[data-testid="pipelines"] tbody tr').first().waitFor();
    const overflow = await narrow.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(narrow.page, "pipelines-narrow");
    await narrow.context.close();
  });
});
