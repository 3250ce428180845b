/**
 * One task of a DAG by kind (dag.ts walks the DAG): a container task (driver → body → executor,
 * run by the task runner with retries), an importer (its artifact recorded, nothing runs), a sub-DAG
 * (condition, exit handler, nested pipeline) and a loop (iterations with a parallelism limit, outputs
 * collected). Node names follow dag-nodes.ts.
 */
import { join } from "node:path";
import { asRecord, field } from "../template/params.js";
import { evaluateCondition } from "./cel.js";
import { type DagResult, type RunContext, runDag, type TaskStep } from "./dag.js";
import { type ExecNode, Semaphore } from "./dag-nodes.js";
import {
  collectIterations,
  type DagScope,
  dagOutputs,
  emptyOutputs,
  InputError,
  loopItemsOf,
  type Outputs,
  type ResolveContext,
  resolveTaskInputs,
  scopeOf,
  type TaskOutcome,
} from "./inputs-resolve.js";
import type { ArtifactRef, TaskRunResult } from "./task.js";

/** Path segments are task keys and iteration names; keep them to safe file names. */
function seg(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120) || "_";
}

function resolveCtx(
  run: RunContext,
  key: string,
  scope: DagScope,
  siblings: ReadonlyMap<string, TaskOutcome>,
): ResolveContext {
  return { taskKey: key, taskUuid: run.host.newId(), run: run.values, scope, siblings };
}

/** Resolve a task's inputs and its condition on its driver node; a failure fails the driver. */
function drive(
  run: RunContext,
  driver: ExecNode,
  key: string,
  t: Record<string, unknown>,
  comp: unknown,
  scope: DagScope,
  siblings: ReadonlyMap<string, TaskOutcome>,
): { inputs: ReturnType<typeof resolveTaskInputs>; holds: boolean } {
  try {
    const inputs = resolveTaskInputs(t, comp, resolveCtx(run, key, scope, siblings));
    const cond = field(field(t, "triggerPolicy"), "condition");
    const holds = typeof cond === "string" && cond !== "" ? evaluateCondition(cond, inputs.parameters) : true;
    return { inputs, holds };
  } catch (err) {
    driver.error = `driver of task ${key}: ${(err as Error).message}`;
    run.tree.setPhase(driver, "Failed");
    run.host.changed();
    throw new InputError(driver.error);
  }
}

/**
 * The driver step of a container task or a sub-DAG: its `<key>-driver` node resolves the inputs and
 * the condition; a false condition records the task Skipped and gives undefined.
 */
function driverStep(
  run: RunContext,
  inst: ExecNode,
  key: string,
  t: Record<string, unknown>,
  comp: unknown,
  scope: DagScope,
  siblings: ReadonlyMap<string, TaskOutcome>,
): ReturnType<typeof resolveTaskInputs> | undefined {
  const driver = run.tree.add(inst, `${key}-driver`, "Pod", "Running", key);
  run.host.changed();
  const { inputs, holds } = drive(run, driver, key, t, comp, scope, siblings);
  run.tree.setPhase(driver, "Succeeded");
  if (holds) return inputs;
  run.tree.add(inst, key, "DAG", "Skipped", key);
  run.host.changed();
  return undefined;
}

/** Restore a succeeded task of the previous attempt (retry re-runs failed tasks only). */
function fromMemo(run: RunContext, inst: ExecNode, key: string): TaskOutcome | undefined {
  const hit = run.memo.get(`${inst.name}.${key}`);
  if (!hit) return undefined;
  for (const n of hit.nodes) run.tree.restore(n, n.parent ? (run.tree.get(n.parent.name) ?? inst) : inst);
  run.done.set(`${inst.name}.${key}`, hit);
  run.host.changed();
  return hit.outcome;
}

function remember(run: RunContext, inst: ExecNode, key: string, outcome: TaskOutcome): void {
  if (outcome.phase !== "Succeeded") return;
  const name = `${inst.name}.${key}`;
  const nodes = [...run.tree.subtree(`${name}-driver`), ...run.tree.subtree(name)].map((n) => ({ ...n }));
  run.done.set(name, { outcome, nodes });
}

export const runTaskStep: TaskStep = async (run, inst, key, t, scope, siblings, path, inheritedRetry) => {
  const compName = String(field(field(t, "componentRef"), "name") ?? "");
  const comp = asRecord(run.components[compName]);
  if (!comp) throw new InputError(`task ${key}: component ${JSON.stringify(compName)} is not in the spec`);
  const memo = fromMemo(run, inst, key);
  if (memo) return memo;
  const retry = field(t, "retryPolicy") ?? inheritedRetry;
  let outcome: TaskOutcome;
  const label = field(comp, "executorLabel");
  if (typeof label === "string") {
    const exec = asRecord(run.executors[label]);
    if (!exec)
      throw new InputError(`task ${key}: executor ${JSON.stringify(label)} is not in deploymentSpec`);
    if (field(exec, "importer") !== undefined)
      outcome = importer(run, inst, key, t, comp, exec, scope, siblings);
    else outcome = await container(run, inst, key, t, comp, exec, scope, siblings, path, retry);
  } else if (field(comp, "dag") !== undefined) {
    const iterator = field(t, "parameterIterator") ?? field(t, "artifactIterator");
    if (iterator !== undefined) outcome = await loop(run, inst, key, t, comp, scope, siblings, path, retry);
    else outcome = await subDag(run, inst, key, t, comp, scope, siblings, path, retry);
  } else {
    throw new InputError(`task ${key}: component ${compName} has neither an executor nor a dag`);
  }
  remember(run, inst, key, outcome);
  return outcome;
};

function importer(
  run: RunContext,
  inst: ExecNode,
  key: string,
  t: Record<string, unknown>,
  comp: Record<string, unknown>,
  exec: Record<string, unknown>,
  scope: DagScope,
  siblings: ReadonlyMap<string, TaskOutcome>,
): TaskOutcome {
  const node = run.tree.add(inst, key, "Pod", "Running", key);
  const { inputs } = drive(run, node, key, t, comp, scope, siblings);
  const imp = field(exec, "importer");
  const uriSpec = field(imp, "artifactUri");
  const param = field(uriSpec, "runtimeParameter");
  const uri = typeof param === "string" ? inputs.parameters[param] : field(uriSpec, "constant");
  if (typeof uri !== "string" || uri === "") {
    node.error = `importer ${key}: artifactUri resolved to ${JSON.stringify(uri)}, not a URI`;
    run.tree.setPhase(node, "Failed");
    return { phase: "Failed", outputs: emptyOutputs(), error: node.error };
  }
  const metadata = substituteInputs(asRecord(field(imp, "metadata")) ?? {}, inputs.parameters);
  const type = asRecord(field(imp, "typeSchema")) ?? { schemaTitle: "system.Artifact" };
  const outKeys = Object.keys(asRecord(field(field(comp, "outputDefinitions"), "artifacts")) ?? {});
  const art: ArtifactRef = {
    name: key,
    type: {
      schemaTitle: String(field(type, "schemaTitle") ?? "system.Artifact"),
      ...(field(type, "schemaVersion") !== undefined
        ? { schemaVersion: String(field(type, "schemaVersion")) }
        : {}),
    },
    uri,
    metadata: metadata as Record<string, unknown>,
  };
  const outputs: Outputs = { parameters: {}, artifacts: {} };
  for (const k of outKeys.length > 0 ? outKeys : ["artifact"]) outputs.artifacts[k] = [art];
  run.tree.setPhase(node, "Succeeded");
  run.host.changed();
  return { phase: "Succeeded", outputs };
}

/** `{{$.inputs.parameters['k']}}` in importer metadata (dynamic importer metadata). */
function substituteInputs(v: unknown, params: Record<string, unknown>): unknown {
  if (typeof v === "string") {
    const whole = /^\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}$/.exec(v);
    if (whole && Object.hasOwn(params, whole[1]!)) return params[whole[1]!];
    return v.replace(/\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}/g, (m, k: string) => {
      const x = params[k];
      return x === undefined ? m : typeof x === "string" ? x : JSON.stringify(x);
    });
  }
  if (Array.isArray(v)) return v.map((x) => substituteInputs(x, params));
  const r = asRecord(v);
  if (r) return Object.fromEntries(Object.entries(r).map(([k, x]) => [k, substituteInputs(x, params)]));
  return v;
}

/** Backoff before retry attempt `n` (1-based) of a `retryPolicy`, capped. */
function backoffMs(policy: unknown, n: number, cap: number): number {
  const dur = (v: unknown): number => {
    const m = typeof v === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(v) : null;
    return m ? Number(m[1]) * 1000 : typeof v === "number" ? v * 1000 : 0;
  };
  const base = dur(field(policy, "backoffDuration"));
  const factor = Number(field(policy, "backoffFactor") ?? 2) || 2;
  const max = dur(field(policy, "backoffMaxDuration")) || cap;
  return Math.min(base * factor ** (n - 1), max, cap);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

async function container(
  run: RunContext,
  inst: ExecNode,
  key: string,
  t: Record<string, unknown>,
  comp: Record<string, unknown>,
  exec: Record<string, unknown>,
  scope: DagScope,
  siblings: ReadonlyMap<string, TaskOutcome>,
  path: readonly string[],
  retry: unknown,
): Promise<TaskOutcome> {
  const inputs = driverStep(run, inst, key, t, comp, scope, siblings);
  if (!inputs) return { phase: "Skipped", outputs: emptyOutputs() };
  const body = run.tree.add(inst, key, "DAG", "Running", key);
  const pod = run.tree.add(body, "executor", "Pod", "Pending", key);
  run.host.changed();
  const maxRetries = Math.max(0, Math.min(100, Number(field(retry, "maxRetryCount") ?? 0) || 0));
  let result: TaskRunResult | undefined;
  let error: string | undefined;
  for (let attempt = 0; attempt <= maxRetries && !run.signal.aborted; attempt++) {
    if (attempt > 0) await sleep(backoffMs(retry, attempt, run.host.limits.maxBackoffMs), run.signal);
    let release: (() => void) | undefined;
    try {
      release = await run.host.slots.acquire(run.signal);
    } catch {
      break;
    }
    try {
      pod.live = "";
      run.tree.setPhase(pod, "Running");
      run.host.changed();
      const taskRoot = join(run.runRoot, ...path.map(seg), seg(key), `attempt-${run.generation}-${attempt}`);
      result = await run.host.runner({
        runId: run.runId,
        pipelineName: run.pipelineName,
        runDisplayName: run.values.jobName,
        pipelineJobResourceName: run.values.jobResourceName,
        runCreatedAtMs: Date.parse(run.values.createTimeUtc),
        taskName: key,
        taskId: run.host.newId(),
        container: asRecord(field(exec, "container")) ?? {},
        component: comp,
        inputs,
        pipelineRoot: run.pipelineRoot,
        taskRoot,
        limits: { timeoutMs: run.host.limits.taskTimeoutMs, maxOutputBytes: run.host.limits.maxOutputBytes },
        signal: run.signal,
        onLog: (chunk) => run.tree.appendLive(pod, chunk),
        onProgress: (m) => run.host.progress(m),
      });
    } catch (err) {
      result = undefined;
      error = `task ${key}: the task runner failed: ${(err as Error).message}`;
    } finally {
      release();
    }
    if (result) error = result.error;
    if (result?.state !== "FAILED") break;
  }
  const files = new Map<string, string>();
  if (result?.state === "SUCCEEDED") {
    for (const [name, arts] of Object.entries(result.outputs.artifacts)) {
      const uri = arts[0]?.uri;
      if (arts.length === 1 && typeof uri === "string" && uri.startsWith("/")) files.set(name, uri);
    }
  }
  if (result?.logPath) files.set("main-logs", result.logPath);
  pod.files = files;
  const ok = result?.state === "SUCCEEDED";
  if (!ok)
    pod.error = error ?? (result?.state === "CANCELED" ? `task ${key} was terminated` : `task ${key} failed`);
  run.tree.setPhase(pod, ok ? "Succeeded" : "Failed");
  run.tree.setPhase(body, ok ? "Succeeded" : "Failed");
  run.host.changed();
  return ok
    ? { phase: "Succeeded", outputs: result!.outputs }
    : { phase: "Failed", outputs: emptyOutputs(), ...(pod.error ? { error: pod.error } : {}) };
}

function finishDag(run: RunContext, node: ExecNode, dag: unknown, res: DagResult, name: string): TaskOutcome {
  if (res.failed) {
    run.tree.setPhase(node, "Failed");
    run.host.changed();
    const err = [...res.tasks.values()].find((o) => o.phase === "Failed")?.error ?? node.error;
    return { phase: "Failed", outputs: emptyOutputs(), ...(err ? { error: err } : {}) };
  }
  let outputs: Outputs;
  try {
    outputs = dagOutputs(dag, res.tasks, name);
  } catch (err) {
    node.error = (err as Error).message;
    run.tree.setPhase(node, "Failed");
    run.host.changed();
    return { phase: "Failed", outputs: emptyOutputs(), error: node.error };
  }
  run.tree.setPhase(node, "Succeeded");
  run.host.changed();
  return { phase: "Succeeded", outputs };
}

async function subDag(
  run: RunContext,
  inst: ExecNode,
  key: string,
  t: Record<string, unknown>,
  comp: Record<string, unknown>,
  scope: DagScope,
  siblings: ReadonlyMap<string, TaskOutcome>,
  path: readonly string[],
  retry: unknown,
): Promise<TaskOutcome> {
  const inputs = driverStep(run, inst, key, t, comp, scope, siblings);
  if (!inputs) return { phase: "Skipped", outputs: emptyOutputs() };
  const body = run.tree.add(inst, key, "DAG", "Running", key);
  run.host.changed();
  const dag = field(comp, "dag");
  const res = await runDag(run, body, dag, scopeOf(inputs), [...path, key], runTaskStep, retry);
  return finishDag(run, body, dag, res, `task ${key}`);
}

async function loop(
  run: RunContext,
  inst: ExecNode,
  key: string,
  t: Record<string, unknown>,
  comp: Record<string, unknown>,
  scope: DagScope,
  siblings: ReadonlyMap<string, TaskOutcome>,
  path: readonly string[],
  retry: unknown,
): Promise<TaskOutcome> {
  const body = run.tree.add(inst, key, "DAG", "Running", key);
  const driver = run.tree.add(body, "iteration-driver", "Pod", "Running", key);
  run.host.changed();
  const { inputs } = drive(run, driver, key, t, comp, scope, siblings);
  const paramIt = field(t, "parameterIterator");
  const iterator = paramIt ?? field(t, "artifactIterator");
  const itemInput = String(field(iterator, "itemInput") ?? "");
  const itemsSpec = field(iterator, "items");
  let items: unknown[];
  try {
    if (paramIt !== undefined) {
      const rawItems = field(itemsSpec, "raw");
      const source = field(itemsSpec, "inputParameter");
      const value =
        rawItems !== undefined
          ? rawItems
          : typeof source === "string"
            ? inputs.parameters[source]
            : undefined;
      items = loopItemsOf(value, `loop ${key}`);
    } else {
      const source = String(field(itemsSpec, "inputArtifact") ?? "");
      items = inputs.artifacts[source] ?? [];
    }
  } catch (err) {
    driver.error = (err as Error).message;
    run.tree.setPhase(driver, "Failed");
    run.tree.setPhase(body, "Failed");
    run.host.changed();
    return { phase: "Failed", outputs: emptyOutputs(), error: driver.error };
  }
  run.tree.setPhase(driver, "Succeeded");
  const group = run.tree.add(
    body,
    "iteration-iterations",
    "TaskGroup",
    items.length > 0 ? "Running" : "Skipped",
    key,
  );
  run.host.changed();
  const limit = Number(field(field(t, "iteratorPolicy"), "parallelismLimit") ?? 0) || 0;
  const gate = new Semaphore(limit);
  const dag = field(comp, "dag");
  const results = await Promise.all(
    items.map(async (item, i): Promise<TaskOutcome> => {
      let release: () => void;
      try {
        release = await gate.acquire(run.signal);
      } catch {
        return { phase: "Omitted", outputs: emptyOutputs() };
      }
      try {
        const iter = run.tree.add(group, `iteration-iterations(${i}:${i})`, "DAG", "Running", key);
        run.tree.add(iter, "iteration-item-driver", "Pod", "Succeeded", key);
        const itemNode = run.tree.add(iter, "iteration-item", "DAG", "Running", key);
        run.host.changed();
        const itemScope = scopeOf(inputs);
        if (itemInput) {
          if (paramIt !== undefined) itemScope.parameters.set(itemInput, item);
          else itemScope.artifacts.set(itemInput, [item as ArtifactRef]);
        }
        const res = await runDag(
          run,
          itemNode,
          dag,
          itemScope,
          [...path, key, `iteration-${i}`],
          runTaskStep,
          retry,
        );
        const o = finishDag(run, itemNode, dag, res, `loop ${key} iteration ${i}`);
        run.tree.setPhase(iter, o.phase === "Failed" ? "Failed" : "Succeeded");
        return o;
      } finally {
        release();
      }
    }),
  );
  const failed = results.some((o) => o.phase !== "Succeeded");
  if (items.length > 0) run.tree.setPhase(group, failed ? "Failed" : "Succeeded");
  run.tree.setPhase(body, failed ? "Failed" : "Succeeded");
  run.host.changed();
  if (failed) {
    const err = results.find((o) => o.error)?.error;
    return { phase: "Failed", outputs: emptyOutputs(), ...(err ? { error: err } : {}) };
  }
  const iterations = results.map((o) => o.outputs);
  return { phase: "Succeeded", outputs: collectIterations(iterations), iterations };
}
