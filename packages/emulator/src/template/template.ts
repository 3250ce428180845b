/**
 * `template.New` (template/template.go, v2_template.go, argo_template.go): a pipeline document
 * classified and validated into a Template. Argo Workflow documents are v1 templates; otherwise the
 * YAML stream (yaml-docs.ts) must contain one document that decodes strictly as a `PipelineSpec`
 * (protojson.ts) with `pipelineInfo.name` and `root`; schemaVersion must be 2.1.0; at most one
 * pipeline and one kubernetes platform document (PIPELINE-SPEC.md §5.1). The file upload itself is
 * read by package-file.ts.
 *
 * The stored spec is what protojson would re-serialise: lowerCamelCase keys, zero values dropped,
 * enums by name, int64 as strings; Struct contents are untouched.
 */
import YAML from "yaml";
import { invalidInput } from "../http/errors.js";
import { decodePipelineSpec, decodePlatformSpec } from "./protojson.js";
import { specError } from "./spec-error.js";
import { type YamlDoc, yamlDocs } from "./yaml-docs.js";

export interface V2Template {
  type: "v2";
  /** protojson re-serialisation of the pipeline document. */
  pipelineSpec: Record<string, unknown>;
  /** protojson re-serialisation of the kubernetes platform document, when present. */
  platformSpec?: Record<string, unknown>;
  /** `pipelineInfo.name`. */
  pipelineName: string;
}

export interface V1Template {
  type: "v1";
  /** The Argo Workflow document. */
  workflow: Record<string, unknown>;
  /** `spec.arguments.parameters` as v1 parameters. */
  parameters: { name: string; value?: string }[];
  /** True when annotated `pipelines.kubeflow.org/v2_pipeline: "true"` (v2-compatible). */
  v2Compatible: boolean;
  /** The `pipeline-name` workflow parameter (v2-compatible workflows). */
  pipelineName: string;
}

export type Template = V1Template | V2Template;

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isArgoWorkflow(docs: YamlDoc[]): Record<string, unknown> | undefined {
  const first = docs[0];
  if (!first || first.error || !isMap(first.value)) return undefined;
  const { apiVersion, kind: k } = first.value;
  if (typeof apiVersion !== "string" || (k !== undefined && typeof k !== "string")) return undefined;
  return apiVersion.startsWith("argoproj.io/") && k === "Workflow" ? first.value : undefined;
}

function isPipelineSpecDoc(v: unknown): Record<string, unknown> | undefined {
  if (!isMap(v)) return undefined;
  const decoded = decodePipelineSpec(v);
  if (!decoded) return undefined;
  const info = decoded.pipelineInfo as { name?: unknown } | undefined;
  if (typeof info?.name !== "string" || info.name === "" || decoded.root === undefined) return undefined;
  return decoded;
}

function v1Template(wf: Record<string, unknown>): V1Template {
  if (wf.apiVersion !== "argoproj.io/v1alpha1") {
    throw invalidInput(
      `Unsupported argo version. Expected: argoproj.io/v1alpha1. Received: ${String(wf.apiVersion)}`,
    );
  }
  const spec = isMap(wf.spec) ? wf.spec : {};
  const templates = spec.templates;
  if (templates !== undefined && !Array.isArray(templates)) {
    throw specError(
      "Failed to parse the workflow template",
      "json: cannot unmarshal into Go struct field WorkflowSpec.spec.templates",
    );
  }
  const args = isMap(spec.arguments) ? spec.arguments : {};
  const params = Array.isArray(args.parameters) ? args.parameters : [];
  const parameters: { name: string; value?: string }[] = [];
  for (const p of params) {
    if (!isMap(p) || typeof p.name !== "string") continue;
    const entry: { name: string; value?: string } = { name: p.name };
    if (p.value !== undefined && p.value !== null)
      entry.value = typeof p.value === "string" ? p.value : JSON.stringify(p.value);
    parameters.push(entry);
  }
  const meta = isMap(wf.metadata) ? wf.metadata : {};
  const annotations = isMap(meta.annotations) ? meta.annotations : {};
  const pipelineName = parameters.find((p) => p.name === "pipeline-name")?.value ?? "";
  return {
    type: "v1",
    workflow: wf,
    parameters,
    v2Compatible: annotations["pipelines.kubeflow.org/v2_pipeline"] === "true",
    pipelineName,
  };
}

/**
 * `template.New`: classify and validate a pipeline document. Throws ApiError code 3 with the real
 * external messages.
 */
export function parseTemplate(bytes: Buffer | string): Template {
  const text = typeof bytes === "string" ? bytes : bytes.toString("utf8");
  const cached = RECENT_TEMPLATES.get(text);
  if (cached) {
    // Most recently used last.
    RECENT_TEMPLATES.delete(text);
    RECENT_TEMPLATES.set(text, cached);
    return cached;
  }
  const template = parseTemplateText(text);
  if (text.length <= RECENT_TEMPLATE_MAX_CHARS) {
    RECENT_TEMPLATES.set(text, template);
    if (RECENT_TEMPLATES.size > RECENT_TEMPLATE_COUNT) {
      RECENT_TEMPLATES.delete(RECENT_TEMPLATES.keys().next().value as string);
    }
  }
  return template;
}

/**
 * Recently parsed documents → their (immutable) templates. CI uploads the same package again and
 * again; parsing is deterministic, so an identical text gets the same template object, which also
 * keeps one copy in memory for all the versions made from it. Only successes are remembered.
 */
const RECENT_TEMPLATES = new Map<string, Template>();
const RECENT_TEMPLATE_COUNT = 32;
const RECENT_TEMPLATE_MAX_CHARS = 1 << 20;

function parseTemplateText(text: string): Template {
  if (text.length === 0) throw specError("unknown template format");
  const docs = yamlDocs(text);
  const wf = isArgoWorkflow(docs);
  if (wf) return v1Template(wf);

  // inferTemplateFormat / isV2Spec: the first strict PipelineSpec document decides; a syntax error
  // before one is found is reported; non-map documents are skipped.
  let found = false;
  // The strict decode of each document checked so far (reused below).
  const decodedDocs = new Map<YamlDoc, Record<string, unknown> | undefined>();
  for (const d of docs) {
    if (d.error) throw specError(`failed to parse pipeline spec YAML: ${d.error}`);
    if (d.value === null || d.value === undefined) continue;
    const decoded = isPipelineSpecDoc(d.value);
    decodedDocs.set(d, decoded);
    if (decoded) {
      found = true;
      break;
    }
  }
  if (!found) throw specError("unknown template format");

  // NewV2SpecTemplate
  let spec: Record<string, unknown> | undefined;
  let platform: Record<string, unknown> | undefined;
  for (const d of docs) {
    if (d.error) throw specError(`unable to decode yaml document: ${d.error}`);
    if (d.value === null || d.value === undefined) continue;
    if (!isMap(d.value)) {
      throw specError(
        `unable to decode yaml document: yaml: unmarshal errors:\n  cannot unmarshal ${Array.isArray(d.value) ? "!!seq" : "!!str"} into map[string]interface {}`,
      );
    }
    const decoded = decodedDocs.has(d) ? decodedDocs.get(d) : isPipelineSpecDoc(d.value);
    if (decoded) {
      if (spec) throw specError("multiple pipeline specs provided");
      const version = typeof decoded.schemaVersion === "string" ? decoded.schemaVersion : "";
      if (version !== "2.1.0") {
        throw specError(
          `KFP only supports schema version 2.1.0, but the pipeline spec has version ${version}`,
        );
      }
      const name = (decoded.pipelineInfo as { name: string }).name;
      if (!/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/.test(name)) {
        throw specError(
          "invalid v2 pipeline spec: name should consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        );
      }
      spec = decoded;
      continue;
    }
    const plat = decodePlatformSpec(d.value);
    if (plat && isMap(plat.platforms) && "kubernetes" in plat.platforms) {
      if (platform) throw specError("multiple platform specs provided", "platform spec is invalid");
      platform = plat;
    }
  }
  if (!spec) throw specError("no pipeline spec is provided");
  const result: V2Template = {
    type: "v2",
    pipelineSpec: spec,
    pipelineName: (spec.pipelineInfo as { name: string }).name,
  };
  if (platform) result.platformSpec = platform;
  return result;
}

/** `common.ValidatePipelineName` (applied to `pipelineInfo.name` of v2 and v2-compatible templates). */
export function validatePipelineName(name: string): void {
  if (name === "") throw invalidInput("pipeline's name cannot be empty");
  if (name.length > 128) throw invalidInput("pipeline's name must contain no more than 128 characters");
  if (!/^[a-z0-9][a-z0-9-]{0,127}$/.test(name)) {
    throw invalidInput(
      "pipeline's name must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters",
    );
  }
}

/** The stored spec as the API returns it (`YamlStringToPipelineSpecStruct`). */
export function templateStruct(t: Template): Record<string, unknown> {
  if (t.type === "v1") return t.workflow;
  if (t.platformSpec) return { pipeline_spec: t.pipelineSpec, platform_spec: t.platformSpec };
  return t.pipelineSpec;
}

/** The stored template text (`tmpl.Bytes()`): YAML, platform document appended after `\n---\n`. */
export function templateYaml(t: Template): string {
  if (t.type === "v1") return YAML.stringify(t.workflow, { lineWidth: 0 });
  let out = YAML.stringify(t.pipelineSpec, { lineWidth: 0 });
  if (t.platformSpec) out += `\n---\n${YAML.stringify(t.platformSpec, { lineWidth: 0 })}`;
  return out;
}
