/**
 * The ScheduledWorkflow controller of the emulator: recurring runs really create runs on schedule
 * (FACTS.md §7.5; upstream `backend/src/crd/controller/scheduledworkflow/`):
 *
 * - next fire time per `GetNextScheduledEpoch`: periodic (`last + interval`, first at
 *   `start_time` or creation + interval) or cron (robfig `Next` after the last trigger / start time /
 *   creation), `end_time` stops the schedule, `no_catchup` skips missed fires (only the latest one
 *   runs), a recurring run without trigger runs once at creation;
 * - nothing is submitted while disabled or while `max_concurrency` runs of it are still active;
 * - each run is named `NextResourceName()` = `<swf name>-<index>-<fnv32a>` and gets a deterministic id
 *   from (recurring_run_id, display name), so a repeated submission is idempotent.
 *
 * Time comes from the emulator's injectable clock; timers are unref'd and cleared on close. Tests
 * with a manual clock call `poke()` after moving the clock.
 */
import type { EmulatorApp } from "../http/context.js";
import { RECURRING_RUNS, type RecurringRunRecord } from "../model/recurring-run.js";
import { RUNS, type RunRecord } from "../model/run.js";
import { createRunCore } from "../resource/runs.js";
import { parseCron } from "./cron.js";
import type { RecurringRunScheduler } from "./engine.js";
import { fnv32a } from "./workflow.js";

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"]);
/** Submissions per evaluation before yielding to the event loop (catch-up of many missed fires). */
const BURST = 20;
/** Delay before retrying a failed submission. */
const RETRY_MS = 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `NextResourceName()`: `<name>-<index>-<fnv32a(name-index)>`. */
export function nextResourceName(k8sName: string, index: number): string {
  const id = `${k8sName}-${index}`;
  return `${id}-${fnv32a(id)}`;
}

export interface ScheduleState {
  created_at: number;
  last_triggered_time?: number | undefined;
  no_catchup: boolean;
  trigger: RecurringRunRecord["trigger"];
}

/**
 * `ScheduledWorkflow.getNextScheduledEpoch` in unix seconds; undefined means never (past the end
 * time, a one-off run that already ran, or no cron fire within five years).
 */
export function nextScheduledEpoch(s: ScheduleState, now: number): number | undefined {
  const catchup = !s.no_catchup;
  const periodic = s.trigger.periodic_schedule;
  const cron = s.trigger.cron_schedule;
  if (periodic) {
    const interval = periodic.interval_second > 0 ? periodic.interval_second : 1;
    const start = periodic.start_time;
    const end = periodic.end_time;
    const next = (): number | undefined => {
      const last = s.last_triggered_time ?? start ?? s.created_at;
      if (start !== undefined && start > last) return start;
      const result = last + interval;
      if (end !== undefined && end < result) return undefined;
      return result;
    };
    const n = next();
    if (catchup || n === undefined) return n;
    if (now >= n + interval) {
      if (end !== undefined && end < now) return end;
      return now;
    }
    return n;
  }
  if (cron) {
    let schedule: ReturnType<typeof parseCron>;
    try {
      schedule = parseCron(cron.cron);
    } catch {
      return undefined;
    }
    const last = s.last_triggered_time ?? cron.start_time ?? s.created_at;
    const startTime = cron.start_time !== undefined && cron.start_time > last ? cron.start_time : last;
    const result = schedule.next(startTime);
    if (result === undefined) return undefined;
    const end = cron.end_time;
    if (end !== undefined && end < result) return undefined;
    if (catchup) return result;
    let next = result;
    for (let i = 0; i < 1_000_000; i++) {
      const nn = schedule.next(next);
      if (nn !== undefined && nn <= now && (end === undefined || nn <= end)) next = nn;
      else break;
    }
    return next;
  }
  return s.last_triggered_time === undefined ? s.created_at : undefined;
}

export class Scheduler implements RecurringRunScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;
  private readonly onRun = (rec: RunRecord, prev?: RunRecord) => {
    if (rec.recurring_run_id && TERMINAL.has(rec.state) && !(prev && TERMINAL.has(prev.state))) {
      this.schedule(rec.recurring_run_id, 0);
    }
  };

  constructor(private readonly app: EmulatorApp) {
    app.engine.on("run", this.onRun);
  }

  /** Evaluate every recurring run (start-up). */
  start(): void {
    for (const rec of [...this.app.store.all(RECURRING_RUNS)]) this.schedule(rec.recurring_run_id, 0);
  }

  /** Evaluate one recurring run (or all) now, e.g. after a change or after moving a manual clock. */
  poke(id?: string): void {
    if (id === undefined) {
      for (const rec of [...this.app.store.all(RECURRING_RUNS)]) this.evaluate(rec.recurring_run_id);
    } else {
      this.evaluate(id);
    }
  }

  /** Forget a deleted recurring run. */
  forget(id: string): void {
    this.clear(id);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.app.engine.off("run", this.onRun);
  }

  private clear(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  private schedule(id: string, ms: number): void {
    if (this.closed) return;
    this.clear(id);
    const t = setTimeout(
      () => {
        this.timers.delete(id);
        this.evaluate(id);
      },
      Math.max(0, Math.min(MAX_TIMER_MS, ms)),
    );
    t.unref();
    this.timers.set(id, t);
  }

  private activeRuns(id: string): number {
    let n = 0;
    for (const r of this.app.store.find(RUNS, "recurring_run_id", id)) {
      if (!TERMINAL.has(r.state)) n++;
    }
    return n;
  }

  private evaluate(id: string): void {
    if (this.closed) return;
    this.clear(id);
    const store = this.app.store;
    for (let i = 0; i < BURST; i++) {
      const rec = store.get(RECURRING_RUNS, id);
      if (!rec?.enabled) return;
      const now = this.app.now();
      const next = nextScheduledEpoch(rec, now);
      if (next === undefined) return;
      if (this.activeRuns(id) >= Math.min(10, Math.max(1, rec.max_concurrency))) return; // woken by run events
      if (next > now) {
        this.schedule(id, next * 1000 - this.app.nowMs());
        return;
      }
      const index = rec.last_index + 1;
      try {
        createRunCore(this.app, {
          display_name: nextResourceName(rec.k8s_name, index),
          description: "",
          experiment_id: rec.experiment_id,
          namespace: this.runNamespace(rec),
          source: rec.pipeline_version_id
            ? { pipeline_id: rec.pipeline_id, pipeline_version_id: rec.pipeline_version_id }
            : rec.inline_spec
              ? { pipeline_spec: rec.inline_spec }
              : { pipeline_id: rec.pipeline_id },
          runtime_config: rec.runtime_config,
          service_account: rec.service_account,
          recurring_run_id: rec.recurring_run_id,
          plugins_input: rec.plugins_input,
          scheduled_at: next,
        });
      } catch (err) {
        this.app.log.warn(
          `emulator: recurring run ${id}: failed to create a run from the scheduled workflow: ${(err as Error).message}`,
        );
        this.schedule(id, RETRY_MS);
        return;
      }
      const latest = store.get(RECURRING_RUNS, id);
      if (!latest) return;
      store.put(RECURRING_RUNS, id, { ...latest, last_index: index, last_triggered_time: next });
    }
    this.schedule(id, 0);
  }

  /** The experiment's namespace ("" in single-user mode), like CreateRun's namespace resolution. */
  private runNamespace(rec: RecurringRunRecord): string {
    const exp = this.app.store.get("experiments", rec.experiment_id);
    return exp?.namespace ?? "";
  }
}
