/**
 * Tests that run built code (the CLI, the examples, the packed packages) must never run a stale
 * dist/: vitest's global setup (`globalSetup` below, named in vitest.config.ts) builds both packages
 * before any test file starts whenever a source file is newer than its package's build. Building once,
 * up front, also keeps test files from rebuilding dist/ under each other's feet.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const PACKAGES = ["packages/emulator", "packages/kfp-ts"];

/** Newest modification time (ms) of the files under `dir` (bounded walk: source trees are small). */
function newest(dir: string, depth = 0): number {
  let max = 0;
  if (depth > 8) return max;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p, depth + 1) : statSync(p).mtimeMs);
  }
  return max;
}

/** Whether a package's dist/ is missing or older than its sources or build settings. */
export function isStale(pkg: string): boolean {
  const dir = path.join(ROOT, pkg);
  const built = path.join(dir, "dist/index.js");
  if (!existsSync(built)) return true;
  // The package's binaries (kfp-ts's is a bundle written after tsc): missing means a partial build.
  const bin = (
    JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { bin?: Record<string, string> }
  ).bin;
  for (const file of Object.values(bin ?? {})) if (!existsSync(path.join(dir, file))) return true;
  const inputs = Math.max(
    newest(path.join(dir, "src")),
    statSync(path.join(dir, "package.json")).mtimeMs,
    statSync(path.join(dir, "tsconfig.build.json")).mtimeMs,
    statSync(path.join(ROOT, "tsconfig.json")).mtimeMs,
  );
  return inputs > statSync(built).mtimeMs;
}

/** Build both packages (`npm run build`); throws with tsc's output when the build fails. */
export function buildPackages(): void {
  const r = spawnSync("npm", ["run", "build"], { cwd: ROOT, encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) {
    throw new Error(`npm run build failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** vitest global setup: build when anything is stale. */
export default function globalSetup(): void {
  if (PACKAGES.some(isStale)) buildPackages();
}
