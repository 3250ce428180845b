/** Opening a store: the one place that picks memory or SQLite (store.ts and store-sqlite.ts do not import each other both ways). */
import { MemoryStore, type Store } from "../store.js";

/** Open a store: in memory, or persisted in the SQLite file `db` (loaded lazily: better-sqlite3 is native). */
export async function openStore(db?: string): Promise<Store> {
  if (!db) return new MemoryStore();
  const { SqliteStore } = await import("../store-sqlite.js");
  return SqliteStore.open(db);
}
