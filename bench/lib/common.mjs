// Shared helpers for the benchmark harness: child processes pinned to a core, the one-line JSON
// protocol children use to report, statistics, and the fixtures (a ~20 KB pipeline, multipart bodies,
// a generated multi-hundred-MiB YAML-ish stream).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { dirname, resolve } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = resolve(BENCH_DIR, "..");
/**
 * Dispatcher settings of the raw-undici baselines: those kfp-ts's own Agent uses
 * (src/internal/dispatcher.ts: keep-alive 4 s idle / 30 s max, TCP keep-alive probes after 30 s, no
 * pipelining); each baseline adds `connections` = its concurrency.
 */
export const AGENT_SETTINGS = {
  keepAliveTimeout: 4_000,
  keepAliveMaxTimeout: 30_000,
  pipelining: 1,
  connect: { keepAlive: true, keepAliveInitialDelay: 30_000 },
};

/** Prefix of the one JSON line a child prints to report (everything else on stdout is ignored). */
export const MARK = "@@BENCH ";

/** Print a report line from a child process. */
export function report(obj) {
  process.stdout.write(`${MARK}${JSON.stringify(obj)}\n`);
}

let tasksetChecked;
/** Whether `taskset -c N` works here (present, and the machine has at least 2 CPUs). */
export function canPin() {
  if (tasksetChecked !== undefined) return tasksetChecked;
  tasksetChecked = false;
  if (os.availableParallelism() >= 2) {
    const r = spawnSync("taskset", ["-c", "0", "true"], { stdio: "ignore", timeout: 5000 });
    tasksetChecked = r.status === 0;
  }
  return tasksetChecked;
}

/**
 * Start a child process, pinned to `cpu` when pinning works. Returns a handle that collects every
 * report line; `next()` resolves with the next report, rejecting if the child exits first or the
 * timeout passes.
 */
export function startChild(cmd, args, { cpu, env, timeoutMs = 120_000, label = cmd } = {}) {
  const pinned = cpu !== undefined && canPin();
  const file = pinned ? "taskset" : cmd;
  const argv = pinned ? ["-c", String(cpu), cmd, ...args] : args;
  const child = spawn(file, argv, {
    // stdin is a pipe: children that take commands read it; all of them exit when it closes.
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const reports = [];
  const waiters = [];
  let stderr = "";
  let exited;
  let buf = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    buf += chunk;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.startsWith(MARK)) continue;
      let msg;
      try {
        msg = JSON.parse(line.slice(MARK.length));
      } catch {
        continue;
      }
      const w = waiters.shift();
      if (w) w.resolve(msg);
      else reports.push(msg);
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    // Keep only the tail: enough to explain a failure.
    stderr = (stderr + chunk).slice(-4000);
  });
  const exitPromise = new Promise((res) => {
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      for (const w of waiters.splice(0)) {
        w.reject(new Error(`${label} exited (${signal ?? code}) before reporting:\n${stderr.trim()}`));
      }
      res(exited);
    });
    child.on("error", (err) => {
      exited = { code: -1, signal: null };
      for (const w of waiters.splice(0)) w.reject(new Error(`${label} failed to start: ${err.message}`));
      res(exited);
    });
  });
  child.stdin.on("error", () => {}); // the child may exit before reading
  return {
    child,
    pinned,
    pid: child.pid,
    /** Send one command line (JSON) to the child's stdin. */
    send(obj) {
      child.stdin.write(`${JSON.stringify(obj)}\n`);
    },
    /** Send a command and wait for the child's next report. */
    ask(obj, ms = timeoutMs) {
      const p = this.next(ms);
      this.send(obj);
      return p;
    },
    get stderr() {
      return stderr;
    },
    next(ms = timeoutMs) {
      const queued = reports.shift();
      if (queued) return Promise.resolve(queued);
      if (exited) {
        return Promise.reject(
          new Error(`${label} exited (${exited.signal ?? exited.code}) before reporting:\n${stderr.trim()}`),
        );
      }
      return new Promise((res, rej) => {
        const w = {
          resolve: (m) => {
            clearTimeout(timer);
            res(m);
          },
          reject: (e) => {
            clearTimeout(timer);
            rej(e);
          },
        };
        const timer = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          rej(new Error(`${label} did not report within ${ms} ms:\n${stderr.trim()}`));
        }, ms);
        waiters.push(w);
      });
    },
    /** Wait for exit; kill (SIGTERM, then SIGKILL) if it does not exit within `ms`. */
    async stop(ms = 5000) {
      if (exited) return exited;
      child.stdin.end();
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), ms);
      const r = await exitPromise;
      clearTimeout(t);
      return r;
    },
    /** Ask a command-driven child to exit, then wait (bounded); returns the exit status. */
    async quit(ms = 30_000) {
      if (!exited) {
        this.send({ cmd: "exit" });
        child.stdin.end();
      }
      return this.exit(ms);
    },
    /** Wait for a normal exit (bounded); returns the exit status. */
    async exit(ms = timeoutMs) {
      if (exited) return exited;
      const t = setTimeout(() => child.kill("SIGKILL"), ms);
      const r = await exitPromise;
      clearTimeout(t);
      return r;
    },
  };
}

/** Run a child to completion and return its single report. */
export async function runChild(cmd, args, opts = {}) {
  const h = startChild(cmd, args, opts);
  try {
    const msg = await h.next();
    const ex = await h.exit(opts.timeoutMs ?? 120_000);
    if (ex.code !== 0)
      throw new Error(`${opts.label ?? cmd} exited with ${ex.signal ?? ex.code}:\n${h.stderr}`);
    return msg;
  } finally {
    await h.stop();
  }
}

/**
 * Call `onGone` when the parent process goes away (the orchestrator crashed or was killed), and in
 * any case after `maxMs`: a server child never outlives its run.
 */
export function watchParent(onGone, maxMs = 30 * 60_000) {
  const parent = process.ppid;
  const started = Date.now();
  const t = setInterval(() => {
    if (process.ppid !== parent || Date.now() - started > maxMs) {
      clearInterval(t);
      onGone();
    }
  }, 1000);
  t.unref();
}

/** Parse `--key value` / `--flag` arguments into an object (values stay strings). */
export function parseArgs(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const key = a.slice(2);
      const eq = key.indexOf("=");
      if (eq >= 0) out[key.slice(0, eq)] = key.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out[key] = argv[++i];
      else out[key] = true;
    } else out._.push(a);
  }
  return out;
}

export function num(v, dflt) {
  if (v === undefined || v === true) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${v}`);
  return n;
}

/** Percentile (nearest rank) of an array of numbers; sorts a copy. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const s = Float64Array.from(values).sort();
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

export function median(values) {
  return percentile(values, 50);
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/**
 * A valid KFP v2 pipeline spec (schema 2.1.0) of about `targetBytes` bytes: a chain of components,
 * each with a parameter in and out, a container executor and a DAG task depending on the previous one.
 * Generated rather than read from ../shared so the bench runs without it.
 */
export function makePipelineYaml(targetBytes = 20_000, name = "bench-pipeline") {
  const components = [];
  const executors = [];
  const tasks = [];
  const size = () =>
    components.reduce((n, s) => n + s.length, 0) +
    executors.reduce((n, s) => n + s.length, 0) +
    tasks.reduce((n, s) => n + s.length, 0) +
    600;
  for (let i = 0; i < 1000 && size() < targetBytes; i++) {
    const c = `comp-step-${i}`;
    const e = `exec-step-${i}`;
    components.push(
      `  ${c}:\n    executorLabel: ${e}\n    inputDefinitions:\n      parameters:\n        message:\n          parameterType: STRING\n` +
        `        factor:\n          parameterType: NUMBER_INTEGER\n    outputDefinitions:\n      parameters:\n        Output:\n          parameterType: STRING\n`,
    );
    executors.push(
      `    ${e}:\n      container:\n        image: python:3.11-slim\n        command:\n        - sh\n        - -c\n` +
        `        - |\n          python3 -c 'import sys; m = sys.argv[1]; f = int(sys.argv[2]); open(sys.argv[3], "w").write((m + " ") * f)' "$0" "$1" "$2"\n` +
        `        - '{{$.inputs.parameters[''message'']}}'\n        - '{{$.inputs.parameters[''factor'']}}'\n` +
        `        - '{{$.outputs.parameters[''Output''].output_file}}'\n`,
    );
    const msgInput =
      i === 0
        ? `              componentInputParameter: message\n`
        : `              taskOutputParameter:\n                outputParameterKey: Output\n                producerTask: step-${i - 1}\n`;
    tasks.push(
      `      step-${i}:\n        cachingOptions:\n          enableCache: true\n        componentRef:\n          name: ${c}\n` +
        (i === 0 ? "" : `        dependentTasks:\n        - step-${i - 1}\n`) +
        `        inputs:\n          parameters:\n            factor:\n              runtimeValue:\n                constant: ${(i % 5) + 1}\n` +
        `            message:\n${msgInput}        taskInfo:\n          name: step-${i}\n`,
    );
  }
  return (
    `# Generated by kfp-ts bench/lib/common.mjs: a chain of ${components.length} steps.\n` +
    `components:\n${components.join("")}deploymentSpec:\n  executors:\n${executors.join("")}` +
    `pipelineInfo:\n  name: ${name}\n  description: Synthetic pipeline for benchmarks.\n` +
    `root:\n  dag:\n    tasks:\n${tasks.join("")}  inputDefinitions:\n    parameters:\n      message:\n` +
    `        parameterType: STRING\n        defaultValue: hello\n        isOptional: true\n` +
    `schemaVersion: 2.1.0\nsdkVersion: kfp-ts-bench\n`
  );
}

/** Head and tail of a multipart/form-data body with a single `uploadfile` part. */
export function multipartParts(boundary, filename, contentType = "application/octet-stream") {
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="uploadfile"; filename="${filename}"\r\n` +
      `Content-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { head, tail };
}

/**
 * A Readable producing exactly `totalBytes` of YAML-ish text in fresh `chunkBytes` buffers (each
 * chunk is a new allocation, so a client that buffers the stream shows it in its RSS).
 */
export function yamlishStream(totalBytes, chunkBytes = 64 * 1024) {
  let line = "";
  for (let i = 0; line.length < 4096; i++) {
    line += `  - key_${i}: "value ${i} of a generated YAML-ish benchmark stream"\n`;
  }
  const template = Buffer.alloc(chunkBytes);
  for (let off = 0; off < chunkBytes; off += line.length) template.write(line, off, "utf8");
  let sent = 0;
  return new Readable({
    highWaterMark: chunkBytes,
    read() {
      if (sent >= totalBytes) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkBytes, totalBytes - sent);
      const chunk = Buffer.allocUnsafe(n);
      template.copy(chunk, 0, 0, n);
      sent += n;
      this.push(chunk);
    },
  });
}

/** Peak-RSS sampler: `process.memoryUsage.rss()` every `everyMs`, plus VmHWM from /proc at the end. */
export function rssSampler(everyMs = 10) {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > peak) peak = r;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const r = process.memoryUsage.rss();
      if (r > peak) peak = r;
      return { peakRss: peak, vmHwm: readVmHwm() };
    },
  };
}

/** Peak resident set size of this process from /proc/self/status (bytes), or null off Linux. */
export function readVmHwm() {
  try {
    const text = readFileSync("/proc/self/status", "utf8");
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(text);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Path of the Python interpreter of the interop venv, if it exists. */
export function interopPython() {
  const p = resolve(REPO_ROOT, ".venv-interop", "bin", "python");
  return existsSync(p) ? p : null;
}

export function fmtNum(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtRatio(r) {
  if (r === null || r === undefined || Number.isNaN(r)) return "—";
  return `${r.toFixed(2)}×`;
}

export function fmtBytes(b) {
  if (b === null || b === undefined) return "—";
  return `${(b / 1024 / 1024).toFixed(1)} MiB`;
}

/** A simple aligned text table. */
export function table(headers, rows) {
  const all = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => r[i]?.length ?? 0)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(all[0]), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}
