/**
 * THE table of the isolation matrix (isolation-matrix.test.ts): one row per endpoint and operation,
 * with the API versions it exists on and the expected outcome for the caller's own resources, the
 * other user's and shared ones. `req` builds the request from the target's resources and the caller's.
 */
export type Owner = "own" | "other" | "shared";
export type Outcome = "allow" | "deny";
export type Api = "v2beta1" | "v2" | "v1beta1";
export type UserKey = "alice" | "bob";

/** The resources of one owner (a user's namespace, or the shared pipelines). */
export interface Res {
  ns: string;
  pipelineId: string;
  versionId: string;
  pipelineName: string;
  experimentId: string;
  runId: string;
  jobId: string;
}

export interface Request {
  method: string;
  path: string;
  body?: unknown;
  upload?: { query: Record<string, string> };
}

/** A fresh resource for a destructive cell, made by its owner. */
export type Fresh = "experiment" | "run" | "job" | "version";

export interface Row {
  kind: "pipeline" | "version" | "experiment" | "run" | "recurring-run";
  op: string;
  apis: Api[];
  /** Expected outcome per target; a target left out does not apply to the row. */
  expect: Partial<Record<Owner, Outcome>>;
  fresh?: Fresh;
  /** `t`: the target's resources (fresh ones merged in); `me`: the caller's own. */
  req: (p: string, t: Res, me: Res) => Request;
}

export const V2: Api[] = ["v2beta1", "v2"];
export const V1: Api[] = ["v1beta1"];
export const READ = { own: "allow", other: "deny", shared: "allow" } as const;
export const WRITE_SHARED_DENIED = { own: "allow", other: "deny", shared: "deny" } as const;
export const OWN_ONLY = { own: "allow", other: "deny" } as const;

export const runBody = (me: Res, ref: Record<string, string>) => ({
  display_name: `run-${me.ns}`,
  experiment_id: me.experimentId,
  pipeline_version_reference: ref,
});
export const recurringBody = (experimentId: string, ref: Record<string, string>) => ({
  display_name: "rr",
  experiment_id: experimentId,
  max_concurrency: "1",
  mode: "DISABLE",
  trigger: { periodic_schedule: { interval_second: "3600" } },
  pipeline_version_reference: ref,
});
export const v1Refs = (experimentId: string, versionId: string) => [
  { key: { type: "EXPERIMENT", id: experimentId }, relationship: "OWNER" },
  { key: { type: "PIPELINE_VERSION", id: versionId }, relationship: "CREATOR" },
];
export const nsQuery = (ns: string) =>
  ns ? `resource_reference_key.type=NAMESPACE&resource_reference_key.id=${ns}` : "";

/** THE table. */
export const TABLE: Row[] = [
  // ── pipelines ──
  {
    kind: "pipeline",
    op: "get",
    apis: V2,
    expect: READ,
    req: (p, t) => ({ method: "GET", path: `${p}/pipelines/${t.pipelineId}` }),
  },
  {
    kind: "pipeline",
    op: "get by name",
    apis: V2,
    expect: READ,
    req: (p, t) => ({
      method: "GET",
      path: `${p}/pipelines/names/${t.pipelineName}${t.ns ? `?namespace=${t.ns}` : ""}`,
    }),
  },
  {
    kind: "pipeline",
    op: "get by name, namespace left out",
    apis: V2,
    expect: { own: "deny", other: "deny", shared: "allow" },
    req: (p, t) => ({ method: "GET", path: `${p}/pipelines/names/${t.pipelineName}` }),
  },
  {
    kind: "pipeline",
    op: "list",
    apis: V2,
    expect: READ,
    req: (p, t) => ({ method: "GET", path: `${p}/pipelines${t.ns ? `?namespace=${t.ns}` : ""}` }),
  },
  {
    kind: "pipeline",
    op: "delete",
    apis: V2,
    expect: { other: "deny", shared: "deny" },
    req: (p, t) => ({ method: "DELETE", path: `${p}/pipelines/${t.pipelineId}` }),
  },
  {
    kind: "pipeline",
    op: "upload a version",
    apis: ["v2beta1", "v2", "v1beta1"],
    // Upstream's multipart handlers skip authorization for shared pipelines (canUploadVersionedPipeline):
    // anyone may add a version to a shared pipeline there.
    expect: { own: "allow", other: "deny", shared: "allow" },
    req: (p, t) => ({
      method: "POST",
      path: `${p}/pipelines/upload_version`,
      upload: { query: { pipelineid: t.pipelineId, name: `v-${Math.random().toString(36).slice(2)}` } },
    }),
  },
  {
    kind: "pipeline",
    op: "v1 get",
    apis: V1,
    expect: READ,
    req: (p, t) => ({ method: "GET", path: `${p}/pipelines/${t.pipelineId}` }),
  },
  {
    kind: "pipeline",
    op: "v1 template",
    apis: V1,
    expect: READ,
    req: (p, t) => ({ method: "GET", path: `${p}/pipelines/${t.pipelineId}/templates` }),
  },
  {
    kind: "pipeline",
    op: "v1 get by name",
    apis: V1,
    expect: READ,
    req: (p, t) => ({ method: "GET", path: `${p}/namespaces/${t.ns || "-"}/pipelines/${t.pipelineName}` }),
  },
  {
    kind: "pipeline",
    op: "v1 list",
    apis: V1,
    expect: READ,
    req: (p, t) => ({ method: "GET", path: `${p}/pipelines?${nsQuery(t.ns)}` }),
  },
  {
    kind: "pipeline",
    op: "v1 delete",
    apis: V1,
    expect: { other: "deny", shared: "deny" },
    req: (p, t) => ({ method: "DELETE", path: `${p}/pipelines/${t.pipelineId}` }),
  },
  // ── pipeline versions ──
  {
    kind: "version",
    op: "list",
    apis: V2,
    expect: READ,
    req: (p, t) => ({ method: "GET", path: `${p}/pipelines/${t.pipelineId}/versions` }),
  },
  {
    kind: "version",
    op: "get",
    apis: V2,
    expect: READ,
    req: (p, t) => ({ method: "GET", path: `${p}/pipelines/${t.pipelineId}/versions/${t.versionId}` }),
  },
  {
    kind: "version",
    op: "delete",
    apis: V2,
    expect: WRITE_SHARED_DENIED,
    fresh: "version",
    req: (p, t) => ({ method: "DELETE", path: `${p}/pipelines/${t.pipelineId}/versions/${t.versionId}` }),
  },
  {
    kind: "version",
    op: "v1 get",
    apis: V1,
    expect: READ,
    req: (p, t) => ({ method: "GET", path: `${p}/pipeline_versions/${t.versionId}` }),
  },
  {
    kind: "version",
    op: "v1 template",
    apis: V1,
    expect: READ,
    req: (p, t) => ({ method: "GET", path: `${p}/pipeline_versions/${t.versionId}/templates` }),
  },
  {
    kind: "version",
    op: "v1 list",
    apis: V1,
    expect: READ,
    req: (p, t) => ({
      method: "GET",
      path: `${p}/pipeline_versions?resource_key.type=PIPELINE&resource_key.id=${t.pipelineId}`,
    }),
  },
  {
    kind: "version",
    op: "v1 delete",
    apis: V1,
    expect: WRITE_SHARED_DENIED,
    fresh: "version",
    req: (p, t) => ({ method: "DELETE", path: `${p}/pipeline_versions/${t.versionId}` }),
  },
  // ── experiments ──
  {
    kind: "experiment",
    op: "get",
    apis: ["v2beta1", "v2", "v1beta1"],
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/experiments/${t.experimentId}` }),
  },
  {
    kind: "experiment",
    op: "list",
    apis: V2,
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/experiments?namespace=${t.ns}` }),
  },
  {
    kind: "experiment",
    op: "v1 list",
    apis: V1,
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/experiments?${nsQuery(t.ns)}` }),
  },
  {
    kind: "experiment",
    op: "create",
    apis: V2,
    expect: OWN_ONLY,
    req: (p, t) => ({
      method: "POST",
      path: `${p}/experiments`,
      body: { display_name: `e-${Math.random().toString(36).slice(2)}`, namespace: t.ns },
    }),
  },
  {
    kind: "experiment",
    op: "v1 create",
    apis: V1,
    expect: OWN_ONLY,
    req: (p, t) => ({
      method: "POST",
      path: `${p}/experiments`,
      body: {
        name: `e-${Math.random().toString(36).slice(2)}`,
        resource_references: [{ key: { type: "NAMESPACE", id: t.ns }, relationship: "OWNER" }],
      },
    }),
  },
  {
    kind: "experiment",
    op: "archive",
    apis: ["v2beta1", "v2", "v1beta1"],
    expect: OWN_ONLY,
    fresh: "experiment",
    req: (p, t) => ({ method: "POST", path: `${p}/experiments/${t.experimentId}:archive` }),
  },
  {
    kind: "experiment",
    op: "unarchive",
    apis: ["v2beta1", "v2", "v1beta1"],
    expect: OWN_ONLY,
    fresh: "experiment",
    req: (p, t) => ({ method: "POST", path: `${p}/experiments/${t.experimentId}:unarchive` }),
  },
  {
    kind: "experiment",
    op: "delete",
    apis: ["v2beta1", "v2", "v1beta1"],
    expect: OWN_ONLY,
    fresh: "experiment",
    req: (p, t) => ({ method: "DELETE", path: `${p}/experiments/${t.experimentId}` }),
  },
  // ── runs ──
  {
    kind: "run",
    op: "get",
    apis: ["v2beta1", "v2", "v1beta1"],
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/runs/${t.runId}` }),
  },
  {
    kind: "run",
    op: "list by namespace",
    apis: V2,
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/runs?namespace=${t.ns}` }),
  },
  {
    kind: "run",
    op: "list by experiment",
    apis: V2,
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/runs?experiment_id=${t.experimentId}` }),
  },
  {
    kind: "run",
    op: "v1 list by namespace",
    apis: V1,
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/runs?${nsQuery(t.ns)}` }),
  },
  {
    kind: "run",
    op: "v1 list by experiment",
    apis: V1,
    expect: OWN_ONLY,
    req: (p, t) => ({
      method: "GET",
      path: `${p}/runs?resource_reference_key.type=EXPERIMENT&resource_reference_key.id=${t.experimentId}`,
    }),
  },
  {
    kind: "run",
    op: "create in the target's experiment",
    apis: V2,
    expect: OWN_ONLY,
    req: (p, t, me) => ({
      method: "POST",
      path: `${p}/runs`,
      body: { ...runBody(me, { pipeline_id: me.pipelineId }), experiment_id: t.experimentId },
    }),
  },
  {
    kind: "run",
    op: "create from the target's pipeline_id",
    apis: V2,
    expect: READ,
    req: (p, t, me) => ({
      method: "POST",
      path: `${p}/runs`,
      body: runBody(me, { pipeline_id: t.pipelineId }),
    }),
  },
  {
    kind: "run",
    op: "create from the target's pipeline_version_id",
    apis: V2,
    expect: READ,
    req: (p, t, me) => ({
      method: "POST",
      path: `${p}/runs`,
      body: runBody(me, { pipeline_id: t.pipelineId, pipeline_version_id: t.versionId }),
    }),
  },
  {
    kind: "run",
    op: "v1 create from the target's version",
    apis: V1,
    expect: READ,
    req: (p, t, me) => ({
      method: "POST",
      path: `${p}/runs`,
      body: { name: "v1-run", resource_references: v1Refs(me.experimentId, t.versionId) },
    }),
  },
  {
    kind: "run",
    op: "v1 create in the target's experiment",
    apis: V1,
    expect: OWN_ONLY,
    req: (p, t, me) => ({
      method: "POST",
      path: `${p}/runs`,
      body: { name: "v1-run", resource_references: v1Refs(t.experimentId, me.versionId) },
    }),
  },
  {
    kind: "run",
    op: "archive",
    apis: V2,
    expect: OWN_ONLY,
    fresh: "run",
    req: (p, t) => ({ method: "POST", path: `${p}/runs/${t.runId}:archive` }),
  },
  {
    kind: "run",
    op: "unarchive",
    apis: V2,
    expect: OWN_ONLY,
    fresh: "run",
    req: (p, t) => ({ method: "POST", path: `${p}/runs/${t.runId}:unarchive` }),
  },
  {
    kind: "run",
    op: "terminate",
    apis: V2,
    expect: OWN_ONLY,
    fresh: "run",
    req: (p, t) => ({ method: "POST", path: `${p}/runs/${t.runId}:terminate` }),
  },
  {
    kind: "run",
    op: "delete",
    apis: ["v2beta1", "v2", "v1beta1"],
    expect: OWN_ONLY,
    fresh: "run",
    req: (p, t) => ({ method: "DELETE", path: `${p}/runs/${t.runId}` }),
  },
  {
    kind: "run",
    op: "v1 archive",
    apis: V1,
    expect: OWN_ONLY,
    fresh: "run",
    req: (p, t) => ({ method: "POST", path: `${p}/runs/${t.runId}:archive` }),
  },
  {
    kind: "run",
    op: "v1 terminate",
    apis: V1,
    expect: OWN_ONLY,
    fresh: "run",
    req: (p, t) => ({ method: "POST", path: `${p}/runs/${t.runId}/terminate` }),
  },
  // ── recurring runs (v1beta1 jobs) ──
  {
    kind: "recurring-run",
    op: "get",
    apis: V2,
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/recurringruns/${t.jobId}` }),
  },
  {
    kind: "recurring-run",
    op: "list",
    apis: V2,
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/recurringruns?namespace=${t.ns}` }),
  },
  {
    kind: "recurring-run",
    op: "create in the target's experiment",
    apis: V2,
    expect: OWN_ONLY,
    req: (p, t, me) => ({
      method: "POST",
      path: `${p}/recurringruns`,
      body: recurringBody(t.experimentId, { pipeline_id: me.pipelineId }),
    }),
  },
  {
    kind: "recurring-run",
    op: "create from the target's pipeline",
    apis: V2,
    expect: READ,
    req: (p, t, me) => ({
      method: "POST",
      path: `${p}/recurringruns`,
      body: recurringBody(me.experimentId, { pipeline_id: t.pipelineId }),
    }),
  },
  {
    kind: "recurring-run",
    op: "enable",
    apis: V2,
    expect: OWN_ONLY,
    fresh: "job",
    req: (p, t) => ({ method: "POST", path: `${p}/recurringruns/${t.jobId}:enable` }),
  },
  {
    kind: "recurring-run",
    op: "disable",
    apis: V2,
    expect: OWN_ONLY,
    fresh: "job",
    req: (p, t) => ({ method: "POST", path: `${p}/recurringruns/${t.jobId}:disable` }),
  },
  {
    kind: "recurring-run",
    op: "delete",
    apis: V2,
    expect: OWN_ONLY,
    fresh: "job",
    req: (p, t) => ({ method: "DELETE", path: `${p}/recurringruns/${t.jobId}` }),
  },
  {
    kind: "recurring-run",
    op: "v1 get",
    apis: V1,
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/jobs/${t.jobId}` }),
  },
  {
    kind: "recurring-run",
    op: "v1 list",
    apis: V1,
    expect: OWN_ONLY,
    req: (p, t) => ({ method: "GET", path: `${p}/jobs?${nsQuery(t.ns)}` }),
  },
  {
    kind: "recurring-run",
    op: "v1 create from the target's version",
    apis: V1,
    expect: READ,
    req: (p, t, me) => ({
      method: "POST",
      path: `${p}/jobs`,
      body: {
        name: `job-${Math.random().toString(36).slice(2)}`,
        enabled: false,
        max_concurrency: "1",
        trigger: { periodic_schedule: { interval_second: "3600" } },
        resource_references: v1Refs(me.experimentId, t.versionId),
      },
    }),
  },
  {
    kind: "recurring-run",
    op: "v1 enable",
    apis: V1,
    expect: OWN_ONLY,
    fresh: "job",
    req: (p, t) => ({ method: "POST", path: `${p}/jobs/${t.jobId}/enable` }),
  },
  {
    kind: "recurring-run",
    op: "v1 disable",
    apis: V1,
    expect: OWN_ONLY,
    fresh: "job",
    req: (p, t) => ({ method: "POST", path: `${p}/jobs/${t.jobId}/disable` }),
  },
  {
    kind: "recurring-run",
    op: "v1 delete",
    apis: V1,
    expect: OWN_ONLY,
    fresh: "job",
    req: (p, t) => ({ method: "DELETE", path: `${p}/jobs/${t.jobId}` }),
  },
];
