/**
 * The plan of a run's workflow: the Argo templates the compiler would emit for the pipeline spec's
 * DAG (PIPELINE-SPEC.md §4.3), instantiated lazily as each DAG node starts (lifecycle.ts runs them).
 * Parameters are resolved as far as they are known before run time: loop items, conditions.
 */
import { asRecord, field, loopList, loopSource, taskInputScope } from "../template/params.js";
import type { ResolvedLifecycleOptions } from "./lifecycle-options.js";
import type { NodePhase, NodeStatus } from "./workflow.js";

const UNKNOWN = Symbol("unknown");
export type Scope = Map<string, unknown>;

type TaskKind = "pod" | "dag" | "group";

export interface SimNode extends NodeStatus {
  name: string;
  createdTick: number;
  runningTicks: number;
  fail: boolean;
}

export interface ArgoTask {
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

export interface HookDef {
  build: (parent: SimNode) => DagInst;
}

export interface DagInst {
  node: SimNode;
  tasks: ArgoTask[];
  /** TaskGroup/iterator parallelism (0 = unlimited). */
  parallelism: number;
}

const FINAL: ReadonlySet<NodePhase> = new Set(["Succeeded", "Failed", "Skipped", "Omitted"]);

export function isFinal(p: NodePhase | undefined): boolean {
  return p !== undefined && FINAL.has(p);
}

export class WorkflowPlan {
  private readonly spec: Record<string, unknown>;
  private readonly params: Record<string, unknown>;
  private readonly opts: ResolvedLifecycleOptions;
  private readonly components: Record<string, unknown>;
  private readonly executors: Record<string, unknown>;

  constructor(
    spec: Record<string, unknown>,
    params: Record<string, unknown>,
    opts: ResolvedLifecycleOptions,
  ) {
    this.spec = spec;
    this.params = params;
    this.opts = opts;
    this.components = asRecord(field(spec, "components")) ?? {};
    this.executors = asRecord(field(field(spec, "deploymentSpec"), "executors")) ?? {};
  }

  /** The workflow's entrypoint DAG under its node `wf`: `root-driver` → `root`. */
  workflow(wf: SimNode): DagInst {
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
}
