/**
 * The emulator's storage: a record store keyed by (kind, id), typed by a map from kind to record type
 * (storage/kinds.ts); inside, kinds are plain strings.
 *
 * - Records are plain JSON-serialisable objects. Treat a record returned by `get`/`all` as immutable:
 *   to change it, build a new object and `put` it (the SQLite store persists on `put` only).
 * - `all(kind)` iterates in insertion order; re-putting an existing id keeps its position.
 * - `find(kind, field, value)` returns the records whose top-level `field` equals `value`, through a
 *   secondary index built on first use and maintained on every write (and undo) afterwards;
 *   `snapshot(kind)` returns all records of a kind. Both hand out frozen lists that are reused while
 *   nothing they hold changes, so list.ts can keep a sorted order per list (see `listRows`).
 * - `transaction(fn)` runs `fn` atomically: if it throws, every put/delete made inside is undone
 *   (and, with SQLite, nothing reaches the file). Nested calls join the outer transaction.
 * - The in-memory working set serves every read; the SQLite store (store-sqlite.ts) writes through
 *   synchronously, so a write is durable before the handler answers.
 */

/** The record type stored under each kind (e.g. `StoredKinds` in storage/kinds.ts). */
export type KindMap = object;
/** A kind of `M`. */
export type KindOf<M extends KindMap> = keyof M & string;

/**
 * A store whose kind decides the record type: `get("runs", id)` is a `RunRecord` when `M` maps
 * `runs` to it, and a kind `M` does not name is a compile error. The default map (any string kind,
 * `unknown` records) is for tests of the store itself.
 */
export interface RecordStore<M extends KindMap = Record<string, unknown>> {
  get<K extends KindOf<M>>(kind: K, id: string): M[K] | undefined;
  has(kind: KindOf<M>, id: string): boolean;
  put<K extends KindOf<M>>(kind: K, id: string, record: M[K]): void;
  /** Returns true when a record was removed. */
  delete(kind: KindOf<M>, id: string): boolean;
  /** Records of one kind in insertion order. */
  all<K extends KindOf<M>>(kind: K): IterableIterator<M[K]>;
  /**
   * Records of one kind whose top-level `field` is `value` (`===`), through an index, as a frozen
   * list that stays valid (and is returned again) until a record of the list changes. The order is
   * insertion order except after a field's value changed or an undo (callers must not rely on it).
   */
  find<K extends KindOf<M>>(kind: K, field: FieldOf<M[K]>, value: unknown): readonly M[K][];
  /** All records of one kind in insertion order, as a frozen list reused until the kind changes. */
  snapshot<K extends KindOf<M>>(kind: K): readonly M[K][];
  count(kind: KindOf<M>): number;
  transaction<R>(fn: () => R): R;
  /** Small key/value area for emulator metadata (e.g. the default experiment id). */
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  /** Release resources (closes the database). Idempotent. */
  close(): void;
  /** "memory" or the database file path. */
  readonly location: string;
}

/**
 * The reading part of a store over some of its kinds, for helpers that read one kind (model/): a
 * store over more kinds passes for it.
 */
export type KindReader<M extends KindMap> = Pick<RecordStore<M>, "get" | "find">;

/** A top-level field of a record type (any string for `unknown` records). */
export type FieldOf<R> = unknown extends R ? string : keyof R & string;

type Undo = () => void;

/**
 * How a kind's records are kept in memory (e.g. storage/compact-run.ts for finished runs): applied
 * on every put and load; the record handed to `put` is what is persisted. A compacted record must
 * read the same as the original. A persistent store also passes `reload`, which reads the record
 * back from the database, so the compact form may keep less in memory.
 */
export type Compactor = (record: never, reload?: () => unknown) => unknown;

/** The ids of one indexed value, and the records as a frozen list once asked for. */
interface IndexEntry {
  ids: Set<string>;
  list?: readonly unknown[];
}

/** In-memory store; the base for the SQLite store. */
export class MemoryStore<M extends KindMap = Record<string, unknown>> implements RecordStore<M> {
  protected readonly kinds = new Map<string, Map<string, unknown>>();
  protected readonly meta = new Map<string, string>();
  private undoLog: Undo[] | undefined;
  /** kind → field → value → entry (secondary indexes for `find`, built lazily). */
  private readonly indexes = new Map<string, Map<string, Map<unknown, IndexEntry>>>();
  /** kind → frozen list of all its records (`snapshot`), dropped on any change of the kind. */
  private readonly snapshots = new Map<string, readonly unknown[]>();
  readonly location: string = "memory";
  protected readonly compactors: ReadonlyMap<string, Compactor>;

  constructor(compactors: ReadonlyMap<string, Compactor> = new Map()) {
    this.compactors = compactors;
  }

  /** The in-memory form of a record of `kind`. */
  protected compact(kind: string, id: string, record: unknown): unknown {
    const c = this.compactors.get(kind) as ((r: unknown, reload?: () => unknown) => unknown) | undefined;
    return c ? c(record, this.reloader(kind, id)) : record;
  }

  /** How to read a record back from persistent storage (none in memory). */
  protected reloader(_kind: string, _id: string): (() => unknown) | undefined {
    return undefined;
  }

  protected table(kind: string): Map<string, unknown> {
    let t = this.kinds.get(kind);
    if (!t) {
      t = new Map();
      this.kinds.set(kind, t);
    }
    return t;
  }

  get<K extends KindOf<M>>(kind: K, id: string): M[K] | undefined {
    return this.kinds.get(kind)?.get(id) as M[K] | undefined;
  }

  has(kind: string, id: string): boolean {
    return this.kinds.get(kind)?.has(id) ?? false;
  }

  put<K extends KindOf<M>>(kind: K, id: string, original: M[K]): void {
    const record = this.compact(kind, id, original);
    const t = this.table(kind);
    const had = t.has(id);
    const prev = t.get(id);
    if (this.undoLog) {
      if (had) {
        // Map.set on an existing key keeps its position, so restoring the value restores the order.
        this.undoLog.push(() => {
          this.reindex(kind, id, record, prev);
          t.set(id, prev);
        });
      } else {
        this.undoLog.push(() => {
          this.reindex(kind, id, record, undefined);
          t.delete(id);
        });
      }
    }
    this.reindex(kind, id, had ? prev : undefined, record);
    t.set(id, record);
    this.persistPut(kind, id, original);
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
        this.indexes.delete(kind); // rebuilt on next use
        this.snapshots.delete(kind);
      });
    }
    this.reindex(kind, id, t.get(id), undefined);
    t.delete(id);
    this.persistDelete(kind, id);
    return true;
  }

  find<K extends KindOf<M>>(kind: K, field: FieldOf<M[K]>, value: unknown): readonly M[K][] {
    const t = this.kinds.get(kind);
    if (!t) return EMPTY as readonly M[K][];
    let byField = this.indexes.get(kind);
    if (!byField) {
      byField = new Map();
      this.indexes.set(kind, byField);
    }
    let index = byField.get(field);
    if (!index) {
      index = new Map();
      for (const [id, rec] of t) addTo(index, fieldOf(rec, field), id);
      byField.set(field, index);
    }
    const entry = index.get(value);
    if (!entry) return EMPTY as readonly M[K][];
    if (!entry.list) {
      const out: unknown[] = [];
      for (const id of entry.ids) out.push(t.get(id));
      entry.list = Object.freeze(out);
    }
    return entry.list as readonly M[K][];
  }

  snapshot<K extends KindOf<M>>(kind: K): readonly M[K][] {
    let list = this.snapshots.get(kind);
    if (!list) {
      const t = this.kinds.get(kind);
      list = Object.freeze(t ? [...t.values()] : []);
      this.snapshots.set(kind, list);
    }
    return list as readonly M[K][];
  }

  /**
   * A record of `kind` changes from `before` to `after` (undefined: absent): move `id` between index
   * entries and drop the cached lists that held the old record.
   */
  private reindex(kind: string, id: string, before: unknown, after: unknown): void {
    this.snapshots.delete(kind);
    const byField = this.indexes.get(kind);
    if (!byField) return;
    for (const [field, index] of byField) {
      if (before !== undefined) {
        const a = fieldOf(before, field);
        const entry = index.get(a);
        if (entry) {
          entry.list = undefined;
          if (after === undefined || fieldOf(after, field) !== a) {
            entry.ids.delete(id);
            if (entry.ids.size === 0) index.delete(a);
          }
        }
      }
      if (after !== undefined) addTo(index, fieldOf(after, field), id);
    }
  }

  all<K extends KindOf<M>>(kind: K): IterableIterator<M[K]> {
    const t = this.kinds.get(kind);
    return (t ? t.values() : new Map<string, M[K]>().values()) as IterableIterator<M[K]>;
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

const EMPTY: readonly unknown[] = Object.freeze([]);

function fieldOf(rec: unknown, field: string): unknown {
  return rec !== null && typeof rec === "object" ? (rec as Record<string, unknown>)[field] : undefined;
}

function addTo(index: Map<unknown, IndexEntry>, value: unknown, id: string): void {
  let entry = index.get(value);
  if (!entry) {
    entry = { ids: new Set() };
    index.set(value, entry);
  }
  entry.ids.add(id);
  entry.list = undefined;
}
