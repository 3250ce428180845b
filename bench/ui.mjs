#!/usr/bin/env node
// The web UI's figures (issue 12), measured on the built packages (run `npm run build` first) with
// Debian's Chromium (CHROMIUM_PATH or /usr/bin/chromium), headless; all traffic on 127.0.0.1.
//
//   node bench/ui.mjs [--rounds N]
//
// 1. page weight: the bytes a first visit of / transfers (index.html and every asset it names), as
//    the emulator sends them gzipped, and uncompressed;
// 2. time to first render of a finished run with 200 tasks: navigation start → every one of the 200
//    task boxes drawn with its state (median and max of N fresh page loads);
// 3. state-to-colour delay: a run of 8 chained tasks moving slowly (each task RUNNING for ~1 s); for
//    every task state change, the time from the emulator's write (its run listener) to the page's box
//    taking the new state (a MutationObserver in the page; same machine clock), median/p90/max.
import { existsSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const ROOT = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1]) || 5;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
for (const need of ["packages/emulator/dist/ui/index.html", "packages/kfp-ts/dist/index.js"]) {
  if (!existsSync(path.join(ROOT, need))) {
    console.error(`bench/ui.mjs: ${need} is missing: run npm run build first`);
    process.exit(2);
  }
}
if (!existsSync(CHROMIUM)) {
  console.error(`bench/ui.mjs: no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
  process.exit(2);
}
const { startEmulator } = await import(path.join(ROOT, "packages/emulator/dist/index.js"));
const { Kfp } = await import(path.join(ROOT, "packages/kfp-ts/dist/index.js"));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const ms = (x) => `${x.toFixed(0)} ms`;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

/** A spec of `n` container tasks: `width` independent chains, each task passing `out` to the next. */
function spec(name, n, width) {
  const components = {};
  const executors = {};
  const tasks = {};
  for (let i = 0; i < n; i++) {
    const t = `task-${i}`;
    components[`comp-${t}`] = {
      executorLabel: `exec-${t}`,
      outputDefinitions: { parameters: { out: { parameterType: "STRING" } } },
    };
    executors[`exec-${t}`] = { container: { image: "python:3.12", command: ["echo"], args: [t] } };
    const prev = i >= width ? `task-${i - width}` : undefined;
    tasks[t] = {
      componentRef: { name: `comp-${t}` },
      taskInfo: { name: t },
      ...(prev
        ? {
            dependentTasks: [prev],
            inputs: {
              parameters: { p: { taskOutputParameter: { producerTask: prev, outputParameterKey: "out" } } },
            },
          }
        : {}),
    };
  }
  return {
    pipelineInfo: { name },
    components,
    deploymentSpec: { executors },
    root: { dag: { tasks } },
    schemaVersion: "2.1.0",
    sdkVersion: "kfp-2.13.0",
  };
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--disable-gpu", "--disable-dev-shm-usage", ...(process.getuid?.() === 0 ? ["--no-sandbox"] : [])],
});
const results = {};
try {
  // 1. Page weight.
  {
    const emu = await startEmulator({ ui: true });
    try {
      const get = async (p) => {
        const r = await fetch(`${emu.url}${p}`, { headers: { "accept-encoding": "gzip" } });
        const wire = Number(r.headers.get("content-length"));
        const body = Buffer.from(await r.arrayBuffer()); // fetch decodes gzip: this is the plain size
        return { wire, plain: body.length, text: body.toString("utf8") };
      };
      const index = await get("/");
      const assets = [...index.text.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((m) => `/${m[1]}`);
      let wire = index.wire;
      let plain = index.plain;
      const files = [["/", index.wire, index.plain]];
      for (const a of assets) {
        const f = await get(a);
        wire += f.wire;
        plain += f.plain;
        files.push([a, f.wire, f.plain]);
      }
      results.weight = { wire, plain, files };
    } finally {
      await emu.close();
    }
  }

  // 2. First render of a finished 200-task run.
  {
    const emu = await startEmulator({ ui: true, lifecycle: { tickMs: 1 } });
    const kfp = new Kfp({ host: emu.url });
    try {
      const p = await kfp.pipelines.upload(spec("two-hundred", 200, 10), { name: "two-hundred" });
      const v = (await kfp.pipelines.versions.list(p.pipeline_id)).items[0];
      const run = await kfp.runs.create({
        display_name: "200 tasks",
        pipeline_id: p.pipeline_id,
        pipeline_version_id: v.pipeline_version_id,
      });
      const done = await kfp.runs.wait(run.run_id, { timeout: 120_000 });
      if (done.state !== "SUCCEEDED") throw new Error(`the 200-task run ended ${done.state}`);
      const times = [];
      for (let i = 0; i < rounds; i++) {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await ctx.newPage();
        await page.goto(`${emu.url}/#/runs/${run.run_id}`, { waitUntil: "commit" });
        const t = await page.waitForFunction(
          () => {
            const n = document.querySelectorAll('svg [data-node-id][data-state="SUCCEEDED"]').length;
            return n === 200 ? performance.now() : false;
          },
          undefined,
          { polling: "raf", timeout: 60_000 },
        );
        times.push(await t.jsonValue());
        await ctx.close();
      }
      results.firstRender = times;
    } finally {
      await kfp.close();
      await emu.close();
    }
  }

  // 3. State change → colour.
  {
    const emu = await startEmulator({ ui: true, lifecycle: { tickMs: 250, podTicks: 4 } });
    const kfp = new Kfp({ host: emu.url });
    const server = []; // [key, state, time]
    const last = new Map();
    emu.app.engine.on("run", (rec) => {
      const now = Date.now();
      for (const t of rec.tasks ?? []) {
        if (!/^task-\d+$/.test(t.display_name)) continue;
        const k = `${t.task_id}`;
        if (last.get(k) !== t.state) {
          last.set(k, t.state);
          server.push([t.display_name, t.state, now]);
        }
      }
    });
    try {
      const p = await kfp.pipelines.upload(spec("eight", 8, 1), { name: "eight" });
      const v = (await kfp.pipelines.versions.list(p.pipeline_id)).items[0];
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await ctx.newPage();
      await page.addInitScript(() => {
        const seen = [];
        window.__seen = seen;
        new MutationObserver((muts) => {
          for (const m of muts) {
            const el = m.target;
            if (m.type === "attributes" && el.getAttribute?.("data-node-id"))
              seen.push([el.getAttribute("data-node-id"), el.getAttribute("data-state"), Date.now()]);
          }
        }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
      });
      await page.goto(`${emu.url}/#/pipelines`);
      await page.waitForSelector("main");
      const run = await kfp.runs.create({
        display_name: "eight",
        pipeline_id: p.pipeline_id,
        pipeline_version_id: v.pipeline_version_id,
      });
      await page.goto(`${emu.url}/#/runs/${run.run_id}`);
      await page.waitForFunction(
        () => document.querySelector('[data-testid="run-state"]')?.textContent === "SUCCEEDED",
        undefined,
        { timeout: 120_000 },
      );
      await page.waitForFunction(() =>
        [...document.querySelectorAll("svg [data-node-id]")].every(
          (e) => e.getAttribute("data-state") === "SUCCEEDED",
        ),
      );
      const seen = await page.evaluate(() => window.__seen);
      const delays = [];
      for (const [key, state, t] of seen) {
        // The emulator's write of this state for this task (the latest one at or before the page saw it).
        const w = server.filter(([k, s, st]) => k === key && s === state && st <= t).at(-1);
        if (w) delays.push(t - w[2]);
      }
      results.delay = delays;
      await ctx.close();
    } finally {
      await kfp.close();
      await emu.close();
    }
  }
} finally {
  await browser.close();
}

const w = results.weight;
console.log("\nWeb UI (bench/ui.mjs)");
console.log(
  `  page weight, first visit of /: ${kib(w.wire)} gzipped on the wire (${kib(w.plain)} uncompressed)`,
);
for (const [f, wire, plain] of w.files) console.log(`    ${f}: ${kib(wire)} (${kib(plain)})`);
const fr = results.firstRender;
console.log(
  `  first render of a finished run with 200 tasks: median ${ms(median(fr))}, max ${ms(Math.max(...fr))} (${fr.length} page loads, navigation start → 200 coloured boxes)`,
);
const d = results.delay;
console.log(
  `  state change → colour in the page: median ${ms(median(d))}, p90 ${ms(pct(d, 90))}, max ${ms(Math.max(...d))} over ${d.length} task state changes (the run page polls every 500 ms)`,
);
