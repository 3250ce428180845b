/**
 * Waiting for a run: poll with backoff, a per-request timeout and a bounded tolerance for transient
 * errors (connection failures, per-request timeouts, 5xx other than 501, 429), until the run reaches a
 * terminal state (SUCCEEDED, FAILED, SKIPPED, CANCELED) or one of the states asked for.
 *
 * Outcomes: SUCCEEDED / SKIPPED / a requested `until` state → the run is returned. FAILED and CANCELED →
 * RunFailedError (with the failed tasks) unless `throwOnFailure: false`, then the run is returned. The
 * overall `timeout` → RunWaitTimeoutError (a TimeoutError carrying the last run seen). The `signal` →
 * AbortError. Non-transient errors (404, 401, 403, 400...) are thrown at once.
 */
import type { Run, RuntimeState } from "../types/runs.js";
import {
  AbortError,
  ApiError,
  ConnectionError,
  RateLimitError,
  ServerError,
  TimeoutError,
  ValidationError,
} from "./errors.js";
import { RunFailedError } from "./run-errors.js";
import { failedTasksOf, summarizeTasks, type TaskTree, taskTree } from "./tasks.js";

/** The states a run does not leave: SUCCEEDED, FAILED, SKIPPED, CANCELED. */
export const TERMINAL_STATES: ReadonlySet<RuntimeState> = new Set([
  "SUCCEEDED",
  "FAILED",
  "SKIPPED",
  "CANCELED",
]);

/** What `onProgress` receives on each change of a waited run. */
export interface WaitProgress {
  run: Run;
  state: RuntimeState;
  /** The state reported by the previous progress call (undefined on the first). */
  previousState: RuntimeState | undefined;
  tasks: TaskTree;
  /** e.g. `RUNNING — 4 tasks: 2 SUCCEEDED, 1 RUNNING, 1 PENDING`. */
  summary: string;
  elapsedMs: number;
}

/** Options of `kfp.runs.wait()` and `waitForRun()`: when to stop, how often to poll, what to report. */
export interface WaitOptions {
  /**
   * Extra states to stop at (e.g. `"RUNNING"` to wait until the run started), or a predicate.
   * Terminal states always stop the wait.
   */
  until?: RuntimeState | readonly RuntimeState[] | ((run: Run) => boolean);
  /** Overall limit in milliseconds (default: none). */
  timeout?: number;
  signal?: AbortSignal;
  /** Called with the first poll result and whenever the state or the task counts change. */
  onProgress?: (progress: WaitProgress) => void;
  /** First delay between polls in ms (default 1000); grows ×1.5 per poll up to `maxPollInterval`. */
  pollInterval?: number;
  /** Upper bound of the delay between polls in ms (default 10000). */
  maxPollInterval?: number;
  /** Timeout of each poll request in ms (default 30000, never more than the time left). */
  requestTimeout?: number;
  /** Consecutive transient errors tolerated before the last one is thrown (default 10). */
  maxConsecutiveErrors?: number;
  /** Throw RunFailedError for FAILED / CANCELED runs (default true). */
  throwOnFailure?: boolean;
}

/** The overall wait timed out; carries the last run seen (if any poll succeeded). */
export class RunWaitTimeoutError extends TimeoutError {
  override name = "RunWaitTimeoutError";
  readonly run: Run | undefined;
  readonly lastState: RuntimeState | undefined;
  readonly runId: string;
  constructor(runId: string, timeout: number, run: Run | undefined, lastError: unknown) {
    const state = run?.state;
    super(
      `Timed out after ${timeout} ms waiting for run ${runId}; last known state: ${state ?? "unknown (no successful poll)"}`,
      { method: "GET", url: `/runs/${encodeURIComponent(runId)}`, timeout, cause: lastError },
    );
    this.run = run;
    this.lastState = state;
    this.runId = runId;
  }
}

/** Whether an error while polling is worth another try. */
export function isTransientError(err: unknown): boolean {
  if (err instanceof ConnectionError) return true; // includes TimeoutError of a single request
  if (err instanceof RateLimitError) return true;
  if (err instanceof ServerError) return true; // 5xx except 501 (UnsupportedError)
  if (err instanceof ApiError) return err.status === 502 || err.status === 503 || err.status === 504;
  return false;
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError("Waiting for the run was aborted", { cause: signal.reason });
}

/** Sleep `ms`, rejecting with AbortError when `signal` fires. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function checkNumber(name: string, v: number | undefined, min: number): void {
  if (v === undefined) return;
  if (typeof v !== "number" || Number.isNaN(v) || v < min) {
    throw new ValidationError(`wait option ${name} must be a number ≥ ${min}, got ${String(v)}`, {
      field: name,
    });
  }
}

/** The fetcher receives the per-request signal and timeout and returns the current run. */
export type RunFetcher = (opts: { signal?: AbortSignal; timeout: number }) => Promise<Run>;

/** Poll `fetchRun` until the run stops (see module doc). */
export async function waitForRun(runId: string, fetchRun: RunFetcher, opts: WaitOptions = {}): Promise<Run> {
  checkNumber("timeout", opts.timeout, 0);
  checkNumber("pollInterval", opts.pollInterval, 0);
  checkNumber("maxPollInterval", opts.maxPollInterval, 0);
  checkNumber("requestTimeout", opts.requestTimeout, 1);
  checkNumber("maxConsecutiveErrors", opts.maxConsecutiveErrors, 0);
  const base = opts.pollInterval ?? 1000;
  const maxInterval = Math.max(base, opts.maxPollInterval ?? 10_000);
  const requestTimeout = opts.requestTimeout ?? 30_000;
  const maxErrors = opts.maxConsecutiveErrors ?? 10;
  const throwOnFailure = opts.throwOnFailure ?? true;
  const { signal } = opts;
  const started = Date.now();
  const deadline = opts.timeout === undefined ? Number.POSITIVE_INFINITY : started + opts.timeout;
  const untilStates =
    opts.until === undefined || typeof opts.until === "function"
      ? undefined
      : new Set<RuntimeState>(typeof opts.until === "string" ? [opts.until] : opts.until);
  const untilFn = typeof opts.until === "function" ? opts.until : undefined;

  let interval = base;
  let errors = 0;
  let lastRun: Run | undefined;
  let lastError: unknown;
  let lastKey: string | undefined;
  let lastState: RuntimeState | undefined;

  for (;;) {
    if (signal?.aborted) throw abortError(signal);
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new RunWaitTimeoutError(runId, opts.timeout!, lastRun, lastError);
    let run: Run | undefined;
    try {
      const fetchOpts: { signal?: AbortSignal; timeout: number } = {
        timeout: Math.max(1, Math.min(requestTimeout, remaining)),
      };
      if (signal) fetchOpts.signal = signal;
      run = await fetchRun(fetchOpts);
      errors = 0;
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      if (err instanceof AbortError) throw err;
      if (!isTransientError(err)) throw err;
      // A per-request timeout that coincides with the overall deadline is the overall timeout.
      if (Date.now() >= deadline) throw new RunWaitTimeoutError(runId, opts.timeout!, lastRun, err);
      errors++;
      lastError = err;
      if (errors > maxErrors) throw err;
    }
    if (run) {
      lastRun = run;
      const state: RuntimeState = run.state ?? "RUNTIME_STATE_UNSPECIFIED";
      const tree = taskTree(run);
      const key = `${state}|${tree.total}|${JSON.stringify(tree.counts)}`;
      if (key !== lastKey) {
        if (state !== lastState) interval = base; // activity: poll quickly again
        const summary = `${state} — ${summarizeTasks(tree)}`;
        const progress: WaitProgress = {
          run,
          state,
          previousState: lastState,
          tasks: tree,
          summary,
          elapsedMs: Date.now() - started,
        };
        lastKey = key;
        lastState = state;
        opts.onProgress?.(progress);
      }
      if (TERMINAL_STATES.has(state)) {
        if ((state === "FAILED" || state === "CANCELED") && throwOnFailure) {
          throw new RunFailedError(run, failedTasksOf(run));
        }
        return run;
      }
      if (untilStates?.has(state) || untilFn?.(run)) return run;
    }
    const wait = Math.min(interval, Math.max(0, deadline - Date.now()));
    await sleep(wait, signal);
    interval = Math.min(maxInterval, interval * 1.5);
  }
}
