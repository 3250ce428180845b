/** Pipeline and pipeline version wire types (v2beta1 / v2; FACTS.md §7.1). */
import type { JsonObject, RpcStatus, Timestamp } from "./common.js";

/** `package_url` of a version created from a URL. */
export interface Url {
  pipeline_url: string;
}

/** A pipeline (`/apis/v2beta1/pipelines`): a name, unique per namespace, and its versions. */
export interface Pipeline {
  pipeline_id: string;
  /** Unique per namespace (since 2.14). */
  name?: string;
  display_name?: string;
  description?: string;
  created_at?: Timestamp;
  /** Absent for shared pipelines and in single-user mode. */
  namespace?: string;
  /** Set only on list stubs whose stored row failed to convert. */
  error?: RpcStatus;
  /** Since 2.17.0. */
  tags?: Record<string, string>;
}

/** A version of a pipeline: one compiled package, with its `pipeline_spec` when read with `get()`. */
export interface PipelineVersion {
  pipeline_id: string;
  pipeline_version_id: string;
  /** Unique per pipeline. */
  name?: string;
  display_name?: string;
  description?: string;
  created_at?: Timestamp;
  /** Only for versions created from a URL. */
  package_url?: Url;
  code_source_url?: string;
  /**
   * The stored spec: the PipelineSpec itself, or `{pipeline_spec, platform_spec}` when the package had a
   * platform document.
   */
  pipeline_spec?: JsonObject;
  error?: RpcStatus;
  tags?: Record<string, string>;
}

/** The wire answer of `GET /pipelines` (the client turns it into a `Page<Pipeline>`). */
export interface ListPipelinesResponse {
  pipelines?: Pipeline[];
  total_size?: number;
  next_page_token?: string;
}

/** The wire answer of `GET /pipelines/{id}/versions` (the client turns it into a `Page<PipelineVersion>`). */
export interface ListPipelineVersionsResponse {
  pipeline_versions?: PipelineVersion[];
  total_size?: number;
  next_page_token?: string;
}

/** Body of `POST /pipelines` (a pipeline without a version). `name` or `display_name` is required. */
export interface PipelineCreateParams {
  name?: string;
  display_name?: string;
  description?: string;
  namespace?: string;
  tags?: Record<string, string>;
}

/** Body of `POST /pipelines/{id}/versions` (a version from a URL the server downloads). */
export interface PipelineVersionCreateParams {
  name?: string;
  display_name?: string;
  description?: string;
  package_url: Url;
  code_source_url?: string;
  tags?: Record<string, string>;
}

/** `PATCH` bodies: only `display_name` and `tags` can change (2.17.0+); `tags: {}` clears all tags. */
export interface PipelineUpdateParams {
  display_name?: string;
  tags?: Record<string, string>;
}
/** What `pipelines.versions.update()` can change: `display_name` and `tags` (server 2.17.0+). */
export type PipelineVersionUpdateParams = PipelineUpdateParams;
