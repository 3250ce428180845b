/**
 * Debian's Chromium, headless, driven by playwright-core (which downloads nothing): where it is and
 * how to start it. The web UI's browser tests (test/browser) and the library-in-a-browser test
 * (test/unit/transport-fetch-browser.test.ts) both start it here. `CHROMIUM_PATH` overrides the path;
 * without a browser the tests skip on a developer's machine and fail with CI set (needs.ts).
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { needs } from "./needs.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = needs(
  existsSync(CHROMIUM),
  `Chromium (${CHROMIUM}; apt-get install chromium, or set CHROMIUM_PATH)`,
);

/** Start headless Chromium (no sandbox when running as root, as CI does). */
export function launchChromium(): Promise<Browser> {
  const args = ["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"];
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 30_000 });
}
