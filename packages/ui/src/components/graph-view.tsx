/**
 * A pipeline graph drawn as SVG: tasks as boxes (name, component, image), edges as polylines with
 * arrowheads, sub-DAGs as frames that close to a single box and open again. With `states`, each
 * task's box carries its state's colour class and `data-state`. Keyboard: every box is focusable;
 * Enter selects it, and on a group Space opens or closes it.
 */
import { useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { type PipelineGraph, visibleGraph } from "../model/graph.js";
import { type LaidNode, layoutGraph } from "../model/layout.js";
import { type NodeState, stateClass } from "../model/run-states.js";

export interface GraphViewProps {
  graph: PipelineGraph;
  states?: Map<string, NodeState>;
  selected?: string | undefined;
  onSelect?: (id: string) => void;
}

const ICON: Record<string, string> = {
  loop: "↻",
  condition: "◇",
  "condition-branches": "◇",
  "exit-handler": "⏏",
  pipeline: "▣",
};

function short(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function GraphView({ graph, states, selected, onSelect }: GraphViewProps) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  // Zoom: null = fit the width (between 0.5 and 1); the buttons set it.
  const [zoomSet, setZoom] = useState<number | null>(null);
  const [avail, setAvail] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setAvail(el.clientWidth);
    measure();
    addEventListener("resize", measure);
    return () => removeEventListener("resize", measure);
  }, []);
  const laid = useMemo(() => layoutGraph(visibleGraph(graph, collapsed)), [graph, collapsed]);
  const fit = avail > 0 && laid.width > 0 ? Math.max(0.5, Math.min(1, (avail - 4) / laid.width)) : 1;
  const zoom = zoomSet ?? fit;
  const toggle = (id: string) =>
    setCollapsed((c) => {
      const n = new Set(c);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  if (graph.nodes.length === 0) return <p class="muted">This spec has no tasks to draw.</p>;

  const nodeBox = (l: LaidNode) => {
    const n = l.node;
    const st = states?.get(n.id);
    const isGroup = n.group !== undefined;
    const cls = [
      "node",
      isGroup ? "group" : "task",
      st ? stateClass(st.state) : "state-none",
      selected === n.id ? "selected" : "",
    ].join(" ");
    const common = {
      "data-node-id": n.id,
      "data-kind": n.kind,
      "data-state": st?.state ?? "",
      tabindex: 0,
      role: "button" as const,
      "aria-label": `${isGroup ? `${n.group} group` : "task"} ${n.label}${st ? `, ${st.state}` : ""}`,
      onClick: () => onSelect?.(n.id),
      onKeyDown: (e: KeyboardEvent) => {
        if (e.key === "Enter") {
          e.preventDefault();
          onSelect?.(n.id);
        } else if (e.key === " " && isGroup) {
          e.preventDefault();
          toggle(n.id);
        }
      },
    };
    const toggleButton = isGroup ? (
      // biome-ignore lint/a11y/noStaticElementInteractions: a pointer shortcut; by keyboard, Space on the focused group opens or closes it
      <g
        class="toggle"
        data-toggle={n.id}
        onClick={(e) => {
          e.stopPropagation();
          toggle(n.id);
        }}
      >
        <rect x={l.x + l.width - 26} y={l.y + 6} width={20} height={20} rx={4} />
        <text x={l.x + l.width - 16} y={l.y + 20} text-anchor="middle">
          {l.open ? "−" : "+"}
        </text>
      </g>
    ) : null;
    if (l.open) {
      return (
        <g key={n.id} class={`${cls} open`} {...common} data-open="true">
          <title>{`${n.label}${n.detail ? `\n${n.detail}` : ""}`}</title>
          <rect class="frame" x={l.x} y={l.y} width={l.width} height={l.height} rx={8} />
          <rect
            class="title-row"
            x={l.title?.x ?? l.x}
            y={l.title?.y ?? l.y}
            width={l.title?.width ?? 120}
            height={l.title?.height ?? 24}
            rx={12}
          />
          <text class="group-title" x={(l.title?.x ?? l.x) + 10} y={(l.title?.y ?? l.y) + 16}>
            {`${ICON[n.group ?? ""] ?? ""} ${short(n.label, Math.max(8, Math.floor((l.title?.width ?? 120) / 7.5) - 5))}`}
          </text>
          {toggleButton}
        </g>
      );
    }
    return (
      <g key={n.id} class={cls} {...common} data-open={isGroup ? "false" : undefined}>
        <title>{`${n.label}\ncomponent: ${n.component}${n.image ? `\nimage: ${n.image}` : ""}${n.detail ? `\n${n.detail}` : ""}${st ? `\nstate: ${st.state}` : ""}`}</title>
        <rect class="box" x={l.x} y={l.y} width={l.width} height={l.height} rx={6} />
        <text class="label" x={l.x + 10} y={l.y + 20}>
          {`${isGroup ? `${ICON[n.group ?? ""] ?? ""} ` : ""}${short(n.label, isGroup ? 19 : 22)}`}
        </text>
        <text class="sub" x={l.x + 10} y={l.y + 38}>
          {short(isGroup ? `${n.group} · closed` : (n.image ?? n.component.replace(/^comp-/, "")), 27)}
        </text>
        {toggleButton}
      </g>
    );
  };

  const open = laid.nodes.filter((l) => l.open);
  const boxes = laid.nodes.filter((l) => !l.open);
  return (
    <div class="graph">
      <div class="graph-tools" role="toolbar" aria-label="Graph">
        <button type="button" onClick={() => setZoom(Math.min(2, zoom + 0.2))} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => setZoom(Math.max(0.3, zoom - 0.2))} aria-label="Zoom out">
          −
        </button>
        <button type="button" onClick={() => setZoom(null)}>
          Fit
        </button>
        <button type="button" onClick={() => setCollapsed(new Set(graph.groups))}>
          Close groups
        </button>
        <button type="button" onClick={() => setCollapsed(new Set())}>
          Open groups
        </button>
        <span class="muted">
          {graph.nodes.length - graph.groups.length} tasks · {graph.groups.length} groups ·{" "}
          {graph.edges.length} edges
        </span>
      </div>
      <div class="graph-scroll" ref={scroller}>
        <svg
          width={laid.width * zoom}
          height={laid.height * zoom}
          viewBox={`0 0 ${laid.width} ${laid.height}`}
          role="img"
          aria-label="Pipeline graph"
          data-nodes={laid.nodes.length}
          data-edges={laid.edges.length}
        >
          <defs>
            <marker
              id="arrow"
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
            </marker>
          </defs>
          {open.map(nodeBox)}
          {laid.edges.map((e) => (
            <path
              key={`${e.edge.from}->${e.edge.to}`}
              class={`edge edge-${e.edge.kind}`}
              data-from={e.edge.from}
              data-to={e.edge.to}
              data-kind={e.edge.kind}
              d={e.points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ")}
              marker-end="url(#arrow)"
            >
              <title>{`${e.edge.from} → ${e.edge.to}${e.edge.labels.length ? ` (${e.edge.labels.join(", ")})` : ""}`}</title>
            </path>
          ))}
          {boxes.map(nodeBox)}
        </svg>
      </div>
    </div>
  );
}
