import YAML from "yaml";
import type { EmulatorApp } from "../http/context.js";
import { ApiError, invalidInput, notFound } from "../http/errors.js";
import {
  getPipelineRecord,
  getVersionRecord,
  latestVersion,
  type PipelineVersionRecord,
} from "../model/pipeline.js";
import { asRecord, field } from "../template/params.js";
import { parseTemplate, type Template, templateStruct } from "../template/template.js";

export interface SourceInput {
  pipeline_spec?: Record<string, unknown> | undefined;
  /** v1beta1: `pipeline_spec.pipeline_manifest` / `workflow_manifest` text. */
  manifest?: string | undefined;
  pipeline_id?: string | undefined;
  pipeline_version_id?: string | undefined;
}

export interface ResolvedSource {
  pipeline_id: string;
  pipeline_version_id: string;
  pipeline_name: string;
  inline?: Record<string, unknown>;
  template: Template;
}

/** The YAML text upstream builds from an inline spec Struct (`pipelineSpecStructToYamlString`). */
export function inlineSpecText(s: Record<string, unknown>): string {
  if (Object.hasOwn(s, "pipeline_spec")) {
    let text = YAML.stringify(s.pipeline_spec ?? null);
    if (Object.hasOwn(s, "platform_spec")) text += `\n---\n${YAML.stringify(s.platform_spec ?? null)}`;
    return text;
  }
  return YAML.stringify(s);
}

/**
 * `fetchTemplateFromPipelineSpec`: version id → that version (it must belong to the given pipeline);
 * pipeline id → its latest version; else the inline spec. Throws the inner error; callers wrap it.
 */
export function resolveSource(app: EmulatorApp, src: SourceInput): ResolvedSource {
  const store = app.store;
  const wrapFetch = (e: ApiError) =>
    e.wrap("Failed to fetch a template due to error retrieving pipeline version");
  let version: PipelineVersionRecord | undefined;
  if (src.pipeline_version_id) {
    version = getVersionRecord(store, src.pipeline_version_id);
    if (!version) {
      throw wrapFetch(
        notFound("PipelineVersion", src.pipeline_version_id)
          .wrap(`Failed to get pipeline version ${src.pipeline_version_id}`)
          .wrap(
            `Failed to fetch a pipeline version and its manifest from pipeline version ${src.pipeline_version_id}`,
          ),
      );
    }
    if (version.pipeline_id !== "" && src.pipeline_id && version.pipeline_id !== src.pipeline_id) {
      throw wrapFetch(
        invalidInput(
          `Pipeline version ${src.pipeline_version_id} belongs to pipeline ${version.pipeline_id} (not ${src.pipeline_id})`,
        ),
      );
    }
  } else if (src.pipeline_id) {
    const fetchErr = `Failed to fetch a pipeline version and its manifest from pipeline ${src.pipeline_id}`;
    if (!getPipelineRecord(store, src.pipeline_id)) {
      throw wrapFetch(
        notFound("Pipeline", src.pipeline_id)
          .wrap("Failed to get the latest pipeline version as pipeline was not found")
          .wrap(fetchErr),
      );
    }
    version = latestVersion(store, src.pipeline_id);
    if (!version) {
      throw wrapFetch(
        notFound("PipelineVersion", `latest version of pipeline ${src.pipeline_id}`)
          .wrap("Failed to get the latest pipeline version for a pipeline")
          .wrap(fetchErr),
      );
    }
  }
  if (version) {
    return {
      pipeline_id: version.pipeline_id,
      pipeline_version_id: version.pipeline_version_id,
      pipeline_name: version.name,
      template: version.template,
    };
  }
  const templateErr = (err: unknown) =>
    err instanceof ApiError
      ? err.wrap("Failed to fetch a template with an invalid pipeline spec manifest")
      : err;
  if (src.manifest) {
    let template: Template;
    try {
      template = parseTemplate(src.manifest);
    } catch (err) {
      throw templateErr(err);
    }
    return {
      pipeline_id: "",
      pipeline_version_id: "",
      pipeline_name: "",
      inline: templateStruct(template),
      template,
    };
  }
  if (!src.pipeline_spec || Object.keys(src.pipeline_spec).length === 0) {
    throw invalidInput("Failed to fetch a template with an empty pipeline spec manifest");
  }
  let template: Template;
  try {
    template = parseTemplate(inlineSpecText(src.pipeline_spec));
  } catch (err) {
    throw templateErr(err);
  }
  return { pipeline_id: "", pipeline_version_id: "", pipeline_name: "", inline: src.pipeline_spec, template };
}

/**
 * A subset of the Argo compiler's static checks (PIPELINE-SPEC.md §5.2), in upstream order: the
 * component visitor first, then the DAGs. Returns the error text, or undefined.
 */
export function compileProblem(spec: Record<string, unknown>): string | undefined {
  const components = asRecord(field(spec, "components")) ?? {};
  const executors = asRecord(field(field(spec, "deploymentSpec"), "executors")) ?? {};
  const visited = new Set<string>();
  const dfs = (name: string, comp: Record<string, unknown>): string | undefined => {
    if (visited.has(name)) return undefined;
    visited.add(name);
    const err = (m: string) => `error processing component name="${name}": ${m}`;
    const label = field(comp, "executorLabel");
    if (typeof label === "string" && label !== "") {
      const exec = asRecord(executors[label]);
      if (!exec) return err(`executor(label="${label}") not found in deployment config`);
      if (field(exec, "container") === undefined && field(exec, "importer") === undefined) {
        return err(`executor(label="${label}"): non-container and non-importer executor not implemented`);
      }
      return undefined;
    }
    const dag = asRecord(field(comp, "dag"));
    if (!dag) return err(`unknown component implementation: ${JSON.stringify(comp)}`);
    const tasks = asRecord(field(dag, "tasks")) ?? {};
    for (const key of Object.keys(tasks).sort()) {
      const t = asRecord(tasks[key]) ?? {};
      const ref = field(field(t, "componentRef"), "name");
      if (typeof ref !== "string" || ref === "") {
        return err(
          `component ref name is empty for task name="${String(field(field(t, "taskInfo"), "name") ?? "")}"`,
        );
      }
      const sub = asRecord(components[ref]);
      if (!sub) return err(`cannot find component ref name="${ref}"`);
      const e = dfs(ref, sub);
      if (e) return e;
    }
    return undefined;
  };
  const root = asRecord(field(spec, "root")) ?? {};
  const visitErr = dfs("root", root);
  if (visitErr) return visitErr;

  const dagCheck = (name: string, dag: Record<string, unknown>, depth: number): string | undefined => {
    if (depth > 100) return undefined;
    const tasks = asRecord(field(dag, "tasks")) ?? {};
    const keys = Object.keys(tasks);
    const isExit = (t: unknown) => {
      const s = field(field(t, "triggerPolicy"), "strategy");
      return s === "ALL_UPSTREAM_TASKS_COMPLETED" || s === 2;
    };
    if (keys.length > 0 && keys.every((k) => isExit(tasks[k]))) {
      return `compiling DAG "${name}": DAG ${name} must contain one or more non-exit tasks`;
    }
    for (const key of keys) {
      const t = asRecord(tasks[key]) ?? {};
      const inTask = (m: string) => `compiling DAG "${name}": compiling task "${key}": ${m}`;
      if (field(t, "parameterIterator") !== undefined && field(t, "artifactIterator") !== undefined) {
        return inTask(
          `invalid task "${key}": parameterIterator and artifactIterator cannot be specified at the same time`,
        );
      }
      if (field(t, "artifactIterator") !== undefined) return inTask("artifact iterator not implemented yet");
      const inputs = field(t, "inputs");
      for (const group of ["parameters", "artifacts"]) {
        for (const s of Object.values(asRecord(field(inputs, group)) ?? {})) {
          for (const ref of ["taskOutputParameter", "taskOutputArtifact"]) {
            const producer = field(field(s, ref), "producerTask");
            if (typeof producer === "string" && !keys.includes(producer)) {
              return `compiling DAG "${name}": DAG: failed to add implicit deps: unknown producer task "${producer}" in DAG`;
            }
          }
        }
      }
      const comp = asRecord(components[String(field(field(t, "componentRef"), "name"))]) ?? {};
      const label = field(comp, "executorLabel");
      if (typeof label === "string" && field(executors[label], "importer") !== undefined) {
        if (field(field(t, "triggerPolicy"), "condition") !== undefined) {
          return inTask("triggerPolicy.condition on importer task is not supported");
        }
      }
      const sub = asRecord(field(comp, "dag"));
      if (sub) {
        const e = dagCheck(String(field(field(t, "componentRef"), "name")), sub, depth + 1);
        if (e) return e;
      }
    }
    return undefined;
  };
  const rootDag = asRecord(field(root, "dag"));
  return rootDag ? dagCheck("root", rootDag, 0) : undefined;
}
