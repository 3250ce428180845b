/**
 * What the task panel reads besides the run (pure): a component's output artifact names (from the
 * spec), the uri the server reports for one (v2 task outputs; absent on v2beta1), and a short preview
 * of an artifact's first bytes.
 */
import type { Run } from "kfp-ts";
import { unwrapSpec } from "./graph.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The output artifact names a component declares (`outputDefinitions.artifacts`), sorted. */
export function outputArtifactNames(spec: unknown, component: string): string[] {
  const comp = unwrapSpec(spec).components;
  const c = isObj(comp) ? comp[component] : undefined;
  const defs = isObj(c) ? c.outputDefinitions : undefined;
  const arts = isObj(defs) ? defs.artifacts : undefined;
  return isObj(arts) ? Object.keys(arts).sort() : [];
}

/** The uri of output artifact `name` of task `taskId`, when the server reports it (v2 `tasks[].outputs`). */
export function artifactUri(run: Run, taskId: string | undefined, name: string): string | undefined {
  if (!taskId || !Array.isArray(run.tasks)) return undefined;
  const task = run.tasks.find((t) => t.task_id === taskId);
  for (const entry of task?.outputs?.artifacts ?? []) {
    if (!isObj(entry) || entry.artifact_key !== name || !Array.isArray(entry.artifacts)) continue;
    const first = entry.artifacts.find(isObj);
    if (first && typeof first.uri === "string") return first.uri;
  }
  return undefined;
}

/** How many bytes of an artifact the panel shows. */
export const PREVIEW_BYTES = 1024;

/** The first bytes as text, or a note for binary content (a NUL byte, or not UTF-8). */
export function previewOf(data: Uint8Array): { text: string; binary: boolean; truncated: boolean } {
  const head = data.subarray(0, PREVIEW_BYTES);
  const truncated = data.length > PREVIEW_BYTES;
  if (head.includes(0)) return { text: `binary, ${data.length} bytes`, binary: true, truncated };
  try {
    // `stream: true` keeps a multi-byte character cut at the end from counting as invalid.
    const text = new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: truncated });
    return { text, binary: false, truncated };
  } catch {
    return { text: `binary, ${data.length} bytes`, binary: true, truncated };
  }
}

/** The tail of a long log: the panel shows at most this many characters. */
export const LOG_TAIL_CHARS = 200_000;
