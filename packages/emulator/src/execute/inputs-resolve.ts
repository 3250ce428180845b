/**
 * Input resolution of one pipeline task on real values (PIPELINE-SPEC.md §3.1, EXECUTION.md "DAG
 * semantics"): `runtimeValue.constant` (with the run-time placeholders substituted),
 * `componentInputParameter`, `taskOutputParameter`, `taskOutputArtifact`, `componentInputArtifact`,
 * `parameterExpressionSelector`, `taskFinalStatus`, then the component's defaults. Also the outputs
 * of a finished DAG (`dag.outputs`: `valueFromParameter`, `valueFromOneof`, `artifactSelectors`),
 * collected over loop iterations for `dsl.Collected`.
 *
 * Pure: no I/O. Errors are `InputError` with a message naming the task and the input, the way the
 * driver fails a task it cannot resolve.
 */
import { asRecord, field, selectParameter } from "../template/params.js";
import type { ArtifactRef } from "./task.js";

export class InputError extends Error {
  override name = "InputError";
}

export type Phase = "Succeeded" | "Failed" | "Skipped" | "Omitted";

export interface Outputs {
  parameters: Record<string, unknown>;
  artifacts: Record<string, ArtifactRef[]>;
}

/** What a finished task left for its siblings and its enclosing DAG. */
export interface TaskOutcome {
  phase: Phase;
  outputs: Outputs;
  error?: string;
  /** Per iteration outputs of a loop task (for `dsl.Collected`). */
  iterations?: Outputs[];
}

/** The inputs a DAG (or the root) was started with. */
export interface DagScope {
  parameters: Map<string, unknown>;
  artifacts: Map<string, ArtifactRef[]>;
}

/** Run-level values for placeholders in constants and for `taskFinalStatus`. */
export interface RunValues {
  jobName: string;
  jobResourceName: string;
  jobUuid: string;
  createTimeUtc: string;
  pipelineRoot: string;
}

export interface ResolveContext {
  taskKey: string;
  taskUuid: string;
  run: RunValues;
  scope: DagScope;
  siblings: ReadonlyMap<string, TaskOutcome>;
}

export function emptyOutputs(): Outputs {
  return { parameters: {}, artifacts: {} };
}

/** `{{$.pipeline_job_name}}` and friends in a string constant (the driver substitutes these). */
export function substituteRuntimeConstant(s: string, ctx: ResolveContext): string {
  const map: Record<string, string> = {
    "{{$.pipeline_job_name}}": ctx.run.jobName,
    "{{$.pipeline_job_resource_name}}": ctx.run.jobResourceName,
    "{{$.pipeline_job_uuid}}": ctx.run.jobUuid,
    "{{$.pipeline_task_name}}": ctx.taskKey,
    "{{$.pipeline_task_uuid}}": ctx.taskUuid,
    "{{$.pipeline_job_create_time_utc}}": ctx.run.createTimeUtc,
    "{{$.pipeline_job_schedule_time_utc}}": ctx.run.createTimeUtc,
    "{{$.workspace_path}}": `${ctx.run.pipelineRoot}/workspace`,
    "{{$.pipeline_root}}": ctx.run.pipelineRoot,
  };
  return s.replace(/\{\{\$\.[a-z_]+\}\}/g, (m) => map[m] ?? m);
}

function deepSubstitute(v: unknown, ctx: ResolveContext): unknown {
  if (typeof v === "string") return substituteRuntimeConstant(v, ctx);
  if (Array.isArray(v)) return v.map((x) => deepSubstitute(x, ctx));
  const r = asRecord(v);
  if (r) return Object.fromEntries(Object.entries(r).map(([k, x]) => [k, deepSubstitute(x, ctx)]));
  return v;
}

/** MLMD execution state names, as the driver reports them in `PipelineTaskFinalStatus.state`. */
function finalState(phase: Phase): string {
  switch (phase) {
    case "Succeeded":
      return "COMPLETE";
    case "Skipped":
    case "Omitted":
      return "CANCELED";
    default:
      return "FAILED";
  }
}

function producerOf(ctx: ResolveContext, spec: unknown, input: string): TaskOutcome {
  const producer = field(spec, "producerTask");
  if (typeof producer !== "string" || producer === "") {
    throw new InputError(`task ${ctx.taskKey}: input ${input} names no producerTask`);
  }
  const outcome = ctx.siblings.get(producer);
  if (!outcome) {
    throw new InputError(`task ${ctx.taskKey}: input ${input}: producer task ${producer} has not run`);
  }
  return outcome;
}

/** Resolve one parameter input; `undefined` when it has no value (optional, left to the default). */
function resolveParameter(name: string, spec: unknown, ctx: ResolveContext): unknown {
  let value: unknown;
  const cip = field(spec, "componentInputParameter");
  const top = field(spec, "taskOutputParameter");
  const rv = field(spec, "runtimeValue");
  const tfs = field(spec, "taskFinalStatus");
  if (typeof cip === "string") {
    value = ctx.scope.parameters.get(cip);
  } else if (top !== undefined) {
    const outcome = producerOf(ctx, top, name);
    const key = String(field(top, "outputParameterKey") ?? "");
    if (!Object.hasOwn(outcome.outputs.parameters, key)) {
      if (outcome.phase !== "Succeeded") return undefined;
      throw new InputError(
        `task ${ctx.taskKey}: input ${name}: task ${String(field(top, "producerTask"))} has no output parameter ${key}`,
      );
    }
    value = outcome.outputs.parameters[key];
  } else if (rv !== undefined) {
    const c = field(rv, "constant") ?? field(rv, "constantValue");
    value = c === undefined ? undefined : deepSubstitute(c, ctx);
  } else if (tfs !== undefined) {
    const producer = String(field(tfs, "producerTask") ?? "");
    const outcome = ctx.siblings.get(producer);
    const phase = outcome?.phase ?? "Omitted";
    value = {
      state: finalState(phase),
      pipelineJobResourceName: ctx.run.jobResourceName,
      pipelineTaskName: producer,
      error: phase === "Failed" ? { code: 2, message: outcome?.error ?? "task failed" } : {},
    };
  } else {
    throw new InputError(`task ${ctx.taskKey}: input ${name} has no value source the emulator knows`);
  }
  const selector = field(spec, "parameterExpressionSelector");
  if (typeof selector === "string" && selector !== "" && value !== undefined) {
    const selected = selectParameter(value, selector);
    if (!selected) {
      throw new InputError(
        `task ${ctx.taskKey}: input ${name}: expression ${JSON.stringify(selector)} selects nothing from ${JSON.stringify(value)}`,
      );
    }
    value = selected.value;
  }
  return value;
}

function resolveArtifact(name: string, spec: unknown, ctx: ResolveContext): ArtifactRef[] | undefined {
  const cia = field(spec, "componentInputArtifact");
  const toa = field(spec, "taskOutputArtifact");
  if (typeof cia === "string") return ctx.scope.artifacts.get(cia);
  if (toa !== undefined) {
    const outcome = producerOf(ctx, toa, name);
    const key = String(field(toa, "outputArtifactKey") ?? "");
    const list = outcome.outputs.artifacts[key];
    if (!list) {
      if (outcome.phase !== "Succeeded") return undefined;
      throw new InputError(
        `task ${ctx.taskKey}: input ${name}: task ${String(field(toa, "producerTask"))} has no output artifact ${key}`,
      );
    }
    return list;
  }
  throw new InputError(`task ${ctx.taskKey}: artifact input ${name} has no value source the emulator knows`);
}

/** Defaults of a component's input definitions for parameters left without a value. */
function applyDefaults(component: unknown, params: Record<string, unknown>): void {
  const defs = asRecord(field(field(component, "inputDefinitions"), "parameters")) ?? {};
  for (const [name, def] of Object.entries(defs)) {
    if (params[name] !== undefined) continue;
    const d = asRecord(def) ?? {};
    if ("defaultValue" in d || "default_value" in d) params[name] = field(d, "defaultValue");
    else delete params[name];
  }
  for (const k of Object.keys(params)) if (params[k] === undefined) delete params[k];
}

/** The resolved inputs of a task (component defaults applied). */
export function resolveTaskInputs(
  task: unknown,
  component: unknown,
  ctx: ResolveContext,
): { parameters: Record<string, unknown>; artifacts: Record<string, ArtifactRef[]> } {
  const parameters: Record<string, unknown> = {};
  const artifacts: Record<string, ArtifactRef[]> = {};
  const inputs = field(task, "inputs");
  for (const [name, spec] of Object.entries(asRecord(field(inputs, "parameters")) ?? {})) {
    parameters[name] = resolveParameter(name, spec, ctx);
  }
  const artifactDefs = asRecord(field(field(component, "inputDefinitions"), "artifacts")) ?? {};
  for (const [name, spec] of Object.entries(asRecord(field(inputs, "artifacts")) ?? {})) {
    const list = resolveArtifact(name, spec, ctx);
    if (list) artifacts[name] = list;
    else if (
      field(artifactDefs[name], "isOptional") !== true &&
      typeof field(spec, "componentInputArtifact") === "string"
    ) {
      throw new InputError(
        `task ${ctx.taskKey}: input artifact ${name} comes from the pipeline input ${String(field(spec, "componentInputArtifact"))}, which has no artifact (a run cannot pass artifacts to a pipeline)`,
      );
    }
  }
  applyDefaults(component, parameters);
  return { parameters, artifacts };
}

/** A resolved input set as the scope of a child DAG. */
export function scopeOf(inputs: {
  parameters: Record<string, unknown>;
  artifacts: Record<string, ArtifactRef[]>;
}): DagScope {
  return {
    parameters: new Map(Object.entries(inputs.parameters)),
    artifacts: new Map(Object.entries(inputs.artifacts)),
  };
}

function available(o: TaskOutcome | undefined): o is TaskOutcome {
  return o !== undefined && o.phase === "Succeeded";
}

/**
 * The outputs of a finished DAG from its tasks' outcomes (`dag.outputs`). OneOf selectors take the
 * first producer that succeeded (the Argo driver's rule); none → `InputError`.
 */
export function dagOutputs(dag: unknown, tasks: ReadonlyMap<string, TaskOutcome>, dagName: string): Outputs {
  const out = emptyOutputs();
  const outputs = field(dag, "outputs");
  for (const [name, spec] of Object.entries(asRecord(field(outputs, "parameters")) ?? {})) {
    const single = field(spec, "valueFromParameter");
    const oneof = field(field(spec, "valueFromOneof"), "parameterSelectors");
    const selectors = single !== undefined ? [single] : Array.isArray(oneof) ? oneof : [];
    let found = false;
    for (const sel of selectors) {
      const o = tasks.get(String(field(sel, "producerSubtask") ?? ""));
      const key = String(field(sel, "outputParameterKey") ?? "");
      if (available(o) && Object.hasOwn(o.outputs.parameters, key)) {
        out.parameters[name] = o.outputs.parameters[key];
        found = true;
        break;
      }
    }
    if (!found && selectors.length > 1) {
      throw new InputError(`${dagName}: processing OneOf: No successful task found for output ${name}`);
    }
  }
  for (const [name, spec] of Object.entries(asRecord(field(outputs, "artifacts")) ?? {})) {
    const selectors = field(spec, "artifactSelectors");
    const list = Array.isArray(selectors) ? selectors : [];
    let found = false;
    for (const sel of list) {
      const o = tasks.get(String(field(sel, "producerSubtask") ?? ""));
      const key = String(field(sel, "outputArtifactKey") ?? "");
      const arts = available(o) ? o.outputs.artifacts[key] : undefined;
      if (arts) {
        out.artifacts[name] = arts;
        found = true;
        break;
      }
    }
    if (!found && list.length > 1) {
      throw new InputError(`${dagName}: processing OneOf: No successful task found for output ${name}`);
    }
  }
  return out;
}

/** A loop's outputs: every iteration's output collected into a list (`dsl.Collected`). */
export function collectIterations(iterations: readonly Outputs[]): Outputs {
  const out = emptyOutputs();
  const paramKeys = new Set(iterations.flatMap((o) => Object.keys(o.parameters)));
  // Iterations whose producer did not run (a condition inside the loop) add nothing.
  for (const k of paramKeys) {
    out.parameters[k] = iterations.filter((o) => Object.hasOwn(o.parameters, k)).map((o) => o.parameters[k]);
  }
  const artKeys = new Set(iterations.flatMap((o) => Object.keys(o.artifacts)));
  for (const k of artKeys) out.artifacts[k] = iterations.flatMap((o) => o.artifacts[k] ?? []);
  return out;
}

/** Loop items: a list, or a string holding a JSON list (`driver/util.go getItems`). */
export function loopItemsOf(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === "string") {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // fall through
    }
  }
  throw new InputError(`${what}: loop items must be a list or a JSON list, got ${JSON.stringify(value)}`);
}
