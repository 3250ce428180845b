/**
 * The workflow as the Argo backend reports it to the API server: node phases and statuses, the
 * workflow report, and the names Argo gives a run's workflow and its nodes.
 */
import { createHash } from "node:crypto";
import type { NodeType, WorkflowPhase } from "../model/run.js";
import { field } from "../template/params.js";

export type NodePhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Skipped" | "Omitted";

/** One Argo node as reported (the fields the API server reads). */
export interface NodeStatus {
  id: string;
  displayName: string;
  type: NodeType;
  phase: NodePhase;
  startedAt: number;
  finishedAt: number;
  children: string[];
  /** KFP task key the node belongs to (not reported by the real server). */
  taskKey?: string;
  /** Artifact names readable through the artifact endpoint once the node finished. */
  artifacts?: string[];
}

export interface WorkflowReport {
  workflowName: string;
  phase: WorkflowPhase;
  /** `activeDeadlineSeconds=0` and not finished → the server maps it to CANCELING. */
  terminating: boolean;
  finishedAt: number;
  nodes: NodeStatus[];
}

/** 32-bit FNV-1a of the UTF-8 bytes (Argo node ids, ScheduledWorkflow run names). */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** `<pipelineInfo.name>-xxxxx` with a k8s-style suffix derived from the run id (deterministic). */
export function workflowNameFor(spec: Record<string, unknown>, runId: string): string {
  const name = String(field(field(spec, "pipelineInfo"), "name") ?? "pipeline");
  const digest = createHash("sha1").update(runId).digest();
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += K8S_ALPHABET[digest[i]! % K8S_ALPHABET.length];
  return `${name}-${suffix}`;
}

/** Argo `NodeID(name)`: the workflow name for the entrypoint, else `<wf>-<fnv32a(name)>`. */
export function argoNodeId(workflowName: string, nodeName: string): string {
  return nodeName === workflowName ? workflowName : `${workflowName}-${fnv32a(nodeName)}`;
}
