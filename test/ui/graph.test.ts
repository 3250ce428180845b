/**
 * The web UI's spec → graph model and its layout (packages/ui/src/model), held to real compiled
 * packages: every task of every DAG is a node, every dependentTasks / producerTask pair an edge.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { specToGraph, visibleGraph } from "../../packages/ui/src/model/graph.js";
import { layoutGraph } from "../../packages/ui/src/model/layout.js";
import { hasShared, sharedPipelines, specYaml } from "../helpers/specs.js";

const valid = path.join(sharedPipelines, "valid");
const load = (name: string) => parse(readFileSync(path.join(valid, name), "utf8")) as Record<string, unknown>;

/** Expected nodes/edges counted straight from the spec, independently of graph.ts's walk. */
function expected(spec: Record<string, unknown>) {
  const comps = spec.components as Record<string, { dag?: { tasks: Record<string, unknown> } }>;
  const ids: string[] = [];
  const edges: string[] = [];
  const walk = (tasks: Record<string, Record<string, unknown>>, prefix: string) => {
    for (const [k, t] of Object.entries(tasks)) {
      ids.push(prefix + k);
      const from = new Set<string>((t.dependentTasks as string[] | undefined) ?? []);
      const inputs = (t.inputs ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
      for (const p of Object.values(inputs.parameters ?? {}))
        if (p.taskOutputParameter) from.add((p.taskOutputParameter as { producerTask: string }).producerTask);
      for (const a of Object.values(inputs.artifacts ?? {}))
        if (a.taskOutputArtifact) from.add((a.taskOutputArtifact as { producerTask: string }).producerTask);
      for (const f of from) if (f in tasks) edges.push(`${prefix}${f}->${prefix}${k}`);
      const sub = comps[(t.componentRef as { name: string }).name]?.dag;
      if (sub) walk(sub.tasks as Record<string, Record<string, unknown>>, `${prefix}${k}/`);
    }
  };
  walk((spec.root as { dag: { tasks: Record<string, Record<string, unknown>> } }).dag.tasks, "");
  return { ids: ids.sort(), edges: edges.sort() };
}

describe("specToGraph", () => {
  it("a one-task package: one container node with its image, no edges", () => {
    const g = specToGraph(parse(specYaml("solo")));
    expect(g.nodes).toEqual([
      {
        id: "echo",
        task: "echo",
        label: "echo",
        component: "comp-echo",
        kind: "container",
        image: "python:3.12",
      },
    ]);
    expect(g.edges).toEqual([]);
    expect(g.groups).toEqual([]);
  });

  it("the API's {pipeline_spec, platform_spec} wrapper is unwrapped", () => {
    const g = specToGraph({ pipeline_spec: parse(specYaml("w")), platform_spec: {} });
    expect(g.nodes.map((n) => n.id)).toEqual(["echo"]);
  });

  it("no root DAG, or not an object: an empty graph, no throw", () => {
    expect(specToGraph(null)).toEqual({ nodes: [], edges: [], groups: [] });
    expect(specToGraph({ root: { dag: { tasks: "x" } } })).toEqual({ nodes: [], edges: [], groups: [] });
  });

  it("a component that contains itself is cut off at the first repeat", () => {
    const spec = {
      components: { "comp-a": { dag: { tasks: { inner: { componentRef: { name: "comp-a" } } } } } },
      root: { dag: { tasks: { outer: { componentRef: { name: "comp-a" } } } } },
    };
    const g = specToGraph(spec);
    expect(g.nodes.map((n) => n.id)).toEqual(["outer", "outer/inner"]);
  });

  describe.skipIf(!hasShared)("real packages", () => {
    const files = hasShared ? readdirSync(valid).filter((f) => f.endsWith(".yaml")) : [];
    it.each(files)("%s: nodes and edges match the spec", (file) => {
      let spec: Record<string, unknown>;
      try {
        spec = load(file);
      } catch {
        return; // a multi-document file (platform spec): its first document is checked elsewhere
      }
      if (!spec.root || !(spec.root as { dag?: unknown }).dag) return;
      const g = specToGraph(spec);
      const want = expected(spec);
      expect(g.nodes.map((n) => n.id).sort()).toEqual(want.ids);
      expect(g.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(want.edges);
    });

    it("loops and conditions become groups of the right kind, with their tasks inside", () => {
      const g = specToGraph(load("pipeline_with_loops_and_conditions.yaml"));
      const kinds = Object.fromEntries(g.nodes.filter((n) => n.group).map((n) => [n.id, n.group]));
      expect(kinds["for-loop-14"]).toBe("loop");
      expect(kinds["condition-1"]).toBe("condition");
      expect(kinds["condition-1/for-loop-2"]).toBe("loop");
      expect(g.nodes.find((n) => n.id === "condition-1")?.detail).toContain("flip-coin-op-Output");
      expect(g.nodes.find((n) => n.id === "for-loop-14")?.detail).toBe("for each item of loop_parameter");
      const dataEdge = g.edges.find((e) => e.from === "flip-coin-op" && e.to === "condition-1");
      expect(dataEdge).toEqual({ from: "flip-coin-op", to: "condition-1", kind: "data", labels: ["Output"] });
    });

    it("an exit handler: the exit task's edge from the handler group is an exit edge", () => {
      const g = specToGraph(load("pipeline_with_task_final_status.yaml"));
      expect(g.nodes.find((n) => n.id === "exit-handler-1")?.group).toBe("exit-handler");
      const exit = g.edges.filter((e) => e.kind === "exit");
      expect(exit.map((e) => e.from)).toEqual(["exit-handler-1"]);
    });

    it("closing a group hides its tasks and keeps the edges to it; the layout boxes every visible node", () => {
      const g = specToGraph(load("pipeline_with_loops_and_conditions.yaml"));
      const closed = visibleGraph(g, new Set(["condition-1"]));
      expect(closed.nodes.some((n) => n.id.startsWith("condition-1/"))).toBe(false);
      expect(
        closed.edges
          .filter((e) => e.to === "condition-1")
          .map((e) => e.from)
          .sort(),
      ).toEqual(["args-generator-op", "flip-coin-op"]);
      const l = layoutGraph(closed);
      expect(l.nodes).toHaveLength(closed.nodes.length);
      for (const n of l.nodes) expect(n.width).toBeGreaterThan(0);
      for (const e of l.edges) expect(e.points.length).toBeGreaterThan(1);
      // Fully open: each group's box contains its children's boxes.
      const open = layoutGraph(visibleGraph(g, new Set()));
      const box = new Map(open.nodes.map((n) => [n.node.id, n]));
      for (const n of open.nodes) {
        if (!n.node.parent) continue;
        const p = box.get(n.node.parent)!;
        expect(n.x).toBeGreaterThanOrEqual(p.x - 0.5);
        expect(n.x + n.width).toBeLessThanOrEqual(p.x + p.width + 0.5);
        expect(n.y + n.height).toBeLessThanOrEqual(p.y + p.height + 0.5);
      }
    });
  });
});
