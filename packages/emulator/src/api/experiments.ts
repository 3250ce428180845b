/**
 * The experiment handlers of v2beta1 and /apis/v2 (FACTS.md §7.2, §8; upstream `experiment_server.go`):
 * wire shapes, JSON and list fields; every rule that needs stored state is in resource/experiments.ts.
 */

import { enumOf, message } from "../http/body.js";
import { listResponse, omitZero, timestamp } from "../http/encode.js";
import type { ModuleHost } from "../http/module.js";
import { ALL_V2 } from "../http/router.js";
import { checkListOptions, type ListSpec, listRows } from "../list/list.js";
import type { ExperimentRecord } from "../model/experiment.js";
import {
  archiveExperiment,
  createExperiment,
  deleteExperiment,
  ensureDefaultExperiment,
  fetchExperiment,
  listExperimentsScoped,
  unarchiveExperiment,
} from "../resource/experiments.js";

const STORAGE_STATES = ["STORAGE_STATE_UNSPECIFIED", "AVAILABLE", "ARCHIVED"];

const EXPERIMENT_SHAPE = message("Experiment", {
  experiment_id: "string",
  display_name: "string",
  description: "string",
  created_at: "timestamp",
  namespace: "string",
  storage_state: enumOf("StorageState", STORAGE_STATES),
  last_run_created_at: "timestamp",
});

// ---------------------------------------------------------------------------------------------------
// JSON

export function toApiExperiment(e: ExperimentRecord): Record<string, unknown> {
  return omitZero({
    experiment_id: e.experiment_id,
    display_name: e.display_name,
    description: e.description,
    created_at: timestamp(e.created_at),
    namespace: e.namespace,
    storage_state: e.storage_state,
    last_run_created_at: timestamp(e.last_run_created_at),
  });
}

export function toApiExperimentV1(e: ExperimentRecord): Record<string, unknown> {
  return omitZero({
    id: e.experiment_id,
    name: e.display_name,
    description: e.description,
    created_at: timestamp(e.created_at),
    resource_references: [{ key: omitZero({ type: "NAMESPACE", id: e.namespace }), relationship: "OWNER" }],
    storage_state: `STORAGESTATE_${e.storage_state}`,
  });
}

const idField = { get: (e: ExperimentRecord) => e.experiment_id, kind: "string" as const, column: "UUID" };
const nameField = { get: (e: ExperimentRecord) => e.display_name, kind: "string" as const, column: "Name" };

export const EXPERIMENT_LIST_SPEC: ListSpec<ExperimentRecord> = {
  model: "experiments",
  typeName: "Experiment",
  fields: {
    experiment_id: idField,
    id: idField,
    display_name: nameField,
    name: nameField,
    created_at: { get: (e) => e.created_at, kind: "timestamp", column: "CreatedAtInSec" },
    last_run_created_at: {
      get: (e) => e.last_run_created_at,
      kind: "timestamp",
      column: "LastRunCreatedAtInSec",
    },
    description: { get: (e) => e.description, kind: "string", column: "Description" },
    namespace: { get: (e) => e.namespace, kind: "string", column: "Namespace" },
    storage_state: { get: (e) => e.storage_state, kind: "string", column: "StorageState" },
  },
  id: (e) => e.experiment_id,
  createdAt: (e) => e.created_at,
};

// ---------------------------------------------------------------------------------------------------
// Routes

export function register(app: ModuleHost): void {
  if (!app.config.multiUser) ensureDefaultExperiment(app, "");
  const r = app.router;

  r.post(ALL_V2, "/experiments", (ctx) => {
    const body = ctx.readJson(EXPERIMENT_SHAPE);
    const rec = createExperiment(
      ctx,
      {
        name: String(body.display_name ?? ""),
        description: String(body.description ?? ""),
        namespace: String(body.namespace ?? ""),
      },
      "v2beta1",
    );
    return toApiExperiment(rec);
  });

  r.get(ALL_V2, "/experiments", (ctx) => {
    const q = ctx.listQuery();
    const api = ctx.api === "v1beta1" ? "v2beta1" : ctx.api;
    // validatedListOptions runs before the namespace checks and authorization.
    const listOpts = checkListOptions(q, EXPERIMENT_LIST_SPEC, api, "Failed to create list options");
    const rows = listExperimentsScoped(ctx, ctx.q("namespace"), "List experiments failed");
    const page = listRows(rows, q, EXPERIMENT_LIST_SPEC, api, listOpts);
    return listResponse(
      "experiments",
      page.items.map(toApiExperiment),
      page.total_size,
      page.next_page_token,
    );
  });

  r.get(ALL_V2, "/experiments/{experiment_id}", (ctx) => {
    return toApiExperiment(fetchExperiment(ctx, ctx.param("experiment_id"), "Failed to fetch experiment"));
  });

  r.delete(ALL_V2, "/experiments/{experiment_id}", (ctx) => {
    deleteExperiment(ctx, ctx.param("experiment_id"), "Failed to delete experiment");
    return {};
  });

  r.post(ALL_V2, "/experiments/{experiment_id}:archive", (ctx) => {
    archiveExperiment(ctx, ctx.param("experiment_id"), "Failed to archive experiment");
    return {};
  });

  r.post(ALL_V2, "/experiments/{experiment_id}:unarchive", (ctx) => {
    unarchiveExperiment(ctx, ctx.param("experiment_id"), "Failed to unarchive experiment");
    return {};
  });
}
