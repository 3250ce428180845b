/**
 * A finished task's outputs (../shared/kfp-api/EXECUTION.md "Reading outputs";
 * `kfp/local/executor_output_utils.py`): `executor_output.json` first (`parameterValues`, and
 * `artifacts[k].artifacts[]` with `uri`, `metadata` and an optional `custom_path`; a missing file is
 * empty), then each declared output parameter's file, which wins when it exists (STRING raw, BOOLEAN
 * lower-cased, anything else JSON). Every declared output artifact is returned, with the uri the task
 * was given when the executor did not report one. NUMBER_INTEGER outputs come back as integers.
 */
import { readFile } from "node:fs/promises";
import { asRecord, field } from "../template/params.js";
import {
  asInteger,
  declaredArtifacts,
  declaredParameters,
  type ExecutorInput,
  parameterType,
} from "./executor-input.js";
import type { ArtifactRef, TaskRunResult } from "./task.js";

export class OutputError extends Error {
  override name = "OutputError";
}

/** Output files larger than this are not parsed (a parameter is a small JSON value). */
const MAX_PARAMETER_FILE_BYTES = 16 * 1024 * 1024;

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new OutputError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** One output parameter file's value, by the declared type. */
export function parseParameterFile(name: string, text: string, type: string | undefined): unknown {
  if (Buffer.byteLength(text) > MAX_PARAMETER_FILE_BYTES) {
    throw new OutputError(`output parameter '${name}' is over ${MAX_PARAMETER_FILE_BYTES} bytes`);
  }
  if (type === "STRING") return text;
  try {
    return JSON.parse(type === "BOOLEAN" ? text.trim().toLowerCase() : text);
  } catch {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new OutputError(
      `output parameter '${name}' (${type ?? "untyped"}) is not valid JSON: ${JSON.stringify(shown)}`,
    );
  }
}

function toArtifact(raw: unknown, fallback: ArtifactRef): ArtifactRef {
  const r = asRecord(raw) ?? {};
  const customPath = field(r, "customPath");
  const uri = typeof customPath === "string" && customPath ? customPath : field(r, "uri");
  const metadata = asRecord(field(r, "metadata"));
  const name = field(r, "name");
  return {
    name: typeof name === "string" && name ? name : fallback.name,
    type: fallback.type,
    uri: typeof uri === "string" && uri ? uri : fallback.uri,
    metadata: metadata ?? fallback.metadata,
  };
}

export async function readOutputs(
  component: Record<string, unknown>,
  ei: ExecutorInput,
): Promise<TaskRunResult["outputs"]> {
  const text = await readIfExists(ei.outputs.outputFile);
  let executorOutput: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== "") {
    try {
      executorOutput = asRecord(JSON.parse(text)) ?? {};
    } catch (e) {
      throw new OutputError(`${ei.outputs.outputFile} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const outDefs = declaredParameters(component, "outputDefinitions");
  const parameters: Record<string, unknown> = {};
  const reported = asRecord(field(executorOutput, "parameterValues")) ?? {};
  for (const [k, v] of Object.entries(reported)) parameters[k] = v;
  for (const [k, { outputFile }] of Object.entries(ei.outputs.parameters)) {
    const body = await readIfExists(outputFile);
    if (body !== undefined) parameters[k] = parseParameterFile(k, body, parameterType(outDefs[k]));
  }
  for (const [k, def] of Object.entries(outDefs)) {
    if (k in parameters && parameterType(def) === "NUMBER_INTEGER") parameters[k] = asInteger(parameters[k]);
  }
  const artifacts: Record<string, ArtifactRef[]> = {};
  const reportedArtifacts = asRecord(field(executorOutput, "artifacts")) ?? {};
  for (const k of Object.keys(declaredArtifacts(component, "outputDefinitions"))) {
    const given = ei.outputs.artifacts[k]?.artifacts ?? [];
    const fallback = given[0];
    if (!fallback) continue;
    const list = field(asRecord(reportedArtifacts[k]), "artifacts");
    artifacts[k] =
      Array.isArray(list) && list.length > 0 ? list.map((a) => toArtifact(a, fallback)) : [...given];
  }
  return { parameters, artifacts };
}
