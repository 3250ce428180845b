#!/usr/bin/env node
// kfp-ts benchmarks. Every figure is a ratio against a baseline measured in the same run; all traffic
// goes to 127.0.0.1; each client variant runs in a fresh child process pinned to CPU 0 and each server
// in its own process pinned to CPU 1 (when `taskset` works). See bench/README.md.
//
//   node bench/run.mjs [upload] [memory] [emulator] [cli] [--quick] [--rounds N] [--strict]
//                      [--concurrency 1,32,128] [--out FILE]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { request } from "undici";
import { benchCli } from "./cli.mjs";
import {
  BENCH_DIR,
  canPin,
  fmtBytes,
  fmtNum,
  fmtRatio,
  interopPython,
  makePipelineYaml,
  median,
  num,
  parseArgs,
  percentile,
  REPO_ROOT,
  runChild,
  startChild,
  table,
} from "./lib/common.mjs";

const args = parseArgs(process.argv.slice(2));
const ALL_PARTS = ["upload", "memory", "emulator", "cli"];
const parts = args._.length ? args._ : ALL_PARTS;
for (const p of parts) {
  if (!ALL_PARTS.includes(p)) {
    console.error(`unknown part "${p}"; choose from: ${ALL_PARTS.join(", ")}`);
    process.exit(2);
  }
}
const quick = args.quick === true;
const CLIENT_CPU = 0;
const SERVER_CPU = 1;

const rounds = args.rounds === undefined ? undefined : num(args.rounds);
const cfg = {
  concurrencies: String(args.concurrency ?? "1,32,128")
    .split(",")
    .map((s) => num(s)),
  upload: {
    fileBytes: 20_000,
    warmup: quick ? 400 : 5000,
    warmupMs: quick ? 2500 : 30_000,
    pyWarmup: quick ? 30 : 300,
    windows: rounds ?? (quick ? 2 : 10),
    windowMs: quick ? 300 : 500,
    max: 200_000,
  },
  memory: {
    bytes: num(args["mem-bytes"], (quick ? 64 : 200) * 1024 * 1024),
    rounds: rounds ?? (quick ? 1 : 3),
  },
  emulator: {
    runs: num(args.runs, quick ? 2000 : 10_000),
    warmup: quick ? 100 : 500,
    windows: rounds ?? (quick ? 1 : 3),
    windowMs: quick ? 400 : 1000,
    listWarmup: quick ? 10 : 50,
    listWindows: rounds ?? (quick ? 2 : 5),
    listWindowMs: quick ? 400 : 1000,
  },
};

const results = {
  meta: {
    date: new Date().toISOString(),
    command: `node bench/run.mjs ${process.argv.slice(2).join(" ")}`.trim(),
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model,
    loadavgStart: os.loadavg(),
    pinned: canPin(),
    quick,
    config: cfg,
    commit: gitHead(),
  },
  skipped: [],
  checks: [],
};

function gitHead() {
  const r = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

function log(msg = "") {
  process.stdout.write(`${msg}\n`);
}
function progress(msg) {
  process.stderr.write(`  · ${msg}\n`);
}
function skip(what, why) {
  results.skipped.push({ what, why });
  log(`  (skipped ${what}: ${why})`);
}
function check(name, value, op, target) {
  const pass = value === null || Number.isNaN(value) ? null : op === "<=" ? value <= target : value >= target;
  results.checks.push({ name, value, op, target, pass });
  return pass;
}
const passMark = (p) => (p === null ? "n/a" : p ? "PASS" : "MISS");

async function serverStats(base) {
  const res = await request(`${base}/bench/stats`);
  return res.body.json();
}
async function serverReset(base) {
  const res = await request(`${base}/bench/reset`, { method: "POST" });
  await res.body.dump();
}

function startBusboy() {
  return startChild(process.execPath, [join(BENCH_DIR, "servers/busboy-server.mjs")], {
    cpu: SERVER_CPU,
    label: "busboy server",
  });
}

/** What of kfp-ts is built: { client: bool, fromPath: bool, emulator: bool, why }. */
async function probeDist() {
  const out = { client: false, fromPath: false, emulator: false, clientWhy: "", emulatorWhy: "" };
  const idx = resolve(REPO_ROOT, "packages/kfp-ts/dist/index.js");
  if (!existsSync(idx)) out.clientWhy = "packages/kfp-ts/dist/index.js not built (run npm run build)";
  else {
    try {
      const mod = await import(pathToFileURL(idx).href);
      if (typeof mod.Kfp !== "function") out.clientWhy = "kfp-ts exports no Kfp";
      else {
        const k = new mod.Kfp({ host: "http://127.0.0.1:9" });
        if (typeof k.pipelines?.upload !== "function") out.clientWhy = "Kfp has no pipelines.upload";
        else out.client = true;
        await k.close?.();
      }
      out.fromPath = typeof mod.fromPath === "function";
    } catch (err) {
      out.clientWhy = `packages/kfp-ts/dist/index.js failed to load: ${err.message}`;
    }
  }
  const testing = resolve(REPO_ROOT, "packages/emulator/dist/index.js");
  if (!existsSync(testing)) out.emulatorWhy = "packages/emulator/dist/index.js not built";
  else {
    try {
      const mod = await import(pathToFileURL(testing).href);
      if (typeof mod.startEmulator !== "function")
        out.emulatorWhy = "kfp-ts-emulator exports no startEmulator";
      else out.emulator = true;
    } catch (err) {
      out.emulatorWhy = `packages/emulator/dist/index.js failed to load: ${err.message}`;
    }
  }
  return out;
}

/** The interop Python, if it has kfp and aiohttp: { python, kfp, aiohttp } */
function probePython() {
  const python = process.env.KFP_BENCH_PYTHON || interopPython();
  if (!python)
    return { python: null, why: "no Python venv at .venv-interop (set KFP_BENCH_PYTHON to use another)" };
  const r = spawnSync(
    python,
    [
      "-c",
      "import importlib.util as u, json; print(json.dumps({m: u.find_spec(m) is not None for m in ['kfp','aiohttp']}))",
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr ?? "").trim().slice(0, 200);
    return { python: null, why: `${python} failed: ${why}` };
  }
  const mods = JSON.parse(r.stdout.trim());
  return { python, kfp: mods.kfp, aiohttp: mods.aiohttp };
}

// ---------------------------------------------------------------------------------------------
// (A) Upload throughput and client CPU

const VARIANT_LABEL = {
  "raw-new": "raw undici.request, new doc (baseline)",
  "kfp-new": "kfp-ts, new doc, default options",
  "kfp-new-full": 'kfp-ts, new doc, validate: "full"',
  "kfp-new-novalidate": "kfp-ts, new doc, validate: false",
  raw: "raw undici.request, same doc (baseline)",
  "kfp-path": "kfp-ts, fromPath(), same file",
  aiohttp: "python aiohttp, hand-built",
  "kfp-sdk": "python kfp SDK upload_pipeline",
};

/** The baseline each variant is compared with (default: raw, the same document every time). */
const BASELINE = {
  "kfp-new": "raw-new",
  "kfp-new-full": "raw-new",
  "kfp-new-novalidate": "raw-new",
  "raw-new": "raw-new",
};

/**
 * Interleaved windows: every child is started and warmed up (one after the other, so warm-ups do not
 * compete), then each gets a measured window in turn, `windows` times, the order rotated each cycle.
 * Windows of one cycle are seconds apart, so a ratio within a cycle is little affected by other load
 * on the machine; the figure is the median over cycles. `afterWindow` checks each window.
 */
async function interleave(specs, { windows, command, beforeWindow, afterWindow, label }) {
  const kids = [];
  const rows = [];
  try {
    for (const spec of specs) {
      const h = startChild(spec.cmd, spec.args, { cpu: CLIENT_CPU, label: spec.label, timeoutMs: 300_000 });
      kids.push({ spec, h });
      const ready = await h.next();
      kids[kids.length - 1].ready = ready;
      progress(
        `${label}: ${spec.label} ready${ready.warmupCount !== undefined ? ` after ${fmtNum(ready.warmupCount)} warm-up calls` : ""}`,
      );
    }
    for (let cycle = 0; cycle < windows; cycle++) {
      const order = kids.map((_, i) => kids[(i + cycle) % kids.length]);
      for (const k of order) {
        if (beforeWindow) await beforeWindow(k.spec);
        const r = await k.h.ask(command(k.spec));
        if (afterWindow) await afterWindow(k.spec, r);
        rows.push({ cycle, key: k.spec.key, ...k.spec.tags, runtime: k.ready.runtime, ...r });
      }
      progress(`${label}: cycle ${cycle + 1}/${windows} done`);
    }
    for (const k of kids) {
      const ex = await k.h.quit();
      if (ex.code !== 0)
        throw new Error(`${k.spec.label} exited with ${ex.signal ?? ex.code}:\n${k.h.stderr}`);
    }
  } finally {
    for (const k of kids) await k.h.stop();
  }
  return { rows, ready: Object.fromEntries(kids.map((k) => [k.spec.key, k.ready])) };
}

/** Median over cycles of `key` of rows matching `pick`, and of its ratio to the `base` row of the same cycle. */
function pairedSummary(rows, pick, base, key) {
  const mine = rows.filter(pick);
  const ratios = mine
    .map((r) => {
      const b = rows.find((x) => base(x) && x.cycle === r.cycle);
      return b ? r[key] / b[key] : Number.NaN;
    })
    .filter((x) => !Number.isNaN(x));
  return { value: median(mine.map((r) => r[key])), ratio: median(ratios), n: mine.length };
}

async function benchUpload(dist) {
  log("\n== (A) Pipeline upload: kfp-ts vs raw undici (and Python peers) ==");
  const u = cfg.upload;
  const tmp = mkdtempSync(join(os.tmpdir(), "kfp-ts-bench-"));
  const file = join(tmp, "pipeline.yaml");
  const yaml = makePipelineYaml(u.fileBytes);
  writeFileSync(file, yaml);
  const fileBytes = Buffer.byteLength(yaml);
  const out = { fileBytes, rows: [] };
  const server = startBusboy();
  try {
    const { port } = await server.next(15_000);
    const base = `http://127.0.0.1:${port}`;
    const nodeVariants = ["raw-new", "raw"];
    if (dist.client) nodeVariants.splice(1, 0, "kfp-new", "kfp-new-full", "kfp-new-novalidate");
    if (dist.client) nodeVariants.push("kfp-path");
    else skip("kfp-ts upload variants", dist.clientWhy);
    const py = probePython();
    const pyVariants = [];
    if (!py.python) skip("Python peers", py.why);
    else {
      if (py.aiohttp) pyVariants.push("aiohttp");
      else skip("python aiohttp", `aiohttp not installed in ${py.python}`);
      if (py.kfp) pyVariants.push("kfp-sdk");
      else skip("python kfp SDK", `kfp not installed in ${py.python}`);
    }
    log(
      `file ${fmtNum(fileBytes)} bytes; warm-up ${fmtNum(u.warmup)} uploads (Python ${u.pyWarmup}); ` +
        `${u.windows} interleaved windows of ${u.windowMs} ms per variant; client on CPU ${CLIENT_CPU}, server on CPU ${SERVER_CPU}` +
        (canPin() ? "" : " (NOT pinned: taskset unavailable)"),
    );
    for (const c of cfg.concurrencies) {
      const common = ["--base", base, "--file", file, "--concurrency", String(c)];
      const specs = [
        ...nodeVariants.map((v) => ({
          key: v,
          tags: { variant: v, concurrency: c },
          label: `upload ${v} c=${c}`,
          cmd: process.execPath,
          args: [
            join(BENCH_DIR, "clients/upload-node.mjs"),
            "--variant",
            v,
            ...common,
            "--warmup",
            String(u.warmup),
            "--warmup-ms",
            String(u.warmupMs),
          ],
        })),
        ...pyVariants.map((v) => ({
          key: v,
          tags: { variant: v, concurrency: c },
          label: `upload ${v} c=${c}`,
          cmd: py.python,
          args: [
            join(BENCH_DIR, "clients/upload_py.py"),
            "--variant",
            v,
            ...common,
            "--warmup",
            String(u.pyWarmup),
          ],
        })),
      ];
      const { rows } = await interleave(specs, {
        label: `c=${c}`,
        windows: u.windows,
        // `pre`: a few unmeasured uploads re-open connections that went idle while others measured.
        command: () => ({
          cmd: "measure",
          ms: u.windowMs,
          max: u.max,
          pre: Math.max(2 * c, 20),
          preMs: 1000,
        }),
        beforeWindow: () => serverReset(base),
        afterWindow: async (spec, r) => {
          // The server must have received every upload, each with exactly the file's bytes.
          const st = await serverStats(base);
          if (
            st.errors !== 0 ||
            st.uploads !== r.sent ||
            st.minFile !== fileBytes ||
            st.maxFile !== fileBytes
          ) {
            throw new Error(
              `${spec.label}: server saw ${JSON.stringify(st)}, client reported ${r.sent} uploads of ${fileBytes} bytes`,
            );
          }
        },
      });
      out.rows.push(...rows);
    }
  } finally {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  out.summary = [];
  for (const c of cfg.concurrencies) {
    const rows = [];
    for (const v of Object.keys(VARIANT_LABEL)) {
      const pick = (r) => r.variant === v && r.concurrency === c;
      // New documents are compared with raw undici uploading the same new documents.
      const baseline = BASELINE[v] ?? "raw";
      const isRaw = (r) => r.variant === baseline && r.concurrency === c;
      const mine = out.rows.filter(pick);
      if (mine.length === 0) continue;
      const rate = pairedSummary(out.rows, pick, isRaw, "rate");
      const cpu = pairedSummary(out.rows, pick, isRaw, "cpuPerCallUs");
      const s = {
        variant: v,
        concurrency: c,
        windows: rate.n,
        rate: rate.value,
        rateVsRaw: rate.ratio,
        cpuPerUploadUs: cpu.value,
        cpuVsRaw: cpu.ratio,
        p50Ms: median(mine.map((r) => r.p50Ms)),
        p99Ms: median(mine.map((r) => r.p99Ms)),
        runtime: mine[0].runtime,
      };
      out.summary.push(s);
      rows.push([
        VARIANT_LABEL[v],
        fmtNum(s.rate),
        fmtRatio(s.rateVsRaw),
        fmtNum(s.cpuPerUploadUs),
        fmtRatio(s.cpuVsRaw),
        fmtNum(s.p50Ms, 2),
        fmtNum(s.p99Ms, 2),
      ]);
    }
    log(`\nconcurrency ${c}`);
    log(table(["variant", "uploads/s", "vs raw", "CPU µs/upload", "vs raw", "p50 ms", "p99 ms"], rows));
  }

  const s = (v, c) => out.summary.find((x) => x.variant === v && x.concurrency === c);
  log(
    "\ntargets (kfp-ts, a new document every upload, default options, vs raw undici uploading the same new documents):",
  );
  for (const c of cfg.concurrencies) {
    const x = s("kfp-new", c);
    if (!x) continue;
    const pr = check(`upload kfp-new throughput at c=${c} vs raw-new`, x.rateVsRaw, ">=", 0.8);
    log(`  throughput at c=${c} ${fmtRatio(x.rateVsRaw)} raw (target ≥ 0.80×) ${passMark(pr)}`);
    const pc = check(`upload kfp-new client CPU/upload at c=${c} vs raw-new`, x.cpuVsRaw, "<=", 1.3);
    log(`  client CPU/upload at c=${c} ${fmtRatio(x.cpuVsRaw)} raw (target ≤ 1.30×) ${passMark(pc)}`);
  }
  results.upload = out;
}

// ---------------------------------------------------------------------------------------------
// (B) Peak RSS of a large streamed upload

async function measureMemory(base, variants, bytes) {
  log(`\n== (B) Memory: one ${fmtBytes(bytes)} upload from a generated stream ==`);
  const out = { bytes, rows: [] };
  for (let round = 0; round < cfg.memory.rounds; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length]);
    for (const v of order) {
      await serverReset(base);
      const r = await runChild(
        process.execPath,
        [
          "--expose-gc",
          join(BENCH_DIR, "clients/memory-node.mjs"),
          "--variant",
          v,
          "--base",
          base,
          "--bytes",
          String(bytes),
        ],
        { cpu: CLIENT_CPU, label: `memory ${v}`, timeoutMs: 300_000 },
      );
      if (r.refused) return { ...out, refused: r.refused };
      const st = await serverStats(base);
      if (st.errors !== 0 || st.uploads !== 1 || st.fileBytes !== bytes) {
        throw new Error(`memory ${v}: server saw ${JSON.stringify(st)}, expected one file of ${bytes} bytes`);
      }
      out.rows.push({ round, ...r });
      progress(`round ${round + 1} ${v}: peak RSS ${fmtBytes(r.peakRss)}, ${fmtNum(r.mibPerSec)} MiB/s`);
    }
  }
  return out;
}

const CLIENT_LIMIT = 32 * 1024 * 1024;

async function benchMemory(dist) {
  const variants = ["raw"];
  if (dist.client) variants.push("kfp-stream", "kfp-webstream");
  else skip("kfp-ts memory variants", dist.clientWhy);
  const server = startBusboy();
  let out;
  try {
    const { port } = await server.next(15_000);
    const base = `http://127.0.0.1:${port}`;
    out = await measureMemory(base, variants, cfg.memory.bytes);
    if (out.refused) {
      // This kfp-ts build refused the size (KFP's server takes 32 MiB at most): measure at the limit
      // instead, raw included, so the ratio stays paired.
      skip(`memory at ${fmtBytes(cfg.memory.bytes)}`, `kfp-ts refused it: ${out.refused}`);
      out = await measureMemory(base, variants, CLIENT_LIMIT);
      out.fallbackFrom = cfg.memory.bytes;
    }
  } finally {
    await server.stop();
  }
  if (out.refused) throw new Error(`kfp-ts refused even ${CLIENT_LIMIT} bytes: ${out.refused}`);
  out.summary = [];
  const nat = out.rows;
  const pairedRatio = (rows, v, key) =>
    median(
      rows
        .filter((r) => r.variant === v)
        .map(
          (r) => r[key] / (rows.find((x) => x.variant === "raw" && x.round === r.round)?.[key] ?? Number.NaN),
        ),
    );
  const rows = [];
  for (const v of variants) {
    const rs = nat.filter((r) => r.variant === v);
    const s = {
      variant: v,
      baseRss: median(rs.map((r) => r.baseRss)),
      peakRss: median(rs.map((r) => r.peakRss)),
      vmHwm: median(rs.map((r) => r.vmHwm ?? Number.NaN)),
      growth: median(rs.map((r) => r.growth)),
      mibPerSec: median(rs.map((r) => r.mibPerSec)),
      peakVsRaw: pairedRatio(nat, v, "peakRss"),
      peakVsRawPerRound: nat
        .filter((r) => r.variant === v)
        .map(
          (r) =>
            r.peakRss / (nat.find((x) => x.variant === "raw" && x.round === r.round)?.peakRss ?? Number.NaN),
        ),
    };
    out.summary.push(s);
    rows.push([
      v === "raw"
        ? "raw undici.request, streamed (baseline)"
        : v === "kfp-stream"
          ? "kfp-ts, Node Readable"
          : "kfp-ts, web ReadableStream",
      fmtBytes(s.baseRss),
      fmtBytes(s.peakRss),
      fmtRatio(s.peakVsRaw),
      fmtBytes(s.growth),
      fmtNum(s.mibPerSec),
      v === "raw" ? "" : s.peakVsRawPerRound.map((x) => x.toFixed(2)).join(" "),
    ]);
  }
  log(table(["variant", "RSS before", "peak RSS", "vs raw", "growth", "MiB/s", "vs raw, each round"], rows));
  log("\ntargets:");
  for (const s of out.summary.filter((x) => x.variant !== "raw")) {
    const p = check(`memory ${s.variant} peak RSS vs raw`, s.peakVsRaw, "<=", 1.1);
    log(`  ${s.variant}: peak RSS ${fmtRatio(s.peakVsRaw)} raw (target ≤ 1.10×) ${passMark(p)}`);
  }
  results.memory = out;
}

// ---------------------------------------------------------------------------------------------
// (C) The emulator next to a bare node:http + busboy server

function loadSpec(target, base, scenario, c, extra = [], client = "undici") {
  const e = cfg.emulator;
  const suffix = client === "undici" ? "" : `/${client}`;
  return {
    key: `${target}:${scenario}@${c}${suffix}`,
    tags: { target, scenario, concurrency: c, client },
    label: `${target} ${scenario} c=${c}${client === "undici" ? "" : ` (${client} client)`}`,
    cmd: process.execPath,
    args: [
      join(BENCH_DIR, "clients/load.mjs"),
      "--scenario",
      scenario,
      "--base",
      base,
      "--concurrency",
      String(c),
      "--warmup",
      String(scenario.startsWith("list-runs") ? e.listWarmup : e.warmup),
      "--client",
      client,
      ...extra,
    ],
  };
}

const SCENARIO_LABEL = {
  healthz: "healthz",
  upload: "upload 20 KB (emulator validates+stores)",
  "list-pipelines": "list pipelines, page 20",
};

const fmtGc = (g) =>
  `${fmtNum(g.major / Math.max(g.seconds, 1e-9), 1)}/s, ${fmtNum(g.majorMs, 1)} ms in ${fmtNum(g.seconds, 1)} s (max ${fmtNum(g.majorMaxMs, 2)} ms)`;

async function benchEmulator(dist) {
  log("\n== (C) Emulator vs a bare node:http + busboy server ==");
  if (!dist.emulator) {
    skip("emulator figures", dist.emulatorWhy);
    return;
  }
  const e = cfg.emulator;
  const scenarios = [
    ["healthz", 1],
    ["upload", 1],
    ["upload", 32],
    ["list-pipelines", 1],
    ["list-pipelines", 32],
  ];
  const out = { runs: e.runs, rows: [] };
  // Both servers alive on CPU 1; only the one being measured is busy.
  const bare = startBusboy();
  const emu = startChild(process.execPath, [join(BENCH_DIR, "servers/emulator-server.mjs")], {
    cpu: SERVER_CPU,
    label: "emulator",
  });
  try {
    const bareBase = `http://127.0.0.1:${(await bare.next(15_000)).port}`;
    const emuBase = `http://127.0.0.1:${(await emu.next(30_000)).port}`;
    log(
      `${e.windows} interleaved windows of ${e.windowMs} ms per server and request; load generator on CPU ${CLIENT_CPU}, servers on CPU ${SERVER_CPU}`,
    );
    for (const [s, c] of scenarios) {
      const { rows } = await interleave(
        [loadSpec("bare", bareBase, s, c), loadSpec("emulator", emuBase, s, c)],
        {
          label: `${s} c=${c}`,
          windows: e.windows,
          command: () => ({ cmd: "measure", ms: e.windowMs, max: 100_000, pre: Math.max(c, 5), preMs: 500 }),
        },
      );
      out.rows.push(...rows);
    }
    await bare.stop();
    const seed = await runChild(
      process.execPath,
      [
        join(BENCH_DIR, "clients/load.mjs"),
        "--scenario",
        "seed-runs",
        "--base",
        emuBase,
        "--runs",
        String(e.runs),
      ],
      { cpu: CLIENT_CPU, label: "seed runs", timeoutMs: 600_000 },
    );
    out.seed = seed;
    progress(
      `seeded ${fmtNum(seed.created)} runs in ${fmtNum(seed.seedMs)} ms; lifecycles settled after ${fmtNum(seed.settleMs)} ms` +
        (seed.stillActive ? ` (${seed.stillActive} still active at the poll limit)` : ""),
    );
    // The run-list figure, as two load generators see it: the lean one (one reused read buffer per
    // connection, so its own GC stays out of the round trip; the target is read here) and raw
    // undici (a fresh buffer per socket read, as most Node clients do). Each pairs healthz with the list.
    const listArgs = ["--page-size", "200", "--expect", String(Math.ceil(e.runs / 2))];
    const { rows: listRows, ready: listReady } = await interleave(
      [
        loadSpec("emulator", emuBase, "healthz", 1, [], "lean"),
        loadSpec("emulator", emuBase, "list-runs", 1, listArgs, "lean"),
        loadSpec("emulator", emuBase, "healthz", 1),
        loadSpec("emulator", emuBase, "list-runs", 1, listArgs),
      ],
      {
        label: "run list",
        windows: e.listWindows,
        command: () => ({ cmd: "measure", ms: e.listWindowMs, max: 100_000, pre: 2, preMs: 500, raw: true }),
      },
    );
    out.listRows = listRows.map(({ latencies, ...r }) => r);
    out.walk = listReady["emulator:list-runs@1/lean"];
    const stat = (sc, client) => {
      const rows = listRows.filter((r) => r.scenario === sc && r.client === client);
      const xs = rows.flatMap((r) => r.latencies);
      return {
        n: xs.length,
        rate: median(rows.map((r) => r.rate)),
        p50Ms: percentile(xs, 50),
        p99Ms: percentile(xs, 99),
        maxMs: percentile(xs, 100),
        // The load generator's own major GCs during the measured windows (count, pause total/max ms).
        gc: {
          major: rows.reduce((a, r) => a + (r.gcMajor ?? 0), 0),
          majorMs: rows.reduce((a, r) => a + (r.gcMajorMs ?? 0), 0),
          majorMaxMs: Math.max(0, ...rows.map((r) => r.gcMajorMaxMs ?? 0)),
          seconds: rows.reduce((a, r) => a + r.elapsedMs, 0) / 1000,
        },
      };
    };
    out.runList = {};
    for (const client of ["lean", "undici"]) {
      const healthz = stat("healthz", client);
      const listRuns = stat("list-runs", client);
      out.runList[client] = {
        healthz,
        listRuns,
        listP99VsHealthzP99: listRuns.p99Ms / healthz.p99Ms,
        listP99VsHealthzP50: listRuns.p99Ms / healthz.p50Ms,
      };
    }
  } finally {
    await bare.stop();
    await emu.stop();
  }

  const rows = [];
  out.summary = [];
  for (const [s, c] of scenarios) {
    const isBare = (r) => r.target === "bare" && r.scenario === s && r.concurrency === c;
    const isEmu = (r) => r.target === "emulator" && r.scenario === s && r.concurrency === c;
    const rate = pairedSummary(out.rows, isEmu, isBare, "rate");
    const p99 = pairedSummary(out.rows, isEmu, isBare, "p99Ms");
    const bareRate = median(out.rows.filter(isBare).map((r) => r.rate));
    const bareP99 = median(out.rows.filter(isBare).map((r) => r.p99Ms));
    out.summary.push({
      scenario: s,
      concurrency: c,
      bareRate,
      emuRate: rate.value,
      rateRatio: rate.ratio,
      bareP99,
      emuP99: p99.value,
      p99Ratio: p99.ratio,
    });
    rows.push([
      `${SCENARIO_LABEL[s]}, c=${c}`,
      fmtNum(bareRate),
      fmtNum(rate.value),
      fmtRatio(rate.ratio),
      fmtNum(bareP99, 2),
      fmtNum(p99.value, 2),
      fmtRatio(p99.ratio),
    ]);
  }
  log(
    table(
      ["request", "bare req/s", "emulator req/s", "emu/bare", "bare p99 ms", "emu p99 ms", "emu/bare"],
      rows,
    ),
  );
  const walk = out.walk;
  log(
    `\nlisting ${fmtNum(e.runs)} runs (filter display_name IS_SUBSTRING "-even" → ${fmtNum(walk?.matched)} runs, ` +
      `sort created_at desc, page size 200, ${walk?.pages} pages per walk), concurrency 1, ` +
      `healthz and list windows interleaved; percentiles pooled over ${e.listWindows} windows:`,
  );
  const CLIENT_LABEL = { lean: "lean client", undici: "undici client" };
  const listTable = [];
  for (const client of ["lean", "undici"]) {
    const { healthz: h, listRuns: l } = out.runList[client];
    for (const [what, x] of [
      ["healthz", h],
      ["list runs, one page of 200", l],
    ]) {
      listTable.push([
        `${what} (${CLIENT_LABEL[client]})`,
        fmtNum(x.n),
        fmtNum(x.rate),
        fmtNum(x.p50Ms, 3),
        fmtNum(x.p99Ms, 3),
        fmtNum(x.maxMs, 3),
      ]);
    }
  }
  log(table(["request (emulator)", "samples", "req/s", "p50 ms", "p99 ms", "max ms"], listTable));
  const lean = out.runList.lean;
  const und = out.runList.undici;
  const p = check("emulator list-runs p99 vs healthz p99", lean.listP99VsHealthzP99, "<=", 20);
  log(
    `  lean client: list p99 / healthz p99 = ${fmtRatio(lean.listP99VsHealthzP99)} (target ≤ 20×) ${passMark(p)}; ` +
      `stricter, list p99 / healthz p50 = ${fmtRatio(lean.listP99VsHealthzP50)}\n` +
      `  undici client: list p99 / healthz p99 = ${fmtRatio(und.listP99VsHealthzP99)}; ` +
      `major GC pauses in the load generator while listing: lean ${fmtGc(lean.listRuns.gc)}, undici ${fmtGc(und.listRuns.gc)}`,
  );
  results.emulator = out;
}

// ---------------------------------------------------------------------------------------------

const t0 = Date.now();
let failed = false;
try {
  const dist = await probeDist();
  log(
    `kfp-ts bench — node ${process.version}, ${results.meta.cpus} CPUs (${results.meta.cpuModel}), ` +
      `load avg ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}${quick ? ", QUICK mode (smoke run, not for figures)" : ""}`,
  );
  for (const p of parts) {
    try {
      if (p === "upload") await benchUpload(dist);
      if (p === "memory") await benchMemory(dist);
      if (p === "emulator") await benchEmulator(dist);
      if (p === "cli") results.cli = await benchCli({ rounds: rounds ?? (quick ? 3 : 15), log, check, skip });
    } catch (err) {
      failed = true;
      results[`${p}Error`] = String(err?.stack ?? err);
      log(`\n!! ${p} failed: ${err?.stack ?? err}`);
    }
  }
} finally {
  results.meta.loadavgEnd = os.loadavg();
  results.meta.seconds = (Date.now() - t0) / 1000;
  const outFile = resolve(String(args.out ?? join(BENCH_DIR, "results/latest.json")));
  mkdirSync(resolve(outFile, ".."), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  log(
    `\n${results.skipped.length ? `skipped: ${results.skipped.map((s) => s.what).join("; ")}\n` : ""}` +
      `done in ${results.meta.seconds.toFixed(0)} s; results in ${outFile}`,
  );
}
const missed = results.checks.filter((c) => c.pass === false);
if (failed) process.exit(1);
if (args.strict === true && missed.length > 0) process.exit(3);
