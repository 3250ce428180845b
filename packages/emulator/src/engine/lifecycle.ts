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
 * report.ts turns the reports into run state and `run_details.task_details` rows; workflow.ts has the
 * report's shape and Argo's names; lifecycle-options.ts the tunables.
 *
 * Pure except for timers, which come from an injectable `Timers` and are unref'd by default.
 */
import type { NodeType, WorkflowPhase } from "../model/run.js";
import { asRecord, field, loopList, loopSource, taskInputScope } from "../params.js";
import type { ResolvedLifecycleOptions } from "./lifecycle-options.js";
import {
  argoNodeId,
  type NodePhase,
  type NodeStatus,
  type WorkflowReport,
  workflowNameFor,
} from "./workflow.js";

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

// ---------------------------------------------------------------------------------------------
// Plan: Argo templates instantiated from the IR

const UNKNOWN = Symbol("unknown");
type Scope = Map<string, unknown>;

type TaskKind = "pod" | "dag" | "group";

interface SimNode extends NodeStatus {
  name: string;
  createdTick: number;
  runningTicks: number;
  fail: boolean;
}

interface ArgoTask {
  name: string;
  kind: TaskKind;
  depends: string[];
  /** false → the node is created Skipped (condition false). */
  when: boolean;
  taskKey?: string;
  /** For executor/importer pods: fails (subject to attempt rules). */
  failing?: boolean;
  /** Output artifact names of an executor/importer pod. */
  artifacts?: string[];
  /** For a driver pod: a fixed failure (e.g. loop items not a list). */
  driverError?: boolean;
  build?: (parent: SimNode) => DagInst;
  hooks: HookDef[];
  node?: SimNode;
  inst?: DagInst;
  hookRuns?: { node: SimNode; inst: DagInst }[];
}

/** A task run as its driver pod, then its body as a DAG node built when it starts. */
function driverThenDag(
  key: string,
  deps: string[],
  when: boolean,
  build: (parent: SimNode) => DagInst,
): ArgoTask[] {
  return [
    { name: `${key}-driver`, kind: "pod", depends: deps, when: true, taskKey: key, hooks: [] },
    { name: key, kind: "dag", depends: [`${key}-driver`], when, taskKey: key, hooks: [], build },
  ];
}

interface HookDef {
  build: (parent: SimNode) => DagInst;
}

interface DagInst {
  node: SimNode;
  tasks: ArgoTask[];
  /** TaskGroup/iterator parallelism (0 = unlimited). */
  parallelism: number;
}

const FINAL: ReadonlySet<NodePhase> = new Set(["Succeeded", "Failed", "Skipped", "Omitted"]);

function isFinal(p: NodePhase | undefined): boolean {
  return p !== undefined && FINAL.has(p);
}

export class Simulation {
  readonly workflowName: string;
  private readonly opts: ResolvedLifecycleOptions;
  private readonly hooks: SimulationHooks;
  private readonly timers: Timers;
  private readonly spec: Record<string, unknown>;
  private readonly components: Record<string, unknown>;
  private readonly executors: Record<string, unknown>;
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
  private readonly params: Record<string, unknown>;

  constructor(input: SimulationInput, opts: ResolvedLifecycleOptions, hooks: SimulationHooks) {
    this.opts = opts;
    this.hooks = hooks;
    this.timers = hooks.timers ?? realTimers;
    this.spec = input.spec;
    this.params = input.parameters ?? {};
    this.components = asRecord(field(input.spec, "components")) ?? {};
    this.executors = asRecord(field(field(input.spec, "deploymentSpec"), "executors")) ?? {};
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
    if (!this.top) this.top = this.buildWorkflow();
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

  // -- building --------------------------------------------------------------------------------

  private buildWorkflow(): DagInst {
    const wf = this.newNode(undefined, this.workflowName, "DAG", "Running");
    const rootScope = this.rootScope();
    const rootDag = field(field(this.spec, "root"), "dag");
    const tasks: ArgoTask[] = [
      { name: "root-driver", kind: "pod", depends: [], when: true, hooks: [] },
      {
        name: "root",
        kind: "dag",
        depends: ["root-driver"],
        when: true,
        hooks: [],
        build: (node) => this.expandDag(node, rootDag, rootScope, 0),
      },
    ];
    return { node: wf, tasks, parallelism: 0 };
  }

  private rootScope(): Scope {
    const scope: Scope = new Map();
    const defs = asRecord(field(field(field(this.spec, "root"), "inputDefinitions"), "parameters")) ?? {};
    for (const [name, def] of Object.entries(defs)) {
      if (Object.hasOwn(this.params, name)) scope.set(name, this.params[name]);
      else if (asRecord(def) && ("defaultValue" in asRecord(def)! || "default_value" in asRecord(def)!)) {
        scope.set(name, field(def, "defaultValue"));
      } else scope.set(name, null);
    }
    return scope;
  }

  private expandDag(parent: SimNode, dag: unknown, scope: Scope, depth: number): DagInst {
    const tasksSpec = asRecord(field(dag, "tasks")) ?? {};
    const tasks: ArgoTask[] = [];
    const exitTasks: [string, Record<string, unknown>][] = [];
    for (const [key, raw] of Object.entries(tasksSpec)) {
      const t = asRecord(raw) ?? {};
      const strategy = field(field(t, "triggerPolicy"), "strategy");
      if (strategy === "ALL_UPSTREAM_TASKS_COMPLETED" || strategy === 2) {
        exitTasks.push([key, t]);
        continue;
      }
      tasks.push(...this.expandTask(key, t, scope, depth, new Set(Object.keys(tasksSpec))));
    }
    for (const [key, t] of exitTasks) {
      const targets = (field(t, "dependentTasks") as unknown[] | undefined) ?? [];
      for (const target of targets) {
        const host = tasks.find((x) => x.name === target);
        if (!host) continue;
        host.hooks.push({
          build: (hookNode) => ({
            node: hookNode,
            tasks: this.expandTask(key, { ...t, dependentTasks: [] }, scope, depth, new Set()),
            parallelism: 0,
          }),
        });
      }
    }
    return { node: parent, tasks, parallelism: 0 };
  }

  private dependsOf(t: Record<string, unknown>, siblings: ReadonlySet<string>): string[] {
    const deps = new Set<string>();
    for (const d of (field(t, "dependentTasks") as unknown[] | undefined) ?? []) {
      if (typeof d === "string") deps.add(d);
    }
    const inputs = field(t, "inputs");
    for (const group of ["parameters", "artifacts"]) {
      for (const spec of Object.values(asRecord(field(inputs, group)) ?? {})) {
        for (const ref of ["taskOutputParameter", "taskOutputArtifact"]) {
          const p = field(field(spec, ref), "producerTask");
          if (typeof p === "string") deps.add(p);
        }
      }
    }
    return [...deps].filter((d) => siblings.has(d));
  }

  private conditionHolds(key: string, t: Record<string, unknown>): boolean {
    if (field(field(t, "triggerPolicy"), "condition") === undefined) return true;
    return !this.opts.falseConditions.has(key);
  }

  private taskFails(key: string): boolean {
    if (this.attempt > 0 && !this.opts.failOnRetry) return false;
    return this.opts.failTasks.has(key) || this.randomFailure === key;
  }

  private expandTask(
    key: string,
    t: Record<string, unknown>,
    scope: Scope,
    depth: number,
    siblings: ReadonlySet<string>,
  ): ArgoTask[] {
    const deps = this.dependsOf(t, siblings);
    const comp = asRecord(this.components[String(field(field(t, "componentRef"), "name"))]) ?? {};
    const label = field(comp, "executorLabel");
    const when = this.conditionHolds(key, t);
    if (typeof label === "string") {
      const exec = asRecord(this.executors[label]) ?? {};
      const artifacts = Object.keys(asRecord(field(field(comp, "outputDefinitions"), "artifacts")) ?? {});
      if (field(exec, "importer") !== undefined) {
        // Importers compile to one pod without `depends`.
        return [
          {
            name: key,
            kind: "pod",
            depends: [],
            when: true,
            taskKey: key,
            failing: true,
            artifacts,
            hooks: [],
          },
        ];
      }
      return driverThenDag(key, deps, when, (node) => ({
        node,
        parallelism: 0,
        tasks: [
          {
            name: "executor",
            kind: "pod",
            depends: [],
            when: true,
            taskKey: key,
            failing: true,
            artifacts,
            hooks: [],
          },
        ],
      }));
    }
    const dag = field(comp, "dag");
    const childScope = taskInputScope(t, scope, UNKNOWN);
    const iterator = field(t, "parameterIterator") ?? field(t, "artifactIterator");
    if (iterator !== undefined && depth < 50) {
      const itemInput = String(field(iterator, "itemInput") ?? "");
      const items = this.loopItems(field(iterator, "items"), childScope);
      const limit = Number(field(field(t, "iteratorPolicy"), "parallelismLimit") ?? 0) || 0;
      return [
        {
          name: key,
          kind: "dag",
          depends: deps,
          when: true,
          taskKey: key,
          hooks: [],
          build: (loopNode) => ({
            node: loopNode,
            parallelism: 0,
            tasks: [
              {
                name: "iteration-driver",
                kind: "pod",
                depends: [],
                when: true,
                taskKey: key,
                driverError: items === undefined,
                hooks: [],
              },
              {
                name: "iteration-iterations",
                kind: "group",
                depends: ["iteration-driver"],
                when: (items ?? []).length > 0,
                taskKey: key,
                hooks: [],
                build: (groupNode) => ({
                  node: groupNode,
                  parallelism: limit,
                  tasks: (items ?? []).map((item, i) => ({
                    name: `iteration-iterations(${i}:${i})`,
                    kind: "dag" as const,
                    depends: [],
                    when: true,
                    taskKey: key,
                    hooks: [],
                    build: (iterNode: SimNode) => {
                      const itemScope = new Map(childScope);
                      if (itemInput) itemScope.set(itemInput, item);
                      return {
                        node: iterNode,
                        parallelism: 0,
                        tasks: [
                          {
                            name: "iteration-item-driver",
                            kind: "pod",
                            depends: [],
                            when: true,
                            taskKey: key,
                            hooks: [],
                          },
                          {
                            name: "iteration-item",
                            kind: "dag",
                            depends: ["iteration-item-driver"],
                            when: true,
                            taskKey: key,
                            hooks: [],
                            build: (itemNode) => this.expandDag(itemNode, dag, itemScope, depth + 1),
                          },
                        ],
                      };
                    },
                  })),
                }),
              },
            ],
          }),
        },
      ];
    }
    return driverThenDag(key, deps, when, (node) => this.expandDag(node, dag, childScope, depth + 1));
  }

  /**
   * Items of a loop: a list, a string holding a JSON list, or `loopCount` unknown items when the list
   * is only known at run time (task outputs, items of an outer loop over such a list...).
   */
  private loopItems(items: unknown, scope: Scope): unknown[] | undefined {
    const value = loopSource(items, scope, UNKNOWN);
    if (value === UNKNOWN) return Array.from({ length: this.opts.loopCount }, () => UNKNOWN);
    return loopList(value);
  }

  // -- execution -------------------------------------------------------------------------------

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
