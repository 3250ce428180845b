/**
 * Placeholder substitution in a task's argv (../shared/kfp-api/EXECUTION.md "Placeholders";
 * `kfp/local/placeholder_utils.py` and the v2 launcher upstream):
 * - structural elements first: a JSON string `{"Concat": [...]}` becomes one string, `{"IfPresent":
 *   {"InputName", "Then", "Else"}}` becomes zero or more elements (a list `Then`/`Else` splices in);
 * - then every `{{$…}}` inside each element: `{{$}}` (the executor input as JSON), the output file,
 *   job/task names and ids, the pipeline root, the workspace, and the input/output parameter and
 *   artifact references (`.uri`, `.path`, `.metadata`, or the whole artifact list as JSON).
 * A reference to something the task does not have is a `PlaceholderError` naming the placeholder;
 * so is an element over the 128 KiB Linux allows one argument (MAX_ARG_STRLEN).
 */
import { join } from "node:path";
import type { ExecutorInput } from "./executor-input.js";
import type { ArtifactRef } from "./task.js";

/** Linux caps one argv element (and one environment string) at 32 pages: 128 KiB. */
export const MAX_ARG_BYTES = 128 * 1024;

export class PlaceholderError extends Error {
  override name = "PlaceholderError";
}

export interface PlaceholderContext {
  executorInput: ExecutorInput;
  pipelineName: string;
  /** The run's display name (`{{$.pipeline_job_name}}`; the resource name when absent). */
  runDisplayName?: string;
  /** The run's resource name (`{{$.pipeline_job_resource_name}}`; derived from name and id when absent). */
  jobResourceName?: string;
  runId: string;
  taskName: string;
  taskId: string;
  pipelineRoot: string;
  /** The run's shared workspace directory (`{{$.workspace_path}}`). */
  workspacePath: string;
  /** ISO time the run was created (`{{$.pipeline_job_create_time_utc}}`, schedule time too). */
  createTimeUtc: string;
}

/**
 * The run's resource name as placeholders and `taskFinalStatus` show it: `<pipeline-name>-xxxxx`,
 * the pipeline name lower-cased to a Kubernetes name and the first five id characters of the run.
 */
export function pipelineJobResourceName(pipelineName: string, runId: string): string {
  const base =
    pipelineName
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 56) || "pipeline";
  const suffix =
    runId
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "")
      .slice(0, 5) || "00000";
  return `${base}-${suffix}`;
}

/** The local file path of an artifact uri (`file://` stripped; cloud schemes as the SDK maps them). */
export function artifactPath(uri: string): string {
  if (uri.startsWith("file://")) return uri.slice("file://".length);
  for (const [scheme, dir] of [
    ["gs://", "/gcs/"],
    ["s3://", "/s3/"],
    ["minio://", "/minio/"],
  ] as const) {
    if (uri.startsWith(scheme)) return dir + uri.slice(scheme.length);
  }
  return uri;
}

type Struct = string | null | Struct[] | { [k: string]: unknown };

/** The names of the inputs the task was given (non-null parameters, non-empty artifact lists). */
function providedInputs(ei: ExecutorInput): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(ei.inputs.parameterValues))
    if (v !== null && v !== undefined) out.add(k);
  for (const [k, v] of Object.entries(ei.inputs.artifacts)) if (v.artifacts.length > 0) out.add(k);
  return out;
}

function resolveStruct(node: unknown, provided: Set<string>, where: string): string | string[] | null {
  if (node === null || node === undefined) return null;
  if (typeof node === "string") return node;
  if (Array.isArray(node)) {
    const out: string[] = [];
    for (const item of node) {
      const r = resolveStruct(item, provided, where);
      if (r === null) continue;
      if (Array.isArray(r)) out.push(...r);
      else out.push(r);
    }
    return out;
  }
  if (typeof node === "object") {
    const o = node as Record<string, unknown>;
    if ("Concat" in o) {
      const parts = o.Concat;
      if (!Array.isArray(parts)) throw new PlaceholderError(`${where}: "Concat" must hold a list`);
      const r = resolveStruct(parts, provided, where);
      return Array.isArray(r) ? r.join("") : (r ?? "");
    }
    if ("IfPresent" in o) {
      const ip = o.IfPresent as Record<string, unknown> | null;
      if (!ip || typeof ip !== "object" || typeof ip.InputName !== "string") {
        throw new PlaceholderError(`${where}: "IfPresent" needs an "InputName" string`);
      }
      const branch = provided.has(ip.InputName) ? ip.Then : ip.Else;
      return resolveStruct(branch, provided, where);
    }
    throw new PlaceholderError(`${where}: unknown structural placeholder ${JSON.stringify(Object.keys(o))}`);
  }
  return String(node);
}

/** Expand the structural placeholders of one argv element into zero or more plain elements. */
export function expandStructural(element: unknown, provided: Set<string>, index: number): string[] {
  const where = `argument ${index}`;
  let node: Struct | unknown = element;
  if (typeof element === "string") {
    const t = element.trimStart();
    if (!(t.startsWith('{"Concat"') || t.startsWith('{"IfPresent"'))) return [element];
    try {
      node = JSON.parse(element);
    } catch (e) {
      throw new PlaceholderError(`${where}: a structural placeholder that is not valid JSON (${String(e)})`);
    }
  } else if (typeof element === "number" || typeof element === "boolean") {
    return [String(element)];
  }
  const r = resolveStruct(node, provided, where);
  if (r === null) return [];
  return Array.isArray(r) ? r : [r];
}

function artifactAt(
  lists: Record<string, { artifacts: ArtifactRef[] }>,
  key: string,
  ph: string,
  side: string,
): ArtifactRef {
  const a = lists[key]?.artifacts[0];
  if (!a) throw new PlaceholderError(`${ph}: the task has no ${side} artifact '${key}'`);
  return a;
}

function artifactField(a: ArtifactRef, attr: string | undefined, ph: string): string {
  switch (attr) {
    case "uri":
      return a.uri;
    case "path":
      return artifactPath(a.uri);
    case "metadata":
      return JSON.stringify(a.metadata ?? {});
    default:
      throw new PlaceholderError(
        `${ph}: unsupported artifact attribute '${attr}' (use uri, path or metadata)`,
      );
  }
}

const IO = /^(inputs|outputs)\.(parameters|artifacts)\['([^']*)'\](?:\.([A-Za-z_]+))?$/;

/** The value of one `{{$…}}` placeholder (`body` is what follows `{{$`, without the braces). */
function placeholderValue(body: string, ctx: PlaceholderContext): string {
  const ph = `{{$${body}}}`;
  const ei = ctx.executorInput;
  switch (body) {
    case "":
      return JSON.stringify(ei);
    case ".outputs.output_file":
    case ".outputMetadataUri":
      return ei.outputs.outputFile;
    case ".pipeline_job_name":
      return (
        ctx.runDisplayName ?? ctx.jobResourceName ?? pipelineJobResourceName(ctx.pipelineName, ctx.runId)
      );
    case ".pipeline_job_resource_name":
      return ctx.jobResourceName ?? pipelineJobResourceName(ctx.pipelineName, ctx.runId);
    case ".pipeline_job_uuid":
      return ctx.runId;
    case ".pipeline_task_name":
      return ctx.taskName;
    case ".pipeline_task_uuid":
      return ctx.taskId;
    case ".pipeline_root":
      return ctx.pipelineRoot;
    case ".workspace_path":
      return ctx.workspacePath;
    case ".pipeline_job_create_time_utc":
    case ".pipeline_job_schedule_time_utc":
      return ctx.createTimeUtc;
  }
  const m = IO.exec(body.slice(1));
  if (!m || !body.startsWith(".")) throw new PlaceholderError(`${ph}: unsupported placeholder`);
  const [, side = "", kind, key = "", attr] = m;
  if (side === "inputs" && kind === "parameters") {
    if (attr !== undefined)
      throw new PlaceholderError(`${ph}: an input parameter has no attribute '${attr}'`);
    if (!(key in ei.inputs.parameterValues)) {
      throw new PlaceholderError(`${ph}: input parameter '${key}' has no value and no default`);
    }
    const v = ei.inputs.parameterValues[key];
    return typeof v === "string" ? v : JSON.stringify(v);
  }
  if (side === "outputs" && kind === "parameters") {
    const p = ei.outputs.parameters[key];
    if (!p) throw new PlaceholderError(`${ph}: the component declares no output parameter '${key}'`);
    if (attr !== "output_file") throw new PlaceholderError(`${ph}: use .output_file for an output parameter`);
    return p.outputFile;
  }
  const lists = side === "inputs" ? ei.inputs.artifacts : ei.outputs.artifacts;
  if (attr === undefined) {
    const list = lists[key];
    if (!list) throw new PlaceholderError(`${ph}: the task has no ${side.slice(0, -1)} artifact '${key}'`);
    return JSON.stringify(list.artifacts);
  }
  return artifactField(artifactAt(lists, key, ph, side.slice(0, -1)), attr, ph);
}

const PLACEHOLDER = /\{\{\$([^{}]*)\}\}/g;

/** Substitute every `{{$…}}` in one string. */
export function substitute(text: string, ctx: PlaceholderContext): string {
  if (!text.includes("{{$")) return text;
  return text.replace(PLACEHOLDER, (_all, body: string) => placeholderValue(body, ctx));
}

/**
 * Parameter values that are themselves placeholders (f-strings over upstream outputs compile to
 * `"{{$.inputs.parameters['pipelinechannel--x']}}-suffix"`) take the value they point to.
 */
export function resolveSelfReferences(ctx: PlaceholderContext): void {
  const values = ctx.executorInput.inputs.parameterValues;
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === "string" && v.includes("{{$.inputs.parameters[")) values[k] = substitute(v, ctx);
  }
}

/** `command + args` with every placeholder resolved; throws PlaceholderError with what to fix. */
export function resolveArgv(elements: readonly unknown[], ctx: PlaceholderContext): string[] {
  const provided = providedInputs(ctx.executorInput);
  const out: string[] = [];
  elements.forEach((el, i) => {
    for (const part of expandStructural(el, provided, i)) out.push(substitute(part, ctx));
  });
  out.forEach((el, i) => {
    const bytes = Buffer.byteLength(el);
    if (bytes > MAX_ARG_BYTES) {
      throw new PlaceholderError(
        `argument ${i} is ${bytes} bytes after placeholder substitution, over the ${MAX_ARG_BYTES / 1024} KiB ` +
          "Linux allows one process argument; pass large values as artifacts instead",
      );
    }
  });
  return out;
}

/** The workspace directory of a run under its pipeline root. */
export function workspaceDir(pipelineRoot: string): string {
  return join(pipelineRoot, "workspace");
}
