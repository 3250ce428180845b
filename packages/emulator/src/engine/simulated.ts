/**
 * The simulated run engine: each run's workflow is computed from its spec's DAG and advanced on
 * timers (lifecycle.ts), and every report is written back to the run record like the persistence
 * agent does upstream. One implementation of engine.ts `RunEngine`.
 */
import { EventEmitter } from "node:events";
import { RUNS, type RunRecord, runSpecOf } from "../model/run.js";
import { asRecord } from "../template/params.js";
import type { EngineHost, RunEngine } from "./engine.js";
import { Simulation } from "./lifecycle.js";
import {
  type LifecycleOptions,
  type ResolvedLifecycleOptions,
  resolveLifecycleOptions,
  seededRandom,
} from "./lifecycle-options.js";
import { applyReport } from "./report.js";
import { waitForRun } from "./wait.js";
import type { WorkflowReport } from "./workflow.js";

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"]);

export class SimulatedRunEngine extends EventEmitter implements RunEngine {
  private readonly sims = new Map<string, Simulation>();
  private readonly opts: ResolvedLifecycleOptions;
  private readonly rng: () => number;
  private closed = false;

  constructor(
    private readonly app: EngineHost,
    lifecycle: LifecycleOptions = {},
    durations?: { tickMs?: number; podTicks?: number } | number,
  ) {
    super();
    this.setMaxListeners(0);
    const merged: LifecycleOptions = { ...lifecycle };
    if (typeof durations === "number") merged.tickMs ??= durations;
    else if (durations && typeof durations === "object") {
      if (durations.tickMs !== undefined) merged.tickMs ??= durations.tickMs;
      if (durations.podTicks !== undefined) merged.podTicks ??= durations.podTicks;
    }
    this.opts = resolveLifecycleOptions(merged);
    this.rng = seededRandom(this.opts.seed);
  }

  get options(): ResolvedLifecycleOptions {
    return this.opts;
  }

  start(rec: RunRecord): void {
    if (this.closed || TERMINAL.has(rec.state) || this.sims.has(rec.run_id)) return;
    const stored = runSpecOf(this.app.store, rec.run_id);
    if (!stored) {
      this.app.log.warn(`emulator: run ${rec.run_id} has no stored spec; its lifecycle is not simulated`);
      return;
    }
    const spec = rec.template_type === "v2" ? stored.spec : v1AsIr(stored.spec);
    let randomFailure: string | undefined;
    if (this.opts.failRate > 0 && this.rng() < this.opts.failRate) {
      const keys = Simulation.containerTaskKeys(spec);
      if (keys.length > 0) randomFailure = keys[Math.floor(this.rng() * keys.length)];
    }
    const sim = new Simulation(
      {
        runId: rec.run_id,
        spec,
        ...(rec.runtime_config?.parameters ? { parameters: rec.runtime_config.parameters } : {}),
        workflowName: rec.workflow_name,
        ...(randomFailure !== undefined ? { randomFailure } : {}),
      },
      this.opts,
      { now: () => this.app.nowMs(), onReport: (r) => this.onReport(rec.run_id, r) },
    );
    this.sims.set(rec.run_id, sim);
    if (rec.state === "CANCELING") sim.terminate();
    sim.start();
  }

  /** Resume every unfinished run (after a restart with a persistent store). */
  resumeAll(): void {
    for (const rec of [...this.app.store.all(RUNS)]) {
      if (!TERMINAL.has(rec.state)) this.start(rec);
    }
  }

  private onReport(runId: string, report: WorkflowReport): void {
    const store = this.app.store;
    const prev = store.get(RUNS, runId);
    if (!prev) {
      this.stop(runId);
      return;
    }
    const next = applyReport(prev, report, this.app.now(), () => this.app.newId());
    store.put(RUNS, runId, next);
    // A failed workflow's simulation is kept for `:retry`; others are dropped once finished.
    if (report.phase === "Succeeded") this.sims.delete(runId);
    this.emit("run", next, prev);
  }

  /** `:terminate` accepted: the workflow gets `activeDeadlineSeconds: 0`. */
  terminate(runId: string): void {
    const sim = this.sims.get(runId);
    if (sim) sim.terminate();
  }

  /** `:retry` accepted: re-run the failed part. Returns false when no workflow can be retried. */
  retry(rec: RunRecord): boolean {
    const sim = this.sims.get(rec.run_id);
    if (sim?.retry()) return true;
    // No simulation (e.g. the emulator restarted): replay the whole workflow as a retry attempt.
    this.sims.delete(rec.run_id);
    const stored = runSpecOf(this.app.store, rec.run_id);
    if (this.closed || !stored) return false;
    const spec = rec.template_type === "v2" ? stored.spec : v1AsIr(stored.spec);
    const replay = new Simulation(
      {
        runId: rec.run_id,
        spec,
        ...(rec.runtime_config?.parameters ? { parameters: rec.runtime_config.parameters } : {}),
        workflowName: rec.workflow_name,
        attempt: rec.retry_generation,
      },
      this.opts,
      { now: () => this.app.nowMs(), onReport: (r) => this.onReport(rec.run_id, r) },
    );
    this.sims.set(rec.run_id, replay);
    replay.start();
    return true;
  }

  stop(runId: string): void {
    const sim = this.sims.get(runId);
    if (sim) sim.stop();
    this.sims.delete(runId);
  }

  /** The simulation of a run still executing (tests). */
  simulation(runId: string): Simulation | undefined {
    return this.sims.get(runId);
  }

  close(): void {
    this.closed = true;
    for (const sim of this.sims.values()) sim.stop();
    this.sims.clear();
    this.removeAllListeners();
  }

  /**
   * Resolve with the run record once `pred` holds (checked now and after every change); reject after
   * `timeoutMs` or when the run is deleted.
   */
  waitFor(runId: string, pred: (rec: RunRecord) => boolean, timeoutMs = 10_000): Promise<RunRecord> {
    return waitForRun(this, this.app.store, runId, pred, timeoutMs);
  }

  /** Resolve once the run reaches a terminal state. */
  waitForFinish(runId: string, timeoutMs = 10_000): Promise<RunRecord> {
    return this.waitFor(runId, (r) => TERMINAL.has(r.state), timeoutMs);
  }
}

/** A v1 (Argo) workflow seen as a v2 spec, so one simulation serves both template types. */
export function v1AsIr(wf: Record<string, unknown>): Record<string, unknown> {
  const spec = asRecord(wf.spec) ?? {};
  const templates = Array.isArray(spec.templates) ? spec.templates.map(asRecord).filter((t) => t) : [];
  const entry = templates.find((t) => t!.name === spec.entrypoint) ?? templates[0];
  const tasks: Record<string, unknown> = {};
  const add = (name: string, deps: string[]) => {
    tasks[name] = { componentRef: { name: "comp-v1" }, dependentTasks: deps, taskInfo: { name } };
  };
  const dagTasks = asRecord(entry?.dag)?.tasks;
  if (Array.isArray(dagTasks)) {
    for (const t of dagTasks.map(asRecord)) {
      if (!t || typeof t.name !== "string") continue;
      const deps = Array.isArray(t.dependencies)
        ? t.dependencies.filter((d): d is string => typeof d === "string")
        : [];
      if (typeof t.depends === "string") {
        for (const m of t.depends.matchAll(/[A-Za-z0-9_-]+(?=\.|\s|$|\))/g)) {
          const n = m[0];
          if (
            ![
              "Succeeded",
              "Failed",
              "Skipped",
              "Errored",
              "Completed",
              "Daemoned",
              "AnySucceeded",
              "AllFailed",
            ].includes(n)
          ) {
            deps.push(n);
          }
        }
      }
      add(t.name, deps);
    }
  } else if (Array.isArray(entry?.steps)) {
    let prev: string[] = [];
    for (const group of entry.steps) {
      const names = (Array.isArray(group) ? group : [group])
        .map(asRecord)
        .filter((s): s is Record<string, unknown> => !!s && typeof s.name === "string")
        .map((s) => s.name as string);
      for (const n of names) add(n, prev);
      prev = names;
    }
  }
  if (Object.keys(tasks).length === 0) add(String(entry?.name ?? "main"), []);
  for (const t of Object.values(tasks) as { dependentTasks: string[] }[]) {
    t.dependentTasks = t.dependentTasks.filter((d) => d in tasks);
  }
  return {
    pipelineInfo: { name: "v1" },
    root: { dag: { tasks } },
    components: { "comp-v1": { executorLabel: "exec-v1" } },
    deploymentSpec: { executors: { "exec-v1": { container: { image: "argo" } } } },
  };
}
