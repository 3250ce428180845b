/**
 * Conversions between the v1beta1 wire shapes and the v2beta1 shapes the client returns
 * (FACTS §5, §7.4, §14): `id`/`name` → `<kind>_id`/`display_name`, `resource_references` →
 * `namespace`/`experiment_id`/`pipeline_version_reference`, `STORAGESTATE_*` → `AVAILABLE`/`ARCHIVED`,
 * run `status` strings → `state`, v1 pipeline templates → `pipeline_spec`.
 */
import { parsePipelinePackage } from "../../core/spec.js";
import { taskDetailsFromWorkflowManifest } from "../../core/tasks.js";
import { compact } from "../../internal/values.js";
import type { JsonObject } from "../../types/common.js";
import type { Pipeline, PipelineVersion } from "../../types/pipelines.js";
import type {
  Experiment,
  RecurringRun,
  Run,
  RuntimeState,
  StorageState,
  V1Experiment,
  V1Job,
  V1ResourceReference,
  V1Run,
  V1RunDetail,
} from "../../types/runs.js";
import type { V1Pipeline, V1PipelineVersion } from "../../types/v1-pipelines.js";
import { refId } from "../shared.js";

export function storageStateFromV1(s: string | undefined): StorageState | undefined {
  switch (s) {
    case "STORAGESTATE_AVAILABLE":
    case "AVAILABLE":
      return "AVAILABLE";
    case "STORAGESTATE_ARCHIVED":
    case "ARCHIVED":
      return "ARCHIVED";
    case undefined:
    case "":
      return undefined;
    default:
      return "STORAGE_STATE_UNSPECIFIED";
  }
}

/** v1 run `status` → RuntimeState (FACTS §7.4: CANCELED reads as Failed and PAUSED as Pending on v1). */
export function stateFromV1Status(status: string | undefined): RuntimeState {
  switch ((status ?? "").toLowerCase()) {
    case "pending":
      return "PENDING";
    case "running":
      return "RUNNING";
    case "succeeded":
    case "completed":
      return "SUCCEEDED";
    case "skipped":
      return "SKIPPED";
    case "failed":
    case "error":
      return "FAILED";
    case "terminating":
      return "CANCELING";
    case "canceled":
    case "cancelled":
      return "CANCELED";
    case "":
      return "PENDING";
    default:
      return "RUNTIME_STATE_UNSPECIFIED";
  }
}

/** RuntimeState → v1 status string (for filters on `status`). */
export function v1StatusFromState(state: RuntimeState): string {
  switch (state) {
    case "PENDING":
    case "PAUSED":
      return "Pending";
    case "RUNNING":
      return "Running";
    case "SUCCEEDED":
      return "Succeeded";
    case "SKIPPED":
      return "Skipped";
    case "FAILED":
    case "CANCELED":
      return "Failed";
    case "CANCELING":
      return "Terminating";
    default:
      return "Unknown";
  }
}

export function experimentFromV1(e: V1Experiment): Experiment {
  const out: Experiment = { experiment_id: e.id ?? "" };
  if (e.name) out.display_name = e.name;
  if (e.description) out.description = e.description;
  if (e.created_at) out.created_at = e.created_at;
  const ns = refId(e.resource_references, "NAMESPACE");
  if (ns) out.namespace = ns;
  const st = storageStateFromV1(e.storage_state);
  if (st) out.storage_state = st;
  return out;
}

/** The v2 spec in a v1 `pipeline_manifest` (YAML or JSON text), or undefined. */
function parseManifest(text: string | undefined): Record<string, unknown> | undefined {
  return specFromTemplate(text);
}

function sourceFromV1(
  out: {
    pipeline_version_reference?: Run["pipeline_version_reference"];
    pipeline_spec?: Record<string, unknown>;
  },
  spec: V1Run["pipeline_spec"],
  refs: V1ResourceReference[] | undefined,
): void {
  const versionId = refId(refs, "PIPELINE_VERSION");
  const pipelineId = spec?.pipeline_id || refId(refs, "PIPELINE");
  if (versionId || pipelineId) {
    out.pipeline_version_reference = {};
    if (pipelineId) out.pipeline_version_reference.pipeline_id = pipelineId;
    if (versionId) out.pipeline_version_reference.pipeline_version_id = versionId;
  } else {
    const manifest = parseManifest(spec?.pipeline_manifest);
    if (manifest) out.pipeline_spec = manifest;
  }
}

export function runFromV1(r: V1Run, runtime?: V1RunDetail["pipeline_runtime"]): Run {
  const out: Run = { run_id: r.id ?? "" };
  if (r.name) out.display_name = r.name;
  if (r.description) out.description = r.description;
  const exp = refId(r.resource_references, "EXPERIMENT");
  if (exp) out.experiment_id = exp;
  // A v1 run's STORAGESTATE_AVAILABLE is enum value 0, so the server omits it.
  out.storage_state = storageStateFromV1(r.storage_state) ?? "AVAILABLE";
  sourceFromV1(out, r.pipeline_spec, r.resource_references);
  const rc = r.pipeline_spec?.runtime_config;
  if (rc && (rc.parameters || rc.pipeline_root)) out.runtime_config = rc;
  else if (r.pipeline_spec?.parameters?.length) {
    // v1 (Argo) pipelines: string parameters.
    out.runtime_config = {
      parameters: Object.fromEntries(r.pipeline_spec.parameters.map((p) => [p.name ?? "", p.value ?? ""])),
    };
  }
  if (r.service_account) out.service_account = r.service_account;
  if (r.created_at) out.created_at = r.created_at;
  if (r.scheduled_at) out.scheduled_at = r.scheduled_at;
  if (r.finished_at) out.finished_at = r.finished_at;
  out.state = stateFromV1Status(r.status);
  if (r.error) out.error = { message: r.error };
  const job = refId(r.resource_references, "JOB");
  if (job) out.recurring_run_id = job;
  const details = taskDetailsFromWorkflowManifest(runtime?.workflow_manifest);
  if (details.length > 0) out.run_details = { task_details: details };
  return out;
}

export function recurringRunFromV1(j: V1Job): RecurringRun {
  const out: RecurringRun = { recurring_run_id: j.id ?? "" };
  if (j.name) out.display_name = j.name;
  if (j.description) out.description = j.description;
  sourceFromV1(out, j.pipeline_spec, j.resource_references);
  const rc = j.pipeline_spec?.runtime_config;
  if (rc && (rc.parameters || rc.pipeline_root)) out.runtime_config = rc;
  if (j.service_account) out.service_account = j.service_account;
  if (j.max_concurrency !== undefined) out.max_concurrency = String(j.max_concurrency);
  if (j.trigger) out.trigger = j.trigger;
  const enabled = j.enabled === true || j.mode === "ENABLED";
  out.mode = enabled ? "ENABLE" : "DISABLE";
  out.status = enabled ? "ENABLED" : "DISABLED";
  if (j.created_at) out.created_at = j.created_at;
  if (j.updated_at) out.updated_at = j.updated_at;
  if (j.error) out.error = { message: j.error };
  if (j.no_catchup) out.no_catchup = true;
  const ns = refId(j.resource_references, "NAMESPACE");
  if (ns) out.namespace = ns;
  const exp = refId(j.resource_references, "EXPERIMENT");
  if (exp) out.experiment_id = exp;
  return out;
}

/** resource_references for a v1 create. */
export function v1References(refs: {
  experiment_id?: string | undefined;
  namespace?: string | undefined;
  pipeline_version_id?: string | undefined;
  pipeline_id?: string | undefined;
}): V1ResourceReference[] | undefined {
  const out: V1ResourceReference[] = [];
  if (refs.namespace) out.push({ key: { type: "NAMESPACE", id: refs.namespace }, relationship: "OWNER" });
  if (refs.experiment_id)
    out.push({ key: { type: "EXPERIMENT", id: refs.experiment_id }, relationship: "OWNER" });
  if (refs.pipeline_version_id) {
    out.push({ key: { type: "PIPELINE_VERSION", id: refs.pipeline_version_id }, relationship: "CREATOR" });
  } else if (refs.pipeline_id) {
    out.push({ key: { type: "PIPELINE", id: refs.pipeline_id }, relationship: "CREATOR" });
  }
  return out.length > 0 ? out : undefined;
}

/** v1beta1 Pipeline → v2 Pipeline shape. */
export function pipelineFromV1(p: V1Pipeline): Pipeline {
  return compact(
    {
      pipeline_id: p.id ?? "",
      name: p.name,
      display_name: p.name,
      description: p.description,
      created_at: p.created_at,
      namespace: refId(p.resource_references, "NAMESPACE"),
      error: p.error ? { message: p.error } : undefined,
    },
    { empty: true },
  ) as Pipeline;
}

/** v1beta1 PipelineVersion → v2 PipelineVersion shape. */
export function versionFromV1(v: V1PipelineVersion, pipelineId?: string): PipelineVersion {
  return compact(
    {
      pipeline_id: refId(v.resource_references, "PIPELINE") ?? pipelineId ?? "",
      pipeline_version_id: v.id ?? "",
      name: v.name,
      display_name: v.name,
      description: v.description,
      created_at: v.created_at,
      package_url: v.package_url?.pipeline_url ? { pipeline_url: v.package_url.pipeline_url } : undefined,
      code_source_url: v.code_source_url,
    },
    { empty: true },
  ) as PipelineVersion;
}

/** Parse a v1 template (YAML) into the `pipeline_spec` shape; undefined when it is not a v2 spec. */
export function specFromTemplate(template: string | undefined): JsonObject | undefined {
  if (!template) return undefined;
  try {
    const pkg = parsePipelinePackage(template);
    if (pkg.kind !== "v2") return pkg.pipelineSpec;
    return pkg.platformSpec
      ? { pipeline_spec: pkg.pipelineSpec, platform_spec: pkg.platformSpec }
      : pkg.pipelineSpec;
  } catch {
    return undefined;
  }
}
