/**
 * The client's adapter to its server's API version: one object per version holding the route table of
 * every resource (v2beta1 and v2 share routes and differ in what the server accepts; v1beta1 converts
 * to and from the v1 shapes). A resource method asks for the adapter once it knows the version
 * (`apiVersion: "auto"` learns it from the first answer) and calls through it without branching.
 */
import type { ApiVersion, CallOptions, Kfp } from "../../client.js";
import { resolveApi } from "../shared.js";
import { type ExperimentRoutes, experimentRoutes } from "./experiments.js";
import { type PipelineVersionRoutes, versionRoutes } from "./pipeline-versions.js";
import { type PipelineRoutes, pipelineRoutes } from "./pipelines.js";
import { type RecurringRunRoutes, recurringRunRoutes } from "./recurring-runs.js";
import { type RunRoutes, runRoutes } from "./runs.js";

/** The routes of every resource for one API version. */
export interface ApiAdapter {
  readonly api: ApiVersion;
  readonly experiments: ExperimentRoutes;
  readonly pipelines: PipelineRoutes;
  readonly versions: PipelineVersionRoutes;
  readonly runs: RunRoutes;
  readonly recurringRuns: RecurringRunRoutes;
}

function build(api: ApiVersion): ApiAdapter {
  return Object.freeze({
    api,
    experiments: experimentRoutes(api),
    pipelines: pipelineRoutes(api),
    versions: versionRoutes(api),
    runs: runRoutes(api),
    recurringRuns: recurringRunRoutes(api),
  });
}

const ADAPTERS: Readonly<Record<ApiVersion, ApiAdapter>> = {
  v2beta1: build("v2beta1"),
  v2: build("v2"),
  v1beta1: build("v1beta1"),
};

/** The adapter of `api`. */
export function adapterFor(api: ApiVersion): ApiAdapter {
  return ADAPTERS[api];
}

/**
 * The adapter of the client's API version, as far as the client knows it (in auto mode: v2beta1 until
 * an answer says otherwise; `once`: the request cannot be sent twice, so the version is learned first).
 */
export async function adapterOf(client: Kfp, opts?: CallOptions, once = false): Promise<ApiAdapter> {
  return ADAPTERS[await resolveApi(client, opts, once)];
}
