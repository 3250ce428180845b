/**
 * What the emulator stores: each kind and the record type kept under it. `Store` is the store typed
 * by this map, so `store.get(RUNS, id)` is a `RunRecord | undefined`, and a kind missing here or a
 * record of the wrong type is a compile error. The kind constants live with their records in model/.
 */
import type { ExperimentRecord } from "../model/experiment.js";
import type { PipelineRecord, PipelineVersionRecord } from "../model/pipeline.js";
import type { RecurringRunRecord } from "../model/recurring-run.js";
import type { RunRecord, RunSpecRecord } from "../model/run.js";
import type { RecordStore } from "./store.js";

export interface StoredKinds {
  pipelines: PipelineRecord;
  pipeline_versions: PipelineVersionRecord;
  experiments: ExperimentRecord;
  runs: RunRecord;
  run_specs: RunSpecRecord;
  recurring_runs: RecurringRunRecord;
}

export type Kind = keyof StoredKinds;

/** The emulator's store: memory or SQLite (storage/open.ts), typed by `StoredKinds`. */
export type Store = RecordStore<StoredKinds>;
