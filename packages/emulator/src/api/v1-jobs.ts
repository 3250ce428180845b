/**
 * The v1beta1 job routes (FACTS.md §14; upstream `job_server.go` V1 handlers, `toApiJobV1`): the
 * recurring-run rules (resource/recurring-runs.ts) with the v1 shapes (`id`/`name`, `resource_references`,
 * `pipeline_spec` with its parameters or manifest, `status`/`enabled`).
 */
import YAML from "yaml";
import { enumOf, message, repeated } from "../http/body.js";
import { int64, listResponse, omitZero, timestamp } from "../http/encode.js";
import { type ApiError, internal, invalidInput, notFound } from "../http/errors.js";
import type { ModuleHost } from "../http/module.js";
import { checkListOptions, listRows } from "../list/list.js";
import type { RecurringRunRecord } from "../model/recurring-run.js";
import {
  changeJobMode,
  createJob,
  deleteJob,
  fetchJob,
  jobsInScope,
  validateSchedule,
} from "../resource/recurring-runs.js";
import { latestPipelineVersion } from "../resource/run-reads.js";
import { V1_REFERENCE } from "./pipeline-wire.js";
import { RECURRING_RUN_LIST_SPEC, TRIGGER_SHAPE, toApiTrigger, triggerFromBody } from "./recurring-runs.js";
import {
  PIPELINE_SPEC_V1,
  pipelineSpecInput,
  type RefInput,
  ref,
  refOf,
  runScopeOf,
  runtimeConfigV1,
  v1Parameters,
} from "./v1-shapes.js";

const JOB_V1 = message("Job", {
  id: "string",
  name: "string",
  description: "string",
  pipeline_spec: PIPELINE_SPEC_V1,
  resource_references: repeated(V1_REFERENCE),
  service_account: "string",
  max_concurrency: "int64",
  trigger: TRIGGER_SHAPE,
  mode: enumOf("Mode", ["UNKNOWN_MODE", "ENABLED", "DISABLED"]),
  created_at: "timestamp",
  updated_at: "timestamp",
  status: "string",
  error: "string",
  enabled: "bool",
  no_catchup: "bool",
});

export function toApiJobV1(j: RecurringRunRecord): Record<string, unknown> {
  const refs: Record<string, unknown>[] = [];
  if (j.namespace) refs.push(ref("NAMESPACE", j.namespace, "OWNER"));
  if (j.experiment_id) refs.push(ref("EXPERIMENT", j.experiment_id, "OWNER"));
  if (j.pipeline_id) refs.push(ref("PIPELINE", j.pipeline_id, "CREATOR"));
  if (j.pipeline_version_id) refs.push(ref("PIPELINE_VERSION", j.pipeline_version_id, "CREATOR"));
  const trigger = toApiTrigger(j.trigger);
  const params = v1Parameters(j.v1_parameters);
  let manifest = { pipeline_manifest: "", workflow_manifest: "" };
  if (j.pipeline_version_id === "" && j.inline_spec) {
    manifest = { pipeline_manifest: YAML.stringify(j.inline_spec, { lineWidth: 0 }), workflow_manifest: "" };
  }
  return omitZero({
    id: j.recurring_run_id,
    name: j.display_name,
    description: j.description,
    pipeline_spec: omitZero({
      pipeline_id: j.pipeline_id,
      pipeline_name: j.pipeline_name,
      workflow_manifest: manifest.workflow_manifest,
      pipeline_manifest: manifest.pipeline_manifest,
      parameters: params,
      runtime_config: params ? undefined : runtimeConfigV1(j),
    }),
    resource_references: refs,
    service_account: j.service_account,
    max_concurrency: int64(j.max_concurrency),
    trigger: Object.keys(trigger).length > 0 ? trigger : undefined,
    created_at: timestamp(j.created_at),
    updated_at: timestamp(j.updated_at),
    status: j.enabled ? "ENABLED" : "DISABLED",
    enabled: j.enabled,
    no_catchup: j.no_catchup,
  });
}

export function registerJobs(app: ModuleHost): void {
  const r = app.router;

  r.post("v1beta1", "/jobs", (ctx) => {
    const body = ctx.readJson(JOB_V1);
    const refs = body.resource_references as RefInput[] | undefined;
    const ps = pipelineSpecInput(body);
    const conv = "Failed to create a recurring run due to conversion error";
    const name = String(body.name ?? "") || ps.pipeline_name;
    if (name === "") {
      throw internal(
        "Failed to convert a v1beta1 API recurring run to its internal representation",
        invalidInput("Job name cannot be empty"),
      ).wrap(conv);
    }
    const trigger = triggerFromBody(body.trigger as Record<string, unknown> | undefined);
    const maxConcurrency = Number(body.max_concurrency ?? 0);
    try {
      validateSchedule(maxConcurrency, trigger);
    } catch (err) {
      throw (err as ApiError).wrap(conv);
    }
    const pipelineId = ps.pipeline_id || refOf(refs, "PIPELINE");
    let versionId = refOf(refs, "PIPELINE_VERSION", "CREATOR");
    if (pipelineId !== "" && ps.manifest === "" && versionId === "") {
      const latest = latestPipelineVersion(ctx.app, pipelineId);
      if (!latest) {
        throw notFound("Pipeline", pipelineId)
          .wrap("Failed to get the latest pipeline version as pipeline was not found")
          .wrap(`Failed to fetch a pipeline version from pipeline ${pipelineId}`);
      }
      versionId = latest.pipeline_version_id;
    }
    const rec = createJob(
      ctx,
      {
        display_name: name,
        description: String(body.description ?? ""),
        experiment_id: refOf(refs, "EXPERIMENT"),
        namespace: refOf(refs, "NAMESPACE"),
        pipeline_id: pipelineId,
        pipeline_version_id: versionId,
        pipeline_manifest: ps.manifest,
        runtime_config: ps.runtime_config,
        service_account: String(body.service_account ?? ""),
        max_concurrency: maxConcurrency,
        trigger,
        enabled: body.enabled === true || body.mode === "ENABLED",
        no_catchup: body.no_catchup === true,
        v1_parameters: ps.parameters.length > 0 ? ps.parameters : undefined,
      },
      "Failed to create a recurring run",
    );
    return toApiJobV1(rec);
  });

  r.get("v1beta1", "/jobs", (ctx) => {
    const q = ctx.listQuery();
    const { namespace, experimentId } = runScopeOf(ctx);
    const listOpts = checkListOptions(
      q,
      RECURRING_RUN_LIST_SPEC,
      "v1beta1",
      "Failed to list jobs due to error parsing the listing options",
    );
    const rows = jobsInScope(ctx, namespace, experimentId, "Failed to list jobs");
    const page = listRows(rows, q, RECURRING_RUN_LIST_SPEC, "v1beta1", listOpts);
    return listResponse("jobs", page.items.map(toApiJobV1), page.total_size, page.next_page_token);
  });

  r.get("v1beta1", "/jobs/{id}", (ctx) =>
    toApiJobV1(fetchJob(ctx, ctx.param("id"), "Failed to fetch a v1beta1 recurring run")),
  );

  r.delete("v1beta1", "/jobs/{id}", (ctx) => {
    deleteJob(ctx, ctx.param("id"), "Failed to disable a recurring run");
    return {};
  });

  r.post("v1beta1", "/jobs/{id}/enable", (ctx) => {
    changeJobMode(ctx, ctx.param("id"), true, "Failed to enable a v1beta1 recurring run");
    return {};
  });

  r.post("v1beta1", "/jobs/{id}/disable", (ctx) => {
    changeJobMode(ctx, ctx.param("id"), false, "Failed to disable a v1beta1 recurring run");
    return {};
  });
}
