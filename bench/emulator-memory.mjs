// Memory of the emulator per stored run: the built emulator (packages/emulator/dist) runs in a child
// process; this process uploads a pipeline, creates N runs of it over loopback HTTP, waits until every
// run has finished, lists them all once (so list caches are filled, as a UI or CI poller would), and
// prints the child's RSS (after a full GC) before and after.
//
//   npm run build
//   node bench/emulator-memory.mjs                                  # 10,000 runs of two_step_pipeline.yaml
//   node bench/emulator-memory.mjs --runs 1000 --pipeline pipeline_with_loops_and_conditions.yaml
//   node bench/emulator-memory.mjs --db                             # with a SQLite file (--db of the CLI)
//
// Goals (issue 14): 10,000 finished runs of two_step_pipeline.yaml ≤ 160 MiB RSS; 1,000 of
// pipeline_with_loops_and_conditions.yaml ≤ 300 MiB. Bounded: at most --runs runs (≤ 100,000), and the
// whole benchmark gives up after --timeout seconds (default 900).
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10000" },
    pipeline: { type: "string", default: "two_step_pipeline.yaml" },
    concurrency: { type: "string", default: "16" },
    db: { type: "boolean", default: false },
    timeout: { type: "string", default: "900" },
    child: { type: "boolean", default: false },
  },
});

const MiB = 1024 * 1024;
const rssMiB = () => {
  globalThis.gc?.();
  return Math.round((process.memoryUsage().rss / MiB) * 10) / 10;
};

if (values.child) {
  // ── The server process ─────────────────────────────────────────────────────────────────────
  const { startEmulator } = await import(
    pathToFileURL(resolve(REPO_ROOT, "packages/emulator/dist/index.js")).href
  );
  const db = process.env.BENCH_DB || undefined;
  const emu = await startEmulator({ port: 0, lifecycle: { tickMs: 0 }, inspectorSize: 0, db });
  const terminal = new Set(["SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"]);
  process.on("message", async (msg) => {
    if (msg.cmd === "rss") {
      // Settled: full GCs half a second apart until RSS stops falling by more than 1 MiB (V8's memory
      // reducer and the allocator hand back what a burst of requests left behind); at most 10 rounds.
      let rss = rssMiB();
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const next = rssMiB();
        const fell = rss - next;
        rss = next;
        if (fell < 1) break;
      }
      const m = process.memoryUsage();
      const mib = (n) => Math.round((n / MiB) * 10) / 10;
      if (process.env.BENCH_VERBOSE)
        console.error(
          `rss ${rss} heapUsed ${mib(m.heapUsed)} heapTotal ${mib(m.heapTotal)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)}`,
        );
      process.send({ rss });
    }
    if (msg.cmd === "idle") {
      // Wait until every run is terminal: listen first, then count, so no finish is missed.
      const check = () => {
        for (const rec of emu.app.store.all("runs")) if (!terminal.has(rec.state)) return false;
        emu.app.engine.off("run", onRun);
        process.send({ idle: true });
        return true;
      };
      const onRun = (rec) => {
        if (terminal.has(rec?.state)) check();
      };
      emu.app.engine.on("run", onRun);
      check();
    }
    if (msg.cmd === "close") {
      await emu.close();
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
  process.send({ url: emu.url, rss: rssMiB() });
} else {
  // ── The driver ─────────────────────────────────────────────────────────────────────────────
  const runs = Math.min(Number(values.runs), 100_000);
  const concurrency = Math.max(1, Math.min(Number(values.concurrency), 64));
  const deadline = Date.now() + Number(values.timeout) * 1000;
  const specPath = resolve(REPO_ROOT, "../shared/kfp-api/pipelines/valid", values.pipeline);
  const spec = readFileSync(specPath);
  const dir = values.db ? mkdtempSync(join(tmpdir(), "kfp-emu-mem-")) : undefined;
  const child = fork(fileURLToPath(import.meta.url), ["--child"], {
    execArgv: ["--expose-gc"],
    env: { ...process.env, BENCH_DB: dir ? join(dir, "emu.db") : "" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ask = (cmd, key) =>
    new Promise((res, rej) => {
      const left = deadline - Date.now();
      const timer = setTimeout(() => rej(new Error(`timed out waiting for ${cmd}`)), Math.max(left, 1));
      const on = (m) => {
        if (key in m) {
          clearTimeout(timer);
          child.off("message", on);
          res(m);
        }
      };
      child.on("message", on);
      if (cmd) child.send({ cmd });
    });
  try {
    const { url, rss: rssStart } = await ask(undefined, "url");
    const form = new FormData();
    form.append("uploadfile", new Blob([spec]), values.pipeline);
    const up = await fetch(`${url}/apis/v2beta1/pipelines/upload?name=mem-bench`, {
      method: "POST",
      body: form,
    });
    if (up.status !== 200) throw new Error(`upload failed: ${up.status} ${await up.text()}`);
    const { pipeline_id } = await up.json();
    const { rss: rssPipeline } = await ask("rss", "rss");
    let next = 0;
    let failed = 0;
    const started = Date.now();
    const worker = async () => {
      while (next < runs && Date.now() < deadline) {
        const i = next++;
        const r = await fetch(`${url}/apis/v2beta1/runs`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ display_name: `run-${i}`, pipeline_version_reference: { pipeline_id } }),
        });
        if (r.status !== 200) failed++;
        await r.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (next < runs) throw new Error(`timed out after creating ${next} of ${runs} runs`);
    if (failed > 0) throw new Error(`${failed} run creations failed`);
    const createdIn = (Date.now() - started) / 1000;
    await ask("idle", "idle");
    const { rss: rssFinished } = await ask("rss", "rss");
    // One full walk of the run list (filled caches, as a poller leaves them).
    let token = "";
    let seen = 0;
    for (let page = 0; page < Math.ceil(runs / 200) + 1; page++) {
      const r = await fetch(`${url}/apis/v2beta1/runs?page_size=200&page_token=${encodeURIComponent(token)}`);
      const body = await r.json();
      seen += body.runs?.length ?? 0;
      token = body.next_page_token ?? "";
      if (!token) break;
    }
    if (seen !== runs) throw new Error(`the run list has ${seen} runs, expected ${runs}`);
    const { rss: rssListed } = await ask("rss", "rss");
    const perRunKiB = Math.round((((rssListed - rssPipeline) * MiB) / runs / 1024) * 10) / 10;
    console.log(
      JSON.stringify(
        {
          pipeline: values.pipeline,
          runs,
          store: values.db ? "sqlite" : "memory",
          created_in_s: Math.round(createdIn * 10) / 10,
          rss_mib: { start: rssStart, pipeline: rssPipeline, finished: rssFinished, listed: rssListed },
          per_run_kib: perRunKiB,
        },
        null,
        2,
      ),
    );
    child.send({ cmd: "close" });
  } catch (err) {
    console.error(`emulator-memory: ${err.message}`);
    child.kill();
    process.exitCode = 1;
  } finally {
    if (dir) setTimeout(() => rmSync(dir, { recursive: true, force: true }), 500).unref();
  }
}
