/**
 * The emulator's storage: a generic record store keyed by (kind, id).
 *
 * - Records are plain JSON-serialisable objects. Treat a record returned by `get`/`all` as immutable:
 *   to change it, build a new object and `put` it (the SQLite store persists on `put` only).
 * - `all(kind)` iterates in insertion order; re-putting an existing id keeps its position.
 * - `transaction(fn)` runs `fn` atomically: if it throws, every put/delete made inside is undone
 *   (and, with SQLite, nothing reaches the file). Nested calls join the outer transaction.
 * - The in-memory working set serves every read; the SQLite store (store-sqlite.ts) writes through
 *   synchronously, so a write is durable before the handler answers.
 */

export interface Store {
  get<T = unknown>(kind: string, id: string): T | undefined;
  has(kind: string, id: string): boolean;
  put<T>(kind: string, id: string, record: T): void;
  /** Returns true when a record was removed. */
  delete(kind: string, id: string): boolean;
  /** Records of one kind in insertion order. */
  all<T = unknown>(kind: string): IterableIterator<T>;
  count(kind: string): number;
  transaction<R>(fn: () => R): R;
  /** Small key/value area for emulator metadata (e.g. the default experiment id). */
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  /** Release resources (closes the database). Idempotent. */
  close(): void;
  /** "memory" or the database file path. */
  readonly location: string;
}

type Undo = () => void;

/** In-memory store; the base for the SQLite store. */
export class MemoryStore implements Store {
  protected readonly kinds = new Map<string, Map<string, unknown>>();
  protected readonly meta = new Map<string, string>();
  private undoLog: Undo[] | undefined;
  readonly location: string = "memory";

  protected table(kind: string): Map<string, unknown> {
    let t = this.kinds.get(kind);
    if (!t) {
      t = new Map();
      this.kinds.set(kind, t);
    }
    return t;
  }

  get<T = unknown>(kind: string, id: string): T | undefined {
    return this.kinds.get(kind)?.get(id) as T | undefined;
  }

  has(kind: string, id: string): boolean {
    return this.kinds.get(kind)?.has(id) ?? false;
  }

  put<T>(kind: string, id: string, record: T): void {
    const t = this.table(kind);
    if (this.undoLog) {
      const had = t.has(id);
      const prev = t.get(id);
      if (had) {
        // Map.set on an existing key keeps its position, so restoring the value restores the order.
        this.undoLog.push(() => t.set(id, prev));
      } else {
        this.undoLog.push(() => t.delete(id));
      }
    }
    t.set(id, record);
    this.persistPut(kind, id, record);
  }

  delete(kind: string, id: string): boolean {
    const t = this.kinds.get(kind);
    if (!t?.has(id)) return false;
    if (this.undoLog) {
      // Re-inserting would move the record to the end; rebuild the map in its old order instead.
      const snapshot = [...t.entries()];
      this.undoLog.push(() => {
        t.clear();
        for (const [k, v] of snapshot) t.set(k, v);
      });
    }
    t.delete(id);
    this.persistDelete(kind, id);
    return true;
  }

  all<T = unknown>(kind: string): IterableIterator<T> {
    const t = this.kinds.get(kind);
    return (t ? t.values() : new Map<string, T>().values()) as IterableIterator<T>;
  }

  count(kind: string): number {
    return this.kinds.get(kind)?.size ?? 0;
  }

  getMeta(key: string): string | undefined {
    return this.meta.get(key);
  }

  setMeta(key: string, value: string): void {
    if (this.undoLog) {
      const had = this.meta.has(key);
      const prev = this.meta.get(key);
      this.undoLog.push(() => (had ? this.meta.set(key, prev as string) : this.meta.delete(key)));
    }
    this.meta.set(key, value);
    this.persistMeta(key, value);
  }

  transaction<R>(fn: () => R): R {
    if (this.undoLog) return fn();
    const log: Undo[] = [];
    this.undoLog = log;
    try {
      const result = this.runPersistedTransaction(fn);
      this.undoLog = undefined;
      return result;
    } catch (err) {
      this.undoLog = undefined;
      for (let i = log.length - 1; i >= 0; i--) log[i]!();
      throw err;
    }
  }

  close(): void {}

  // Hooks for a persistent subclass.
  protected persistPut(_kind: string, _id: string, _record: unknown): void {}
  protected persistDelete(_kind: string, _id: string): void {}
  protected persistMeta(_key: string, _value: string): void {}
  protected runPersistedTransaction<R>(fn: () => R): R {
    return fn();
  }
}

/** Open a store: in memory, or persisted in the SQLite file `db` (loaded lazily: better-sqlite3 is native). */
export async function openStore(db?: string): Promise<Store> {
  if (!db) return new MemoryStore();
  const { SqliteStore } = await import("./store-sqlite.js");
  return SqliteStore.open(db);
}
