/** Pipeline and pipeline version records (upstream `model/pipeline.go`, `model/pipeline_version.go`). */

import type { KindReader } from "../storage/store.js";
import type { Template } from "../template/template.js";

export const PIPELINES = "pipelines" as const;
export const PIPELINE_VERSIONS = "pipeline_versions" as const;

export interface PipelineRecord {
  pipeline_id: string;
  name: string;
  display_name: string;
  description: string;
  namespace: string;
  created_at: number;
  tags?: Record<string, string>;
}

export interface PipelineVersionRecord {
  pipeline_version_id: string;
  pipeline_id: string;
  name: string;
  display_name: string;
  description: string;
  created_at: number;
  tags?: Record<string, string>;
  code_source_url: string;
  /** `PipelineSpecURI`: the package URL for versions created from a URL. */
  package_url: string;
  /** The validated template (v2 spec + platform spec, or a v1 Argo workflow). */
  template: Template;
}

// ── Store access ─────────────────────────────────────────────────────────────────────────────────

/** The kinds this file reads (part of `StoredKinds`, storage/kinds.ts). */
type Store = KindReader<{ [PIPELINES]: PipelineRecord; [PIPELINE_VERSIONS]: PipelineVersionRecord }>;

export function getPipelineRecord(store: Store, id: string): PipelineRecord | undefined {
  return store.get(PIPELINES, id);
}

export function getVersionRecord(store: Store, id: string): PipelineVersionRecord | undefined {
  return store.get(PIPELINE_VERSIONS, id);
}

export function versionsOf(store: Store, pipelineId: string): readonly PipelineVersionRecord[] {
  return store.find(PIPELINE_VERSIONS, "pipeline_id", pipelineId);
}

/** The most recent version (created_at desc, then id desc), like `GetLatestPipelineVersion`. */
export function latestVersion(store: Store, pipelineId: string): PipelineVersionRecord | undefined {
  let best: PipelineVersionRecord | undefined;
  for (const v of versionsOf(store, pipelineId)) {
    if (
      !best ||
      v.created_at > best.created_at ||
      (v.created_at === best.created_at && v.pipeline_version_id > best.pipeline_version_id)
    ) {
      best = v;
    }
  }
  return best;
}
