/** Wire types shared by all resources (snake_case, as the server sends them). */

/** `google.rpc.Status`: the gateway error body, and the `error` field of list stubs. */
export interface RpcStatus {
  code?: number;
  message?: string;
  details?: Array<{ "@type"?: string; code?: number; message?: string; [key: string]: unknown }>;
}

/** RFC 3339 UTC timestamp as the server formats it, e.g. `2026-08-21T21:10:03Z`. */
export type Timestamp = string;

/** A JSON object (`google.protobuf.Struct`). */
export type JsonObject = Record<string, unknown>;

/** `GET /apis/{version}/healthz` (plain handler, FACTS.md §10). */
export interface HealthzResponse {
  commit_sha?: string;
  tag_name?: string;
  multi_user?: boolean;
  pipeline_store?: string;
}
