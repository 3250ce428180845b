/**
 * Layout of a visible graph (graph.ts `visibleGraph`) with dagre: nodes get boxes, open groups get
 * the box around their children, edges get polylines. Pure (no DOM): the SVG view only draws it.
 *
 * dagre lays out compound graphs but cannot route an edge to a cluster itself, so each open group
 * that an edge touches gets an invisible 1×1 anchor inside it and the edge is laid out to the anchor.
 */
import { Graph, layout } from "@dagrejs/dagre";
import type { GraphEdge, GraphNode, PipelineGraph } from "./graph.js";

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 52;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidNode extends Box {
  node: GraphNode;
  /** An open group (drawn as a frame around its children). */
  open: boolean;
}

export interface LaidEdge {
  edge: GraphEdge;
  points: { x: number; y: number }[];
}

export interface GraphLayout {
  nodes: LaidNode[];
  edges: LaidEdge[];
  width: number;
  height: number;
}

const anchorOf = (id: string) => `${id}\u0000anchor`;

/** Lay out `visible` (groups with a visible child are open). */
export function layoutGraph(visible: PipelineGraph): GraphLayout {
  const g = new Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 44, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const parents = new Set(visible.nodes.flatMap((n) => (n.parent ? [n.parent] : [])));
  for (const n of visible.nodes) {
    if (parents.has(n.id))
      g.setNode(n.id, { paddingTop: 34, paddingLeft: 12, paddingRight: 12, paddingBottom: 12 });
    else g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  }
  for (const n of visible.nodes) if (n.parent && g.hasNode(n.parent)) g.setParent(n.id, n.parent);
  const endpoint = (id: string): string => {
    if (!parents.has(id)) return id;
    const a = anchorOf(id);
    if (!g.hasNode(a)) {
      g.setNode(a, { width: 1, height: 1 });
      g.setParent(a, id);
    }
    return a;
  };
  for (const e of visible.edges) g.setEdge(endpoint(e.from), endpoint(e.to));
  layout(g);

  const nodes: LaidNode[] = visible.nodes.map((n) => {
    const l = g.node(n.id) as { x: number; y: number; width: number; height: number };
    return {
      node: n,
      open: parents.has(n.id),
      x: l.x - l.width / 2,
      y: l.y - l.height / 2,
      width: l.width,
      height: l.height,
    };
  });
  const edges: LaidEdge[] = visible.edges.map((e) => {
    const l = g.edge(endpoint(e.from), endpoint(e.to)) as { points?: { x: number; y: number }[] } | undefined;
    return { edge: e, points: (l?.points ?? []).map((p) => ({ x: p.x, y: p.y })) };
  });
  const gl = g.graph() as { width?: number; height?: number };
  return { nodes, edges, width: Math.ceil(gl.width ?? 0), height: Math.ceil(gl.height ?? 0) };
}
