#!/usr/bin/env node
// Execute mode (issue 13) side by side with kfp.local 2.17.3 (the interop venv), in one run:
//   1. the compiled packages of ../shared/kfp-api/pipelines/valid (v2, minus the ones
//      test/emulator/helpers/execute-expected.json leaves out): how many reach the right end state
//      (failing/ → FAILED, else SUCCEEDED, except the listed ones) in the emulator started with
//      `execute` and in kfp.local (SubprocessRunner, use_venv=False), once per pip policy of kfp.local:
//        offline — PIP_NO_INDEX=1, no cache, an empty find-links folder, no pip config, pip's proxy a
//                  closed port on 127.0.0.1: pip cannot reach an index nor change the interop venv, so
//                  a task whose pinned kfp (or other requirement) is not installed there fails at its
//                  pip step — the method ("a run that kept pip from changing its environment");
//        dry-run — PIP_DRY_RUN=1: pip resolves against the index and installs nothing, so every task
//                  runs on kfp 2.17.3 whatever its pin (more lenient than the run).
//      kfp.local's run reached FAILED only when it says so ("finished with status FAILURE"); a package
//      it refuses, or an exception of its own, is ERROR: no end state;
//   2. the wall time of a 2-task Lightweight Python pipeline (add → add, compiled by the same SDK, so
//      its pin is the installed kfp and both policies run it): emulator from POST /runs to the finished
//      record, kfp.local the pipeline call in process, under each policy; and the emulator's per-task
//      time (the runner's start → end of one task, venv ready).
//   The interop venv is fingerprinted (`pip freeze --all`, run offline, and the path, size and mtime of
//   every file outside __pycache__) before kfp.local first runs and after each of its runs: any change
//   stops the bench with exit code 1 and the difference.
//
//   npm run build && node bench/execute.mjs [--rounds N] [--skip-corpus]
//     [--kfp-local-policies offline,dry-run]   (default both, in that order)
//
// Python tasks run in venvs cached under <tmp>/kfp-ts-emulator/venvs (created on first use: the first
// round is a warm-up and not counted).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { devNull, tmpdir } from "node:os";
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
const POLICY_NAMES = ["offline", "dry-run"];
const POLICIES = [
  ...new Set(
    String(args["kfp-local-policies"] ?? POLICY_NAMES.join(","))
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
  ),
];
if (POLICIES.length === 0 || POLICIES.some((p) => !POLICY_NAMES.includes(p))) {
  console.error(`bench/execute.mjs: --kfp-local-policies takes a list of ${POLICY_NAMES.join(", ")}`);
  process.exit(2);
}

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
const noWheels = join(scratch, "no-wheels");
mkdirSync(noWheels);
// No PIP_* setting of the caller's environment reaches kfp.local (undefined drops a variable).
const noCallerPip = Object.fromEntries(
  Object.keys(process.env).flatMap((k) => (/^pip_/i.test(k) ? [[k, undefined]] : [])),
);
const base = { ...noCallerPip, PYTHONDONTWRITEBYTECODE: "1", HOME: scratch };
// offline: pip may read the installed packages and nothing else (any request it would make goes to a
// closed port on 127.0.0.1).
const offlineEnv = {
  ...base,
  PIP_NO_INDEX: "1",
  PIP_NO_CACHE_DIR: "1",
  PIP_FIND_LINKS: noWheels,
  PIP_CONFIG_FILE: devNull,
  PIP_PROXY: "http://127.0.0.1:9",
  PIP_DISABLE_PIP_VERSION_CHECK: "1",
};
const policyEnv = { offline: offlineEnv, "dry-run": { ...base, PIP_DRY_RUN: "1" } };

// --- the interop venv must come out of every kfp.local run unchanged --------------------------------
const VENV = resolve(python, "..", "..");
function venvFingerprint() {
  const freeze = spawnSync(python, ["-m", "pip", "freeze", "--all"], {
    env: { ...process.env, ...offlineEnv },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (freeze.status !== 0) throw new Error(`pip freeze in the interop venv failed:\n${freeze.stderr}`);
  const files = new Map();
  const walk = (rel) => {
    for (const name of readdirSync(join(VENV, rel))) {
      if (name === "__pycache__") continue;
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(VENV, r));
      if (st.isDirectory()) walk(r);
      else files.set(r, `${st.size}:${st.mtimeMs}`);
    }
  };
  walk("");
  const listing = [...files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([f, v]) => `${f} ${v}`);
  const sha = (t) => createHash("sha256").update(t).digest("hex").slice(0, 16);
  return {
    freeze: freeze.stdout.trim().split("\n"),
    files,
    freezeSha: sha(freeze.stdout),
    filesSha: sha(listing.join("\n")),
  };
}
const venvBefore = venvFingerprint();
const venvChecks = [];
function checkVenv(after) {
  const now = venvFingerprint();
  venvChecks.push({ after, freeze_sha256: now.freezeSha, files_sha256: now.filesSha, files: now.files.size });
  if (now.freezeSha === venvBefore.freezeSha && now.filesSha === venvBefore.filesSha) return;
  const gone = venvBefore.freeze.filter((l) => !now.freeze.includes(l));
  const added = now.freeze.filter((l) => !venvBefore.freeze.includes(l));
  const changed = [...new Set([...venvBefore.files.keys(), ...now.files.keys()])].filter(
    (f) => venvBefore.files.get(f) !== now.files.get(f),
  );
  throw new Error(
    `the interop venv CHANGED during kfp.local (${after}): pip freeze lost [${gone.join(", ")}], gained ` +
      `[${added.join(", ")}]; ${changed.length} files differ, e.g. ${changed.slice(0, 10).join(", ")}`,
  );
}

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
  await runChild(python, [HELPER, "compile", twoYaml], { env: offlineEnv, timeoutMs: 60_000 });
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
  const localTwo = {};
  for (const policy of POLICIES) {
    const root = join(scratch, `local-root-${policy}`);
    localTwo[policy] = await runChild(python, [HELPER, "two-task", String(ROUNDS), root], {
      env: policyEnv[policy],
      timeoutMs: 600_000,
    });
    checkVenv(`2-task pipeline, ${policy}`);
  }

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
    // The comparison set: the packages that need only local Python and a shell (the
    // execute-mode corpus test's set); the whole corpus is reported beside it.
    const isLocal = (j) => j.kind === "python" || j.kind === "shell";
    const localSet = jobs.filter(isLocal);
    const toSucceed = jobs.filter((j) => expectedOf(j.file) === "SUCCEEDED");
    const emu = {
      rightLocalSet: jobs.filter((j, i) => isLocal(j) && emuStates[i] === expectedOf(j.file)).length,
      right: jobs.filter((j, i) => emuStates[i] === expectedOf(j.file)).length,
      succeeded: jobs.filter((j, i) => expectedOf(j.file) === "SUCCEEDED" && emuStates[i] === "SUCCEEDED")
        .length,
      wrong: jobs.filter((j, i) => emuStates[i] !== expectedOf(j.file)).map((j) => j.file),
      ms: emuMs,
    };
    const local = {};
    for (const policy of POLICIES) {
      const t1 = performance.now();
      const out = await runChild(
        python,
        [HELPER, "corpus", jobsFile, join(scratch, `local-corpus-${policy}`)],
        {
          env: policyEnv[policy],
          timeoutMs: 60 * 60_000,
        },
      );
      const ms = performance.now() - t1;
      checkVenv(`corpus, ${policy}`);
      const byFile = new Map(out.results.map((m) => [m.file, m]));
      const stateOf = (j) => byFile.get(j.file)?.state;
      local[policy] = {
        rightLocalSet: localSet.filter((j) => stateOf(j) === expectedOf(j.file)).length,
        right: jobs.filter((j) => stateOf(j) === expectedOf(j.file)).length,
        succeeded: toSucceed.filter((j) => stateOf(j) === "SUCCEEDED").length,
        // ERROR: kfp.local refused the package or failed in its own code before the run ended.
        errors: jobs.filter((j) => stateOf(j) === "ERROR").length,
        // a task of the package failed at kfp.local's pip step (a requirement pip could not get)
        pipFailed: jobs.filter((j) => byFile.get(j.file)?.pip_error).length,
        ms,
        results: out.results.map(({ file, state, error, pip_error }) => ({
          file,
          state,
          expected: expectedOf(file),
          ...(state === expectedOf(file) ? {} : { error }),
          ...(pip_error ? { pip_error } : {}),
        })),
      };
    }
    corpus = {
      localSet: localSet.length,
      packages: jobs.length,
      toSucceed: toSucceed.length,
      emulator: emu,
      kfpLocal: local,
    };
  }

  const cols = (f) => POLICIES.map((p) => f(p));
  const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}×` : "—");
  const rows = [
    [
      "2-task pipeline, median wall ms",
      fmtNum(median(emuTimes)),
      ...cols((p) => fmtNum(median(localTwo[p].two_task_ms))),
    ],
    ["per Python task (runner, venv ready), median ms", fmtNum(median(perTask)), ...cols(() => "-")],
  ];
  if (corpus) {
    const { emulator: e, kfpLocal: l } = corpus;
    rows.push(
      [
        `needing only local Python and a shell: right end (of ${corpus.localSet})`,
        String(e.rightLocalSet),
        ...cols((p) => String(l[p].rightLocalSet)),
      ],
      ["  emulator ÷ kfp.local (goal 2×)", "-", ...cols((p) => ratio(e.rightLocalSet, l[p].rightLocalSet))],
      [
        `every package: right end (of ${corpus.packages})`,
        String(e.right),
        ...cols((p) => String(l[p].right)),
      ],
      ["  emulator ÷ kfp.local (goal 2×)", "-", ...cols((p) => ratio(e.right, l[p].right))],
      [
        `of them expected SUCCEEDED (${corpus.toSucceed}): succeeded`,
        String(e.succeeded),
        ...cols((p) => String(l[p].succeeded)),
      ],
      ["refused, or failed in its own code (no end state)", "0", ...cols((p) => String(l[p].errors))],
      ["a task failed at kfp.local's pip step", "-", ...cols((p) => String(l[p].pipFailed))],
      ["corpus wall s", fmtNum(e.ms / 1000, 1), ...cols((p) => fmtNum(l[p].ms / 1000, 1))],
    );
  }
  console.log(
    table(["execute mode vs kfp.local 2.17.3", "emulator --execute", ...cols((p) => `kfp.local ${p}`)], rows),
  );
  console.log(
    `interop venv unchanged after every kfp.local run (pip freeze ${venvBefore.freezeSha}, ` +
      `${venvBefore.files.size} files ${venvBefore.filesSha}; ${venvChecks.length} checks)`,
  );
  report({
    bench: "execute",
    rounds: ROUNDS,
    kfp_local_policies: POLICIES,
    emulator_two_task_ms: emuTimes,
    kfp_local_two_task_ms: Object.fromEntries(POLICIES.map((p) => [p, localTwo[p].two_task_ms])),
    emulator_task_ms: perTask,
    venv: {
      freeze: venvBefore.freeze,
      freeze_sha256: venvBefore.freezeSha,
      files: venvBefore.files.size,
      files_sha256: venvBefore.filesSha,
      checks: venvChecks,
    },
    corpus,
  });
} finally {
  await emu.close();
  rmSync(scratch, { recursive: true, force: true });
}
