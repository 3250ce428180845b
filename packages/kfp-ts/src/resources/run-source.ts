/**
 * Where a run (or recurring run) gets its pipeline from, shared by runs and recurring runs:
 * a stored pipeline version (ids; pipeline name + version name; or the pipeline's latest version), or a
 * spec sent inline as `pipeline_spec` (a spec object, or a package: YAML/JSON text, bytes, a zip/tar.gz
 * archive, or `fromPath(...)`). Also: parameter checking against the resolved spec, and the SDK-style
 * caching override for inline specs; and the experiment/namespace a run is created or listed in.
 */
import { platform } from "#platform";
import type { CallOptions, Kfp } from "../client.js";
import { ValidationError } from "../core/errors.js";
import { checkRunParameters } from "../core/params.js";
import {
  archiveKind,
  type JsonObject,
  packageSpecObject,
  parsePipelinePackage,
  readArchiveSpec,
  specToYaml,
  splitSpecObject,
} from "../core/spec.js";
import { type FileSource, materialize, prepareSource } from "../core/uploads.js";
import { compact, isRecord } from "../internal/values.js";
import type { PipelineVersion } from "../types/pipelines.js";
import type { JsonValue, PipelineVersionReference, RuntimeConfig } from "../types/runs.js";
import {
  callOpts,
  checkNamespace,
  checkNotAPath,
  isMultiUser,
  notFound,
  optionalString,
  pipelineByName,
  requireString,
  resolveNamespace,
} from "./shared.js";

/** The pipeline of a run: give exactly one of the groups. */
export interface PipelineSourceParams {
  /** A stored pipeline (with `pipeline_version_id` or `version_name`; alone = its latest version). */
  pipeline_id?: string;
  pipeline_version_id?: string;
  /** A stored pipeline by its `name` (not display_name), in `namespace` (or shared when none). */
  pipeline_name?: string;
  /** A version of the pipeline by its `name`. */
  version_name?: string;
  /** An inline spec object (`PipelineSpec`, or `{pipeline_spec, platform_spec}`). */
  pipeline_spec?: Record<string, unknown>;
  /** An inline package: YAML/JSON text, bytes (also zip/tar.gz), or `fromPath("pipeline.yaml")`. */
  package?: string | Uint8Array | FileSource;
}

/** Run configuration shared by runs and recurring runs. */
export interface RunConfigParams extends PipelineSourceParams {
  /** Run parameters, checked against the spec's root inputDefinitions before sending. */
  parameters?: Record<string, unknown>;
  pipeline_root?: string;
  service_account?: string;
  /**
   * Override every task's `cachingOptions.enableCache` (like the Python SDK). Only for inline specs:
   * a stored version's caching cannot be changed when the run references it.
   */
  enable_caching?: boolean;
  /** Check parameters against the spec before sending (default true). */
  checkParameters?: boolean;
}

export interface ResolvedSource {
  reference?: PipelineVersionReference;
  /** The spec to send inline as `pipeline_spec`. */
  inline?: JsonObject;
  /** The PipelineSpec to check parameters against (undefined when unknown, e.g. an Argo workflow). */
  checkSpec?: unknown;
  /** v1beta1: the inline spec as text for `pipeline_manifest`. */
  manifest?: string;
}

/** Set `cachingOptions.enableCache` on every task of every DAG (root and components), on a copy. */
export function overrideCaching(spec: JsonObject, enable: boolean): JsonObject {
  const copy = structuredClone(spec);
  const { pipelineSpec } = splitSpecObject(copy);
  if (!isRecord(pipelineSpec)) return copy;
  const dags: unknown[] = [];
  if (isRecord(pipelineSpec.root)) dags.push(pipelineSpec.root.dag);
  if (isRecord(pipelineSpec.components)) {
    for (const c of Object.values(pipelineSpec.components)) if (isRecord(c)) dags.push(c.dag);
  }
  for (const dag of dags) {
    if (!isRecord(dag) || !isRecord(dag.tasks)) continue;
    for (const task of Object.values(dag.tasks)) {
      if (!isRecord(task)) continue;
      const key =
        task.caching_options !== undefined && task.cachingOptions === undefined
          ? "caching_options"
          : "cachingOptions";
      const opts = isRecord(task[key]) ? (task[key] as Record<string, unknown>) : {};
      if (key === "caching_options") opts.enable_cache = enable;
      else opts.enableCache = enable;
      task[key] = opts;
    }
  }
  return copy;
}

async function packageText(pkg: string | Uint8Array | FileSource): Promise<string> {
  checkNotAPath(pkg, "package");
  if (typeof pkg === "string") return pkg;
  const prepared = await prepareSource(pkg);
  const bytes = prepared.data ?? (await materialize(prepared));
  if (archiveKind(bytes)) {
    const found = await readArchiveSpec(bytes);
    if (!found)
      throw new ValidationError("the package archive contains no pipeline spec (.yaml/.yml/.json)", {
        field: "package",
      });
    return found.text;
  }
  return prepared.text ?? platform.utf8Decode(bytes);
}

/** Where a run (or recurring run) is created: its experiment, and the namespace for name lookups. */
export interface RunTargetParams {
  experiment_id?: string;
  experiment_name?: string;
  namespace?: string;
}

/**
 * The namespace (the client's by default) and the experiment: `experiment_id`, or `experiment_name`
 * (got or created in the namespace). In multi-user mode an experiment is required (`multiUserMessage`).
 */
export async function resolveRunTarget(
  client: Kfp,
  params: RunTargetParams,
  multiUserMessage: string,
  opts: CallOptions | undefined,
): Promise<{ namespace: string | undefined; experimentId: string | undefined }> {
  const namespace = resolveNamespace(client, params.namespace);
  checkNamespace(namespace);
  if (params.experiment_id !== undefined && params.experiment_name !== undefined) {
    throw new ValidationError("pass experiment_id or experiment_name, not both", {
      field: "experiment_name",
    });
  }
  let experimentId = optionalString(params.experiment_id, "experiment_id");
  if (params.experiment_name !== undefined) {
    const exp = await client.experiments.getOrCreate(
      compact({ display_name: params.experiment_name, namespace }),
      callOpts(opts),
    );
    experimentId = exp.experiment_id;
  }
  if (!experimentId && (await isMultiUser(client, opts))) {
    throw new ValidationError(multiUserMessage, { field: "experiment_id" });
  }
  return { namespace, experimentId };
}

/**
 * The scope of a run or recurring run list: `experiment_id`, or the namespace (the client's by default).
 * In multi-user mode one of them is required; `what` ("runs", "recurring runs") names the list.
 */
export async function resolveListScope(
  client: Kfp,
  params: { experiment_id?: string; namespace?: string } | undefined,
  what: string,
  opts: CallOptions | undefined,
): Promise<{ experimentId: string | undefined; namespace: string | undefined }> {
  const experimentId = optionalString(params?.experiment_id, "experiment_id");
  const namespace = resolveNamespace(client, params?.namespace);
  checkNamespace(namespace);
  if (!experimentId && !namespace && (await isMultiUser(client, opts))) {
    throw new ValidationError(
      `The server runs in multi-user mode: listing ${what} needs a namespace or an experiment_id ` +
        "(pass { namespace } or { experiment_id }, or use kfp.withNamespace(ns)).",
      { field: "namespace" },
    );
  }
  return { experimentId, namespace };
}

/**
 * Resolve the pipeline source: which version to reference, or which spec to send inline (also as
 * YAML text when `specAsText`: what the v1beta1 routes send).
 */
export async function resolveSource(
  client: Kfp,
  specAsText: boolean,
  src: RunConfigParams,
  namespace: string | undefined,
  opts: CallOptions | undefined,
): Promise<ResolvedSource> {
  const groups = [
    src.pipeline_id !== undefined || src.pipeline_name !== undefined ? "pipeline" : undefined,
    src.pipeline_spec !== undefined ? "pipeline_spec" : undefined,
    src.package !== undefined ? "package" : undefined,
  ].filter(Boolean);
  if (src.pipeline_version_id !== undefined && src.version_name !== undefined) {
    throw new ValidationError("pass pipeline_version_id or version_name, not both", {
      field: "version_name",
    });
  }
  if (
    (src.pipeline_version_id !== undefined || src.version_name !== undefined) &&
    src.pipeline_id === undefined &&
    src.pipeline_name === undefined
  ) {
    throw new ValidationError("pipeline_version_id / version_name need pipeline_id or pipeline_name", {
      field: "pipeline_version_id",
    });
  }
  if (groups.length !== 1) {
    throw new ValidationError(
      groups.length === 0
        ? "a run needs a pipeline: pass pipeline_id (+ pipeline_version_id or version_name), pipeline_name (+ version_name), pipeline_spec, or package"
        : `pass only one pipeline source, got ${groups.join(" and ")}`,
      { field: "pipeline" },
    );
  }
  if (src.pipeline_id !== undefined && src.pipeline_name !== undefined) {
    throw new ValidationError("pass pipeline_id or pipeline_name, not both", { field: "pipeline_name" });
  }
  const wantSpec = src.checkParameters !== false;

  if (groups[0] === "pipeline_spec" || groups[0] === "package") {
    let spec: JsonObject;
    let checkSpec: unknown;
    if (groups[0] === "package") {
      const text = await packageText(src.package!);
      const pkg = parsePipelinePackage(text);
      spec = packageSpecObject(pkg);
      checkSpec = pkg.kind === "v2" ? pkg.pipelineSpec : undefined;
    } else {
      if (!isRecord(src.pipeline_spec))
        throw new ValidationError("pipeline_spec must be an object", { field: "pipeline_spec" });
      spec = src.pipeline_spec;
      const { pipelineSpec } = splitSpecObject(spec);
      if (
        !isRecord(pipelineSpec) ||
        (pipelineSpec.root === undefined && pipelineSpec.pipelineInfo === undefined)
      ) {
        throw new ValidationError("pipeline_spec is not a pipeline spec (no root / pipelineInfo)", {
          field: "pipeline_spec",
        });
      }
      checkSpec = pipelineSpec;
    }
    if (src.enable_caching !== undefined) spec = overrideCaching(spec, src.enable_caching);
    const out: ResolvedSource = { inline: spec };
    if (checkSpec !== undefined) out.checkSpec = checkSpec;
    // v1beta1 takes the spec as text; YAML keeps a platform spec as a second document.
    if (specAsText) out.manifest = specToYaml(spec);
    return out;
  }

  if (src.enable_caching !== undefined) {
    throw new ValidationError(
      "enable_caching cannot be applied to a stored pipeline version: the run references the version and the server uses its caching options as uploaded. " +
        "Pass the spec inline instead (pipeline_spec: (await kfp.pipelines.versions.get(pipelineId, versionId)).pipeline_spec, enable_caching), or upload a version with the caching you want.",
      { field: "enable_caching" },
    );
  }
  const pipelineId =
    src.pipeline_id ?? (await pipelineByName(client, src.pipeline_name!, namespace, opts)).pipeline_id;
  requireString(pipelineId, "pipeline_id");
  let version: PipelineVersion | undefined;
  let versionId = src.pipeline_version_id;
  if (versionId === undefined) {
    version =
      src.version_name !== undefined
        ? await versionByName(client, pipelineId, src.version_name, opts)
        : await latestVersion(client, pipelineId, opts);
    versionId = version.pipeline_version_id;
  }
  const out: ResolvedSource = { reference: { pipeline_id: pipelineId } };
  if (versionId) out.reference!.pipeline_version_id = versionId;
  if (wantSpec && versionId) {
    const spec = await versionSpec(client, pipelineId, versionId, version, opts);
    if (spec !== undefined) out.checkSpec = spec;
  }
  return out;
}

async function versionByName(
  client: Kfp,
  pipelineId: string,
  name: string,
  opts: CallOptions | undefined,
): Promise<PipelineVersion> {
  if (typeof name !== "string" || name === "") {
    throw new ValidationError("version_name must be a non-empty string", { field: "version_name" });
  }
  const found = await client.pipelines.versions.findByName(pipelineId, name, callOpts(opts));
  if (!found) {
    throw notFound(
      `Pipeline ${pipelineId} has no version named ${JSON.stringify(name)}`,
      "GET",
      "/pipelines/{id}/versions",
    );
  }
  return found;
}

async function latestVersion(
  client: Kfp,
  pipelineId: string,
  opts: CallOptions | undefined,
): Promise<PipelineVersion> {
  const page = await client.pipelines.versions.list(pipelineId, {
    ...callOpts(opts),
    sort_by: "created_at desc",
    page_size: 1,
  });
  const found = page.items[0];
  if (!found) throw notFound(`Pipeline ${pipelineId} has no versions`, "GET", "/pipelines/{id}/versions");
  return found;
}

async function versionSpec(
  client: Kfp,
  pipelineId: string,
  versionId: string,
  known: PipelineVersion | undefined,
  opts: CallOptions | undefined,
): Promise<unknown> {
  const v =
    known?.pipeline_spec !== undefined
      ? known
      : await client.pipelines.versions.get(pipelineId, versionId, callOpts(opts));
  if (v?.pipeline_spec === undefined) return undefined; // e.g. an Argo (v1) template: leave checks to the server
  const { pipelineSpec } = splitSpecObject(v.pipeline_spec);
  return isRecord(pipelineSpec) && isRecord(pipelineSpec.root) ? pipelineSpec : undefined;
}

/** Check parameters (when a spec is known and checking is on) and build `runtime_config`. */
export function runtimeConfig(src: RunConfigParams, resolved: ResolvedSource): RuntimeConfig | undefined {
  if (src.parameters !== undefined && !isRecord(src.parameters)) {
    throw new ValidationError("parameters must be an object mapping parameter names to values", {
      field: "parameters",
    });
  }
  let parameters: Record<string, JsonValue> | undefined;
  if (src.checkParameters !== false && resolved.checkSpec !== undefined) {
    parameters = checkRunParameters(resolved.checkSpec, src.parameters);
  } else if (src.parameters) {
    parameters = {};
    for (const [k, v] of Object.entries(src.parameters)) if (v !== undefined) parameters[k] = v as JsonValue;
  }
  const root = optionalString(src.pipeline_root, "pipeline_root");
  const out: RuntimeConfig = {};
  if (parameters && Object.keys(parameters).length > 0) out.parameters = parameters;
  if (root) out.pipeline_root = root;
  return Object.keys(out).length > 0 ? out : undefined;
}
