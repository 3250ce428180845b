/**
 * Waiting on the emulator's own events instead of sleeping: the run engine emits "run" on every change
 * of a run record, so a test waits exactly until the state it needs (bounded by a deadline).
 */

import type { RunEngine } from "../../packages/emulator/src/engine/engine.js";
import type { Emulator } from "../../packages/emulator/src/index.js";
import type { RunRecord } from "../../packages/emulator/src/model/run.js";

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"]);

function engineOf(emu: Emulator): RunEngine {
  return emu.app.engine;
}

/** Resolve with the first run record (already stored, or changed later) that `match` accepts. */
export function waitForRunRecord(
  emu: Emulator,
  match: (run: RunRecord) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<RunRecord> {
  const engine = engineOf(emu);
  return new Promise((resolve, reject) => {
    const onRun = (run: RunRecord) => {
      if (!match(run)) return;
      cleanup();
      resolve(run);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no run ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      engine.off("run", onRun);
    };
    engine.on("run", onRun);
    for (const run of emu.store.all("runs")) {
      if (match(run)) {
        cleanup();
        resolve(run);
        return;
      }
    }
  });
}

/** Resolve once run `runId` is in a terminal state. */
export function waitForTerminalRun(emu: Emulator, runId: string, timeoutMs?: number): Promise<RunRecord> {
  return waitForRunRecord(
    emu,
    (r) => r.run_id === runId && TERMINAL.has(r.state),
    `${runId} finished`,
    timeoutMs,
  );
}
