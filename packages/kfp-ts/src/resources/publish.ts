/**
 * `pipelines.publish()`: the idempotent publish for CI (kubeflow/pipelines #3901, #5881). Create the
 * pipeline `name` if missing, else add a version — unless the newest version already has this exact
 * spec, in which case that version is returned and nothing is uploaded. Re-running never fails and never
 * duplicates; two publishers racing end with one version.
 *
 * The version name is `version_name`, or `<name>-<12 hex>` derived from the spec's content hash. A new
 * pipeline is created empty (`POST /pipelines`) and then gets the version, so every version has the
 * same naming scheme (on v1beta1 servers the first version is named like the pipeline instead).
 */
import { platform } from "#platform";
import type { CallOptions, Kfp } from "../client.js";
import { ConflictError, KfpError, ValidationError } from "../core/errors.js";
import {
  checkSpecObject,
  type PipelinePackage,
  packageSpecObject,
  parsePipelinePackage,
  readArchiveSpec,
  specHash,
  specsEqual,
} from "../core/spec.js";
import { materialize, type PipelineSource, prepareSource } from "../core/uploads.js";
import type { Pipeline, PipelineCreateParams, PipelineVersion } from "../types/pipelines.js";
import { checkString, checkValidate, validatePrepared } from "./package-checks.js";
import { checkTags } from "./pipeline-versions.js";
import type { Pipelines } from "./pipelines.js";
import { adapterOf } from "./routes/adapter.js";
import { callOpts, checkNotAPath } from "./shared.js";

/**
 * Options of `publish()`. As everywhere in kfp-ts, what goes to the server keeps the server's
 * snake_case name (`version_name` is the new version's `name`); client-only options are camelCase.
 */
export interface PublishOptions extends CallOptions {
  /** Name of the new version; default `<name>-<first 12 hex of the spec's SHA-256>`. */
  version_name?: string;
  /** Default: the client's namespace; `null` for a shared pipeline. */
  namespace?: string | null;
  /** Description of the pipeline (when created) and of the new version. */
  description?: string;
  /** Display name of the pipeline when it is created. */
  display_name?: string;
  /** Tags of the pipeline when it is created. */
  tags?: Record<string, string>;
  /** Tags of a new version. */
  version_tags?: Record<string, string>;
  /** Code source URL of a new version. */
  code_source_url?: string;
  /** Filename of the multipart part (the server picks YAML/JSON by it). */
  filename?: string;
  /** Content-Type of the multipart part. */
  contentType?: string;
  /**
   * Check the package on the client (default true). `publish()` parses the package in full anyway (to
   * work out its identity), so `true` and `"full"` both check every line.
   */
  validate?: boolean | "full";
}

/** What `publish()` did: the pipeline, the version it points at, and whether either was created. */
export interface PublishResult {
  pipeline: Pipeline;
  version: PipelineVersion;
  /** True when a new version was uploaded. */
  created: boolean;
  /** True when the pipeline itself was created by this call. */
  pipelineCreated: boolean;
}

/** What publish needs from its Pipelines resource beyond the public methods. */
export interface PublishScope {
  client: Kfp;
  /** The resolved namespace (`undefined` = shared). */
  namespace: string | undefined;
  findByName(name: string, namespace: string | undefined, call: CallOptions): Promise<Pipeline | undefined>;
  warn(message: string): void;
}

/** `pipelines.publish()` (see the module comment). */
export async function publishPipeline(
  pipelines: Pipelines,
  name: string,
  source: PipelineSource,
  opts: PublishOptions,
  scope: PublishScope,
): Promise<PublishResult> {
  if (typeof name !== "string" || name.trim() === "") {
    throw new ValidationError("publish() needs a pipeline name", { field: "name" });
  }
  checkString(name, "name", 128);
  checkString(opts.version_name, "version_name", 127);
  if (opts.version_name === "")
    throw new ValidationError("version_name must not be empty", { field: "version_name" });
  checkTags(opts.tags);
  checkTags(opts.version_tags);
  const call = callOpts(opts);
  const namespace = scope.namespace;

  // Read the package once, check it, and work out its identity.
  checkValidate(opts.validate);
  if (opts.validate !== false) checkNotAPath(source);
  const prepared = await prepareSource(source, { filename: opts.filename, contentType: opts.contentType });
  const bytes = await materialize(prepared);
  const validate = opts.validate !== false;
  let pkg: PipelinePackage | undefined;
  if (prepared.spec !== undefined) {
    pkg = validate ? checkSpecObject(prepared.spec) : tryParse(() => checkSpecObject(prepared.spec));
  } else {
    if (validate) validatePrepared(prepared, "full");
    const text = prepared.text ?? (await readArchiveSpec(bytes))?.text ?? platform.utf8Decode(bytes);
    pkg = tryParse(() => parsePipelinePackage(text));
  }
  const v2 = pkg?.kind === "v2" ? pkg : undefined;
  const hash = v2 ? specHash(packageSpecObject(v2)) : platform.sha256Hex(bytes);
  const derived = `${name.slice(0, 127 - 13)}-${hash.slice(0, 12)}`;
  const versionName = opts.version_name ?? derived;
  const hashNamed = opts.version_name === undefined;
  const memory = { filename: prepared.filename, contentType: prepared.contentType, data: bytes };
  const sameAs = (v: PipelineVersion | undefined): boolean => {
    if (!v) return false;
    if (hashNamed && v.name === derived) return true;
    if (v2 && v.pipeline_spec !== undefined) return specsEqual(v.pipeline_spec, packageSpecObject(v2));
    return false;
  };
  const routes = (await adapterOf(scope.client, opts)).pipelines;

  // 1. The pipeline.
  let pipeline = await scope.findByName(name, namespace, call);
  let pipelineCreated = false;
  if (!pipeline) {
    if (!routes.createsEmptyPipelines) {
      // v1beta1: the pipeline comes with its first version, from the upload.
      try {
        const created = await pipelines.upload(memory.data, {
          ...call,
          name,
          description: opts.description,
          namespace: namespace ?? null,
          filename: memory.filename,
          contentType: memory.contentType,
          validate: false,
        });
        const first = await newest(pipelines, created.pipeline_id, call);
        if (first) return { pipeline: created, version: first, created: true, pipelineCreated: true };
        throw new KfpError(`pipeline ${name} was created but its first version cannot be read back`);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        pipeline = await pipelines.getByName(name, { ...call, namespace: namespace ?? null });
      }
    } else {
      try {
        const body: PipelineCreateParams = { name, display_name: opts.display_name ?? name };
        if (opts.description) body.description = opts.description;
        if (opts.tags) body.tags = opts.tags;
        if (namespace) body.namespace = namespace;
        pipeline = await pipelines.create(body, call);
        pipelineCreated = true;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        // Another publisher created it first: continue on the version path.
        pipeline = await pipelines.getByName(name, { ...call, namespace: namespace ?? null });
      }
    }
  }
  const pid = pipeline.pipeline_id;

  // 2. Is the newest version already this package?
  if (!pipelineCreated) {
    // created_at has whole-second resolution: every version of the newest second counts as "newest".
    for (const candidate of await newestVersions(pipelines, pid, call)) {
      if (sameAs(candidate)) return { pipeline, version: candidate, created: false, pipelineCreated };
    }
  }

  // 3. Upload a new version.
  try {
    const version = await pipelines.uploadVersion(memory.data, {
      ...call,
      pipeline_id: pid,
      name: versionName,
      description: opts.description,
      tags: opts.version_tags,
      code_source_url: opts.code_source_url,
      filename: memory.filename,
      contentType: memory.contentType,
      validate: false,
    });
    return { pipeline, version, created: true, pipelineCreated };
  } catch (err) {
    if (!(err instanceof ConflictError)) {
      if (pipelineCreated) await rollback(pipelines, scope, pid, call);
      throw err;
    }
    const existing = await pipelines.versions.findByName(pid, versionName, call);
    if (existing && (hashNamed || sameAs(existing))) {
      return { pipeline, version: existing, created: false, pipelineCreated };
    }
    throw new ConflictError({
      status: 409,
      grpcCode: err.grpcCode,
      shortMessage: existing
        ? `version "${versionName}" of pipeline "${name}" already exists with a different spec; pick another version_name, or omit it to derive one from the content`
        : `version "${versionName}" of pipeline "${name}" already exists`,
      method: err.method,
      url: err.url,
      body: err.body,
      cause: err,
    });
  }
}

/** The versions created in the newest second (ties are common: timestamps are whole seconds). */
async function newestVersions(
  pipelines: Pipelines,
  pipelineId: string,
  call: CallOptions,
): Promise<PipelineVersion[]> {
  const page = await pipelines.versions.list(pipelineId, { page_size: 10, sort_by: "created_at desc" }, call);
  const top = page.items[0]?.created_at;
  const newest = page.items.filter((v) => v.created_at === top);
  return Promise.all(newest.map((v) => withSpec(pipelines, pipelineId, v, call)));
}

/** Newest version of a pipeline (with its spec), or undefined. */
async function newest(
  pipelines: Pipelines,
  pipelineId: string,
  call: CallOptions,
): Promise<PipelineVersion | undefined> {
  const page = await pipelines.versions.list(pipelineId, { page_size: 1, sort_by: "created_at desc" }, call);
  const v = page.items[0];
  return v && withSpec(pipelines, pipelineId, v, call);
}

/** The version with its `pipeline_spec` (lists of some servers leave it out: fetch it then). */
function withSpec(
  pipelines: Pipelines,
  pipelineId: string,
  v: PipelineVersion,
  call: CallOptions,
): Promise<PipelineVersion> | PipelineVersion {
  return v.pipeline_spec === undefined ? pipelines.versions.get(pipelineId, v.pipeline_version_id, call) : v;
}

/** Remove a pipeline this call created when its version could not be added (best effort). */
async function rollback(
  pipelines: Pipelines,
  scope: PublishScope,
  pipelineId: string,
  call: CallOptions,
): Promise<void> {
  try {
    const page = await pipelines.versions.list(pipelineId, { page_size: 1 }, call);
    if (page.items.length === 0) await pipelines.delete(pipelineId, call);
  } catch (err) {
    scope.warn(
      `could not remove the empty pipeline ${pipelineId} after a failed publish: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function tryParse(fn: () => PipelinePackage): PipelinePackage | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
