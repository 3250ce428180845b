/**
 * Layout of a visible graph (graph.ts `visibleGraph`) with dagre: nodes get boxes, open groups get
 * the box around their children, edges get polylines. Pure (no DOM): the SVG view only draws it.
 *
 * dagre lays out compound graphs but cannot route an edge to a cluster itself, so each open group
 * gets a title node at its top (edges into the group end there) and a 1×1 footer at its bottom (edges
 * out of it start there), held in place by hidden edges to the group's first and last children.
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
  /** An open group's title row (where edges into it end). */
  title?: Box;
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

const headerOf = (id: string) => `${id}\u0000header`;
const footerOf = (id: string) => `${id}\u0000footer`;

/** Width of an open group's title row (its header node). */
function titleWidth(label: string): number {
  return Math.min(260, 7.5 * label.length + 56);
}

/** Lay out `visible` (groups with a visible child are open). */
export function layoutGraph(visible: PipelineGraph): GraphLayout {
  const g = new Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 40, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const parents = new Set(visible.nodes.flatMap((n) => (n.parent ? [n.parent] : [])));
  // An open group is a cluster with a title row (header) at its top and a footer at its bottom:
  // edges into the group end at the header, edges out of it start at the footer, and the header
  // keeps the group's title clear of its children.
  for (const n of visible.nodes) {
    if (parents.has(n.id)) {
      g.setNode(n.id, {});
      g.setNode(headerOf(n.id), { width: titleWidth(n.label), height: 24 });
      g.setNode(footerOf(n.id), { width: 1, height: 1 });
      g.setParent(headerOf(n.id), n.id);
      g.setParent(footerOf(n.id), n.id);
    } else g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  }
  for (const n of visible.nodes) if (n.parent && g.hasNode(n.parent)) g.setParent(n.id, n.parent);
  const entry = (id: string) => (parents.has(id) ? headerOf(id) : id);
  const exit = (id: string) => (parents.has(id) ? footerOf(id) : id);
  const hasIn = new Set(visible.edges.map((e) => e.to));
  const hasOut = new Set(visible.edges.map((e) => e.from));
  for (const n of visible.nodes) {
    if (!n.parent || !parents.has(n.parent)) continue;
    if (!hasIn.has(n.id)) g.setEdge(headerOf(n.parent), entry(n.id));
    if (!hasOut.has(n.id)) g.setEdge(exit(n.id), footerOf(n.parent));
  }
  for (const e of visible.edges) g.setEdge(exit(e.from), entry(e.to));
  layout(g);

  const nodes: LaidNode[] = visible.nodes.map((n) => {
    const l = g.node(n.id) as { x: number; y: number; width: number; height: number };
    const laidNode: LaidNode = {
      node: n,
      open: parents.has(n.id),
      x: l.x - l.width / 2,
      y: l.y - l.height / 2,
      width: l.width,
      height: l.height,
    };
    if (laidNode.open) {
      const h = g.node(headerOf(n.id)) as { x: number; y: number; width: number; height: number };
      laidNode.title = { x: h.x - h.width / 2, y: h.y - h.height / 2, width: h.width, height: h.height };
    }
    return laidNode;
  });
  const edges: LaidEdge[] = visible.edges.map((e) => {
    const l = g.edge(exit(e.from), entry(e.to)) as { points?: { x: number; y: number }[] } | undefined;
    return { edge: e, points: (l?.points ?? []).map((p) => ({ x: p.x, y: p.y })) };
  });
  const gl = g.graph() as { width?: number; height?: number };
  return { nodes, edges, width: Math.ceil(gl.width ?? 0), height: Math.ceil(gl.height ?? 0) };
}
