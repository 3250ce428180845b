/** Shared helpers for the run / experiment / recurring run emulator tests (not a test file). */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect } from "vitest";
import YAML from "yaml";
import type { RecurringRunScheduler, RunEngine } from "../../packages/emulator/src/engine/engine.js";
import type { Emulator } from "../../packages/emulator/src/index.js";
import type { RunRecord } from "../../packages/emulator/src/model/run.js";
import { call, type Reply, upload } from "./helpers/http.js";
import { sharedPipelines } from "./helpers/shared.js";

export function specText(rel: string): string {
  return readFileSync(resolve(sharedPipelines, "valid", rel), "utf8");
}

export function specObject(rel: string): Record<string, unknown> {
  return YAML.parseAllDocuments(specText(rel))[0]!.toJS() as Record<string, unknown>;
}

/** Upload a pipeline package; returns the pipeline id and its (only) version id. */
export async function uploadPipeline(
  emu: Emulator,
  text: string,
  name: string,
  headers: Record<string, string> = {},
  query: Record<string, string> = {},
): Promise<{ pipelineId: string; versionId: string }> {
  const up = await upload(
    emu.url,
    "/apis/v2beta1/pipelines/upload",
    { filename: `${name}.yaml`, data: text },
    { name, ...query },
    headers,
  );
  expect(up.status, up.text).toBe(200);
  const pipelineId = up.body.pipeline_id as string;
  const versions = await call(
    emu.url,
    "GET",
    `/apis/v2beta1/pipelines/${pipelineId}/versions`,
    undefined,
    headers,
  );
  expect(versions.status, versions.text).toBe(200);
  return { pipelineId, versionId: versions.body.pipeline_versions[0].pipeline_version_id as string };
}

export function engineOf(emu: Emulator): RunEngine {
  return emu.app.engine;
}

export function schedulerOf(emu: Emulator): RecurringRunScheduler {
  return emu.app.scheduler;
}

export function waitFinished(emu: Emulator, runId: string, timeoutMs = 10_000): Promise<RunRecord> {
  return engineOf(emu).waitForFinish(runId, timeoutMs);
}

export function waitState(
  emu: Emulator,
  runId: string,
  state: string,
  timeoutMs = 10_000,
): Promise<RunRecord> {
  return engineOf(emu).waitFor(runId, (r) => r.state === state, timeoutMs);
}

/** The short message of a gateway error (`details[0].message`). */
export function detail(r: Reply): string {
  return r.body?.details?.[0]?.message;
}

export const api = (emu: Emulator) => ({
  get: (path: string, headers?: Record<string, string>) => call(emu.url, "GET", path, undefined, headers),
  post: (path: string, body?: unknown, headers?: Record<string, string>) =>
    call(emu.url, "POST", path, body ?? {}, headers),
  del: (path: string, headers?: Record<string, string>) => call(emu.url, "DELETE", path, undefined, headers),
});

/** A small valid spec with the given root parameters (for parameter tests). */
export function specWithParams(
  params: Record<string, unknown>,
  name = "params-pipe",
): Record<string, unknown> {
  return {
    pipelineInfo: { name },
    schemaVersion: "2.1.0",
    sdkVersion: "kfp-2.13.0",
    root: {
      dag: { tasks: { echo: { componentRef: { name: "comp-echo" }, taskInfo: { name: "echo" } } } },
      inputDefinitions: { parameters: params },
    },
    components: { "comp-echo": { executorLabel: "exec-echo" } },
    deploymentSpec: { executors: { "exec-echo": { container: { image: "alpine", command: ["echo"] } } } },
  };
}
