/**
 * The v1beta1 experiment routes (FACTS.md §14; upstream `experiment_server.go` V1 handlers): the
 * v2beta1 experiment rules (resource/experiments.ts) with the v1 shapes (`id`/`name`, a NAMESPACE
 * `resource_reference`, `STORAGESTATE_*`).
 */
import { enumOf, message, repeated } from "../http/body.js";
import { listResponse } from "../http/encode.js";
import { type ApiError, invalidInput } from "../http/errors.js";
import type { ModuleHost } from "../http/module.js";
import { checkListOptions, listRows } from "../list/list.js";
import {
  archiveExperiment,
  createExperiment,
  deleteExperiment,
  fetchExperiment,
  listExperimentsScoped,
  unarchiveExperiment,
} from "../resource/experiments.js";
import { EXPERIMENT_LIST_SPEC, toApiExperimentV1 } from "./experiments.js";
import { V1_REFERENCE } from "./pipeline-wire.js";
import { MODEL_TYPE, type RefInput, referenceKey, refOf } from "./v1-shapes.js";

const EXPERIMENT_V1 = message("Experiment", {
  id: "string",
  name: "string",
  description: "string",
  created_at: "timestamp",
  resource_references: repeated(V1_REFERENCE),
  storage_state: enumOf("StorageState", [
    "STORAGESTATE_UNSPECIFIED",
    "STORAGESTATE_AVAILABLE",
    "STORAGESTATE_ARCHIVED",
  ]),
});

export function registerExperiments(app: ModuleHost): void {
  const r = app.router;

  r.post("v1beta1", "/experiments", (ctx) => {
    const body = ctx.readJson(EXPERIMENT_V1);
    const rec = createExperiment(
      ctx,
      {
        name: String(body.name ?? ""),
        description: String(body.description ?? ""),
        namespace: refOf(body.resource_references as RefInput[] | undefined, "NAMESPACE"),
      },
      "v1beta1",
    );
    return toApiExperimentV1(rec);
  });

  r.get("v1beta1", "/experiments", (ctx) => {
    const q = ctx.listQuery();
    let key: { type: string; id: string } | undefined;
    try {
      key = referenceKey(ctx);
    } catch (err) {
      throw (err as ApiError).wrap("Validating v1beta1 filter failed");
    }
    let namespace = "";
    if (key) {
      if (key.type !== "NAMESPACE") {
        throw invalidInput(
          `Failed to list v1beta1 experiment due to invalid resource reference key. It must be of type 'Namespace' and contain an existing or empty namespace, but you provided ${key.id} of type ${MODEL_TYPE[key.type]}`,
        );
      }
      namespace = key.id;
    }
    const listOpts = checkListOptions(q, EXPERIMENT_LIST_SPEC, "v1beta1", "Failed to create list options");
    const rows = listExperimentsScoped(ctx, namespace, "List v1beta1 experiments failed");
    const page = listRows(rows, q, EXPERIMENT_LIST_SPEC, "v1beta1", listOpts);
    return listResponse(
      "experiments",
      page.items.map(toApiExperimentV1),
      page.total_size,
      page.next_page_token,
    );
  });

  r.get("v1beta1", "/experiments/{id}", (ctx) =>
    toApiExperimentV1(fetchExperiment(ctx, ctx.param("id"), "Failed to fetch v1beta1 experiment")),
  );

  r.delete("v1beta1", "/experiments/{id}", (ctx) => {
    deleteExperiment(ctx, ctx.param("id"), "Failed to delete v1beta1 experiment");
    return {};
  });

  r.post("v1beta1", "/experiments/{id}:archive", (ctx) => {
    archiveExperiment(ctx, ctx.param("id"), "Failed to archive v1beta1 experiment");
    return {};
  });

  r.post("v1beta1", "/experiments/{id}:unarchive", (ctx) => {
    unarchiveExperiment(ctx, ctx.param("id"), "Failed to unarchive v1beta1 experiment");
    return {};
  });
}
