/**
 * SQLite persistence for the emulator store (`--db FILE`): WAL journal, `synchronous=FULL`, every put
 * and delete written through before it returns, so an acknowledged write survives a crash. The whole
 * data set is loaded into the in-memory working set at open; reads never touch the database.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { type Compactor, type KindMap, MemoryStore } from "./store.js";

type Db = InstanceType<typeof Database>;
type Statement = Database.Statement<unknown[]>;

const SCHEMA_VERSION = "1";

export class SqliteStore<M extends KindMap = Record<string, unknown>> extends MemoryStore<M> {
  override readonly location: string;
  private db: Db | undefined;
  private readonly stmts: { put: Statement; del: Statement; meta: Statement; get: Statement };
  private loading = false;

  private constructor(file: string, db: Db, compactors?: ReadonlyMap<string, Compactor>) {
    super(compactors);
    this.location = file;
    this.db = db;
    this.stmts = {
      put: db.prepare(
        "INSERT INTO records (kind, id, data) VALUES (?, ?, ?) ON CONFLICT(kind, id) DO UPDATE SET data = excluded.data",
      ),
      del: db.prepare("DELETE FROM records WHERE kind = ? AND id = ?"),
      get: db.prepare("SELECT data FROM records WHERE kind = ? AND id = ?"),
      meta: db.prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      ),
    };
  }

  static open<M extends KindMap = Record<string, unknown>>(
    file: string,
    compactors?: ReadonlyMap<string, Compactor>,
  ): SqliteStore<M> {
    const path = resolve(file);
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.pragma("busy_timeout = 5000");
      db.exec(`
        CREATE TABLE IF NOT EXISTS records (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          kind TEXT NOT NULL,
          id TEXT NOT NULL,
          data TEXT NOT NULL,
          UNIQUE (kind, id)
        );
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      `);
      const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
        | { value: string }
        | undefined;
      if (version && version.value !== SCHEMA_VERSION) {
        throw new Error(
          `emulator database ${path} has schema version ${version.value}, expected ${SCHEMA_VERSION}`,
        );
      }
      if (!version)
        db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
    } catch (err) {
      db.close();
      throw err;
    }
    const store = new SqliteStore<M>(path, db, compactors);
    store.load();
    return store;
  }

  private load(): void {
    const db = this.db!;
    this.loading = true;
    try {
      const rows = db.prepare("SELECT kind, id, data FROM records ORDER BY seq").iterate() as Iterable<{
        kind: string;
        id: string;
        data: string;
      }>;
      for (const row of rows)
        this.table(row.kind).set(row.id, this.compact(row.kind, row.id, JSON.parse(row.data)));
      const metas = db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[];
      for (const m of metas) this.meta.set(m.key, m.value);
    } finally {
      this.loading = false;
    }
  }

  private live(): Db {
    if (!this.db) throw new Error("emulator store is closed");
    return this.db;
  }

  /** Reads the stored row again (finished runs keep their task rows only in the database). */
  protected override reloader(kind: string, id: string): () => unknown {
    return () => {
      if (!this.db) return undefined;
      const row = this.stmts.get.get(kind, id) as { data: string } | undefined;
      return row ? JSON.parse(row.data) : undefined;
    };
  }

  protected override persistPut(kind: string, id: string, record: unknown): void {
    if (this.loading) return;
    this.live();
    this.stmts.put.run(kind, id, JSON.stringify(record));
  }

  protected override persistDelete(kind: string, id: string): void {
    this.live();
    this.stmts.del.run(kind, id);
  }

  protected override persistMeta(key: string, value: string): void {
    this.live();
    this.stmts.meta.run(key, value);
  }

  protected override runPersistedTransaction<R>(fn: () => R): R {
    return this.live().transaction(fn)();
  }

  override close(): void {
    if (!this.db) return;
    const db = this.db;
    this.db = undefined;
    try {
      db.pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      db.close();
    }
  }
}
