/**
 * The browser tests' harness: Debian's Chromium driven headless by playwright-core, an emulator that
 * serves the built UI (packages/emulator/dist/ui), screenshots under test/browser/screenshots/
 * (git-ignored). Chromium is `CHROMIUM_PATH` or /usr/bin/chromium; without it the tests skip on a
 * developer's machine and fail with CI set (test/helpers/needs.ts). The UI is rebuilt first when a
 * source under packages/ui is newer than the copy the emulator serves (one build at a time: a lock
 * directory, waited on for at most three minutes).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../packages/emulator/src/index.js";
import { ROOT } from "../helpers/build.js";
import { launchChromium } from "../helpers/chromium.js";

export { hasChromium } from "../helpers/chromium.js";
export const SCREENSHOTS = path.join(ROOT, "test/browser/screenshots");
const UI_SRC = path.join(ROOT, "packages/ui");
const SERVED = path.join(ROOT, "packages/emulator/dist/ui/index.html");

function newest(dir: string, depth = 0): number {
  let max = 0;
  if (depth > 6 || !existsSync(dir)) return max;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p, depth + 1) : statSync(p).mtimeMs);
  }
  return max;
}

function uiStale(): boolean {
  if (!existsSync(SERVED)) return true;
  const inputs = Math.max(
    newest(path.join(UI_SRC, "src")),
    statSync(path.join(UI_SRC, "index.html")).mtimeMs,
    statSync(path.join(UI_SRC, "vite.config.ts")).mtimeMs,
    statSync(path.join(ROOT, "packages/kfp-ts/dist/index.js")).mtimeMs,
  );
  return inputs > statSync(SERVED).mtimeMs;
}

/** Build the UI (vite + copy into both packages) when the served copy is missing or stale. */
export async function ensureUiBuilt(): Promise<void> {
  const lock = path.join(ROOT, "packages/ui/.build-lock");
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (!uiStale()) return;
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline)
        throw new Error(`waited 3 minutes for another UI build (${lock}); remove it if stale`);
      await sleep(250);
      continue;
    }
    try {
      if (!uiStale()) return;
      const r = spawnSync("npm", ["run", "build", "-w", "kfp-ts-ui"], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 170_000,
      });
      if (r.status !== 0)
        throw new Error(`npm run build -w kfp-ts-ui failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      return;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** Headless Chromium (test/helpers/chromium.ts). */
export function launch(): Promise<Browser> {
  return launchChromium();
}

/** An emulator serving the built UI (options as startEmulator's; in memory, port 0, loopback). */
export function startUiEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ ui: true, ...opts });
}

export interface PageOptions {
  /** UI settings stored in localStorage before the page loads (settings.ts). */
  settings?: Record<string, string>;
  colorScheme?: "light" | "dark";
  width?: number;
  height?: number;
}

/** A fresh browser context and page (1280×800 unless told) with the UI's settings preset. */
export async function openPage(
  browser: Browser,
  opts: PageOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    colorScheme: opts.colorScheme ?? "light",
    acceptDownloads: true,
  });
  if (opts.settings) {
    await context.addInitScript((s: string) => {
      localStorage.setItem("kfp-ts-ui.settings", s);
    }, JSON.stringify(opts.settings));
  }
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // Anything the page loads from elsewhere fails the test that made it.
  const outside: string[] = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (!["127.0.0.1", "localhost"].includes(u.hostname) && u.protocol !== "data:" && u.protocol !== "blob:")
      outside.push(r.url());
  });
  (page as Page & { outside: string[] }).outside = outside;
  return { context, page };
}

/** URLs outside loopback that the page asked for (should stay empty: the UI works offline). */
export function outsideRequests(page: Page): string[] {
  return (page as Page & { outside?: string[] }).outside ?? [];
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
