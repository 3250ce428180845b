#!/usr/bin/env node
// Execute mode (issue 13) side by side with kfp.local 2.17.3 (the interop venv), in one run:
//   1. the compiled packages of ../shared/kfp-api/pipelines/valid (v2, minus the ones
//      test/emulator/helpers/execute-expected.json leaves out): how many reach the right end state
//      (failing/ → FAILED, else SUCCEEDED, except the listed ones) in the emulator started with
//      `execute` and in kfp.local (SubprocessRunner, use_venv=False, PIP_DRY_RUN=1 so its pip step
//      cannot change the interop venv). kfp.local's run reached FAILED only when it says so ("finished
//      with status FAILURE"); a package it refuses, or an exception of its own, is ERROR: no end state;
//   2. the wall time of a 2-task Lightweight Python pipeline (add → add, compiled by the same SDK):
//      emulator from POST /runs to the finished record, kfp.local the pipeline call in process; and
//      the emulator's per-task time (the runner's start → end of one task, venv ready).
//
//   npm run build && node bench/execute.mjs [--rounds N] [--skip-corpus]
//
// Python tasks run in venvs cached under <tmp>/kfp-ts-emulator/venvs (created on first use: the first
// round is a warm-up and not counted).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import YAML from "yaml";
import { packageKind } from "../test/emulator/helpers/command-kind.mjs";
import {
  BENCH_DIR,
  fmtNum,
  interopPython,
  median,
  num,
  parseArgs,
  REPO_ROOT,
  report,
  runChild,
  table,
} from "./lib/common.mjs";

const args = parseArgs(process.argv.slice(2));
const ROUNDS = num(args.rounds, 5);
const DIST = resolve(REPO_ROOT, "packages/emulator/dist");
const SHARED = resolve(REPO_ROOT, "../shared/kfp-api/pipelines/valid");
const EXPECTED = JSON.parse(
  readFileSync(resolve(REPO_ROOT, "test/emulator/helpers/execute-expected.json"), "utf8"),
);
const HELPER = join(BENCH_DIR, "execute_kfp_local.py");

if (!existsSync(join(DIST, "index.js"))) {
  console.error("bench/execute.mjs: packages/emulator/dist is missing; run `npm run build` first");
  process.exit(2);
}
const python = interopPython();
if (!python) {
  console.error(
    "bench/execute.mjs: the interop venv (.venv-interop) is missing; run bash test/interop/run.sh once",
  );
  process.exit(2);
}
const { startEmulator } = await import(join(DIST, "index.js"));
const { createTaskRunner } = await import(join(DIST, "execute/runner.js"));

const scratch = mkdtempSync(join(tmpdir(), "kfp-bench-exec-"));
const pyEnv = { PIP_DRY_RUN: "1", PYTHONDONTWRITEBYTECODE: "1", HOME: scratch };

function listFiles(dir, rel = "") {
  const out = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(join(dir, r)).isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

function specOf(file) {
  const text = readFileSync(join(SHARED, file), "utf8");
  const doc = file.endsWith(".json") ? JSON.parse(text) : YAML.parseAllDocuments(text)[0]?.toJS();
  const spec = doc?.pipelineSpec ?? doc;
  return spec && typeof spec === "object" && spec.root && spec.deploymentSpec ? spec : undefined;
}

function requiredValues(spec) {
  const out = {};
  for (const [name, def] of Object.entries(spec.root?.inputDefinitions?.parameters ?? {})) {
    if ("defaultValue" in def || def.isOptional === true) continue;
    const t = String(def.parameterType ?? "STRING");
    out[name] =
      t === "NUMBER_INTEGER"
        ? 3
        : t === "NUMBER_DOUBLE"
          ? 0.5
          : t === "BOOLEAN"
            ? true
            : t === "LIST"
              ? ["a", "b"]
              : t === "STRUCT"
                ? { a: "b" }
                : "text";
  }
  return out;
}

function parametersFor(file, spec, root) {
  const out = requiredValues(spec);
  for (const [k, v] of Object.entries(EXPECTED.parameters[file] ?? {})) {
    out[k] = typeof v === "string" ? v.replace("<root>", root) : v;
  }
  return out;
}

const expectedOf = (file) =>
  EXPECTED.expectedOtherwise[file]?.state ?? (file.startsWith("failing/") ? "FAILED" : "SUCCEEDED");

// --- the emulator ---------------------------------------------------------------------------------
const taskMs = [];
const runner = createTaskRunner({ cacheDir: join(tmpdir(), "kfp-ts-emulator", "venvs") });
const emu = await startEmulator({
  execute: true,
  pipelineRoot: join(scratch, "emulator-root"),
  executeLimits: { maxConcurrentTasks: 2, taskTimeoutMs: 60_000 },
  taskRunner: async (req) => {
    const r = await runner(req);
    taskMs.push({ run: req.runId, ms: r.finishedAtMs - r.startedAtMs });
    return r;
  },
  logger: { info() {}, debug() {}, error: (m) => console.error(m), warn: (m) => console.error(m) },
});

async function emulatorRun(spec, parameters, timeoutMs) {
  const res = await fetch(`${emu.url}/apis/v2beta1/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ display_name: "bench", pipeline_spec: spec, runtime_config: { parameters } }),
  });
  const body = await res.json();
  if (res.status !== 200) return { state: `create ${res.status}`, runId: "" };
  const rec = await emu.app.engine.waitForFinish(body.run_id, timeoutMs);
  return { state: rec.state, runId: rec.run_id };
}

try {
  // --- 2-task pipeline ----------------------------------------------------------------------------
  const twoYaml = join(scratch, "two-task.yaml");
  await runChild(python, [HELPER, "compile", twoYaml], { env: pyEnv, timeoutMs: 60_000 });
  const twoSpec = YAML.parseAllDocuments(readFileSync(twoYaml, "utf8"))[0].toJS();
  const emuTimes = [];
  const perTask = [];
  for (let i = 0; i <= ROUNDS; i++) {
    const t0 = performance.now();
    const { state, runId } = await emulatorRun(twoSpec, { x: 19, y: 23 }, 600_000);
    const ms = performance.now() - t0;
    if (state !== "SUCCEEDED") throw new Error(`2-task pipeline ended ${state} in the emulator`);
    if (i === 0) continue; // warm-up: may create the venv
    emuTimes.push(ms);
    perTask.push(...taskMs.filter((t) => t.run === runId).map((t) => t.ms));
  }
  const local = await runChild(python, [HELPER, "two-task", String(ROUNDS), join(scratch, "local-root")], {
    env: pyEnv,
    timeoutMs: 600_000,
  });

  // --- the corpus ---------------------------------------------------------------------------------
  let corpus;
  if (!args["skip-corpus"] && existsSync(SHARED)) {
    const jobs = [];
    for (const file of listFiles(SHARED).filter((f) => /\.(ya?ml|json)$/.test(f))) {
      if (EXPECTED.leftOut[file.split("/").pop()]) continue;
      const spec = specOf(file);
      if (!spec) continue;
      jobs.push({
        file,
        path: join(SHARED, file),
        spec,
        params: parametersFor(file, spec, scratch),
        kind: packageKind(spec),
        timeout_s: 20,
      });
    }
    const t0 = performance.now();
    const emuStates = await Promise.all(
      jobs.map((j) => emulatorRun(j.spec, j.params, 600_000).then((r) => r.state)),
    );
    const emuMs = performance.now() - t0;
    const jobsFile = join(scratch, "jobs.json");
    writeFileSync(jobsFile, JSON.stringify(jobs.map(({ spec, kind, ...j }) => j)));
    const t1 = performance.now();
    const out = await runChild(python, [HELPER, "corpus", jobsFile, join(scratch, "local-corpus")], {
      env: pyEnv,
      timeoutMs: 60 * 60_000,
    });
    const localMs = performance.now() - t1;
    const localStates = new Map(out.results.map((m) => [m.file, m.state]));
    // The comparison set: the packages that need only local Python and a shell (the
    // execute-mode corpus test's set); the whole corpus is reported beside it.
    const isLocal = (j) => j.kind === "python" || j.kind === "shell";
    const localSet = jobs.filter(isLocal);
    const rightEmuLocalSet = jobs.filter((j, i) => isLocal(j) && emuStates[i] === expectedOf(j.file)).length;
    const rightLocalLocalSet = localSet.filter((j) => localStates.get(j.file) === expectedOf(j.file)).length;
    const rightEmu = jobs.filter((j, i) => emuStates[i] === expectedOf(j.file)).length;
    const rightLocal = jobs.filter((j) => localStates.get(j.file) === expectedOf(j.file)).length;
    const toSucceed = jobs.filter((j) => expectedOf(j.file) === "SUCCEEDED");
    const succeededEmu = jobs.filter(
      (j, i) => expectedOf(j.file) === "SUCCEEDED" && emuStates[i] === "SUCCEEDED",
    ).length;
    const succeededLocal = toSucceed.filter((j) => localStates.get(j.file) === "SUCCEEDED").length;
    const wrongEmu = jobs.filter((j, i) => emuStates[i] !== expectedOf(j.file)).map((j) => j.file);
    // kfp.local's ERROR: refused the package or failed in its own code before the run ended.
    const errorsLocal = jobs.filter((j) => localStates.get(j.file) === "ERROR").length;
    corpus = {
      localSet: localSet.length,
      rightEmuLocalSet,
      rightLocalLocalSet,
      packages: jobs.length,
      rightEmu,
      rightLocal,
      toSucceed: toSucceed.length,
      succeededEmu,
      succeededLocal,
      wrongEmu,
      errorsLocal,
      emuMs,
      localMs,
    };
  }

  const rows = [
    ["2-task pipeline, median wall ms", fmtNum(median(emuTimes)), fmtNum(median(local.two_task_ms))],
    ["per Python task (runner, venv ready), median ms", fmtNum(median(perTask)), "-"],
  ];
  if (corpus) {
    rows.push([
      `needing only local Python and a shell: right end (of ${corpus.localSet})`,
      String(corpus.rightEmuLocalSet),
      String(corpus.rightLocalLocalSet),
    ]);
    rows.push([
      `every package: right end (of ${corpus.packages})`,
      String(corpus.rightEmu),
      String(corpus.rightLocal),
    ]);
    rows.push([
      `of them expected SUCCEEDED (${corpus.toSucceed}): succeeded`,
      String(corpus.succeededEmu),
      String(corpus.succeededLocal),
    ]);
    rows.push(["refused, or failed in its own code (no end state)", "0", String(corpus.errorsLocal)]);
    rows.push(["corpus wall s", fmtNum(corpus.emuMs / 1000, 1), fmtNum(corpus.localMs / 1000, 1)]);
  }
  console.log(table(["execute mode vs kfp.local 2.17.3", "emulator --execute", "kfp.local"], rows));
  report({
    bench: "execute",
    rounds: ROUNDS,
    emulator_two_task_ms: emuTimes,
    kfp_local_two_task_ms: local.two_task_ms,
    emulator_task_ms: perTask,
    corpus,
  });
} finally {
  await emu.close();
  rmSync(scratch, { recursive: true, force: true });
}
