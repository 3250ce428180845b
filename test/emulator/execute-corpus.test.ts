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
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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

const EXPECTED = JSON.parse(
  readFileSync(join(import.meta.dirname, "helpers/execute-expected.json"), "utf8"),
) as {
  /** Runnable by kind but left out, with the reason. */
  leftOut: Record<string, string>;
  /** Packages whose right end differs from their folder's rule, with the reason (checked, not skipped). */
  expectedOtherwise: Record<string, { state: string; why: string }>;
  /** Run parameters that make a package meaningful here (else: required ones filled by kind). */
  parameters: Record<string, Record<string, unknown>>;
};
const LEFT_OUT = EXPECTED.leftOut;
const EXPECTED_OTHERWISE = EXPECTED.expectedOtherwise;

function parametersFor(file: string, spec: Record<string, unknown>, root: string): Record<string, unknown> {
  const given = EXPECTED.parameters[file];
  if (!given) return requiredValues(spec);
  const out: Record<string, unknown> = { ...requiredValues(spec) };
  for (const [k, v] of Object.entries(given)) out[k] = typeof v === "string" ? v.replace("<root>", root) : v;
  return out;
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
