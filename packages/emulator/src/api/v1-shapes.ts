/**
 * The v1beta1 shapes shared by the run, job and experiment handlers (upstream `api_converter.go`):
 * `resource_references` (`{key: {type, id}, relationship}`) read and written, the
 * `resource_reference_key` list scope, the v1 `pipeline_spec` and its parameters.
 */
import { mapOf, message, repeated } from "../http/body.js";
import type { RequestContext } from "../http/context.js";
import { omitZero } from "../http/encode.js";
import { type ApiError, invalidInput } from "../http/errors.js";
import type { RecurringRunRecord } from "../model/recurring-run.js";
import type { RunRecord } from "../model/run.js";
import { V1_PARAMETER, V1_RESOURCE_TYPES } from "./pipeline-wire.js";

export const MODEL_TYPE: Record<string, string> = {
  NAMESPACE: "Namespace",
  EXPERIMENT: "Experiment",
  PIPELINE: "pipeline",
  PIPELINE_VERSION: "PipelineVersion",
  JOB: "Job",
};

export const PIPELINE_SPEC_V1 = message("PipelineSpec", {
  pipeline_id: "string",
  pipeline_name: "string",
  workflow_manifest: "string",
  pipeline_manifest: "string",
  parameters: repeated(V1_PARAMETER),
  runtime_config: message("RuntimeConfig", { parameters: mapOf("value"), pipeline_root: "string" }),
});

export interface RefInput {
  key?: { type?: string; id?: string };
  relationship?: string;
}

export function refOf(refs: RefInput[] | undefined, type: string, relationship?: string): string {
  let found = "";
  for (const r of refs ?? []) {
    if (r.key?.type !== type) continue;
    if (relationship && r.relationship !== relationship) continue;
    found = r.key.id ?? "";
    // PIPELINE_VERSION takes the last match upstream; the others the first.
    if (type !== "PIPELINE_VERSION") break;
  }
  return found;
}

export function ref(type: string, id: string, relationship: "OWNER" | "CREATOR"): Record<string, unknown> {
  return { key: omitZero({ type, id }), relationship };
}

/** `resource_reference_key.type` / `.id` → `validateFilterV1`. */
export function referenceKey(ctx: RequestContext): { type: string; id: string } | undefined {
  const type = ctx.qEnum("resource_reference_key.type", V1_RESOURCE_TYPES);
  const id = ctx.q("resource_reference_key.id");
  if (type === undefined && id === undefined) return undefined;
  const t = type ?? "UNKNOWN_RESOURCE_TYPE";
  if (!MODEL_TYPE[t]) {
    throw invalidInput(`Failed to convert unsupported v1beta1 API resource type ${t}`).wrap(
      "Unrecognized resource reference type",
    );
  }
  return { type: t, id: id ?? "" };
}

/** Run and job lists: `resource_reference_key` as a namespace or experiment scope ("" when unset). */
export function runScopeOf(ctx: RequestContext): { namespace: string; experimentId: string } {
  let key: { type: string; id: string } | undefined;
  try {
    key = referenceKey(ctx);
  } catch (err) {
    throw (err as ApiError).wrap("Failed to list v1beta1 runs: validating filter failed");
  }
  return {
    namespace: key?.type === "NAMESPACE" ? key.id : "",
    experimentId: key?.type === "EXPERIMENT" ? key.id : "",
  };
}

export function v1Parameters(
  p: { name: string; value: string }[] | undefined,
): Record<string, unknown>[] | undefined {
  if (!p || p.length === 0) return undefined;
  return p.map((x) => omitZero({ name: x.name, value: x.value }));
}

export function runtimeConfigV1(r: RunRecord | RecurringRunRecord): Record<string, unknown> | undefined {
  const rc = r.runtime_config;
  if (!rc) return undefined;
  const params = rc.parameters && Object.keys(rc.parameters).length > 0 ? rc.parameters : undefined;
  if (!params && !rc.pipeline_root) return undefined;
  return omitZero({ parameters: params, pipeline_root: rc.pipeline_root ?? "" });
}

export function pipelineSpecInput(body: Record<string, unknown>): {
  pipeline_id: string;
  pipeline_name: string;
  manifest: string;
  parameters: { name: string; value: string }[];
  runtime_config?: { parameters?: Record<string, unknown>; pipeline_root?: string };
} {
  const ps = (body.pipeline_spec ?? {}) as Record<string, unknown>;
  const rc = ps.runtime_config as
    | { parameters?: Record<string, unknown>; pipeline_root?: string }
    | undefined;
  return {
    pipeline_id: String(ps.pipeline_id ?? ""),
    pipeline_name: String(ps.pipeline_name ?? ""),
    manifest: String(ps.pipeline_manifest ?? "") || String(ps.workflow_manifest ?? ""),
    parameters: ((ps.parameters ?? []) as { name?: string; value?: string }[]).map((p) => ({
      name: p.name ?? "",
      value: p.value ?? "",
    })),
    ...(rc
      ? {
          runtime_config: {
            ...(rc.parameters ? { parameters: rc.parameters } : {}),
            ...(rc.pipeline_root ? { pipeline_root: rc.pipeline_root } : {}),
          },
        }
      : {}),
  };
}
