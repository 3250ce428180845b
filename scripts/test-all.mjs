#!/usr/bin/env node
// Runs the whole test suite: the TypeScript tests (vitest), the library's e2e tests again through the
// fetch transport (KFP_TS_TRANSPORT=fetch, read by test/helpers/kfp.ts), the interop tests against the
// official Python SDK (pytest, in a venv made by test/interop/run.sh), and — with --node — the library's tests
// (test/unit and test/e2e, the emulator in memory) again on other Node.js binaries. Each runner's own
// summary is printed as it comes; the last line adds them all up as "N passed, N failed, N skipped"
// (CI reads it). Exit code is non-zero when anything failed, a runner could not run, or — with CI set
// — anything was skipped (a test that cannot find what it needs must fail in CI, not skip).
//
//   node scripts/test-all.mjs                       everything
//   node scripts/test-all.mjs --no-interop          only vitest (e.g. on a machine without Python)
//   node scripts/test-all.mjs --node /x/bin/node    also the library's tests on that node (repeatable)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const withInterop = !args.includes("--no-interop");
const otherNodes = args.flatMap((a, i) => (a === "--node" && args[i + 1] ? [args[i + 1]] : []));
const root = new URL("..", import.meta.url).pathname;
const vitestBin = join(root, "node_modules/vitest/vitest.mjs");
const inCI = Boolean(process.env.CI);

function run(cmd, argv, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env },
    });
    let out = "";
    child.stdout.on("data", (d) => {
      process.stdout.write(d);
      out += d.toString();
      if (out.length > 1_000_000) out = out.slice(-200_000);
    });
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
    child.on("error", (err) => resolve({ code: 127, out: String(err) }));
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;

/** One vitest run with `node` on `files` (all when empty); its counts are added to the totals. */
async function vitest(label, node, files, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), "kfp-ts-test-"));
  const report = join(dir, "vitest.json");
  const v = await run(
    node,
    [vitestBin, "run", ...files, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
    env,
  );
  try {
    const r = JSON.parse(readFileSync(report, "utf8"));
    const skip = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    // A suite that failed to load has no tests counted: count it as a failure.
    const brokenSuites = (r.testResults ?? []).filter(
      (s) => s.status === "failed" && (s.assertionResults ?? []).length === 0,
    ).length;
    passed += r.numPassedTests ?? 0;
    failed += (r.numFailedTests ?? 0) + brokenSuites;
    skipped += skip;
    console.log(
      `${label}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skip} skipped${brokenSuites ? `, ${brokenSuites} suites failed to load` : ""}`,
    );
  } catch {
    console.log(`${label}: no report was written (the runner itself failed)`);
    failed += 1;
  }
  if (v.code !== 0) ok = false;
  rmSync(dir, { recursive: true, force: true });
}

// 1. vitest, everything, on this node.
await vitest(`vitest (node ${process.versions.node})`, process.execPath, []);

// 1b. the library's e2e tests through the fetch transport (the tests that run the built CLI and
// examples do not go through test/helpers/kfp.ts: they are left out).
const E2E_NOT_THROUGH_HELPER = ["cli.test.ts", "examples.test.ts", "package-types.test.ts"];
await vitest(
  `vitest (node ${process.versions.node}, e2e through fetch)`,
  process.execPath,
  ["test/e2e", ...E2E_NOT_THROUGH_HELPER.flatMap((f) => ["--exclude", `test/e2e/${f}`])],
  { KFP_TS_TRANSPORT: "fetch" },
);

// 2. the library's tests on other Node.js lines (the emulator runs in memory).
for (const node of otherNodes) {
  const version = await run(node, ["--version"]);
  await vitest(`vitest (node ${version.out.trim().replace(/^v/, "") || node}, unit + e2e)`, node, [
    "test/unit",
    "test/e2e",
  ]);
}

// 3. interop (pytest), which prints pytest's own summary line.
if (withInterop) {
  const p = await run("bash", ["test/interop/run.sh"]);
  const m = [...p.out.matchAll(/=+ (.*?) in [\d.]+s/g)].pop();
  if (m) {
    const line = m[1];
    const num = (word) => Number((line.match(new RegExp(`(\\d+) ${word}`)) ?? [0, 0])[1]);
    passed += num("passed");
    failed += num("failed") + num("error") + num("errors");
    skipped += num("skipped");
    console.log(`interop: ${line}`);
  } else {
    console.log("interop: pytest printed no summary (the interop runner itself failed)");
    failed += 1;
  }
  if (p.code !== 0) ok = false;
}

if (failed > 0) ok = false;
if (inCI && skipped > 0) {
  ok = false;
  console.log(
    `CI is set and ${skipped} tests were skipped: in CI every test must run (see test/helpers/needs.ts)`,
  );
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok ? 0 : 1);
