/**
 * The stable `/apis/v2` task model (`v2PipelineTask`, FACTS.md §S.2) derived from a run's simulated
 * Argo nodes (lifecycle.ts `TaskRow`s) and its pipeline spec.
 *
 * Upstream (the MLMD-free backend), the drivers create one task per pipeline task through the run
 * service: a `ROOT` task (name `ROOT`, scope path `root`) from the root driver, a `RUNTIME` task per
 * container task (driver pod + executor pod), `DAG`/`CONDITION_BRANCH`/`CONDITION`/`EXIT_HANDLER` tasks
 * for sub-DAGs, a `LOOP` task per ParallelFor (type attribute `iteration_count`) holding one task per
 * iteration (`iteration_index`), and `IMPORTER` tasks. `parent_task_id` is the enclosing DAG task and
 * `child_tasks` lists the tasks whose parent is this one (upstream `generateAPITasks`/`toAPITask`).
 *
 * The emulator rebuilds that tree on demand from the node rows: node names follow the simulation's
 * Argo naming (`<parent>.<key>-driver`, `<parent>.<key>`, `<parent>.<key>.executor`, loop
 * `iteration-iterations(i:i)`, exit hooks `<parent>.<target>.onExit`), hashed to node ids with
 * `argoNodeId`. A task exists once its driver (for importers: its pod) left `Pending`, as upstream the
 * driver creates it; omitted tasks (upstream failed) never get one. State and history are mapped from
 * the driver and body nodes (RUNNING, SUCCEEDED, FAILED, SKIPPED; the simulation has no cache hits, so
 * CACHED never appears); `status_metadata.message` names the failed pod. Task ids and pod uids are
 * deterministic (caller-supplied `id`), so repeated reads agree.
 *
 * Pure module: no HTTP, no store.
 */

import { argoNodeId } from "./engine/workflow.js";
import { omitZero, timestamp } from "./http/encode.js";
import type { ListSpec } from "./list/list.js";
import type { TaskRow } from "./model/run.js";
import { asRecord, field, loopList, loopSource, taskInputScope } from "./template/params.js";

export const TASK_STATES = [
  "RUNTIME_STATE_UNSPECIFIED",
  "RUNNING",
  "SUCCEEDED",
  "SKIPPED",
  "FAILED",
  "CACHED",
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TASK_TYPES = [
  "TASK_TYPE_UNSPECIFIED",
  "ROOT",
  "RUNTIME",
  "CONDITION_BRANCH",
  "CONDITION",
  "LOOP",
  "EXIT_HANDLER",
  "IMPORTER",
  "DAG",
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export type PodType = "DRIVER" | "EXECUTOR";

export interface TaskPod {
  name: string;
  uid: string;
  type: PodType;
}

export interface TaskParam {
  value: unknown;
  type: string;
  parameter_key: string;
}

export interface TaskHistoryEntry {
  update_time: number;
  state: TaskState;
}

/** One `v2PipelineTask` (internal form; `apiTask` renders it). */
export interface V2Task {
  task_id: string;
  run_id: string;
  /** Namespace of the run (list filters only). */
  namespace: string;
  name: string;
  display_name: string;
  type: TaskType;
  scope_path: string;
  parent_task_id?: string;
  pods: TaskPod[];
  create_time: number;
  /** 0 while the task runs. */
  end_time: number;
  state: TaskState;
  state_history: TaskHistoryEntry[];
  iteration_index?: number;
  iteration_count?: number;
  message?: string;
  inputs: TaskParam[];
  children: { task_id: string; name: string }[];
  /** Traversal order (stable tie-break for listing). */
  order: number;
}

export interface TaskSource {
  runId: string;
  namespace: string;
  workflowName: string;
  /** The pipeline spec the run executes (IR; a v1 workflow already turned into IR). */
  spec: Record<string, unknown>;
  parameters?: Record<string, unknown> | undefined;
  rows: readonly TaskRow[];
  /** The run was terminated (its history went through CANCELING). */
  terminated: boolean;
  /** Iterations of a loop whose items are unknown before run time (lifecycle option `loopCount`). */
  loopCount: number;
  /** Deterministic id (UUID) for a key unique within the run. */
  id: (key: string) => string;
}

const UNKNOWN = Symbol("unknown");
/** A root input with neither value nor default: null to the simulation, not shown as an input. */
const ABSENT = Symbol("absent");
type Scope = Map<string, unknown>;

function shown(v: unknown): boolean {
  return v !== UNKNOWN && v !== ABSENT;
}

// ---------------------------------------------------------------------------------------------------
// State and history

type Role = "driver" | "body";

const ACTIVE = new Set(["RUNNING", "SUCCEEDED", "FAILED"]);

function firstActive(row: TaskRow | undefined): number | undefined {
  return row?.state_history.find((e) => ACTIVE.has(e.state))?.update_time;
}

function mapState(role: Role, s: string): TaskState | undefined {
  switch (s) {
    case "PENDING":
    case "RUNNING":
      return "RUNNING";
    case "SUCCEEDED":
      // A driver that succeeded leaves the task running (its body takes over).
      return role === "driver" ? "RUNNING" : "SUCCEEDED";
    case "FAILED":
      return "FAILED";
    case "SKIPPED":
      return role === "driver" ? undefined : "SKIPPED";
    default:
      return undefined;
  }
}

/**
 * The task history from its driver and body rows: entries ordered by time (drivers first on ties),
 * mapped to task states, never before the task was created, appended only on change.
 */
function history(driver: TaskRow | undefined, body: TaskRow | undefined, start: number): TaskHistoryEntry[] {
  const entries: { t: number; s: TaskState; k: number }[] = [{ t: start, s: "RUNNING", k: 0 }];
  let k = 1;
  const add = (row: TaskRow | undefined, role: Role) => {
    if (!row) return;
    for (const e of row.state_history) {
      const s = mapState(role, e.state);
      if (s !== undefined) entries.push({ t: Math.max(e.update_time, start), s, k: k++ });
    }
  };
  add(driver, "driver");
  add(body, "body");
  entries.sort((a, b) => a.t - b.t || a.k - b.k);
  const out: TaskHistoryEntry[] = [];
  for (const e of entries) {
    const last = out[out.length - 1];
    if (!last || last.state !== e.s) out.push({ update_time: e.t, state: e.s });
  }
  return out;
}

const TERMINAL: ReadonlySet<TaskState> = new Set(["SUCCEEDED", "FAILED", "SKIPPED", "CACHED"]);

// ---------------------------------------------------------------------------------------------------
// Tree

interface Ctx {
  src: TaskSource;
  rows: Map<string, TaskRow>;
  components: Record<string, unknown>;
  executors: Record<string, unknown>;
  out: V2Task[];
}

function rowOf(c: Ctx, nodeName: string): TaskRow | undefined {
  return c.rows.get(argoNodeId(c.src.workflowName, nodeName));
}

function podOf(c: Ctx, row: TaskRow | undefined, type: PodType): TaskPod | undefined {
  if (!row || row.state === "RUNTIME_STATE_UNSPECIFIED") return undefined;
  return { name: row.pod_name, uid: c.src.id(`pod/${row.pod_name}`), type };
}

interface TaskPlan {
  anchor: string;
  name: string;
  display_name: string;
  type: TaskType;
  scope_path: string;
  parent?: V2Task | undefined;
  /** The node whose start creates the task (a driver, or the importer pod). */
  driver: TaskRow | undefined;
  /** The node whose outcome is the task's outcome (for an importer: its pod, the same row as `driver`). */
  body: TaskRow | undefined;
  pods: (TaskPod | undefined)[];
  /** Pods whose failure is the task's error message. */
  failing: { row: TaskRow | undefined; role: string }[];
  inputs: TaskParam[];
  iteration_index?: number;
  iteration_count?: number;
}

/** Create the task if its driver ran; returns it (or undefined: the task does not exist yet). */
function addTask(c: Ctx, p: TaskPlan): V2Task | undefined {
  const start = firstActive(p.driver);
  if (start === undefined) return undefined;
  // An importer's pod is both: its states map like a body's.
  const hist = p.body === p.driver ? history(undefined, p.body, start) : history(p.driver, p.body, start);
  const state = hist[hist.length - 1]!.state;
  let message: string | undefined;
  if (state === "FAILED") {
    const failed = p.failing.find((f) => f.row?.state === "FAILED");
    if (failed) {
      const why = c.src.terminated ? "Stopped with strategy 'Terminate'" : "Error (exit code 1)";
      message = `${failed.role} pod ${failed.row!.pod_name} failed: ${why}`;
    }
  }
  const task: V2Task = {
    task_id: c.src.id(`task/${p.anchor}`),
    run_id: c.src.runId,
    namespace: c.src.namespace,
    name: p.name,
    display_name: p.display_name,
    type: p.type,
    scope_path: p.scope_path,
    ...(p.parent ? { parent_task_id: p.parent.task_id } : {}),
    pods: p.pods.filter((x): x is TaskPod => x !== undefined),
    create_time: hist[0]!.update_time,
    end_time: TERMINAL.has(state) ? hist[hist.length - 1]!.update_time : 0,
    state,
    state_history: hist,
    ...(p.iteration_index !== undefined ? { iteration_index: p.iteration_index } : {}),
    ...(p.iteration_count !== undefined ? { iteration_count: p.iteration_count } : {}),
    ...(message ? { message } : {}),
    inputs: p.inputs,
    children: [],
    order: c.out.length,
  };
  c.out.push(task);
  p.parent?.children.push({ task_id: task.task_id, name: task.name });
  return task;
}

function rootScope(spec: Record<string, unknown>, params: Record<string, unknown>): Scope {
  const scope: Scope = new Map();
  const defs = asRecord(field(field(field(spec, "root"), "inputDefinitions"), "parameters")) ?? {};
  for (const [name, def] of Object.entries(defs)) {
    const d = asRecord(def);
    if (Object.hasOwn(params, name)) scope.set(name, params[name]);
    else if (d && ("defaultValue" in d || "default_value" in d)) scope.set(name, field(d, "defaultValue"));
    else scope.set(name, ABSENT);
  }
  return scope;
}

function rootInputs(spec: Record<string, unknown>, params: Record<string, unknown>): TaskParam[] {
  const out: TaskParam[] = [];
  const defs = asRecord(field(field(field(spec, "root"), "inputDefinitions"), "parameters")) ?? {};
  for (const [name, def] of Object.entries(defs)) {
    const d = asRecord(def);
    if (Object.hasOwn(params, name)) {
      out.push({ value: params[name], type: "COMPONENT_INPUT", parameter_key: name });
    } else if (d && ("defaultValue" in d || "default_value" in d)) {
      out.push({ value: field(d, "defaultValue"), type: "COMPONENT_DEFAULT_INPUT", parameter_key: name });
    }
  }
  return out;
}

/** The input parameters shown on a task: values known before run time only. */
function taskInputs(task: unknown, scope: Scope): TaskParam[] {
  const out: TaskParam[] = [];
  const params = asRecord(field(field(task, "inputs"), "parameters")) ?? {};
  for (const [name, spec] of Object.entries(params)) {
    if (field(spec, "parameterExpressionSelector") !== undefined) continue;
    const cip = field(spec, "componentInputParameter");
    const rv = field(spec, "runtimeValue");
    if (typeof cip === "string") {
      const v = scope.has(cip) ? scope.get(cip) : UNKNOWN;
      if (shown(v)) out.push({ value: v, type: "COMPONENT_INPUT", parameter_key: name });
    } else if (rv !== undefined) {
      const v = field(rv, "constant") ?? field(rv, "constantValue");
      if (v !== undefined) out.push({ value: v, type: "RUNTIME_VALUE_INPUT", parameter_key: name });
    }
  }
  return out;
}

/** Loop items like the simulation: a list, a JSON list in a string, `loopCount` placeholders if unknown. */
function loopItems(
  items: unknown,
  scope: Scope,
  loopCount: number,
): { items: unknown[] | undefined; known: boolean; raw: boolean } {
  const raw = field(items, "raw") !== undefined;
  let value = loopSource(items, scope, UNKNOWN);
  if (value === UNKNOWN) {
    return { items: Array.from({ length: loopCount }, (_v, i) => i), known: false, raw: false };
  }
  if (value === ABSENT) value = null;
  const list = loopList(value);
  return list ? { items: list, known: true, raw } : { items: undefined, known: false, raw };
}

function displayNameOf(key: string, t: unknown): string {
  const n = field(field(t, "taskInfo"), "name");
  return typeof n === "string" && n !== "" ? n : key;
}

function dagType(key: string, t: unknown): TaskType {
  if (key.startsWith("condition-branches-")) return "CONDITION_BRANCH";
  if (field(field(t, "triggerPolicy"), "condition") !== undefined || key.startsWith("condition-")) {
    return "CONDITION";
  }
  if (key.startsWith("exit-handler-")) return "EXIT_HANDLER";
  return "DAG";
}

function isExitTask(t: unknown): boolean {
  const s = field(field(t, "triggerPolicy"), "strategy");
  return s === "ALL_UPSTREAM_TASKS_COMPLETED" || s === 2;
}

function expandDag(
  c: Ctx,
  dag: unknown,
  prefix: string,
  parent: V2Task,
  path: string,
  scope: Scope,
  depth: number,
) {
  if (depth > 50) return;
  const tasks = asRecord(field(dag, "tasks")) ?? {};
  const regular = Object.keys(tasks).filter((k) => !isExitTask(tasks[k]));
  for (const key of regular) visitTask(c, key, tasks[key], prefix, parent, path, scope, depth);
  // Exit tasks run as `<target>.onExit` hooks, once per target (lifecycle.ts).
  for (const key of Object.keys(tasks)) {
    const t = tasks[key];
    if (!isExitTask(t)) continue;
    for (const target of (field(t, "dependentTasks") as unknown[] | undefined) ?? []) {
      if (typeof target !== "string" || !regular.includes(target)) continue;
      visitTask(c, key, t, `${prefix}.${target}.onExit`, parent, path, scope, depth);
    }
  }
}

function visitTask(
  c: Ctx,
  key: string,
  t: unknown,
  prefix: string,
  parent: V2Task,
  parentPath: string,
  scope: Scope,
  depth: number,
) {
  const comp = asRecord(c.components[String(field(field(t, "componentRef"), "name"))]) ?? {};
  const label = field(comp, "executorLabel");
  const path = `${parentPath}.${key}`;
  const base = { name: key, display_name: displayNameOf(key, t), scope_path: path, parent };
  const node = `${prefix}.${key}`;
  if (typeof label === "string") {
    const exec = asRecord(c.executors[label]) ?? {};
    if (field(exec, "importer") !== undefined) {
      const pod = rowOf(c, node);
      addTask(c, {
        ...base,
        anchor: node,
        type: "IMPORTER",
        driver: pod,
        body: pod,
        pods: [podOf(c, pod, "EXECUTOR")],
        failing: [{ row: pod, role: "importer" }],
        inputs: taskInputs(t, scope),
      });
      return;
    }
    const driver = rowOf(c, `${node}-driver`);
    const executor = rowOf(c, `${node}.executor`);
    addTask(c, {
      ...base,
      anchor: node,
      type: "RUNTIME",
      driver,
      body: rowOf(c, node),
      pods: [podOf(c, driver, "DRIVER"), podOf(c, executor, "EXECUTOR")],
      failing: [
        { row: executor, role: "executor" },
        { row: driver, role: "driver" },
      ],
      inputs: taskInputs(t, scope),
    });
    return;
  }
  const dag = field(comp, "dag");
  const inner = taskInputScope(t, scope, UNKNOWN, ABSENT);
  const iterator = field(t, "parameterIterator") ?? field(t, "artifactIterator");
  if (iterator !== undefined) {
    const itemInput = String(field(iterator, "itemInput") ?? "");
    const resolved = loopItems(field(iterator, "items"), inner, c.src.loopCount);
    const driver = rowOf(c, `${node}.iteration-driver`);
    const inputs = taskInputs(t, scope);
    if (resolved.known && resolved.items) {
      const input = field(field(iterator, "items"), "inputParameter");
      inputs.push({
        value: resolved.items,
        type: resolved.raw ? "ITERATOR_INPUT_RAW" : "ITERATOR_INPUT",
        parameter_key: resolved.raw || typeof input !== "string" ? itemInput : input,
      });
    }
    // Iteration nodes are created in index order (a parallelism limit delays the later ones).
    const iterName = (i: number) => `${node}.iteration-iterations.iteration-iterations(${i}:${i})`;
    let created = 0;
    while (created < c.rows.size && rowOf(c, iterName(created))) created++;
    const count = resolved.items?.length ?? created;
    const loop = addTask(c, {
      ...base,
      anchor: node,
      type: "LOOP",
      driver,
      body: rowOf(c, node),
      pods: [podOf(c, driver, "DRIVER")],
      failing: [{ row: driver, role: "driver" }],
      inputs,
      ...(driver?.state === "SUCCEEDED" ? { iteration_count: Math.max(count, created) } : {}),
    });
    if (!loop) return;
    for (let i = 0; i < created; i++) {
      const iter = iterName(i);
      const item = resolved.known ? resolved.items?.[i] : undefined;
      const itemScope: Scope = new Map(inner);
      if (itemInput) itemScope.set(itemInput, item === undefined ? UNKNOWN : item);
      const itemDriver = rowOf(c, `${iter}.iteration-item-driver`);
      const iterTask = addTask(c, {
        ...base,
        parent: loop,
        anchor: iter,
        type: "LOOP",
        driver: itemDriver,
        body: rowOf(c, `${iter}.iteration-item`),
        pods: [podOf(c, itemDriver, "DRIVER")],
        failing: [{ row: itemDriver, role: "driver" }],
        inputs:
          itemInput && item !== undefined
            ? [{ value: item, type: "ITERATOR_INPUT", parameter_key: itemInput }]
            : [],
        iteration_index: i,
      });
      if (iterTask) expandDag(c, dag, `${iter}.iteration-item`, iterTask, path, itemScope, depth + 1);
    }
    return;
  }
  const driver = rowOf(c, `${node}-driver`);
  const task = addTask(c, {
    ...base,
    anchor: node,
    type: dagType(key, t),
    driver,
    body: rowOf(c, node),
    pods: [podOf(c, driver, "DRIVER")],
    failing: [{ row: driver, role: "driver" }],
    inputs: taskInputs(t, scope),
  });
  if (task) expandDag(c, dag, node, task, path, inner, depth + 1);
}

/**
 * The run's tasks, parents before children, in the order the drivers created them (creation time,
 * then traversal order).
 */
export function buildRunTasks(src: TaskSource): V2Task[] {
  const c: Ctx = {
    src,
    rows: new Map(src.rows.map((r) => [r.pod_name, r])),
    components: asRecord(field(src.spec, "components")) ?? {},
    executors: asRecord(field(field(src.spec, "deploymentSpec"), "executors")) ?? {},
    out: [],
  };
  const wf = src.workflowName;
  const params = src.parameters ?? {};
  const driver = rowOf(c, `${wf}.root-driver`);
  const info = field(src.spec, "pipelineInfo");
  const display = field(info, "displayName") ?? field(info, "name");
  const root = addTask(c, {
    anchor: `${wf}.root`,
    name: "ROOT",
    display_name: typeof display === "string" ? display : "",
    type: "ROOT",
    scope_path: "root",
    driver,
    body: rowOf(c, `${wf}.root`),
    pods: [podOf(c, driver, "DRIVER")],
    failing: [{ row: driver, role: "driver" }],
    inputs: rootInputs(src.spec, params),
  });
  if (root) {
    expandDag(
      c,
      field(field(src.spec, "root"), "dag"),
      `${wf}.root`,
      root,
      "root",
      rootScope(src.spec, params),
      0,
    );
  }
  return c.out.sort((a, b) => a.create_time - b.create_time || a.order - b.order);
}

// ---------------------------------------------------------------------------------------------------
// JSON and listing

/** `toAPITask`: zero values omitted, but `inputs`/`outputs` are always set (non-nil messages upstream). */
export function apiTask(t: V2Task): Record<string, unknown> {
  const attrs: Record<string, unknown> = {};
  if (t.iteration_index !== undefined) attrs.iteration_index = String(t.iteration_index);
  if (t.iteration_count !== undefined) attrs.iteration_count = String(t.iteration_count);
  const msg = omitZero({
    name: t.name,
    display_name: t.display_name,
    task_id: t.task_id,
    run_id: t.run_id,
    pods: t.pods.map((p) => omitZero({ name: p.name, uid: p.uid, type: p.type })),
    create_time: t.create_time ? timestamp(t.create_time) : undefined,
    end_time: t.end_time ? timestamp(t.end_time) : undefined,
    state: t.state === "RUNTIME_STATE_UNSPECIFIED" ? undefined : t.state,
    status_metadata: t.message ? { message: t.message } : undefined,
    state_history: t.state_history.map((h) => ({ update_time: timestamp(h.update_time), state: h.state })),
    type: t.type === "TASK_TYPE_UNSPECIFIED" ? undefined : t.type,
    type_attributes: attrs,
    parent_task_id: t.parent_task_id,
    child_tasks: t.children.map((ch) => omitZero({ task_id: ch.task_id, name: ch.name })),
    scope_path: t.scope_path,
  });
  const inputs =
    t.inputs.length > 0
      ? {
          parameters: t.inputs.map((p) => ({ value: p.value, type: p.type, parameter_key: p.parameter_key })),
        }
      : {};
  // protojson field order is the proto order: inputs/outputs come after child_tasks, before scope_path.
  const { scope_path, ...rest } = msg as Record<string, unknown>;
  return { ...rest, inputs, outputs: {}, ...(scope_path !== undefined ? { scope_path } : {}) };
}

const idField = { get: (t: V2Task) => t.task_id, kind: "string" as const, column: "UUID" };
const createdField = {
  get: (t: V2Task) => t.create_time,
  kind: "timestamp" as const,
  column: "CreatedAtInSec",
};
const finishedField = { get: (t: V2Task) => t.end_time, kind: "timestamp" as const, column: "FinishedInSec" };

/**
 * Sort/filter keys of `ListTasks` (upstream `model.Task` field map): the enum columns `state` and
 * `type` hold the enum numbers, as in the tasks table.
 */
export const TASK_LIST_SPEC: ListSpec<V2Task> = {
  model: "tasks",
  typeName: "Task",
  fields: {
    task_id: idField,
    id: idField,
    namespace: { get: (t) => t.namespace, kind: "string", column: "Namespace" },
    name: { get: (t) => t.name, kind: "string", column: "Name" },
    display_name: { get: (t) => t.display_name, kind: "string", column: "DisplayName" },
    run_id: { get: (t) => t.run_id, kind: "string", column: "RunUUID" },
    create_time: createdField,
    created_at: createdField,
    start_time: { get: (t) => t.create_time, kind: "timestamp", column: "StartedInSec" },
    end_time: finishedField,
    finished_at: finishedField,
    fingerprint: { get: () => "", kind: "string", column: "Fingerprint" },
    state: { get: (t) => TASK_STATES.indexOf(t.state), kind: "int", column: "State" },
    parent_task_id: { get: (t) => t.parent_task_id ?? "", kind: "string", column: "ParentTaskUUID" },
    type: { get: (t) => TASK_TYPES.indexOf(t.type), kind: "int", column: "Type" },
  },
  id: (t) => t.task_id,
  createdAt: (t) => t.create_time,
};
