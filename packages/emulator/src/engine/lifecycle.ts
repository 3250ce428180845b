/**
 * A run's simulated lifecycle, computed from the pipeline spec's DAG the way the Argo backend would
 * execute it (PIPELINE-SPEC.md §3, §4; FACTS.md §7.4).
 *
 * The workflow is modelled as Argo nodes: the entrypoint DAG (display name = workflow name),
 * `root-driver` → `root`; each container task `<key>-driver` (Pod) → `<key>` (DAG) → `executor` (Pod);
 * each sub-DAG/condition/exit-handler task `<key>-driver` → `<key>` (DAG with its tasks); each loop
 * `<key>` (DAG) → `iteration-driver` → `iteration-iterations` (TaskGroup) → `iteration-iterations(i:i)`
 * → `iteration-item-driver` → `iteration-item`; importers are one Pod `<key>`. Drivers depend on the
 * bodies of their `dependentTasks` (+ implicit producer tasks) succeeding; a failed/skipped/omitted
 * upstream makes the downstream node Omitted. Conditions are true unless configured false (the body is
 * then Skipped). Exit tasks (`ALL_UPSTREAM_TASKS_COMPLETED`) run as `<target>.onExit` hooks after their
 * target finishes, whatever its outcome.
 *
 * A `Simulation` advances in ticks (one Argo reconciliation + one persistence-agent report per tick):
 * Pods go Pending → Running → Succeeded/Failed, DAGs finish when all their tasks (and hooks) have.
 * plan.ts builds the Argo templates from the spec; report.ts turns the reports into run state and
 * `run_details.task_details` rows; workflow.ts has the report's shape and Argo's names;
 * lifecycle-options.ts the tunables.
 *
 * Pure except for timers, which come from an injectable `Timers` and are unref'd by default.
 */
import type { NodeType, WorkflowPhase } from "../model/run.js";
import { asRecord, field } from "../template/params.js";
import type { ResolvedLifecycleOptions } from "./lifecycle-options.js";
import { type ArgoTask, type DagInst, isFinal, type SimNode, WorkflowPlan } from "./plan.js";
import { argoNodeId, type NodePhase, type WorkflowReport, workflowNameFor } from "./workflow.js";

/** Timer source (injectable for tests). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

export interface SimulationInput {
  runId: string;
  /** The resolved pipeline spec (IR), camelCase or snake_case keys. */
  spec: Record<string, unknown>;
  /** `runtime_config.parameters` as accepted at creation. */
  parameters?: Record<string, unknown>;
  /** Workflow name; default `<pipelineInfo.name>-<5 chars derived from the run id>`. */
  workflowName?: string;
  /** Task key that fails in this run because of `failRate` (chosen by the caller's RNG). */
  randomFailure?: string;
  /** Attempt number to start with (a replayed retry starts above 0: no injected failures). */
  attempt?: number;
}

export interface SimulationHooks {
  /** Current time in milliseconds. */
  now(): number;
  /** Called after every tick with the workflow as the persistence agent would report it. */
  onReport(report: WorkflowReport): void;
  timers?: Timers;
}

export class Simulation {
  readonly workflowName: string;
  private readonly opts: ResolvedLifecycleOptions;
  private readonly hooks: SimulationHooks;
  private readonly timers: Timers;
  private readonly plan: WorkflowPlan;
  private readonly randomFailure: string | undefined;
  private readonly nodes: SimNode[] = [];
  private readonly nodeById = new Map<string, SimNode>();
  private top: DagInst | undefined;
  private tick = 0;
  private attempt = 0;
  private handle: unknown;
  private terminating = false;
  private terminateReported = false;
  private stopped = false;
  private phase: WorkflowPhase = "Running";
  private finishedAt = 0;

  constructor(input: SimulationInput, opts: ResolvedLifecycleOptions, hooks: SimulationHooks) {
    this.opts = opts;
    this.hooks = hooks;
    this.timers = hooks.timers ?? realTimers;
    this.plan = new WorkflowPlan(input.spec, input.parameters ?? {}, opts);
    this.workflowName = input.workflowName ?? workflowNameFor(input.spec, input.runId);
    this.randomFailure = input.randomFailure;
    this.attempt = input.attempt ?? 0;
  }

  /** Container task keys of the spec (candidates for `failRate`), in spec order. */
  static containerTaskKeys(spec: Record<string, unknown>): string[] {
    const components = asRecord(field(spec, "components")) ?? {};
    const executors = asRecord(field(field(spec, "deploymentSpec"), "executors")) ?? {};
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (dag: unknown, depth: number) => {
      if (depth > 50) return;
      const tasks = asRecord(field(dag, "tasks")) ?? {};
      for (const [key, t] of Object.entries(tasks)) {
        const comp = asRecord(components[String(field(field(t, "componentRef"), "name"))]);
        if (!comp) continue;
        const label = field(comp, "executorLabel");
        if (typeof label === "string") {
          if (asRecord(executors[label]) && field(executors[label], "container") && !seen.has(key)) {
            seen.add(key);
            out.push(key);
          }
        } else if (field(comp, "dag")) {
          visit(field(comp, "dag"), depth + 1);
        }
      }
    };
    visit(field(field(spec, "root"), "dag"), 0);
    return out;
  }

  get workflowPhase(): WorkflowPhase {
    return this.phase;
  }

  get isFinished(): boolean {
    return this.phase !== "Running";
  }

  /** Start ticking; the first report comes after `startTicks` ticks. */
  start(): void {
    if (this.stopped) return;
    this.schedule(this.opts.tickMs * this.opts.startTicks);
  }

  /** Stop all timers (server close, run deleted). */
  stop(): void {
    this.stopped = true;
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }

  /** `activeDeadlineSeconds: 0`: report CANCELING once, then fail every unfinished node. */
  terminate(): void {
    if (this.isFinished) return;
    this.terminating = true;
    if (this.handle === undefined && !this.stopped) this.schedule(this.opts.tickMs);
  }

  /**
   * Argo retry of a Failed workflow: succeeded/skipped nodes are kept, failed DAG nodes go back to
   * Running, failed/omitted pods and groups are removed (re-created with the same ids). Returns false
   * when the workflow is not Failed.
   */
  retry(): boolean {
    if (this.phase !== "Failed" || !this.top) return false;
    this.attempt++;
    this.terminating = false;
    this.terminateReported = false;
    this.phase = "Running";
    this.finishedAt = 0;
    this.resetInst(this.top);
    this.stopped = false;
    this.schedule(this.opts.tickMs);
    return true;
  }

  private resetInst(inst: DagInst): void {
    const n = inst.node;
    n.phase = "Running";
    n.finishedAt = 0;
    for (const t of inst.tasks) {
      if (t.hookRuns) {
        const hooksFailed = t.hookRuns.some((h) => h.node.phase === "Failed" || h.node.phase === "Omitted");
        if (hooksFailed) {
          for (const h of t.hookRuns) this.detach(h.node);
          t.hookRuns = undefined;
        }
      }
      const node = t.node;
      if (!node) continue;
      if (node.phase === "Failed" || node.phase === "Omitted") {
        if (node.type === "DAG" && t.inst && node.phase === "Failed") {
          this.resetInst(t.inst);
        } else {
          this.detach(node);
          t.node = undefined;
          t.inst = undefined;
          if (t.hookRuns) {
            for (const h of t.hookRuns) this.detach(h.node);
            t.hookRuns = undefined;
          }
        }
      }
    }
  }

  /** Forget a node (and its descendants) so it can be re-created with the same id. */
  private detach(node: SimNode): void {
    const ids = new Set<string>();
    const prefix = `${node.name}.`;
    for (const n of this.nodes) if (n === node || n.name.startsWith(prefix)) ids.add(n.id);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      if (ids.has(this.nodes[i]!.id)) {
        this.nodeById.delete(this.nodes[i]!.id);
        this.nodes.splice(i, 1);
      }
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = this.timers.setTimeout(() => {
      this.handle = undefined;
      this.step();
    }, ms);
  }

  /** One reconciliation + report. Public so tests can drive a simulation without timers. */
  step(): void {
    if (this.stopped || this.isFinished) return;
    this.tick++;
    if (!this.top)
      this.top = this.plan.workflow(this.newNode(undefined, this.workflowName, "DAG", "Running"));
    if (this.terminating) {
      if (!this.terminateReported) {
        this.terminateReported = true;
      } else {
        this.killAll(this.top);
      }
    } else {
      this.advance(this.top);
    }
    const wf = this.top.node;
    if (isFinal(wf.phase)) {
      this.phase = wf.phase === "Succeeded" ? "Succeeded" : "Failed";
      this.finishedAt = wf.finishedAt;
    }
    this.hooks.onReport(this.report());
    if (!this.isFinished) this.schedule(this.opts.tickMs);
    else this.handle = undefined;
  }

  report(): WorkflowReport {
    this.computeChildren();
    return {
      workflowName: this.workflowName,
      phase: this.phase,
      terminating: this.terminating && !this.isFinished,
      finishedAt: this.finishedAt,
      nodes: this.nodes.map((n) => ({
        id: n.id,
        displayName: n.displayName,
        type: n.type,
        phase: n.phase,
        startedAt: n.startedAt,
        finishedAt: n.finishedAt,
        children: [...n.children],
        ...(n.taskKey !== undefined ? { taskKey: n.taskKey } : {}),
        ...(n.type === "Pod" && (n.phase === "Succeeded" || n.phase === "Failed")
          ? { artifacts: [...(n.phase === "Succeeded" ? (n.artifacts ?? []) : []), "main-logs"] }
          : {}),
      })),
    };
  }

  private nowSec(): number {
    return Math.floor(this.hooks.now() / 1000);
  }

  private newNode(
    parent: SimNode | undefined,
    displayName: string,
    type: NodeType,
    phase: NodePhase,
    extra: Partial<SimNode> = {},
  ): SimNode {
    const name = parent ? `${parent.name}.${displayName}` : displayName;
    const now = this.nowSec();
    const node: SimNode = {
      id: argoNodeId(this.workflowName, name),
      name,
      displayName,
      type,
      phase,
      startedAt: now,
      finishedAt: isFinal(phase) ? now : 0,
      children: [],
      createdTick: this.tick,
      runningTicks: 0,
      fail: false,
      ...extra,
    };
    this.nodes.push(node);
    this.nodeById.set(node.id, node);
    return node;
  }

  private finish(node: SimNode, phase: NodePhase): void {
    node.phase = phase;
    node.finishedAt = this.nowSec();
  }

  // -- execution -------------------------------------------------------------------------------

  private taskFails(key: string): boolean {
    if (this.attempt > 0 && !this.opts.failOnRetry) return false;
    return this.opts.failTasks.has(key) || this.randomFailure === key;
  }

  private createTaskNode(inst: DagInst, task: ArgoTask, phase: NodePhase): void {
    const type: NodeType = task.kind === "pod" ? "Pod" : task.kind === "group" ? "TaskGroup" : "DAG";
    const extra: Partial<SimNode> = {};
    if (task.taskKey !== undefined) extra.taskKey = task.taskKey;
    if (task.kind === "pod") {
      extra.fail =
        task.driverError === true ||
        (task.failing === true && task.taskKey !== undefined && this.taskFails(task.taskKey));
      if (task.artifacts) extra.artifacts = task.artifacts;
    }
    const node = this.newNode(inst.node, task.name, type, phase, extra);
    task.node = node;
    if (phase === "Running" && task.build) task.inst = task.build(node);
  }

  private advance(inst: DagInst): void {
    const byName = new Map(inst.tasks.map((t) => [t.name, t]));
    let active = inst.tasks.filter((t) => t.node && !isFinal(t.node.phase)).length;
    for (const task of inst.tasks) {
      const node = task.node;
      if (!node) {
        if (inst.parallelism > 0 && active >= inst.parallelism) continue;
        const deps = task.depends.map((d) => byName.get(d)?.node);
        if (deps.some((d) => !d || !isFinal(d.phase))) continue;
        if (deps.every((d) => d!.phase === "Succeeded")) {
          if (!task.when) this.createTaskNode(inst, task, "Skipped");
          else {
            this.createTaskNode(inst, task, task.kind === "pod" ? "Pending" : "Running");
            active++;
          }
        } else {
          this.createTaskNode(inst, task, "Omitted");
        }
      } else if (node.type === "Pod") {
        if (node.phase === "Pending" && node.createdTick < this.tick) {
          node.phase = "Running";
        } else if (node.phase === "Running") {
          node.runningTicks++;
          if (node.runningTicks >= this.opts.podTicks) this.finish(node, node.fail ? "Failed" : "Succeeded");
        }
      } else if (node.phase === "Running" && task.inst && node.createdTick < this.tick) {
        this.advance(task.inst);
      }
      // Exit hooks run once their task has finished, whatever its phase (never for Omitted tasks).
      const done = task.node;
      if (done && isFinal(done.phase) && task.hooks.length > 0 && done.phase !== "Omitted") {
        if (!task.hookRuns) {
          task.hookRuns = task.hooks.map((h) => {
            const hookNode = this.newNode(inst.node, `${done.displayName}.onExit`, "DAG", "Running", {
              ...(done.taskKey !== undefined ? { taskKey: done.taskKey } : {}),
            });
            return { node: hookNode, inst: h.build(hookNode) };
          });
        } else {
          for (const h of task.hookRuns) {
            if (h.node.phase === "Running" && h.node.createdTick < this.tick) this.advance(h.inst);
          }
        }
      }
    }
    const allDone = inst.tasks.every(
      (t) =>
        t.node &&
        isFinal(t.node.phase) &&
        (t.hooks.length === 0 ||
          t.node.phase === "Omitted" ||
          (t.hookRuns?.every((h) => isFinal(h.node.phase)) ?? false)),
    );
    if (allDone && inst.node.createdTick < this.tick) {
      const failed = inst.tasks.some(
        (t) => t.node?.phase === "Failed" || (t.hookRuns?.some((h) => h.node.phase === "Failed") ?? false),
      );
      this.finish(inst.node, failed ? "Failed" : "Succeeded");
    }
  }

  private killAll(inst: DagInst): void {
    for (const task of inst.tasks) {
      const node = task.node;
      if (node && !isFinal(node.phase)) {
        if (node.type === "Pod") this.finish(node, "Failed");
        else if (task.inst) this.killAll(task.inst);
        else this.finish(node, "Failed");
      }
      for (const h of task.hookRuns ?? []) if (!isFinal(h.node.phase)) this.killAll(h.inst);
    }
    if (!isFinal(inst.node.phase)) this.finish(inst.node, "Failed");
  }

  /** Argo `children`: a DAG's entry tasks; a task's dependents hang off its outbound (leaf) nodes. */
  private computeChildren(): void {
    for (const n of this.nodes) n.children = [];
    if (!this.top) return;
    const add = (parent: SimNode, child: SimNode) => {
      if (!parent.children.includes(child.id)) parent.children.push(child.id);
    };
    const outbound = (task: ArgoTask): SimNode[] => {
      const node = task.node;
      if (!node) return [];
      if (!task.inst || node.type === "Pod") return [node];
      const inst = task.inst;
      const dependedOn = new Set(inst.tasks.flatMap((t) => t.depends));
      const leaves = inst.tasks.filter((t) => t.node && !dependedOn.has(t.name)).flatMap(outbound);
      return leaves.length > 0 ? leaves : [node];
    };
    const visit = (inst: DagInst) => {
      for (const task of inst.tasks) {
        if (!task.node) continue;
        if (task.depends.length === 0) add(inst.node, task.node);
        for (const dep of task.depends) {
          const upstream = inst.tasks.find((t) => t.name === dep);
          if (!upstream) continue;
          for (const o of outbound(upstream)) add(o, task.node);
        }
        for (const h of task.hookRuns ?? []) {
          add(task.node, h.node);
          visit(h.inst);
        }
        if (task.inst) visit(task.inst);
      }
    };
    visit(this.top);
  }
}
