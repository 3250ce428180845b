/**
 * Execute mode on the real compiled packages (issue 13): every package of ../shared/kfp-api/pipelines/valid
 * whose commands need only local Python (Lightweight components without extra packages) or a plain
 * shell (`echo`, `sh -c`, `cat`, stdlib `python -c`) runs to its expected end state — `failing/` to
 * FAILED, the others to SUCCEEDED — through the API of one shared emulator started with `execute`.
 * For a set of them the outputs are checked against what the components compute. The sorting by
 * command kind is in helpers/execute-corpus.ts (read from the commands, printed here).
 *
 * The venvs are the task-runner tests' cache (one per kfp pin the corpus uses, created on first use).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutedRunEngine } from "../../packages/emulator/src/engine/executed.js";
import { createTaskRunner } from "../../packages/emulator/src/execute/runner.js";
import type { TaskRunner, TaskRunRequest, TaskRunResult } from "../../packages/emulator/src/execute/task.js";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import type { RunRecord } from "../../packages/emulator/src/model/run.js";
import { type CorpusPackage, corpusPackages, requiredValues } from "./helpers/execute-corpus.js";
import { TEST_VENV_CACHE } from "./helpers/execute-task.js";
import { call } from "./helpers/http.js";
import { hasShared } from "./helpers/shared.js";

/** Runnable by kind but left out, with the reason. */
const LEFT_OUT: Record<string, string> = {
  "long-running.yaml": "sleeps 5 minutes by design",
  // The real server refuses these at run creation (PIPELINE-SPEC.md §3.4): nothing to execute.
  "pipeline_with_parallelfor_list_artifacts_GH-12033.yaml": "artifact iterator: CreateRun 500 upstream",
};

const FAILS_ON_PURPOSE =
  "a task fails on purpose; with the Argo backend the run then ends FAILED (PIPELINE-SPEC.md §3.5)";
const KUBERNETES =
  "the component checks a Kubernetes feature (pod metadata, secret, volume) that has no local meaning";
const ROOT_ARTIFACT = "a root input artifact, which no run can pass";
/** Packages whose right end differs from their folder's rule, with the reason (checked, not skipped). */
const EXPECTED_OTHERWISE: Record<string, { state: string; why: string }> = {
  "local_execution/local_execution_pipeline_with_ignore_upstream_failure.yaml": {
    state: "FAILED",
    why: FAILS_ON_PURPOSE,
  },
  "pipeline_with_task_using_ignore_upstream_failure.yaml": { state: "FAILED", why: FAILS_ON_PURPOSE },
  "pipeline_as_exit_task.yaml": { state: "FAILED", why: FAILS_ON_PURPOSE },
  "pipeline_with_task_final_status.yaml": { state: "FAILED", why: FAILS_ON_PURPOSE },
  "component_with_metadata_fields.yaml": { state: "FAILED", why: ROOT_ARTIFACT },
  "pipeline_with_metadata_fields.yaml": { state: "FAILED", why: ROOT_ARTIFACT },
  "input_artifact.yaml": { state: "FAILED", why: ROOT_ARTIFACT },
  "component_with_task_final_status_GH-12033.yaml": {
    state: "FAILED",
    why: "its PipelineTaskFinalStatus input is a root input no run sets (kubeflow/pipelines#12033)",
  },
  "create_pod_metadata_complex.yaml": { state: "FAILED", why: KUBERNETES },
  "critical/pipeline_with_pod_metadata.yaml": { state: "FAILED", why: KUBERNETES },
  "critical/pipeline_with_secret_as_env.yaml": { state: "FAILED", why: KUBERNETES },
  "pipeline_with_secret_as_volume.yaml": { state: "FAILED", why: KUBERNETES },
  "pvc_mount.yaml": { state: "FAILED", why: KUBERNETES },
  "critical/modelcar.yaml": { state: "FAILED", why: "reads a model from an OCI image mounted at /oci" },
  "log_streaming_compiled.yaml": {
    state: "FAILED",
    why: "prints without pause for 60 s: stopped at the output cap",
  },
  "essential/embedded_artifact.yaml": {
    state: "FAILED",
    why: "uses dsl.EmbeddedInput, newer than its kfp==2.14.3 pin",
  },
  "critical/pipeline_with_artifact_custom_path.yaml": {
    state: "FAILED",
    why: "uses Artifact.set_path, newer than its kfp==2.14.6 pin",
  },
};

/** Run parameters that make a package meaningful here (else: required ones filled by kind). */
function parametersFor(file: string, spec: Record<string, unknown>, root: string): Record<string, unknown> {
  const base = requiredValues(spec);
  switch (file) {
    case "critical/add_numbers.yaml":
      return { a: 19, b: 23 };
    case "local_execution/local_execution_pipeline_with_retry.yaml":
      return { counter_path: join(root, "retry-counter") };
    case "env-var.yaml":
      return { env_var: "PATH" };
    case "take_nap_compiled.yaml":
    case "take_nap_pipeline_root_compiled.yaml":
      return { ...base, naptime_secs: 1 };
    default:
      return base;
  }
}

interface Recorded {
  taskName: string;
  inputs: TaskRunRequest["inputs"];
  result: TaskRunResult;
}

/** The real runner, recording what the DAG driver asked and what came back, per run. */
function recording(runner: TaskRunner, into: Map<string, Recorded[]>): TaskRunner {
  return async (req) => {
    const result = await runner(req);
    const list = into.get(req.runId) ?? [];
    list.push({ taskName: req.taskName, inputs: req.inputs, result });
    into.set(req.runId, list);
    return result;
  };
}

const RUN_TIMEOUT_MS = 420_000;

describe.runIf(hasShared)("execute mode runs the corpus", () => {
  let emu: Emulator;
  let root: string;
  let packages: CorpusPackage[] = [];
  const finished = new Map<string, RunRecord>();
  const recorded = new Map<string, Recorded[]>();
  const tasksOf = (file: string) => recorded.get(finished.get(file)?.run_id ?? "") ?? [];
  const taskOf = (file: string, name: string) => tasksOf(file).filter((t) => t.taskName === name);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "kfp-exec-corpus-"));
    emu = await startEmulator({
      execute: true,
      pipelineRoot: root,
      taskRunner: recording(createTaskRunner({ cacheDir: TEST_VENV_CACHE }), recorded),
      executeLimits: { maxConcurrentTasks: 4, taskTimeoutMs: 120_000 },
    });
    packages = corpusPackages();
    const kinds: Record<string, number> = {};
    for (const p of packages) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
    console.log(`corpus by command kind: ${JSON.stringify(kinds)}`);
  });
  afterAll(async () => {
    await emu?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it(
    "every Lightweight-Python and shell package reaches its expected end",
    async () => {
      const runnable = packages.filter(
        (p) => (p.kind === "python" || p.kind === "shell") && !LEFT_OUT[p.file.split("/").pop()!],
      );
      expect(runnable.length).toBeGreaterThan(100);
      const t0 = Date.now();
      const results = await Promise.all(
        runnable.map(async (p, i) => {
          const r = await call(emu.url, "POST", "/apis/v2beta1/runs", {
            display_name: `corpus-${i}`,
            pipeline_spec: p.spec,
            runtime_config: { parameters: parametersFor(p.file, p.spec, root) },
          });
          if (r.status !== 200) return { p, state: `create ${r.status}: ${r.text.slice(0, 200)}`, runId: "" };
          const rec = await emu.app.engine.waitForFinish(r.body.run_id, RUN_TIMEOUT_MS);
          finished.set(p.file, rec);
          return { p, state: rec.state, runId: rec.run_id };
        }),
      );
      const engine = emu.app.engine as ExecutedRunEngine;
      const wrong = results
        .filter(({ p, state }) => state !== (EXPECTED_OTHERWISE[p.file]?.state ?? p.expected))
        .map(({ p, state, runId }) => ({
          file: p.file,
          kind: p.kind,
          state,
          failures: engine.failures(runId).slice(0, 3),
        }));
      const right = results.length - wrong.length;
      console.log(`execute corpus: ${right}/${results.length} right in ${Date.now() - t0} ms`);
      if (wrong.length > 0) console.log(JSON.stringify(wrong, null, 1));
      expect(wrong).toEqual([]);
    },
    RUN_TIMEOUT_MS + 60_000,
  );

  it("outputs are what the components compute", () => {
    expect(
      taskOf("critical/add_numbers.yaml", "add-numbers").map((t) => t.result.outputs.parameters),
    ).toEqual([{ Output: 42 }]);
    // for item in [1, 2, 3]: if item >= 2: double(item); then add(collected) = 4 + 6
    const add = taskOf("conditional_producer_and_consumers.yaml", "add");
    expect(add.map((t) => [t.inputs.parameters.nums, t.result.outputs.parameters.Output])).toEqual([
      [[4, 6], 10],
    ]);
    const consume = taskOf("critical/collected_parameters.yaml", "consume-ids");
    // consumed inside the collecting sub-DAG and again from its output
    const ids = ["model_id_s1", "model_id_s2", "model_id_s3"];
    expect(consume.map((t) => t.inputs.parameters.ids)).toEqual([ids, ids]);
    const loops = tasksOf("parallel_and_nested/pipeline_with_loops.yaml");
    const msgs = loops.filter((t) => t.taskName.startsWith("print-text")).map((t) => t.inputs.parameters.msg);
    expect(msgs).toEqual(expect.arrayContaining(["a", "b", "1", "10"]));
    const exit = taskOf("pipeline_with_task_final_status.yaml", "exit-op")[0];
    expect(exit?.result.state).toBe("SUCCEEDED");
    const status = exit?.inputs.parameters.status as Record<string, unknown>;
    expect(status).toMatchObject({ state: "FAILED", pipelineTaskName: "exit-handler-1" });
    const flaky = taskOf("local_execution/local_execution_pipeline_with_retry.yaml", "flaky");
    expect(flaky.map((t) => t.result.state)).toEqual(["FAILED", "SUCCEEDED"]);
    expect(flaky[1]!.result.outputs.parameters).toEqual({ Output: "attempt=2" });
  });
});
