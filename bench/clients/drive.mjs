// The load loop shared by the Node client processes: keep `concurrency` calls in flight until `max`
// calls were made or `ms` passed, whichever comes first. Any failed call stops the loop and is
// rethrown: a benchmark with errors is not a result.
import { performance } from "node:perf_hooks";

/**
 * @param {(i: number) => Promise<unknown>} fn the call; `i` counts from `start`
 * @param {{ concurrency: number, max: number, ms: number, start?: number, latencies?: boolean }} o
 */
export async function drive(fn, o) {
  const start = o.start ?? 0;
  const deadline = performance.now() + o.ms;
  const lat = o.latencies ? new Float64Array(o.max) : null;
  let issued = 0;
  let done = 0;
  let failure;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  async function worker() {
    while (failure === undefined && issued < o.max && performance.now() < deadline) {
      const i = issued++;
      const s = lat ? performance.now() : 0;
      try {
        await fn(start + i);
      } catch (err) {
        failure ??= err;
        return;
      }
      if (lat) lat[done] = performance.now() - s;
      done++;
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (failure !== undefined) throw failure;
  return {
    count: done,
    elapsedMs,
    rate: (done / elapsedMs) * 1000,
    cpuUs: cpu.user + cpu.system,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    latencies: lat ? Array.from(lat.subarray(0, done)) : undefined,
  };
}

export function summarizeLatencies(lat) {
  if (!lat || lat.length === 0) return {};
  const s = Float64Array.from(lat).sort();
  const at = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return { p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: s[s.length - 1] };
}

/**
 * The command loop of a long-lived client process. After its warm-up the child reports
 * `{ ready: true, ...ready }`, then reads one JSON command per stdin line:
 *   { cmd: "measure", ms, max, pre, preMs, raw } → `pre` unmeasured calls (re-opens idle
 *       connections), then a measured window of at most `ms` ms / `max` calls; reports the window's
 *       figures and `sent` (calls made for this command, unmeasured ones included), and with `raw`
 *       every latency (ms) so that percentiles can be pooled over windows;
 *   { cmd: "exit" } (or stdin closing) → `close()`, exit 0.
 * `beforeWindow()` runs just before each measured window, `extra()` just after it (its fields join the report).
 */
export async function commandLoop(
  fn,
  { concurrency, start, ready, close, report, extra = () => ({}), beforeWindow = () => {} },
) {
  const { createInterface } = await import("node:readline");
  report({ ready: true, ...ready });
  let counter = start;
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const cmd = JSON.parse(line);
    if (cmd.cmd === "exit") break;
    if (cmd.cmd !== "measure") throw new Error(`unknown command ${line}`);
    const pre = await drive(fn, { concurrency, max: cmd.pre ?? 0, ms: cmd.preMs ?? 5000, start: counter });
    counter += pre.count;
    beforeWindow();
    const m = await drive(fn, { concurrency, max: cmd.max, ms: cmd.ms, start: counter, latencies: true });
    counter += m.count;
    report({
      count: m.count,
      sent: pre.count + m.count,
      elapsedMs: m.elapsedMs,
      rate: m.rate,
      cpuUs: m.cpuUs,
      cpuPerCallUs: m.count ? m.cpuUs / m.count : null,
      ...summarizeLatencies(m.latencies),
      ...(cmd.raw ? { latencies: m.latencies.map((x) => Math.round(x * 1000) / 1000) } : {}),
      ...extra(),
    });
  }
  rl.close();
  await close();
  process.exit(0);
}
