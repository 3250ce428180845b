/**
 * The run engine of execute mode (issue 13): each run's pipeline spec is walked on real values by
 * the DAG driver (execute/dag.ts) and its container tasks run as local processes by the task runner
 * (execute/task.ts contract). Progress is reported like the simulated engine's (report.ts: run
 * state, `state_history`, task rows), so the API, the SDK's `wait_for_run_completion` and the UI
 * see the same shapes. Terminate aborts every running task of the run (the runner kills process
 * groups) and ends the run FAILED after CANCELING, as the Argo backend does; retry re-runs the
 * failed tasks only, keeping succeeded outputs; a deleted run stops. One implementation of
 * engine.ts `RunEngine`.
 */
import { EventEmitter, setMaxListeners } from "node:events";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  type DagHost,
  DEFAULT_EXECUTE_LIMITS,
  type ExecuteLimits,
  type RunContext,
  runDag,
} from "../execute/dag.js";
import { type ExecNode, NodeTree, Semaphore } from "../execute/dag-nodes.js";
import { runTaskStep } from "../execute/dag-tasks.js";
import type { TaskOutcome } from "../execute/inputs-resolve.js";
import type { TaskRunner } from "../execute/task.js";
import { RUNS, type RunRecord, runSpecOf } from "../model/run.js";
import { asRecord, field } from "../template/params.js";
import type { EngineHost, NodeFile, RunEngine, RunListener } from "./engine.js";
import { type ResolvedLifecycleOptions, resolveLifecycleOptions } from "./lifecycle-options.js";
import { appendState, applyReport } from "./report.js";
import { waitForRun } from "./wait.js";
import { workflowNameFor } from "./workflow.js";

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"]);

export interface ExecutedEngineOptions {
  runner: TaskRunner;
  /** Absolute directory holding every run's task roots. */
  pipelineRoot: string;
  limits?: Partial<ExecuteLimits>;
}

type Memo = Map<string, { outcome: TaskOutcome; nodes: ExecNode[] }>;

interface Execution {
  ctl: AbortController;
  tree: NodeTree;
  ctx: RunContext;
  phase: "Running" | "Succeeded" | "Failed";
  finishedAt: number;
  terminating: boolean;
  /** Report coalescing: one store write per turn of the event loop. */
  pending: boolean;
  stopped: boolean;
  done: Promise<void>;
}

export class ExecutedRunEngine extends EventEmitter implements RunEngine {
  private readonly runs = new Map<string, Execution>();
  /** Succeeded tasks of each run's last attempt, for `:retry`. */
  private readonly memos = new Map<string, Memo>();
  private readonly opts: ResolvedLifecycleOptions = resolveLifecycleOptions({});
  private readonly limits: ExecuteLimits;
  private readonly slots: Semaphore;
  private closed = false;

  constructor(
    private readonly app: EngineHost,
    private readonly exec: ExecutedEngineOptions,
  ) {
    super();
    this.setMaxListeners(0);
    this.limits = { ...DEFAULT_EXECUTE_LIMITS, ...definedOnly(exec.limits ?? {}) };
    this.slots = new Semaphore(Math.max(1, Math.floor(this.limits.maxConcurrentTasks)));
  }

  get options(): ResolvedLifecycleOptions {
    return this.opts;
  }

  get pipelineRoot(): string {
    return this.exec.pipelineRoot;
  }

  start(rec: RunRecord): void {
    if (this.closed || TERMINAL.has(rec.state) || this.runs.has(rec.run_id)) return;
    this.launch(rec, new Map());
  }

  private launch(rec: RunRecord, memo: Memo): boolean {
    const stored = runSpecOf(this.app.store, rec.run_id);
    if (!stored || rec.template_type !== "v2") {
      this.app.log.warn(`emulator: run ${rec.run_id} has no v2 pipeline spec; execute mode cannot run it`);
      this.failWithoutSpec(rec);
      return false;
    }
    const spec = stored.spec;
    const workflowName = rec.workflow_name || workflowNameFor(spec, rec.run_id);
    const tree = new NodeTree(workflowName, () => this.app.nowMs());
    const ctl = new AbortController();
    // Every waiting or running task of the run listens for its abort.
    setMaxListeners(0, ctl.signal);
    const runRoot = join(this.exec.pipelineRoot, rec.run_id);
    const pipelineName = String(field(field(spec, "pipelineInfo"), "name") ?? "pipeline");
    const host: DagHost = {
      runner: this.exec.runner,
      slots: this.slots,
      limits: this.limits,
      nowMs: () => this.app.nowMs(),
      newId: () => this.app.newId(),
      changed: () => this.schedule(rec.run_id),
      progress: (m) => this.app.log.warn(`emulator: ${m}`),
    };
    const ctx: RunContext = {
      runId: rec.run_id,
      spec,
      components: asRecord(field(spec, "components")) ?? {},
      executors: asRecord(field(field(spec, "deploymentSpec"), "executors")) ?? {},
      pipelineName,
      runRoot,
      pipelineRoot: this.exec.pipelineRoot,
      generation: rec.retry_generation,
      values: {
        jobName: rec.display_name || workflowName,
        jobResourceName: workflowName,
        jobUuid: rec.run_id,
        createTimeUtc: new Date(rec.created_at * 1000).toISOString(),
        pipelineRoot: this.exec.pipelineRoot,
      },
      tree,
      host,
      signal: ctl.signal,
      memo,
      done: new Map(),
    };
    const ex: Execution = {
      ctl,
      tree,
      ctx,
      phase: "Running",
      finishedAt: 0,
      terminating: rec.state === "CANCELING",
      pending: false,
      stopped: false,
      done: Promise.resolve(),
    };
    this.runs.set(rec.run_id, ex);
    ex.done = this.execute(rec, ex).catch((err: unknown) => {
      this.app.log.warn(
        `emulator: run ${rec.run_id} stopped on an internal error: ${(err as Error).message}`,
      );
      ex.tree.failUnfinished();
      this.finish(rec.run_id, ex, "Failed");
    });
    if (ex.terminating) this.terminate(rec.run_id);
    return true;
  }

  private async execute(rec: RunRecord, ex: Execution): Promise<void> {
    const { tree, ctx } = ex;
    try {
      mkdirSync(ctx.runRoot, { recursive: true });
    } catch (err) {
      this.app.log.warn(`emulator: cannot create ${ctx.runRoot}: ${(err as Error).message}`);
    }
    const top = tree.add(undefined, tree.workflowName, "DAG", "Running");
    const driver = tree.add(top, "root-driver", "Pod", "Running");
    this.schedule(rec.run_id);
    const scope = rootScope(ctx.spec, rec.runtime_config?.parameters ?? {});
    tree.setPhase(driver, "Succeeded");
    const root = tree.add(top, "root", "DAG", "Running");
    const dag = field(field(ctx.spec, "root"), "dag");
    const res = await runDag(ctx, root, dag, scope, [], runTaskStep, undefined);
    if (ex.stopped) return;
    const failed = res.failed || ctx.signal.aborted;
    if (ctx.signal.aborted) tree.failUnfinished();
    tree.setPhase(root, failed ? "Failed" : "Succeeded");
    tree.setPhase(top, failed ? "Failed" : "Succeeded");
    this.finish(rec.run_id, ex, failed ? "Failed" : "Succeeded");
  }

  private finish(runId: string, ex: Execution, phase: "Succeeded" | "Failed"): void {
    if (ex.stopped) return;
    ex.phase = phase;
    ex.terminating = false;
    ex.finishedAt = this.app.now();
    this.memos.set(runId, ex.ctx.done as Memo);
    this.write(runId, ex);
  }

  /** Coalesce reports: at most one store write per turn of the event loop. */
  private schedule(runId: string): void {
    const ex = this.runs.get(runId);
    if (!ex || ex.pending || ex.stopped) return;
    ex.pending = true;
    setImmediate(() => {
      ex.pending = false;
      if (ex.phase === "Running") this.write(runId, ex);
    });
  }

  private write(runId: string, ex: Execution): void {
    if (ex.stopped) return;
    const store = this.app.store;
    const prev = store.get(RUNS, runId);
    if (!prev) {
      this.stop(runId);
      return;
    }
    const report = ex.tree.report(ex.phase, ex.terminating && ex.phase === "Running", ex.finishedAt);
    const next = applyReport(prev, report, this.app.now(), () => this.app.newId());
    store.put(RUNS, runId, next);
    this.emit("run", next, prev);
  }

  private failWithoutSpec(rec: RunRecord): void {
    const prev = this.app.store.get(RUNS, rec.run_id);
    if (!prev) return;
    const now = this.app.now();
    const next: RunRecord = {
      ...prev,
      state: "FAILED",
      state_history: appendState(prev.state_history, "FAILED", now),
      finished_at: now,
      workflow_phase: "Failed",
    };
    this.app.store.put(RUNS, rec.run_id, next);
    this.emit("run", next, prev);
  }

  resumeAll(): void {
    for (const rec of [...this.app.store.all(RUNS)]) {
      if (!TERMINAL.has(rec.state)) this.start(rec);
    }
  }

  /** `:terminate` accepted: abort every running task of the run; the run ends FAILED. */
  terminate(runId: string): void {
    const ex = this.runs.get(runId);
    if (ex?.phase !== "Running") return;
    ex.terminating = true;
    this.write(runId, ex);
    ex.ctl.abort();
  }

  /** `:retry` accepted: re-run the failed tasks; succeeded ones keep their outputs. */
  retry(rec: RunRecord): boolean {
    if (this.closed) return false;
    const ex = this.runs.get(rec.run_id);
    if (ex && ex.phase === "Running") return false;
    if (ex) this.runs.delete(rec.run_id);
    const memo = this.memos.get(rec.run_id) ?? new Map();
    return this.launch(rec, memo);
  }

  stop(runId: string): void {
    const ex = this.runs.get(runId);
    if (ex) {
      ex.stopped = true;
      ex.ctl.abort();
    }
    this.runs.delete(runId);
    this.memos.delete(runId);
  }

  /** Resolves once the run's execution (and its processes) ended (tests). */
  async settled(runId: string): Promise<void> {
    await this.runs.get(runId)?.done;
  }

  /**
   * A node's readable file: `main-logs` (the task's log; live text while it runs) or an output
   * artifact written by the task. Undefined when the run or node is not known to this engine.
   */
  nodeFile(runId: string, nodeId: string, name: string): NodeFile | undefined {
    const node = this.runs.get(runId)?.tree.byId(nodeId);
    if (!node) return undefined;
    const path = node.files?.get(name);
    if (path) return { path };
    if (name === "main-logs" && node.type === "Pod" && node.live !== undefined) return { text: node.live };
    return undefined;
  }

  /** Why the run's nodes failed (node display name → message), for logs and tests. */
  failures(runId: string): { node: string; error: string }[] {
    const tree = this.runs.get(runId)?.tree;
    if (!tree) return [];
    return tree.nodes
      .filter((n) => n.error !== undefined)
      .map((n) => ({ node: n.name.slice(tree.workflowName.length + 1), error: n.error! }));
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.runs.keys()]) this.stop(id);
    this.removeAllListeners();
  }

  override on(event: "run", listener: RunListener): this {
    return super.on(event, listener);
  }

  override off(event: "run", listener: RunListener): this {
    return super.off(event, listener);
  }

  waitFor(runId: string, pred: (rec: RunRecord) => boolean, timeoutMs = 10_000): Promise<RunRecord> {
    return waitForRun(this, this.app.store, runId, pred, timeoutMs);
  }

  waitForFinish(runId: string, timeoutMs = 10_000): Promise<RunRecord> {
    return this.waitFor(runId, (r) => TERMINAL.has(r.state), timeoutMs);
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => typeof v === "number" && Number.isFinite(v)),
  ) as Partial<T>;
}

/** The root DAG's inputs: run parameters, else the declared defaults. */
function rootScope(spec: Record<string, unknown>, params: Record<string, unknown>) {
  const scope = { parameters: new Map<string, unknown>(), artifacts: new Map() };
  const defs = asRecord(field(field(field(spec, "root"), "inputDefinitions"), "parameters")) ?? {};
  for (const [name, def] of Object.entries(defs)) {
    if (Object.hasOwn(params, name)) scope.parameters.set(name, params[name]);
    else if (asRecord(def) && ("defaultValue" in asRecord(def)! || "default_value" in asRecord(def)!)) {
      scope.parameters.set(name, field(def, "defaultValue"));
    }
  }
  for (const [k, v] of Object.entries(params)) if (!scope.parameters.has(k)) scope.parameters.set(k, v);
  return { parameters: scope.parameters, artifacts: scope.artifacts as Map<string, never> };
}
