/** v1beta1 pipeline wire types (FACTS.md §4.4, §14). The client converts them to the v2 shapes. */

export type V1ResourceType =
  | "UNKNOWN_RESOURCE_TYPE"
  | "EXPERIMENT"
  | "JOB"
  | "PIPELINE"
  | "PIPELINE_VERSION"
  | "NAMESPACE";

export interface V1ResourceKey {
  type?: V1ResourceType;
  id?: string;
}

export interface V1ResourceReference {
  key?: V1ResourceKey;
  name?: string;
  relationship?: "UNKNOWN_RELATIONSHIP" | "OWNER" | "CREATOR";
}

export interface V1Parameter {
  name?: string;
  value?: string;
}

export interface V1Url {
  pipeline_url?: string;
}

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

export interface V1ListPipelinesResponse {
  pipelines?: V1Pipeline[];
  total_size?: number;
  next_page_token?: string;
}

export interface V1ListPipelineVersionsResponse {
  versions?: V1PipelineVersion[];
  total_size?: number;
  next_page_token?: string;
}

export interface V1GetTemplateResponse {
  template?: string;
}
