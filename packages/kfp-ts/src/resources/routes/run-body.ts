/**
 * What the run and recurring-run routes share. The body of a create in each API version, from the same
 * checked fields: v2beta1/v2 reference the version or carry the spec inline; v1beta1 puts the spec as
 * text in `pipeline_spec.pipeline_manifest` and the experiment and version in `resource_references`.
 * The v1beta1 list scope (`resource_reference_key`).
 */
import { compact } from "../../internal/values.js";
import type { RuntimeConfig } from "../../types/runs.js";
import type { ResolvedSource } from "../run-source.js";
import { v1References } from "../v1/convert.js";

/** What a run or recurring-run create sends, checked and resolved. */
export interface RunFields {
  display_name: string;
  description: string | undefined;
  experiment_id: string | undefined;
  source: ResolvedSource;
  runtime_config: RuntimeConfig | undefined;
  service_account: string | undefined;
}

/** The v2beta1/v2 body. */
export function v2RunBody(f: RunFields): Record<string, unknown> {
  return compact({
    display_name: f.display_name,
    description: f.description,
    experiment_id: f.experiment_id,
    pipeline_version_reference: f.source.reference,
    pipeline_spec: f.source.inline,
    runtime_config: f.runtime_config,
    service_account: f.service_account,
  });
}

/** The v1beta1 body. */
export function v1RunBody(f: RunFields): Record<string, unknown> {
  const ref = f.source.reference;
  const pipelineSpec = compact({
    pipeline_id: ref && !ref.pipeline_version_id ? ref.pipeline_id : undefined,
    pipeline_manifest: f.source.manifest,
    runtime_config: f.runtime_config,
  });
  return compact({
    name: f.display_name,
    description: f.description,
    pipeline_spec: Object.keys(pipelineSpec).length > 0 ? pipelineSpec : undefined,
    resource_references: v1References({
      experiment_id: f.experiment_id,
      pipeline_version_id: ref?.pipeline_version_id,
    }),
    service_account: f.service_account,
  });
}

/** v1beta1 list query: the scope as `resource_reference_key` (the experiment, else the namespace). */
export function v1ScopeKey(
  experimentId: string | undefined,
  namespace: string | undefined,
): Record<string, string | undefined> {
  return {
    "resource_reference_key.type": experimentId ? "EXPERIMENT" : namespace ? "NAMESPACE" : undefined,
    "resource_reference_key.id": experimentId ?? namespace,
  };
}
