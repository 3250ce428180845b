/**
 * Following a run to its end (`runs wait`, `runs watch`, `runs create --wait/-w`).
 *
 * On a terminal (stderr a TTY, not -o json): the run's task tree, redrawn in place as tasks change
 * state, like `gh run watch`. Otherwise: one timestamped line per change on stderr. Either way the final
 * run goes to stdout and the exit code says how it ended. Ctrl+C stops the wait and leaves the run
 * alone (or terminates it with --terminate-on-interrupt).
 */
import type { Run, TaskNode, TaskTree, WaitProgress } from "../index.js";
import type { CliContext } from "./context.js";
import { CliError, EXIT } from "./exit-codes.js";
import { duration, KINDS, printOne } from "./output.js";

export interface FollowOptions {
  /** Overall limit in ms. */
  timeoutMs?: number;
  terminateOnInterrupt?: boolean;
  /** Poll interval in ms (default 1000; tests use less). */
  pollMs?: number;
  /** Print the final run to stdout (default true). */
  printResult?: boolean;
}

const MARK: Record<string, string> = {
  SUCCEEDED: "✓",
  CACHED: "✓",
  FAILED: "✗",
  CANCELED: "⊘",
  CANCELING: "⊘",
  SKIPPED: "-",
  RUNNING: "●",
  PENDING: "○",
};

function taskDuration(t: TaskNode, now: number): string {
  if (!t.startTime) return "";
  const end = t.endTime ? Date.parse(t.endTime) : now;
  return duration(end - Date.parse(t.startTime));
}

/** The task tree as lines: mark, name, state, duration; children indented. */
export function treeLines(ctx: CliContext, tree: TaskTree, now: number): string[] {
  const c = ctx.err;
  const color = (state: string, s: string) =>
    state === "SUCCEEDED" || state === "CACHED"
      ? c.green(s)
      : state === "FAILED"
        ? c.red(s)
        : state === "RUNNING"
          ? c.yellow(s)
          : c.dim(s);
  const lines: string[] = [];
  const seen = new Set<TaskNode>();
  const walk = (n: TaskNode, depth: number) => {
    if (seen.has(n) || depth > 32 || lines.length > 500) return;
    seen.add(n);
    const d = taskDuration(n, now);
    lines.push(
      `${"  ".repeat(depth + 1)}${color(n.state, MARK[n.state] ?? "?")} ${n.name}  ${color(n.state, n.state)}${d ? c.dim(`  ${d}`) : ""}`,
    );
    for (const ch of n.children) walk(ch, depth + 1);
  };
  for (const r of tree.roots) walk(r, 0);
  return lines;
}

function stamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

/** Wait for a run with the display above; returns the exit code (and prints the run). */
export async function followRun(ctx: CliContext, runId: string, opts: FollowOptions = {}): Promise<number> {
  const kfp = await ctx.client();
  const { RunFailedError, RunWaitTimeoutError, AbortError } = await ctx.lib();
  const live = ctx.io.stderrTTY && !ctx.quiet && ctx.output !== "json" && ctx.output !== "yaml";
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    controller.abort();
  };
  ctx.io.signals.once("SIGINT", onSigint);

  let drawn = 0;
  let last: WaitProgress | undefined;
  const started = Date.now();
  const draw = () => {
    if (!last) return;
    const now = Date.now();
    const head = `${ctx.err.bold(last.run.display_name ?? runId)} ${ctx.err.dim(runId)}  ${last.state}  ${duration(now - started)}`;
    const lines = [head, ...treeLines(ctx, last.tasks, now)];
    const up = drawn > 0 ? `\u001b[${drawn}A\r\u001b[J` : "";
    ctx.io.stderr.write(`${up}${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  const ticker = live ? setInterval(draw, 1000) : undefined;
  ticker?.unref?.();

  let run: Run | undefined;
  let code: number = EXIT.OK;
  try {
    run = await kfp.runs.wait(runId, {
      signal: controller.signal,
      ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
      pollInterval: opts.pollMs ?? 1000,
      maxPollInterval: Math.max(opts.pollMs ?? 1000, 5000),
      throwOnFailure: false,
      onProgress: (p) => {
        last = p;
        if (live) draw();
        else ctx.note(`${stamp()} run ${runId} ${p.summary}`);
      },
    });
  } catch (err) {
    if (err instanceof AbortError && interrupted) {
      let note = `interrupted: stopped waiting; run ${runId} was left ${last?.state ?? "as it was"}`;
      if (opts.terminateOnInterrupt) {
        await kfp.runs.terminate(runId);
        note = `interrupted: run ${runId} terminated (--terminate-on-interrupt)`;
      } else note += ` (stop it with: kfp-ts runs terminate ${runId})`;
      ctx.io.stderr.write(`${note}\n`);
      return EXIT.INTERRUPTED;
    }
    if (err instanceof RunWaitTimeoutError) {
      throw new CliError(
        `timed out waiting for run ${runId}; last state ${err.lastState ?? "unknown"}. The run goes on.`,
        EXIT.TIMEOUT,
      );
    }
    if (err instanceof RunFailedError) run = err.run;
    else throw err;
  } finally {
    if (ticker) clearInterval(ticker);
    ctx.io.signals.removeListener("SIGINT", onSigint);
  }
  if (live) draw();
  else if (last && !ctx.quiet)
    for (const l of treeLines(ctx, last.tasks, Date.now())) ctx.io.stderr.write(`${l}\n`);
  const state = run.state ?? "RUNTIME_STATE_UNSPECIFIED";
  if (state !== "SUCCEEDED") {
    code = EXIT.RUN_NOT_SUCCEEDED;
    const failed = last?.tasks.failed.map((t) => t.name) ?? [];
    ctx.io.stderr.write(
      `run ${runId} ended ${state}${failed.length ? `; failed tasks: ${failed.join(", ")}` : ""}${run.error?.message ? `: ${run.error.message}` : ""}\n`,
    );
  } else ctx.note(`run ${runId} SUCCEEDED in ${duration(Date.now() - started)}`);
  if (opts.printResult !== false) printOne(ctx, KINDS.run, run);
  return code;
}
