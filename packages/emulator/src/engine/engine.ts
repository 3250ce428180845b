/**
 * What the resource layer asks of a run engine, and what an engine gets from the emulator. The
 * simulated engine (simulated.ts) is one implementation; an engine that really executes tasks is
 * another: it only has to write its progress to the run record in the store (state, history,
 * task rows, `finished_at`) and tell its listeners after each write.
 *
 * The resource layer validates, authorizes and stores a run, then calls `start`; `:terminate` and
 * `:retry` are accepted (and the record updated) by the resource layer before `terminate`/`retry`
 * are called. The scheduler and tests observe runs through `on("run")` and `waitFor`.
 */

import type { RunRecord } from "../model/run.js";
import type { Store } from "../storage/kinds.js";
import type { ResolvedLifecycleOptions } from "./lifecycle-options.js";

/** The emulator services an engine may use. */
export interface EngineHost {
  readonly store: Store;
  readonly log: { warn(msg: string): void };
  /** Current time in unix seconds (injectable clock). */
  now(): number;
  /** Current time in milliseconds (injectable clock). */
  nowMs(): number;
  newId(): string;
}

/** Called after every change an engine (or the resource layer) makes to a run record. */
export type RunListener = (rec: RunRecord, prev?: RunRecord) => void;

export interface RunEngine {
  /** Lifecycle settings (the v2 task views read `loopCount` from here). */
  readonly options: ResolvedLifecycleOptions;
  /** Start (or resume) a stored run that has not finished. */
  start(rec: RunRecord): void;
  /** Resume every unfinished stored run (after a restart with a persistent store). */
  resumeAll(): void;
  /** `:terminate` accepted: stop the run's remaining work. */
  terminate(runId: string): void;
  /** `:retry` accepted: re-run the failed part. False when nothing can be retried. */
  retry(rec: RunRecord): boolean;
  /** Forget a run (deleted): no more writes to its record. */
  stop(runId: string): void;
  /** Observe run changes. */
  on(event: "run", listener: RunListener): unknown;
  off(event: "run", listener: RunListener): unknown;
  /** Tell the listeners about a change the resource layer made (terminate, retry). */
  emit(event: "run", rec: RunRecord | undefined, prev?: RunRecord): boolean;
  /** Resolve once `pred` holds for the run; reject after `timeoutMs` or when it is deleted. */
  waitFor(runId: string, pred: (rec: RunRecord) => boolean, timeoutMs?: number): Promise<RunRecord>;
  waitForFinish(runId: string, timeoutMs?: number): Promise<RunRecord>;
  /**
   * Execute mode: a node's readable file (`main-logs` or an output artifact); undefined when the
   * engine has none (the simulated engine has no files).
   */
  nodeFile?(runId: string, nodeId: string, name: string): NodeFile | undefined;
  close(): void;
}

/** A readable file of a node: a file on disk, or the live text of a running task's log. */
export type NodeFile = { path: string } | { text: string };

/** The recurring-run controller as the resource layer sees it. */
export interface RecurringRunScheduler {
  /** Evaluate every recurring run (start-up). */
  start(): void;
  /** Evaluate one recurring run (or all) now. */
  poke(id?: string): void;
  /** Forget a deleted recurring run. */
  forget(id: string): void;
  close(): void;
}
