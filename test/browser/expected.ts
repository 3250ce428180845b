/**
 * What a spec's graph must show, read straight from the spec (independently of the UI's graph.ts):
 * the task-key path of every task of every DAG, and every sibling edge from `dependentTasks` and
 * `producerTask` references.
 */
type Obj = Record<string, unknown>;

export function expectedGraph(spec: Obj): { nodes: string[]; edges: string[]; groups: string[] } {
  const comps = (spec.components ?? {}) as Record<string, { dag?: { tasks: Record<string, Obj> } }>;
  const nodes: string[] = [];
  const edges: string[] = [];
  const groups: string[] = [];
  const walk = (tasks: Record<string, Obj>, prefix: string) => {
    for (const [k, t] of Object.entries(tasks)) {
      nodes.push(prefix + k);
      const from = new Set<string>((t.dependentTasks as string[] | undefined) ?? []);
      const inputs = (t.inputs ?? {}) as Record<string, Record<string, Obj>>;
      for (const p of Object.values(inputs.parameters ?? {}))
        if (p.taskOutputParameter) from.add((p.taskOutputParameter as { producerTask: string }).producerTask);
      for (const a of Object.values(inputs.artifacts ?? {}))
        if (a.taskOutputArtifact) from.add((a.taskOutputArtifact as { producerTask: string }).producerTask);
      for (const f of from) if (f in tasks) edges.push(`${prefix}${f}->${prefix}${k}`);
      const sub = comps[(t.componentRef as { name: string }).name]?.dag;
      if (sub) {
        groups.push(prefix + k);
        walk(sub.tasks, `${prefix}${k}/`);
      }
    }
  };
  walk((spec.root as { dag: { tasks: Record<string, Obj> } }).dag.tasks, "");
  return { nodes: nodes.sort(), edges: edges.sort(), groups: groups.sort() };
}
