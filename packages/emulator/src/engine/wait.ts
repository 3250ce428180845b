/** Waiting on a run record through an engine's `run` events (both engines use it). */
import type { EventEmitter } from "node:events";
import { RUNS, type RunRecord } from "../model/run.js";
import type { Store } from "../storage/kinds.js";

/**
 * Resolve with the run record once `pred` holds (checked now and after every change); reject after
 * `timeoutMs` (the error names the run and its state).
 */
export function waitForRun(
  events: EventEmitter,
  store: Store,
  runId: string,
  pred: (rec: RunRecord) => boolean,
  timeoutMs: number,
): Promise<RunRecord> {
  return new Promise((resolve, reject) => {
    const current = store.get(RUNS, runId);
    if (current && pred(current)) {
      resolve(current);
      return;
    }
    const onRun = (rec: RunRecord) => {
      if (rec.run_id !== runId || !pred(rec)) return;
      cleanup();
      resolve(rec);
    };
    const timer = setTimeout(() => {
      cleanup();
      const rec = store.get(RUNS, runId);
      reject(
        new Error(
          `timed out after ${timeoutMs} ms waiting for run ${runId} (state ${rec?.state ?? "deleted"})`,
        ),
      );
    }, timeoutMs);
    timer.unref?.();
    const cleanup = () => {
      clearTimeout(timer);
      events.off("run", onRun);
    };
    events.on("run", onRun);
  });
}
