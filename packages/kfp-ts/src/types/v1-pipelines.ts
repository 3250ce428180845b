/** v1beta1 pipeline wire types (FACTS.md §4.4, §14). The client converts them to the v2 shapes. */

export type V1ResourceType =
  | "UNKNOWN_RESOURCE_TYPE"
  | "EXPERIMENT"
  | "JOB"
  | "PIPELINE"
  | "PIPELINE_VERSION"
  | "NAMESPACE";

/** v1beta1: the key of a resource reference (its type and id). */
export interface V1ResourceKey {
  type?: V1ResourceType;
  id?: string;
}

/** v1beta1: a link from a resource to its namespace, experiment, pipeline or version. */
export interface V1ResourceReference {
  key?: V1ResourceKey;
  name?: string;
  relationship?: "UNKNOWN_RELATIONSHIP" | "OWNER" | "CREATOR";
}

/** v1beta1: a name/value parameter of a v1 (Argo) pipeline. */
export interface V1Parameter {
  name?: string;
  value?: string;
}

/** v1beta1: the URL of a package the server downloads. */
export interface V1Url {
  pipeline_url?: string;
}

/** v1beta1 pipeline version as the server sends it (the client converts it to `PipelineVersion`). */
export interface V1PipelineVersion {
  id?: string;
  name?: string;
  created_at?: string;
  parameters?: V1Parameter[];
  code_source_url?: string;
  package_url?: V1Url;
  resource_references?: V1ResourceReference[];
  description?: string;
}

/** v1beta1 pipeline as the server sends it (the client converts it to `Pipeline`). */
export interface V1Pipeline {
  id?: string;
  created_at?: string;
  name?: string;
  description?: string;
  parameters?: V1Parameter[];
  url?: V1Url;
  /** v1 list stubs carry the conversion error as a string. */
  error?: string;
  default_version?: V1PipelineVersion;
  resource_references?: V1ResourceReference[];
}

/** v1beta1: the wire answer of `GET /apis/v1beta1/pipelines`. */
export interface V1ListPipelinesResponse {
  pipelines?: V1Pipeline[];
  total_size?: number;
  next_page_token?: string;
}

/** v1beta1: the wire answer of `GET /apis/v1beta1/pipeline_versions`. */
export interface V1ListPipelineVersionsResponse {
  versions?: V1PipelineVersion[];
  total_size?: number;
  next_page_token?: string;
}

/** v1beta1: a version's package text (`GET /pipeline_versions/{id}/templates`). */
export interface V1GetTemplateResponse {
  template?: string;
}
