/**
 * Building the execute-mode engine from the emulator's options: the pipeline root (created if
 * missing), the venv cache beside it, and the local process task runner.
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ExecuteLimits } from "../execute/dag.js";
import { createTaskRunner } from "../execute/runner.js";
import type { TaskRunner } from "../execute/task.js";
import type { EngineHost } from "./engine.js";
import { ExecutedRunEngine } from "./executed.js";

export interface ExecuteSetup {
  db?: string;
  pipelineRoot?: string;
  executeLimits?: Partial<ExecuteLimits>;
  taskRunner?: TaskRunner;
}

/** The emulator's state directory: beside the SQLite file, else under the system temp dir. */
export function stateDir(db: string | undefined): string {
  if (db && db !== ":memory:") return resolve(dirname(db));
  return join(tmpdir(), "kfp-ts-emulator");
}

/** The local process runner (execute/runner.ts), its venvs cached under the state directory. */
function localRunner(cacheDir: string): TaskRunner {
  return createTaskRunner({ cacheDir });
}

export async function createExecutedEngine(app: EngineHost, opts: ExecuteSetup): Promise<ExecutedRunEngine> {
  if (opts.pipelineRoot !== undefined && opts.pipelineRoot.trim() === "") {
    throw new Error("pipelineRoot must name a directory");
  }
  const state = stateDir(opts.db);
  const root = opts.pipelineRoot
    ? resolve(opts.pipelineRoot)
    : opts.db && opts.db !== ":memory:"
      ? join(state, "pipeline-root")
      : join(state, `run-${process.pid}`, "pipeline-root");
  mkdirSync(root, { recursive: true });
  const runner = opts.taskRunner ?? localRunner(join(state, "venvs"));
  return new ExecutedRunEngine(app, {
    runner,
    pipelineRoot: root,
    ...(opts.executeLimits ? { limits: opts.executeLimits } : {}),
  });
}
