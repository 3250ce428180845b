/**
 * The node tree of an executing run, named the way the Argo backend names a run's nodes
 * (PIPELINE-SPEC.md §3.2, §4.3) so the simulated engine's reporting (engine/report.ts), the
 * `/apis/v2` task views (v2-tasks.ts) and the UI read an executed run like a simulated one:
 * `<wf>` → `root-driver`, `root`; container task `<key>-driver` → `<key>` → `executor`; sub-DAG
 * `<key>-driver` → `<key>`; loop `<key>` → `iteration-driver`, `iteration-iterations` →
 * `iteration-iterations(i:i)` → `iteration-item-driver`, `iteration-item`; importer `<key>`; exit
 * hooks `<target>.onExit`. Also a small counting semaphore (global task cap, loop parallelism).
 */

import { argoNodeId, type NodePhase, type NodeStatus, type WorkflowReport } from "../engine/workflow.js";
import type { NodeType } from "../model/run.js";

/** Live log text kept in memory per running node (the whole log is in the runner's file). */
const LIVE_LOG_CAP = 1 << 20;

export interface ExecNode {
  id: string;
  name: string;
  displayName: string;
  type: NodeType;
  phase: NodePhase;
  startedAt: number;
  finishedAt: number;
  parent?: ExecNode;
  taskKey?: string;
  /** Readable artifacts: name → file path (`main-logs` is the task's log). */
  files?: Map<string, string>;
  /** Log text while the task runs (capped). */
  live?: string;
  error?: string;
}

export class NodeTree {
  readonly nodes: ExecNode[] = [];
  private readonly byName = new Map<string, ExecNode>();

  constructor(
    readonly workflowName: string,
    private readonly nowMs: () => number,
  ) {}

  private nowSec(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  add(
    parent: ExecNode | undefined,
    displayName: string,
    type: NodeType,
    phase: NodePhase,
    taskKey?: string,
  ): ExecNode {
    const name = parent ? `${parent.name}.${displayName}` : displayName;
    const now = this.nowSec();
    const prev = this.byName.get(name);
    if (prev) this.nodes.splice(this.nodes.indexOf(prev), 1);
    const node: ExecNode = {
      id: argoNodeId(this.workflowName, name),
      name,
      displayName,
      type,
      phase,
      startedAt: now,
      finishedAt: isFinal(phase) ? now : 0,
      ...(parent ? { parent } : {}),
      ...(taskKey !== undefined ? { taskKey } : {}),
    };
    this.nodes.push(node);
    this.byName.set(name, node);
    return node;
  }

  /** Put back a node of an earlier attempt unchanged (retry keeps succeeded work). */
  restore(node: ExecNode, parent: ExecNode | undefined): void {
    const copy: ExecNode = { ...node, ...(parent ? { parent } : {}) };
    const prev = this.byName.get(copy.name);
    if (prev) this.nodes.splice(this.nodes.indexOf(prev), 1);
    this.nodes.push(copy);
    this.byName.set(copy.name, copy);
  }

  get(name: string): ExecNode | undefined {
    return this.byName.get(name);
  }

  byId(id: string): ExecNode | undefined {
    return this.nodes.find((n) => n.id === id);
  }

  /** Nodes whose name starts with `prefix` (a subtree). */
  subtree(name: string): ExecNode[] {
    return this.nodes.filter((n) => n.name === name || n.name.startsWith(`${name}.`));
  }

  setPhase(node: ExecNode, phase: NodePhase): void {
    node.phase = phase;
    if (isFinal(phase)) node.finishedAt = this.nowSec();
    else if (phase === "Running") node.startedAt = this.nowSec();
  }

  appendLive(node: ExecNode, chunk: string): void {
    const cur = node.live ?? "";
    if (cur.length >= LIVE_LOG_CAP) return;
    node.live = (cur + chunk).slice(0, LIVE_LOG_CAP);
  }

  /** Every unfinished node becomes Failed (terminate, as Argo's deadline does). */
  failUnfinished(): void {
    for (const n of this.nodes) if (!isFinal(n.phase)) this.setPhase(n, "Failed");
  }

  report(
    phase: "Running" | "Succeeded" | "Failed",
    terminating: boolean,
    finishedAt: number,
  ): WorkflowReport {
    const children = new Map<string, string[]>();
    for (const n of this.nodes) {
      if (!n.parent) continue;
      const list = children.get(n.parent.id) ?? [];
      list.push(n.id);
      children.set(n.parent.id, list);
    }
    const nodes: NodeStatus[] = this.nodes.map((n) => ({
      id: n.id,
      displayName: n.displayName,
      type: n.type,
      phase: n.phase,
      startedAt: n.startedAt,
      finishedAt: n.finishedAt,
      children: children.get(n.id) ?? [],
      ...(n.taskKey !== undefined ? { taskKey: n.taskKey } : {}),
      ...(n.files && isFinal(n.phase) ? { artifacts: [...n.files.keys()] } : {}),
    }));
    return { workflowName: this.workflowName, phase, terminating, finishedAt, nodes };
  }
}

const FINAL: ReadonlySet<NodePhase> = new Set(["Succeeded", "Failed", "Skipped", "Omitted"]);

export function isFinal(p: NodePhase): boolean {
  return FINAL.has(p);
}

/** A counting semaphore whose waiters can be aborted. */
export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Resolves with a release function once a slot is free; rejects when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    const grant = (): (() => void) => {
      this.active++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.active--;
        this.waiters.shift()?.();
      };
    };
    if (this.limit <= 0 || this.active < this.limit) return Promise.resolve(grant());
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(grant());
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(wake);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error("aborted"));
      };
      if (signal?.aborted) {
        reject(new Error("aborted"));
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(wake);
    });
  }
}
