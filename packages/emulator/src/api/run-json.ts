/**
 * Runs as the v2beta1 and /apis/v2 APIs render them (upstream `api_converter.go` `toApiRun`): the run
 * JSON (snake_case, zero values omitted), v2beta1 `run_details.task_details`, and on `/apis/v2`
 * `task_count`, `pipeline_reference` and, with `view=FULL`, `tasks` (resource/run-reads.ts rebuilds them
 * from the node rows) and the embedded `pipeline_spec` (FACTS.md §S.2). Lists reuse each settled run's JSON.
 */

import { GO_ZERO_TIME } from "../engine/report.js";
import type { EmulatorApp } from "../http/context.js";
import { JsonCache, omitZero, timestamp } from "../http/encode.js";
import type { ApiVersion } from "../http/router.js";
import type { RunRecord, RuntimeConfigRecord, StateEntry, TaskRow } from "../model/run.js";
import { findPipelineVersion, storedRunSpec, v2TasksOf } from "../resource/run-reads.js";
import { asRecord } from "../template/params.js";
import { templateStruct } from "../template/template.js";
import { apiTask } from "../v2-tasks.js";

function toApiRuntimeConfig(rc: RuntimeConfigRecord | undefined): Record<string, unknown> | undefined {
  if (!rc) return undefined;
  const params = rc.parameters && Object.keys(rc.parameters).length > 0 ? rc.parameters : undefined;
  if (!params && !rc.pipeline_root) return undefined;
  return omitZero({ parameters: params, pipeline_root: rc.pipeline_root ?? "" });
}

function toApiHistory(h: StateEntry[]): Record<string, unknown>[] {
  return h.map((e) =>
    omitZero({
      update_time: timestamp(e.update_time),
      state: e.state === "RUNTIME_STATE_UNSPECIFIED" ? "" : e.state,
    }),
  );
}

export function toApiTask(runId: string, t: TaskRow): Record<string, unknown> {
  return omitZero({
    run_id: runId,
    task_id: t.task_id,
    display_name: t.display_name,
    create_time: timestamp(t.create_time),
    start_time: timestamp(t.start_time || GO_ZERO_TIME),
    end_time: timestamp(t.end_time || GO_ZERO_TIME),
    state: t.state === "RUNTIME_STATE_UNSPECIFIED" ? "" : t.state,
    state_history: toApiHistory(t.state_history),
    child_tasks: t.child_tasks.map((c) => ({ pod_name: c })),
  });
}

/** The inline spec as the server echoes it (`YamlStringToPipelineSpecStruct` of the stored YAML). */
export function echoInlineSpec(s: Record<string, unknown>): Record<string, unknown> {
  if (Object.hasOwn(s, "pipeline_spec")) {
    const ps = asRecord(s.pipeline_spec) ?? {};
    const plat = asRecord(s.platform_spec);
    const isK8s = plat && asRecord(plat.platforms) && "kubernetes" in (plat.platforms as object);
    return isK8s ? { pipeline_spec: ps, platform_spec: plat } : ps;
  }
  return s;
}

/** How a run is rendered on `/apis/v2` (`GetRunRequest.view` / `ListRunsRequest.view`). */
export interface V2RunView {
  /** `view=FULL`: fill `tasks`. */
  full: boolean;
  /** Lifecycle option `loopCount` (iterations of loops whose items are unknown before run time). */
  loopCount: number;
  /**
   * GetRun with FULL: upstream prefers an embedded `pipeline_spec` when the run stores a pipeline
   * manifest (every v2 run does), so runtime clients need no GetPipelineVersion call; the
   * `pipeline_version_reference` of the oneof is then absent.
   */
  preferEmbeddedSpec?: boolean;
}

/** The spec a FULL GetRun embeds: the stored manifest (the version's package when it still exists). */
function embeddedSpec(app: EmulatorApp, r: RunRecord): Record<string, unknown> | undefined {
  if (r.template_type !== "v2") return undefined;
  const version = r.pipeline_version_id !== "" ? findPipelineVersion(app, r.pipeline_version_id) : undefined;
  if (version) return echoInlineSpec(templateStruct(version.template));
  return storedRunSpec(app, r.run_id)?.spec;
}

export function toApiRun(
  app: EmulatorApp,
  r: RunRecord,
  api: ApiVersion = "v2beta1",
  view?: V2RunView,
): Record<string, unknown> {
  const inline = r.has_inline_spec ? storedRunSpec(app, r.run_id)?.inline_spec : undefined;
  let ref =
    r.pipeline_version_id !== ""
      ? omitZero({ pipeline_id: r.pipeline_id, pipeline_version_id: r.pipeline_version_id })
      : undefined;
  const pipelineReference = ref;
  let spec = ref ? undefined : inline ? echoInlineSpec(inline) : undefined;
  if (api === "v2" && view?.preferEmbeddedSpec && !inline) {
    const embedded = embeddedSpec(app, r);
    if (embedded && Object.keys(embedded).length > 0) {
      spec = embedded;
      ref = undefined;
    }
  }
  const taskDetails =
    api !== "v2" && r.tasks.length > 0 ? r.tasks.map((t) => toApiTask(r.run_id, t)) : undefined;
  const v2Tasks = api === "v2" ? v2TasksOf(app, r, view?.loopCount ?? 2) : [];
  return omitZero({
    experiment_id: r.experiment_id,
    run_id: r.run_id,
    display_name: r.display_name,
    storage_state: r.storage_state,
    description: r.description,
    pipeline_spec: spec,
    pipeline_version_reference: ref,
    runtime_config:
      toApiRuntimeConfig(r.runtime_config) ??
      (r.v1_parameters
        ? { parameters: Object.fromEntries(r.v1_parameters.map((p) => [p.name, p.value])) }
        : undefined),
    service_account: r.service_account,
    created_at: timestamp(r.created_at),
    scheduled_at: timestamp(r.scheduled_at),
    finished_at: timestamp(r.finished_at),
    state: r.state === "RUNTIME_STATE_UNSPECIFIED" ? "" : r.state,
    run_details: taskDetails ? { task_details: taskDetails } : undefined,
    recurring_run_id: r.recurring_run_id,
    state_history: toApiHistory(r.state_history),
    plugins_input: r.plugins_input,
    pipeline_reference: api === "v2" ? pipelineReference : undefined,
    task_count: v2Tasks.length,
    tasks: view?.full ? v2Tasks.map(apiTask) : undefined,
  });
}

const RUN_JSON = new JsonCache<RunRecord>();

/**
 * `JSON.stringify(toApiRun(app, r, api, view))` as UTF-8 for each run, cached per record object
 * and variant (lists render the same settled runs over and over). Everything it reads besides the
 * record is immutable for the run's lifetime (its stored specs); `preferEmbeddedSpec` also reads the
 * pipeline version and is not cached.
 */
export function toApiRunsJson(
  app: EmulatorApp,
  runs: readonly RunRecord[],
  api: ApiVersion,
  view?: V2RunView,
): Buffer[] {
  if (view?.preferEmbeddedSpec) {
    return runs.map((r) => Buffer.from(JSON.stringify(toApiRun(app, r, api, view))));
  }
  const cache = RUN_JSON.variant(`${api}/${view?.full ? "full" : "default"}/${view?.loopCount ?? 2}`);
  return RUN_JSON.lookupAll(cache, runs, (r) => toApiRun(app, r, api, view));
}
