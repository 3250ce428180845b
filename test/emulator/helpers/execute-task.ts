/**
 * Helpers for the task-runner tests: a request with sensible limits under a fresh temporary root,
 * the executors and components of a real compiled package, and a venv cache shared by every test file
 * (one kfp pin, so the venv is created once per machine and reused after).
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TaskRunRequest } from "../../../packages/emulator/src/execute/task.js";
import { yamlDocs } from "../../../packages/emulator/src/template/yaml-docs.js";
import { sharedPipelines } from "./shared.js";

/** Where the tests keep their venvs: outside the repository, reused between runs on one machine. */
export const TEST_VENV_CACHE = join(tmpdir(), "kfp-ts-emulator-test", "venvs");

/** Pids whose command line contains `marker` (Linux /proc). */
export function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").includes(marker)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function tempRoot(prefix = "kfp-task-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function request(
  over: Partial<TaskRunRequest> & Pick<TaskRunRequest, "container">,
  root = tempRoot(),
): TaskRunRequest {
  return {
    runId: "0f3a9c2e-1111-4222-8333-444455556666",
    pipelineName: "test-pipeline",
    taskName: "task",
    taskId: "task-uuid-1",
    component: {},
    inputs: { parameters: {}, artifacts: {} },
    pipelineRoot: root,
    taskRoot: join(root, "task"),
    limits: { timeoutMs: 20_000, maxOutputBytes: 1 << 20 },
    signal: new AbortController().signal,
    ...over,
  };
}

/** The first spec document of a compiled package under ../shared/kfp-api/pipelines/valid. */
export function loadSpec(rel: string): Record<string, any> {
  const text = readFileSync(resolve(sharedPipelines, "valid", rel), "utf8");
  return specOf(yamlDocs(text)[0]?.value);
}

/** The pipeline spec of a parsed document (a JSON package may wrap it in `pipelineSpec`). */
export function specOf(doc: unknown): Record<string, any> {
  const d = (doc ?? {}) as Record<string, any>;
  return d.pipelineSpec ?? d;
}

/** `container` and `component` of one executor of a spec. */
export function executorOf(
  spec: Record<string, any>,
  componentName: string,
): { container: Record<string, unknown>; component: Record<string, unknown> } {
  const component = spec.components[componentName];
  const container = spec.deploymentSpec.executors[component.executorLabel].container;
  return { container, component };
}
