#!/usr/bin/env node
/**
 * The task runner's cost (issue 13), on the built emulator (`npm run build` first):
 * - first venv: a Python task in an empty venv cache (creates the kfp==2.14.3 venv, then runs);
 * - a Python task with its venv ready (valid/nested_with_parameters.yaml's `double`), against the
 *   same program run directly (`sh -ec PROGRAM SOURCE …` in the venv, no runner) in the same run:
 *   the paired difference is the runner's overhead (read it, not the absolute figures, on a loaded
 *   machine); goal ≤ 150 ms a task all in;
 * - a 2-task chain (double → add-two-nums, sequential), and a shell task (hello_world's echo).
 *
 *   node bench/execute-task.mjs [--rounds 10] [--python python3]
 *
 * Bounded: `rounds` runs per figure (default 10, at most 100); medians and p90 printed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const DIST = join(ROOT, "packages/emulator/dist");
const VALID = resolve(ROOT, "../shared/kfp-api/pipelines/valid");
const { values } = parseArgs({
  options: { rounds: { type: "string", default: "10" }, python: { type: "string", default: "python3" } },
});
const rounds = Math.min(100, Math.max(1, Number(values.rounds) || 10));

for (const [what, p] of [
  ["the built emulator (npm run build)", join(DIST, "execute/runner.js")],
  ["../shared/kfp-api/pipelines/valid", VALID],
]) {
  if (!existsSync(p)) {
    console.error(`bench/execute-task: missing ${what} (${p})`);
    process.exit(1);
  }
}
const imp = (rel) => import(pathToFileURL(join(DIST, rel)).href);
const { createTaskRunner } = await imp("execute/runner.js");
const { yamlDocs } = await imp("template/yaml-docs.js");
const { buildExecutorInput } = await imp("execute/executor-input.js");
const { parsePythonCommand } = await imp("execute/python-env.js");

function executor(file, comp) {
  const spec = yamlDocs(readFileSync(join(VALID, file), "utf8"))[0].value;
  const component = spec.components[comp];
  return { component, container: spec.deploymentSpec.executors[component.executorLabel].container };
}
const double = executor("nested_with_parameters.yaml", "comp-double");
const addTwo = executor("nested_with_parameters.yaml", "comp-add-two-nums");
const echo = executor("hello_world.yaml", "comp-echo");

const work = mkdtempSync(join(tmpdir(), "kfp-bench-task-"));
let n = 0;
function request(ex, parameters = {}, onProgress) {
  const root = join(work, `r${n++}`);
  return {
    runId: `run-${n}`,
    pipelineName: "bench",
    taskName: "t",
    taskId: `t-${n}`,
    ...ex,
    inputs: { parameters, artifacts: {} },
    pipelineRoot: root,
    taskRoot: join(root, "t"),
    limits: { timeoutMs: 120_000, maxOutputBytes: 1 << 20 },
    signal: new AbortController().signal,
    onProgress,
  };
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p90: q(0.9), min: s[0] };
};
const fmt = (x) => `${x.toFixed(0)} ms`;
async function time(fn) {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

const cacheDir = join(work, "venvs");
const runTask = createTaskRunner({ cacheDir, python: values.python });

// 1. First venv (empty cache).
const progress = [];
const [firstMs, first] = await time(() => runTask(request(double, { num: 1 }, (m) => progress.push(m))));
if (first.state !== "SUCCEEDED") throw new Error(`first Python task: ${first.state} ${first.error}`);
const venvMs = JSON.parse(
  readFileSync(join(cacheDir, readdirOne(cacheDir), "kfp-ts-venv.json"), "utf8"),
).createdMs;
function readdirOne(d) {
  return spawnSync("ls", [d], { encoding: "utf8" }).stdout.trim().split("\n")[0];
}

// 2. Python task, venv ready, vs the same program run directly.
const warm = await runTask(request(double, { num: 2 }));
if (warm.outputs.parameters.Output !== 4) throw new Error(`double(2) gave ${JSON.stringify(warm.outputs)}`);
const py = [];
const direct = [];
const venvBin = join(cacheDir, readdirOne(cacheDir), "bin");
for (let i = 0; i < rounds; i++) {
  const [ms, r] = await time(() => runTask(request(double, { num: i })));
  if (r.outputs.parameters.Output !== 2 * i)
    throw new Error(`double(${i}) gave ${JSON.stringify(r.outputs)}`);
  py.push(ms);
  // Direct: the stripped program with the same executor input, no runner around it.
  const req = request(double, { num: i });
  const ei = buildExecutorInput(req);
  const argv = [...double.container.command, ...double.container.args].map((a) =>
    a === "{{$}}" ? JSON.stringify(ei) : a,
  );
  const cmd = parsePythonCommand(argv).argv;
  const t0 = performance.now();
  const d = spawnSync(cmd[0], cmd.slice(1), {
    env: { PATH: `${venvBin}:${process.env.PATH}`, _KFP_RUNTIME: "true", HOME: work, TMPDIR: work },
  });
  direct.push(performance.now() - t0);
  if (d.status !== 0) throw new Error(`direct run failed: ${d.stderr}`);
}

// 3. A 2-task chain and a shell task.
const chain = [];
const shell = [];
for (let i = 0; i < rounds; i++) {
  const [ms] = await time(async () => {
    const a = await runTask(request(double, { num: i }));
    const b = await runTask(request(addTwo, { x: a.outputs.parameters.Output, y: 1 }));
    if (b.outputs.parameters.Output !== 2 * i + 1) throw new Error(`chain gave ${JSON.stringify(b.outputs)}`);
  });
  chain.push(ms);
  const [sms, s] = await time(() => runTask(request(echo)));
  if (s.state !== "SUCCEEDED") throw new Error(`echo: ${s.error}`);
  shell.push(sms);
}

const P = stats(py);
const D = stats(direct);
// Paired: each round's runner time minus the direct run right after it (load hits both alike).
const overhead = stats(py.map((x, i) => x - (direct[i] ?? 0)));
const rows = [
  ["first Python task, empty venv cache", fmt(firstMs), `venv creation ${fmt(venvMs)}`],
  [
    "Python task, venv ready (median / p90)",
    `${fmt(P.median)} / ${fmt(P.p90)}`,
    `goal ≤ 150 ms: ${P.median <= 150 ? "met" : "MISSED"}`,
  ],
  [
    "  same program run directly (median)",
    fmt(D.median),
    `runner overhead ${fmt(overhead.median)} (median of paired differences)`,
  ],
  [
    "2-task Python chain (median)",
    fmt(stats(chain).median),
    `goal ≤ 500 ms: ${stats(chain).median <= 500 ? "met" : "MISSED"}`,
  ],
  ["shell task: echo (median)", fmt(stats(shell).median), ""],
];
const load = readFileSync("/proc/loadavg", "utf8").split(" ")[0];
console.log(`bench/execute-task — ${rounds} rounds, Node ${process.version}, ${values.python}, load ${load}`);
for (const r of rows) console.log(`${r[0].padEnd(42)} ${r[1].padStart(18)}   ${r[2]}`);
console.error(`(first venv: ${progress.join(" / ")})`);
rmSync(work, { recursive: true, force: true });
