/**
 * Pipeline spec → graph model (pure; PIPELINE-SPEC §2): every task of `root.dag` and of each sub-DAG
 * component becomes a node; a task whose component has a `dag` becomes a **group** (a loop, a condition,
 * an exit handler, condition branches or a nested pipeline) holding its own tasks. Edges join sibling
 * tasks of one DAG: `dependentTasks` (dependency), `taskOutputParameter` / `taskOutputArtifact`
 * producers (data passing, labelled with the output keys) and an exit task's edge from the exit handler
 * it follows (`triggerPolicy.strategy: ALL_UPSTREAM_TASKS_COMPLETED`).
 *
 * Ids are task-key paths (`for-loop-2/condition-3/print-text`), unique in the spec.
 */

export type NodeKind = "container" | "importer" | "resolver" | "dag" | "unknown";
export type GroupKind = "loop" | "condition" | "condition-branches" | "exit-handler" | "pipeline";
export type EdgeKind = "dependency" | "data" | "exit";

export interface GraphNode {
  id: string;
  /** The task's key in its DAG. */
  task: string;
  /** `taskInfo.name`, else the key. */
  label: string;
  /** The component's name (`comp-…`). */
  component: string;
  kind: NodeKind;
  image?: string;
  /** Id of the group that holds it (absent at the root). */
  parent?: string;
  /** For groups: what kind of sub-DAG. */
  group?: GroupKind;
  /** Loop: what it iterates over; condition: the trigger condition. */
  detail?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** Data edges: the output keys passed (`Output`, `model`). */
  labels: string[];
}

export interface PipelineGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Ids of the nodes that are groups (sub-DAGs). */
  groups: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const pick = (o: Obj, camel: string, snake: string): unknown => o[camel] ?? o[snake];

/** The spec object inside `{pipeline_spec, platform_spec}` (the API's wrapper) or the spec itself. */
export function unwrapSpec(spec: unknown): Obj {
  const s = obj(spec);
  if (isObj(s.pipeline_spec) && !("root" in s)) return s.pipeline_spec;
  if (isObj(s.pipelineSpec) && !("root" in s)) return s.pipelineSpec;
  return s;
}

function groupKind(component: string, task: Obj): GroupKind {
  const c = component.replace(/^comp-/, "");
  if (
    pick(task, "parameterIterator", "parameter_iterator") ||
    pick(task, "artifactIterator", "artifact_iterator")
  )
    return "loop";
  if (c.startsWith("for-loop")) return "loop";
  if (c.startsWith("condition-branches")) return "condition-branches";
  if (c.startsWith("condition")) return "condition";
  if (c.startsWith("exit-handler")) return "exit-handler";
  return "pipeline";
}

function loopDetail(task: Obj): string | undefined {
  const it = obj(
    pick(task, "parameterIterator", "parameter_iterator") ??
      pick(task, "artifactIterator", "artifact_iterator"),
  );
  const items = obj(it.items);
  const from = items.inputParameter ?? items.input_parameter ?? items.inputArtifact ?? items.input_artifact;
  if (typeof from === "string") return `for each item of ${from.replace(/^pipelinechannel--/, "")}`;
  const raw = items.raw;
  if (typeof raw === "string") return `for each item of ${raw.length > 60 ? `${raw.slice(0, 57)}...` : raw}`;
  return undefined;
}

function executorOf(spec: Obj, component: Obj): { kind: NodeKind; image?: string } {
  const label = pick(component, "executorLabel", "executor_label");
  if (typeof label !== "string") return { kind: "unknown" };
  const executors = obj(pick(obj(pick(spec, "deploymentSpec", "deployment_spec")), "executors", "executors"));
  const ex = obj(executors[label]);
  if (isObj(ex.container)) {
    const image = ex.container.image;
    return typeof image === "string" ? { kind: "container", image } : { kind: "container" };
  }
  if (isObj(ex.importer)) return { kind: "importer" };
  if (isObj(ex.resolver)) return { kind: "resolver" };
  return { kind: "unknown" };
}

/** Producers named by a task's inputs (`producerTask`), with the output keys each provides. */
function producers(task: Obj): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const inputs = obj(task.inputs);
  const add = (producer: unknown, key: unknown) => {
    if (typeof producer !== "string") return;
    const keys = out.get(producer) ?? [];
    if (typeof key === "string" && !keys.includes(key)) keys.push(key);
    out.set(producer, keys);
  };
  for (const p of Object.values(obj(inputs.parameters))) {
    const t = obj(pick(obj(p), "taskOutputParameter", "task_output_parameter"));
    add(pick(t, "producerTask", "producer_task"), pick(t, "outputParameterKey", "output_parameter_key"));
  }
  for (const a of Object.values(obj(inputs.artifacts))) {
    const t = obj(pick(obj(a), "taskOutputArtifact", "task_output_artifact"));
    add(pick(t, "producerTask", "producer_task"), pick(t, "outputArtifactKey", "output_artifact_key"));
  }
  return out;
}

/** The graph of a pipeline spec; an empty graph when the spec has no root DAG. */
export function specToGraph(input: unknown, maxDepth = 32): PipelineGraph {
  const spec = unwrapSpec(input);
  const components = obj(spec.components);
  const graph: PipelineGraph = { nodes: [], edges: [], groups: [] };
  const root = obj(spec.root);

  const walk = (dag: Obj, parent: string | undefined, depth: number, seen: Set<string>) => {
    const tasks = obj(dag.tasks);
    const prefix = parent ? `${parent}/` : "";
    for (const [key, raw] of Object.entries(tasks)) {
      const task = obj(raw);
      const id = `${prefix}${key}`;
      const component = String(obj(pick(task, "componentRef", "component_ref")).name ?? "");
      const comp = obj(components[component]);
      const info = obj(pick(task, "taskInfo", "task_info"));
      const label = typeof info.name === "string" && info.name ? info.name : key;
      const node: GraphNode = { id, task: key, label, component, kind: "unknown" };
      if (parent) node.parent = parent;
      const sub = obj(comp.dag);
      if (isObj(comp.dag)) {
        node.kind = "dag";
        node.group = groupKind(component, task);
        const condition = obj(pick(task, "triggerPolicy", "trigger_policy")).condition;
        const detail =
          node.group === "loop" ? loopDetail(task) : typeof condition === "string" ? condition : undefined;
        if (detail) node.detail = detail;
        graph.nodes.push(node);
        graph.groups.push(id);
        // A component that (through nesting) contains itself is cut off, not followed for ever.
        if (depth < maxDepth && !seen.has(component)) walk(sub, id, depth + 1, new Set(seen).add(component));
      } else {
        const ex = executorOf(spec, comp);
        node.kind = ex.kind;
        if (ex.image) node.image = ex.image;
        graph.nodes.push(node);
      }
      // Edges from siblings of this DAG.
      const data = producers(task);
      const deps = pick(task, "dependentTasks", "dependent_tasks");
      const strategy = obj(pick(task, "triggerPolicy", "trigger_policy")).strategy;
      const from = new Set<string>([
        ...(Array.isArray(deps) ? deps.filter((d) => typeof d === "string") : []),
        ...data.keys(),
      ]);
      for (const producer of from) {
        if (!(producer in tasks) || producer === key) continue;
        const keys = data.get(producer) ?? [];
        const producerComp = String(
          obj(pick(obj(tasks[producer]), "componentRef", "component_ref")).name ?? "",
        );
        const exit =
          strategy === "ALL_UPSTREAM_TASKS_COMPLETED" &&
          producerComp.replace(/^comp-/, "").startsWith("exit-handler");
        graph.edges.push({
          from: `${prefix}${producer}`,
          to: id,
          kind: exit ? "exit" : keys.length > 0 ? "data" : "dependency",
          labels: keys,
        });
      }
    }
  };
  walk(obj(root.dag), undefined, 0, new Set());
  return graph;
}

/** Children of a group (direct only). */
export function childrenOf(graph: PipelineGraph, groupId: string): GraphNode[] {
  return graph.nodes.filter((n) => n.parent === groupId);
}

/**
 * The graph as shown when the groups in `collapsed` are closed: nodes inside a closed group are
 * hidden, and edges are moved to the outermost closed group that holds their end (edges that then
 * join a group to itself disappear; duplicates are merged).
 */
export function visibleGraph(graph: PipelineGraph, collapsed: ReadonlySet<string>): PipelineGraph {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const shownAs = (id: string): string => {
    let shown = id;
    let cur = byId.get(id)?.parent;
    let guard = 0;
    while (cur !== undefined && guard++ < 64) {
      if (collapsed.has(cur)) shown = cur;
      cur = byId.get(cur)?.parent;
    }
    return shown;
  };
  const nodes = graph.nodes.filter((n) => shownAs(n.id) === n.id);
  const edges = new Map<string, GraphEdge>();
  for (const e of graph.edges) {
    const from = shownAs(e.from);
    const to = shownAs(e.to);
    if (from === to) continue;
    const k = `${from}\u0000${to}`;
    const prev = edges.get(k);
    if (prev) {
      for (const l of e.labels) if (!prev.labels.includes(l)) prev.labels.push(l);
      if (e.kind === "data") prev.kind = "data";
    } else edges.set(k, { from, to, kind: e.kind, labels: [...e.labels] });
  }
  return {
    nodes,
    edges: [...edges.values()],
    groups: graph.groups.filter((g) => nodes.some((n) => n.id === g)),
  };
}
