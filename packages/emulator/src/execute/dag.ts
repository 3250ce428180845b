/**
 * The DAG driver of execute mode (issue 13): walks a run's pipeline spec on real values and hands
 * each container task to the task runner (task.ts contract). Semantics as the Argo backend runs a
 * compiled pipeline (PIPELINE-SPEC.md §3, EXECUTION.md): a task starts once its dependencies
 * (`dependentTasks` + producers of its inputs) succeeded, else it is Omitted; conditions are CEL
 * (cel.ts) over the task's resolved inputs, false → the body is Skipped; exit tasks
 * (`ALL_UPSTREAM_TASKS_COMPLETED`) run as `<target>.onExit` hooks once their target finished, whatever
 * its phase; loops fan out with `parallelismLimit`; `retryPolicy` re-runs a failed executor (a DAG
 * task's policy applies to its tasks lacking one); importers record their artifact without running.
 * Any failure fails the enclosing DAGs and the run. Node names and report shapes: dag-nodes.ts;
 * the per-kind task steps: dag-tasks.ts.
 */
import { field } from "../template/params.js";
import type { ExecNode, NodeTree, Semaphore } from "./dag-nodes.js";
import type { DagScope, RunValues, TaskOutcome } from "./inputs-resolve.js";
import { emptyOutputs, InputError } from "./inputs-resolve.js";
import type { TaskRunner } from "./task.js";

/** Caps of execute mode (`startEmulator({ executeLimits })`). */
export interface ExecuteLimits {
  /** Tasks running at once over all runs. Default 4. */
  maxConcurrentTasks: number;
  /** A task attempt is killed after this long. Default 10 minutes. */
  taskTimeoutMs: number;
  /** Bytes of stdout+stderr kept per task; beyond it the task fails. Default 8 MiB. */
  maxOutputBytes: number;
  /** Longest wait between retry attempts (a retry policy's backoff is capped to it). Default 30 s. */
  maxBackoffMs: number;
}

export const DEFAULT_EXECUTE_LIMITS: ExecuteLimits = {
  maxConcurrentTasks: 4,
  taskTimeoutMs: 10 * 60_000,
  maxOutputBytes: 8 << 20,
  maxBackoffMs: 30_000,
};

/** What a run's execution uses of the engine. */
export interface DagHost {
  readonly runner: TaskRunner;
  /** The global cap on concurrently running tasks. */
  readonly slots: Semaphore;
  readonly limits: ExecuteLimits;
  nowMs(): number;
  newId(): string;
  /** A node changed: report the run (the engine coalesces). */
  changed(): void;
  progress(message: string): void;
}

/** Everything a task step needs from the run it belongs to. */
export interface RunContext {
  readonly runId: string;
  readonly spec: Record<string, unknown>;
  readonly components: Record<string, unknown>;
  readonly executors: Record<string, unknown>;
  readonly pipelineName: string;
  /** The run's own directory under the pipeline root. */
  readonly runRoot: string;
  readonly pipelineRoot: string;
  /** Retry generation of the run (part of every task root: attempts never share a directory). */
  readonly generation: number;
  readonly values: RunValues;
  readonly tree: NodeTree;
  readonly host: DagHost;
  readonly signal: AbortSignal;
  /** Outcomes of succeeded tasks of the previous attempt (by body node name): kept on retry. */
  readonly memo: ReadonlyMap<string, { outcome: TaskOutcome; nodes: ExecNode[] }>;
  /** Succeeded tasks of this attempt, recorded for the next retry. */
  readonly done: Map<string, { outcome: TaskOutcome; nodes: ExecNode[] }>;
}

/** Runs one task of a DAG (dag-tasks.ts). */
export type TaskStep = (
  run: RunContext,
  inst: ExecNode,
  key: string,
  task: Record<string, unknown>,
  scope: DagScope,
  siblings: ReadonlyMap<string, TaskOutcome>,
  path: readonly string[],
  inheritedRetry: unknown,
) => Promise<TaskOutcome>;

export interface DagResult {
  failed: boolean;
  tasks: Map<string, TaskOutcome>;
}

function isExitTask(t: unknown): boolean {
  const s = field(field(t, "triggerPolicy"), "strategy");
  return s === "ALL_UPSTREAM_TASKS_COMPLETED" || s === 2;
}

/** Upstream tasks of `t` among `siblings`: `dependentTasks` + producers of its inputs. */
export function dependsOf(t: unknown, siblings: ReadonlySet<string>): string[] {
  const deps = new Set<string>();
  for (const d of (field(t, "dependentTasks") as unknown[] | undefined) ?? []) {
    if (typeof d === "string") deps.add(d);
  }
  const inputs = field(t, "inputs");
  for (const group of ["parameters", "artifacts"]) {
    const specs = field(inputs, group);
    if (!specs || typeof specs !== "object") continue;
    for (const spec of Object.values(specs as Record<string, unknown>)) {
      for (const ref of ["taskOutputParameter", "taskOutputArtifact"]) {
        const p = field(field(spec, ref), "producerTask");
        if (typeof p === "string") deps.add(p);
      }
    }
  }
  return [...deps].filter((d) => siblings.has(d));
}

/** A cycle among a DAG's tasks, or undefined. */
function findCycle(tasks: Record<string, unknown>, keys: readonly string[]): string[] | undefined {
  const set = new Set(keys);
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (k: string): string[] | undefined => {
    if (state.get(k) === 2) return undefined;
    if (state.get(k) === 1) return [...stack.slice(stack.indexOf(k)), k];
    state.set(k, 1);
    stack.push(k);
    for (const d of dependsOf(tasks[k], set)) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(k, 2);
    return undefined;
  };
  for (const k of keys) {
    const c = visit(k);
    if (c) return c;
  }
  return undefined;
}

/**
 * Run the tasks of one DAG instance (under node `inst`) to their ends. Resolves once every task and
 * exit hook finished; never rejects for a task's failure (that is in the result).
 */
export async function runDag(
  run: RunContext,
  inst: ExecNode,
  dag: unknown,
  scope: DagScope,
  path: readonly string[],
  step: TaskStep,
  inheritedRetry: unknown,
): Promise<DagResult> {
  const raw = field(dag, "tasks");
  const tasks = (raw && typeof raw === "object" ? raw : {}) as Record<string, Record<string, unknown>>;
  const keys = Object.keys(tasks);
  const regular = keys.filter((k) => !isExitTask(tasks[k]));
  const exits = keys.filter((k) => isExitTask(tasks[k]));
  const outcomes = new Map<string, TaskOutcome>();
  const cycle = findCycle(tasks, regular);
  if (cycle) {
    inst.error = `the tasks ${cycle.join(" → ")} depend on each other in a cycle`;
    return { failed: true, tasks: outcomes };
  }
  const regularSet = new Set(regular);
  const promises = new Map<string, Promise<TaskOutcome>>();
  const omit = (key: string, t: unknown): TaskOutcome => {
    if (!run.signal.aborted) {
      const comp = run.components[String(field(field(t, "componentRef"), "name"))];
      const isLoop =
        field(t, "parameterIterator") !== undefined || field(t, "artifactIterator") !== undefined;
      const isImporter =
        typeof field(comp, "executorLabel") === "string" &&
        field(run.executors[String(field(comp, "executorLabel"))], "importer") !== undefined;
      if (!isLoop && !isImporter) run.tree.add(inst, `${key}-driver`, "Pod", "Omitted", key);
      run.tree.add(inst, key, isImporter ? "Pod" : "DAG", "Omitted", key);
      run.host.changed();
    }
    return { phase: "Omitted", outputs: emptyOutputs() };
  };
  const get = (key: string): Promise<TaskOutcome> => {
    const existing = promises.get(key);
    if (existing) return existing;
    const p = (async (): Promise<TaskOutcome> => {
      const t = tasks[key]!;
      const ups = await Promise.all(dependsOf(t, regularSet).map(get));
      let outcome: TaskOutcome;
      if (run.signal.aborted) outcome = { phase: "Omitted", outputs: emptyOutputs() };
      else if (ups.some((o) => o.phase !== "Succeeded")) outcome = omit(key, t);
      else outcome = await safeStep(run, inst, key, t, scope, outcomes, path, step, inheritedRetry);
      outcomes.set(key, outcome);
      return outcome;
    })();
    promises.set(key, p);
    return p;
  };
  let hookFailed = false;
  const hooks: Promise<void>[] = [];
  for (const key of exits) {
    const t = tasks[key]!;
    const targets = ((field(t, "dependentTasks") as unknown[] | undefined) ?? []).filter(
      (x): x is string => typeof x === "string" && regularSet.has(x),
    );
    for (const target of targets) {
      hooks.push(
        get(target).then(async (o) => {
          if (o.phase === "Omitted" || run.signal.aborted) return;
          const hook = run.tree.add(inst, `${target}.onExit`, "DAG", "Running", key);
          run.host.changed();
          const bare = { ...t, dependentTasks: [] };
          const eo = await safeStep(run, hook, key, bare, scope, outcomes, path, step, inheritedRetry);
          outcomes.set(key, eo);
          if (eo.phase === "Failed") hookFailed = true;
          run.tree.setPhase(hook, eo.phase === "Failed" ? "Failed" : "Succeeded");
          run.host.changed();
        }),
      );
    }
  }
  await Promise.all([...regular.map(get), ...hooks]);
  const failed = hookFailed || regular.some((k) => outcomes.get(k)?.phase === "Failed");
  return { failed, tasks: outcomes };
}

/** A task step that turns an unexpected error into the task's failure (never a crashed run). */
async function safeStep(
  run: RunContext,
  inst: ExecNode,
  key: string,
  t: Record<string, unknown>,
  scope: DagScope,
  siblings: ReadonlyMap<string, TaskOutcome>,
  path: readonly string[],
  step: TaskStep,
  inheritedRetry: unknown,
): Promise<TaskOutcome> {
  try {
    return await step(run, inst, key, t, scope, siblings, path, inheritedRetry);
  } catch (err) {
    const message = err instanceof InputError ? err.message : `task ${key}: ${(err as Error).message}`;
    const node = run.tree.get(`${inst.name}.${key}`) ?? run.tree.add(inst, key, "DAG", "Failed", key);
    node.error = message;
    run.tree.setPhase(node, "Failed");
    run.host.changed();
    return { phase: "Failed", outputs: emptyOutputs(), error: message };
  }
}
