/**
 * Opening a store: the one place that picks memory or SQLite (store.ts and store-sqlite.ts do not
 * import each other both ways), and that says how each kind is kept in memory.
 */
import { RUNS } from "../model/run.js";
import { compactRun } from "./compact-run.js";
import type { Store, StoredKinds } from "./kinds.js";
import { type Compactor, MemoryStore } from "./store.js";

/** Finished runs are kept compact (storage/compact-run.ts). */
const COMPACTORS: ReadonlyMap<string, Compactor> = new Map<string, Compactor>([[RUNS, compactRun]]);

/** Open a store: in memory, or persisted in the SQLite file `db` (loaded lazily: better-sqlite3 is native). */
export async function openStore(db?: string): Promise<Store> {
  if (!db) return new MemoryStore<StoredKinds>(COMPACTORS);
  const { SqliteStore } = await import("./store-sqlite.js");
  return SqliteStore.open<StoredKinds>(db, COMPACTORS);
}
