/**
 * The executor input (`{{$}}`) of one task attempt, as the SDK's executor reads it
 * (../shared/kfp-api/EXECUTION.md "Executor input"; `kfp/local/executor_input_utils.py`):
 * - `inputs.parameterValues`: the resolved arguments, falling back to the component's defaults; an
 *   input with neither is left out (so `IfPresent` sees it absent). NUMBER_INTEGER values stay integers.
 * - `inputs.artifacts[k].artifacts[]`: the resolved input artifacts.
 * - `outputs.parameters[k].outputFile = <taskRoot>/<k>`, `outputs.artifacts[k].artifacts[0]` with
 *   `uri = <taskRoot>/<k>`, `outputs.outputFile = <taskRoot>/executor_output.json`.
 */
import { join } from "node:path";
import { asRecord, field } from "../template/params.js";
import type { ArtifactRef, TaskRunRequest } from "./task.js";

export const EXECUTOR_OUTPUT_FILE = "executor_output.json";

export interface ExecutorInput {
  inputs: {
    parameterValues: Record<string, unknown>;
    artifacts: Record<string, { artifacts: ArtifactRef[] }>;
  };
  outputs: {
    parameters: Record<string, { outputFile: string }>;
    artifacts: Record<string, { artifacts: ArtifactRef[] }>;
    outputFile: string;
  };
}

/** A component's declared parameters (`inputDefinitions.parameters` or `outputDefinitions.parameters`). */
export function declaredParameters(
  component: Record<string, unknown>,
  side: "inputDefinitions" | "outputDefinitions",
): Record<string, Record<string, unknown>> {
  const defs = asRecord(field(asRecord(field(component, side)), "parameters")) ?? {};
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(defs)) out[k] = asRecord(v) ?? {};
  return out;
}

/** A component's declared artifacts (`inputDefinitions.artifacts` or `outputDefinitions.artifacts`). */
export function declaredArtifacts(
  component: Record<string, unknown>,
  side: "inputDefinitions" | "outputDefinitions",
): Record<string, Record<string, unknown>> {
  const defs = asRecord(field(asRecord(field(component, side)), "artifacts")) ?? {};
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(defs)) out[k] = asRecord(v) ?? {};
  return out;
}

/** The parameter type of a declared parameter (`NUMBER_INTEGER`, `STRING`…), or undefined. */
export function parameterType(def: Record<string, unknown> | undefined): string | undefined {
  const t = field(def, "parameterType");
  return typeof t === "string" ? t : undefined;
}

/** An integral JSON value for a NUMBER_INTEGER parameter (`3.0` → `3`); other values as they are. */
export function asInteger(value: unknown): unknown {
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === "string" && /^-?\d+(\.0*)?$/.test(value.trim())) return Number.parseInt(value, 10);
  return value;
}

function artifactType(def: Record<string, unknown>): ArtifactRef["type"] {
  const t = asRecord(field(def, "artifactType")) ?? {};
  const title = field(t, "schemaTitle");
  const version = field(t, "schemaVersion");
  return {
    schemaTitle: typeof title === "string" ? title : "system.Artifact",
    ...(typeof version === "string" ? { schemaVersion: version } : {}),
  };
}

export function buildExecutorInput(
  req: Pick<TaskRunRequest, "component" | "inputs" | "taskRoot">,
): ExecutorInput {
  const inDefs = declaredParameters(req.component, "inputDefinitions");
  const parameterValues: Record<string, unknown> = {};
  // Declared parameters first (spec order), then any extra resolved argument (pipeline channels).
  const keys = [...Object.keys(inDefs), ...Object.keys(req.inputs.parameters).filter((k) => !(k in inDefs))];
  for (const k of keys) {
    const def = inDefs[k];
    let value: unknown;
    if (k in req.inputs.parameters && req.inputs.parameters[k] !== undefined)
      value = req.inputs.parameters[k];
    else if (def && field(def, "defaultValue") !== undefined) value = field(def, "defaultValue");
    else continue;
    parameterValues[k] = parameterType(def) === "NUMBER_INTEGER" ? asInteger(value) : value;
  }
  const artifacts: ExecutorInput["inputs"]["artifacts"] = {};
  for (const [k, list] of Object.entries(req.inputs.artifacts)) {
    if (list && list.length > 0) artifacts[k] = { artifacts: list };
  }
  const outParams: ExecutorInput["outputs"]["parameters"] = {};
  for (const k of Object.keys(declaredParameters(req.component, "outputDefinitions"))) {
    outParams[k] = { outputFile: join(req.taskRoot, k) };
  }
  const outArtifacts: ExecutorInput["outputs"]["artifacts"] = {};
  for (const [k, def] of Object.entries(declaredArtifacts(req.component, "outputDefinitions"))) {
    outArtifacts[k] = {
      artifacts: [{ name: k, type: artifactType(def), uri: join(req.taskRoot, k), metadata: {} }],
    };
  }
  return {
    inputs: { parameterValues, artifacts },
    outputs: {
      parameters: outParams,
      artifacts: outArtifacts,
      outputFile: join(req.taskRoot, EXECUTOR_OUTPUT_FILE),
    },
  };
}
