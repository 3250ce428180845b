/**
 * The stored reads the run handlers need to render and serve runs: run records, their spec rows, the
 * pipeline versions they name, and the `/apis/v2` tasks rebuilt from a run's node rows and spec
 * (v2-tasks.ts). Read-only; the handlers under api/ go through these instead of the store.
 */

import { v1AsIr } from "../engine/simulated.js";
import type { EmulatorApp } from "../http/context.js";
import { getVersionRecord, latestVersion, type PipelineVersionRecord } from "../model/pipeline.js";
import { RUNS, type RunRecord, type RunSpecRecord, runSpecOf } from "../model/run.js";
import { buildRunTasks, type V2Task } from "../v2-tasks.js";
import { uuidV5 } from "./runs.js";

/** Whatever holds the store: the app, or a started emulator in tests. */
type StoreHolder = Pick<EmulatorApp, "store">;

export function findRun(app: StoreHolder, runId: string): RunRecord | undefined {
  return app.store.get(RUNS, runId);
}

/** The run's stored spec row (its compiled spec, and the inline spec it was created with). */
export function storedRunSpec(app: StoreHolder, runId: string): RunSpecRecord | undefined {
  return runSpecOf(app.store, runId);
}

export function findPipelineVersion(app: StoreHolder, versionId: string): PipelineVersionRecord | undefined {
  return getVersionRecord(app.store, versionId);
}

export function latestPipelineVersion(
  app: StoreHolder,
  pipelineId: string,
): PipelineVersionRecord | undefined {
  return latestVersion(app.store, pipelineId);
}

const TASK_ID_NAMESPACE = "6f1d2a3b-7c4e-4d5f-9a8b-1c2d3e4f5a6b";

/** The run's `/apis/v2` tasks (v2-tasks.ts), rebuilt from its node rows and spec. */
export function v2TasksOf(app: StoreHolder, rec: RunRecord, loopCount: number): V2Task[] {
  if (rec.tasks.length === 0) return [];
  const stored = runSpecOf(app.store, rec.run_id);
  if (!stored) return [];
  return buildRunTasks({
    runId: rec.run_id,
    namespace: rec.namespace,
    workflowName: rec.workflow_name,
    spec: rec.template_type === "v2" ? stored.spec : v1AsIr(stored.spec),
    parameters: rec.runtime_config?.parameters,
    rows: rec.tasks,
    terminated: rec.state === "CANCELING" || rec.state_history.some((h) => h.state === "CANCELING"),
    loopCount,
    id: (key) => uuidV5(TASK_ID_NAMESPACE, `${rec.run_id}/${key}`),
  });
}

/** The tasks of a run id; none for an unknown run. */
export function tasksOfRunId(app: EmulatorApp, runId: string): V2Task[] {
  const rec = findRun(app, runId);
  return rec ? v2TasksOf(app, rec, app.engine.options.loopCount) : [];
}

/** Whether another run has a task with this id (upstream task ids are global). */
export function taskOfOtherRun(app: EmulatorApp, runId: string, taskId: string): boolean {
  const loopCount = app.engine.options.loopCount;
  for (const rec of app.store.all(RUNS)) {
    if (rec.run_id === runId || rec.tasks.length === 0) continue;
    if (v2TasksOf(app, rec, loopCount).some((t) => t.task_id === taskId)) return true;
  }
  return false;
}
