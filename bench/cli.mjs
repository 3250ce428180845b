#!/usr/bin/env node
// CLI benchmark: wall time of one-shot commands — `pipeline list`, `pipeline create` and `--help` —
// for the kfp-ts CLI, the official `kfp` CLI (the interop venv) and a bare Node script doing the same
// request with undici (bench/clients/cli-undici.mjs), in the same run, interleaved round by round, each
// process pinned to CPU 0 and the emulator to CPU 1 (when taskset works). Reports medians and ratios.
// kfp-ts is the published binary (package.json `bin`), as `npx kfp-ts` runs it.
//
//   node bench/cli.mjs [--rounds N] [--quick]        (also part of `npm run bench`: bench/run.mjs cli)
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  BENCH_DIR,
  canPin,
  fmtNum,
  fmtRatio,
  interopPython,
  makePipelineYaml,
  median,
  num,
  parseArgs,
  REPO_ROOT,
  startChild,
  table,
} from "./lib/common.mjs";

/** The published binary: package.json's `bin` (the bundle of packages/kfp-ts/scripts/bundle-cli.mjs). */
const KFP_TS = resolve(
  REPO_ROOT,
  "packages/kfp-ts",
  JSON.parse(readFileSync(resolve(REPO_ROOT, "packages/kfp-ts/package.json"), "utf8")).bin["kfp-ts"],
);
const UNDICI = join(BENCH_DIR, "clients/cli-undici.mjs");
const CLIENT_CPU = 0;
const SERVER_CPU = 1;

/** Wall time in ms of one process from spawn to exit; throws when it fails. */
function timed(cmd, args, env) {
  const pinned = canPin();
  const file = pinned ? "taskset" : cmd;
  const argv = pinned ? ["-c", String(CLIENT_CPU), cmd, ...args] : args;
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, argv, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    const kill = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("close", (code) => {
      clearTimeout(kill);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) rej(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${err.slice(-1000)}`));
      else res(ms);
    });
  });
}

export async function benchCli({ rounds = 15, log = console.log, check = () => null, skip = () => {} } = {}) {
  if (!existsSync(KFP_TS)) throw new Error(`${KFP_TS} is missing: run npm run build`);
  const py = interopPython();
  const kfpBin = py ? resolve(py, "..", "kfp") : null;
  const haveKfp = kfpBin !== null && existsSync(kfpBin);
  if (!haveKfp) skip("official kfp CLI", ".venv-interop is missing (bash test/interop/run.sh creates it)");
  const server = startChild(process.execPath, [join(BENCH_DIR, "servers/emulator-server.mjs")], {
    cpu: SERVER_CPU,
    label: "emulator",
  });
  try {
    const { url } = await server.next();
    const dir = mkdtempSync(join(tmpdir(), "kfp-ts-bench-cli-"));
    const file = join(dir, "pipeline.yaml");
    writeFileSync(file, makePipelineYaml(20_000));
    const home = mkdtempSync(join(tmpdir(), "kfp-ts-bench-home-"));
    const env = { HOME: home, NO_COLOR: "1", KFP_TS_CONFIG: join(home, "none.yaml") };
    let n = 0;
    const uniq = (p) => `${p}-${process.pid}-${++n}`;
    const variants = {
      "kfp-ts": {
        list: () => timed(process.execPath, [KFP_TS, "--host", url, "pipeline", "list"], env),
        create: () =>
          timed(process.execPath, [KFP_TS, "--host", url, "pipeline", "create", "-p", uniq("ts"), file], env),
        help: () => timed(process.execPath, [KFP_TS, "--help"], env),
      },
      undici: {
        list: () => timed(process.execPath, [UNDICI, "list", url], env),
        create: () => timed(process.execPath, [UNDICI, "create", url, uniq("un"), file], env),
        help: () => timed(process.execPath, [UNDICI, "help"], env),
      },
    };
    if (haveKfp) {
      variants.kfp = {
        list: () =>
          timed(kfpBin, ["--endpoint", url, "pipeline", "list"], { ...env, PYTHONWARNINGS: "ignore" }),
        create: () => timed(kfpBin, ["--endpoint", url, "pipeline", "create", "-p", uniq("py"), file], env),
        help: () => timed(kfpBin, ["--help"], env),
      };
    }
    const commands = ["list", "create", "help"];
    const samples = {};
    for (const v of Object.keys(variants)) for (const c of commands) samples[`${v} ${c}`] = [];
    // One warm-up round (disk caches, the emulator's first requests), then interleaved rounds.
    for (const v of Object.keys(variants)) for (const c of commands) await variants[v][c]();
    for (let r = 0; r < rounds; r++) {
      for (const c of commands) {
        for (const v of Object.keys(variants)) samples[`${v} ${c}`].push(await variants[v][c]());
      }
    }
    const med = (k) => (samples[k]?.length ? median(samples[k]) : null);
    const out = { rounds, medianMs: {}, ratios: {} };
    const rows = [];
    for (const c of commands) {
      const ts = med(`kfp-ts ${c}`);
      const un = med(`undici ${c}`);
      const py = med(`kfp ${c}`);
      out.medianMs[c] = { kfpTs: ts, undici: un, kfp: py };
      const vsUndici = ts / un;
      const vsKfp = py ? ts / py : null;
      out.ratios[c] = { vsUndici, vsKfp };
      const p1 = check(`cli ${c}: kfp-ts / bare undici`, vsUndici, "<=", 1.15);
      const p2 = vsKfp === null ? null : check(`cli ${c}: kfp-ts / official kfp`, vsKfp, "<=", 0.5);
      const mark = (p) => (p === null ? "n/a" : p ? "PASS" : "MISS");
      rows.push([
        c === "help" ? "--help" : `pipeline ${c}`,
        fmtNum(ts, 0),
        fmtNum(un, 0),
        py === null ? "—" : fmtNum(py, 0),
        `${fmtRatio(vsUndici)} ${mark(p1)}`,
        vsKfp === null ? "—" : `${fmtRatio(vsKfp)} ${mark(p2)}`,
      ]);
    }
    log(`\n## CLI one-shot wall time (median of ${rounds} rounds, ms)`);
    log(
      table(
        [
          "command",
          "kfp-ts",
          "bare undici",
          "official kfp",
          "kfp-ts / undici (≤1.15×)",
          "kfp-ts / kfp (≤0.5×)",
        ],
        rows,
      ),
    );
    return out;
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = parseArgs(process.argv.slice(2));
  const rounds = num(args.rounds, args.quick === true ? 5 : 15);
  await benchCli({ rounds, skip: (what, why) => console.log(`(skipped ${what}: ${why})`) });
}
