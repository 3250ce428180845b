#!/usr/bin/env node
// Reliability figures of the emulator (RELIABILITY.md), each against a fresh emulator process started
// from the built package (npm run build first), on 127.0.0.1 only, every loop bounded:
//
//   1. concurrent: N mixed requests at once (reads, writes, uploads, 4xx cases) → count of 5xx and drops;
//   2. kill -9:    writers create experiments against `--db`; the process is SIGKILLed under load and
//                  restarted on the same file → acknowledged writes lost;
//   3. attack:     hostile inputs (bombs, deep nesting, truncated multipart, oversize bodies) from
//                  several clients for a few seconds → peak RSS of the emulator, 5xx, still serving.
//
//   node bench/reliability.mjs [--requests 1000] [--writers 32] [--kill-after-ms 1500] [--attack-ms 15000]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { deflateRawSync, gzipSync } from "node:zlib";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "packages/emulator/dist/bin.js");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const REQUESTS = opt("requests", 1000);
const WRITERS = opt("writers", 32);
const KILL_AFTER_MS = opt("kill-after-ms", 1500);
const ATTACK_MS = opt("attack-ms", 15000);

if (!existsSync(BIN)) {
  console.error("packages/emulator/dist/bin.js is missing: run `npm run build` first");
  process.exit(2);
}

/** Start the emulator CLI; resolves with its URL and the child process. */
function startEmulator(extra = []) {
  return new Promise((resolveStart, reject) => {
    const child = spawn(process.execPath, [BIN, "--port", "0", "--quiet", ...extra], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => reject(new Error("emulator did not start within 20 s")), 20_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveStart({ url: m[0], child });
      }
    });
    child.stderr.on("data", () => {});
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited early (${code})`));
    });
  });
}

function stop(child) {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once("exit", () => r());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
  });
}

/** RSS of a process in bytes (Linux /proc). */
function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function req(url, method, path, body, headers = {}) {
  try {
    const res = await fetch(url + path, {
      method,
      body,
      headers,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    return { status: res.status, text };
  } catch (err) {
    return { status: 0, text: String(err) };
  }
}

const json = (v) => ({ body: JSON.stringify(v), headers: { "content-type": "application/json" } });

function multipart(filename, data, { truncate = false } = {}) {
  const boundary = "reliabilityBoundary";
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="uploadfile"; filename="${filename}"\r\n\r\n`,
  );
  let body = Buffer.concat([head, Buffer.from(data), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  if (truncate) body = body.subarray(0, body.length - 20);
  return { body, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

const SPEC = (name) => `pipelineInfo:
  name: ${name}
root:
  dag:
    tasks:
      t:
        taskInfo:
          name: t
        componentRef:
          name: comp-echo
components:
  comp-echo:
    executorLabel: exec-echo
deploymentSpec:
  executors:
    exec-echo:
      container:
        image: alpine
        command: [echo, hi]
schemaVersion: 2.1.0
sdkVersion: kfp-2.13.0
`;

/** A zip of one member (CRC left 0: the emulator checks sizes, not checksums). */
function zipOf(name, data) {
  const comp = deflateRawSync(data);
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(comp.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(comp.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(n.length, 28);
  const cdStart = 30 + n.length + comp.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + n.length, 12);
  end.writeUInt32LE(cdStart, 16);
  return Buffer.concat([local, n, comp, central, n, end]);
}

// ── 1. concurrent mixed requests ─────────────────────────────────────────────────────────────────
async function concurrent() {
  const { url, child } = await startEmulator();
  try {
    const up = await req(
      url,
      "POST",
      "/apis/v2beta1/pipelines/upload?name=base",
      ...Object.values(multipart("p.yaml", SPEC("base"))),
    );
    const pipelineId = JSON.parse(up.text).pipeline_id;
    const kinds = [
      () => req(url, "GET", "/apis/v2beta1/healthz"),
      () => req(url, "GET", "/apis/v2beta1/pipelines?page_size=50"),
      () => req(url, "GET", `/apis/v2beta1/pipelines/${pipelineId}`),
      () => req(url, "GET", "/apis/v2beta1/runs?page_size=20"),
      (i) =>
        req(url, "POST", "/apis/v2beta1/experiments", ...Object.values(json({ display_name: `e-${i}` }))),
      (i) =>
        req(
          url,
          "POST",
          "/apis/v2beta1/runs",
          ...Object.values(
            json({ display_name: `r-${i}`, pipeline_version_reference: { pipeline_id: pipelineId } }),
          ),
        ),
      (i) =>
        req(
          url,
          "POST",
          `/apis/v2beta1/pipelines/upload?name=p-${i}`,
          ...Object.values(multipart("p.yaml", SPEC(`p-${i}`))),
        ),
      () =>
        req(
          url,
          "GET",
          `/apis/v2beta1/experiments?filter=${encodeURIComponent('{"predicates":[{"key":"display_name","operation":"IS_SUBSTRING","string_value":"e-1"}]}')}`,
        ),
      () => req(url, "GET", "/apis/v2beta1/pipelines/does-not-exist"),
      () =>
        req(url, "POST", "/apis/v2beta1/experiments", "{not json", { "content-type": "application/json" }),
    ];
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => kinds[i % kinds.length](i)));
    const ms = Math.round(performance.now() - started);
    const by = {};
    for (const r of results)
      by[`${Math.floor(r.status / 100)}xx`] = (by[`${Math.floor(r.status / 100)}xx`] ?? 0) + 1;
    const fiveXX = results.filter((r) => r.status >= 500).length;
    const dropped = results.filter((r) => r.status === 0).length;
    return { requests: REQUESTS, ms, byClass: by, fiveXX, dropped };
  } finally {
    await stop(child);
  }
}

// ── 2. kill -9 under load with --db ──────────────────────────────────────────────────────────────
async function killNine() {
  const dir = mkdtempSync(join(tmpdir(), "kfp-reliability-"));
  const db = join(dir, "kfp.db");
  try {
    const first = await startEmulator(["--db", db]);
    const acked = [];
    let stopWriters = false;
    let attempted = 0;
    const writer = async (w) => {
      for (let i = 0; i < 100_000 && !stopWriters; i++) {
        attempted++;
        const r = await req(
          first.url,
          "POST",
          "/apis/v2beta1/experiments",
          ...Object.values(json({ display_name: `w${w}-${i}` })),
        );
        if (r.status === 200) acked.push(JSON.parse(r.text).experiment_id);
        else if (r.status === 0) return; // the process is gone
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));
    stopWriters = true;
    await Promise.all(writers);
    const second = await startEmulator(["--db", db]);
    try {
      let lost = 0;
      for (const id of acked) {
        const r = await req(second.url, "GET", `/apis/v2beta1/experiments/${id}`);
        if (r.status !== 200) lost++;
      }
      const health = await req(second.url, "GET", "/apis/v2beta1/healthz");
      return {
        writers: WRITERS,
        killedAfterMs: KILL_AFTER_MS,
        attempted,
        acknowledged: acked.length,
        lost,
        restartedHealthz: health.status,
      };
    } finally {
      await stop(second.child);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ── 3. RSS while attacked ────────────────────────────────────────────────────────────────────────
async function attack() {
  const { url, child } = await startEmulator();
  const deepJson = `${'{"a":'.repeat(900)}1${"}".repeat(900)}`;
  const deepPlugins = `{"display_name":"x","plugins_input":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`;
  const zipBomb = zipOf("pipeline.yaml", Buffer.alloc(600 << 20));
  const gzipBomb = gzipSync(Buffer.alloc(200 << 20));
  const big = Buffer.alloc(30 << 20, 0x61);
  const tooBig = Buffer.alloc(40 << 20, 0x61);
  const hostile = [
    () =>
      req(url, "POST", "/apis/v2beta1/pipelines/upload", ...Object.values(multipart("deep.json", deepJson))),
    () => req(url, "POST", "/apis/v2beta1/runs", deepPlugins, { "content-type": "application/json" }),
    () =>
      req(url, "POST", "/apis/v2beta1/pipelines/upload", ...Object.values(multipart("bomb.zip", zipBomb))),
    () =>
      req(url, "POST", "/apis/v2beta1/pipelines/upload", ...Object.values(multipart("bomb.tgz", gzipBomb))),
    () =>
      req(
        url,
        "POST",
        "/apis/v2beta1/pipelines/upload",
        ...Object.values(multipart("p.yaml", SPEC("t"), { truncate: true })),
      ),
    () => req(url, "POST", "/apis/v2beta1/pipelines/upload", ...Object.values(multipart("big.yaml", big))),
    () => req(url, "POST", "/apis/v2beta1/experiments", tooBig, { "content-type": "application/json" }),
    () =>
      req(url, "POST", "/apis/v2beta1/experiments", '{"display_name":"a","display_name":"b"}', {
        "content-type": "application/json",
      }),
    () =>
      req(
        url,
        "GET",
        `/apis/v2beta1/pipelines?page_token=${Buffer.from("[".repeat(5000)).toString("base64")}`,
      ),
  ];
  let peak = rssOf(child.pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(child.pid));
  }, 50);
  const until = Date.now() + ATTACK_MS;
  let sent = 0;
  let fiveXX = 0;
  let dropped = 0;
  const attacker = async (a) => {
    for (let i = 0; i < 100_000 && Date.now() < until; i++) {
      const r = await hostile[(a + i) % hostile.length]();
      sent++;
      if (r.status >= 500) fiveXX++;
      if (r.status === 0) dropped++;
    }
  };
  try {
    await Promise.all(Array.from({ length: 8 }, (_, a) => attacker(a)));
    clearInterval(sampler);
    const health = await req(url, "GET", "/apis/v2beta1/healthz");
    const list = await req(url, "GET", "/apis/v2beta1/runs");
    return {
      attackMs: ATTACK_MS,
      clients: 8,
      requests: sent,
      fiveXX,
      dropped,
      peakRssMiB: Math.round(peak / 2 ** 20),
      healthzAfter: health.status,
      runsListAfter: list.status,
      alive: child.exitCode === null,
    };
  } finally {
    clearInterval(sampler);
    await stop(child);
  }
}

const report = {
  node: process.version,
  concurrent: await concurrent(),
  killNine: await killNine(),
  attack: await attack(),
};
console.log(JSON.stringify(report, null, 2));
const ok =
  report.concurrent.fiveXX === 0 &&
  report.concurrent.dropped === 0 &&
  report.killNine.lost === 0 &&
  report.attack.fiveXX === 0 &&
  report.attack.alive &&
  report.attack.peakRssMiB < 512;
console.log(ok ? "reliability: OK" : "reliability: FAILED");
process.exitCode = ok ? 0 : 1;
