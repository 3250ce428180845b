/**
 * Storage: the in-memory store, transactions, and SQLite persistence across restarts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../packages/emulator/src/index.js";
import { EXPERIMENTS } from "../../packages/emulator/src/model/experiment.js";
import { RUNS, type RunRecord } from "../../packages/emulator/src/model/run.js";
import type { Store, StoredKinds } from "../../packages/emulator/src/storage/kinds.js";
import { MemoryStore, type RecordStore } from "../../packages/emulator/src/storage/store.js";
import { SqliteStore } from "../../packages/emulator/src/storage/store-sqlite.js";
import { call, MINIMAL_SPEC, upload } from "./helpers/http.js";

const dir = mkdtempSync(join(tmpdir(), "kfp-ts-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The kinds the store tests use. */
type TestKinds = { k: { v: number }; nothing: { v: number }; many: { i: number } };

function exercise(store: RecordStore<TestKinds>) {
  store.put("k", "a", { v: 1 });
  store.put("k", "b", { v: 2 });
  store.put("k", "c", { v: 3 });
  store.put("k", "a", { v: 10 }); // keeps its position
  expect([...store.all("k")].map((r) => r.v)).toEqual([10, 2, 3]);
  expect(store.count("k")).toBe(3);
  expect(store.delete("k", "b")).toBe(true);
  expect(store.delete("k", "b")).toBe(false);
  expect(store.get("k", "b")).toBeUndefined();
  expect([...store.all("nothing")]).toEqual([]);
  // A failing transaction leaves no trace, order included.
  expect(() =>
    store.transaction(() => {
      store.put("k", "d", { v: 4 });
      store.delete("k", "a");
      store.put("k", "c", { v: 30 });
      store.setMeta("m", "x");
      throw new Error("boom");
    }),
  ).toThrow("boom");
  expect([...store.all("k")].map((r) => r.v)).toEqual([10, 3]);
  expect(store.getMeta("m")).toBeUndefined();
  // Nested transactions join the outer one.
  store.transaction(() => {
    store.put("k", "e", { v: 5 });
    store.transaction(() => store.put("k", "f", { v: 6 }));
  });
  expect([...store.all("k")].map((r) => r.v)).toEqual([10, 3, 5, 6]);
  store.setMeta("default", "exp-1");
}

describe("MemoryStore", () => {
  it("keeps insertion order and rolls back failed transactions", () => {
    exercise(new MemoryStore<TestKinds>());
  });
});

describe("the emulator's store is typed by kind (storage/kinds.ts)", () => {
  it("hands out the kind's record type; an unknown kind, a wrong record or field does not compile", () => {
    const s: Store = new MemoryStore<StoredKinds>();
    // @ts-expect-error -- "custom_kind" is not a kind of StoredKinds
    expect(s.get("custom_kind", "x")).toBeUndefined();
    // @ts-expect-error -- an experiment's fields are not a RunRecord
    s.put(RUNS, "r1", { experiment_id: "e1", namespace: "" });
    const run: RunRecord | undefined = s.get(RUNS, "r1");
    expect(run).toEqual({ experiment_id: "e1", namespace: "" }); // inside, records are kept as given
    // @ts-expect-error -- RunRecord has no field "pipeline_nam"
    expect(s.find(RUNS, "pipeline_nam", "x")).toEqual([]);
    expect(s.find(RUNS, "experiment_id", "e1")).toEqual([run]);
    expect(s.count(EXPERIMENTS)).toBe(0);
  });
});

describe("SqliteStore", () => {
  it("behaves like the memory store and survives a reopen", () => {
    const file = join(dir, "unit.db");
    const s1 = SqliteStore.open<TestKinds>(file);
    exercise(s1);
    s1.close();
    s1.close();
    const s2 = SqliteStore.open<TestKinds>(file);
    expect([...s2.all("k")].map((r) => r.v)).toEqual([10, 3, 5, 6]);
    expect(s2.getMeta("default")).toBe("exp-1");
    expect(s2.getMeta("m")).toBeUndefined();
    s2.close();
    expect(() => s2.put("k", "z", { v: 0 })).toThrow(/closed/);
  });

  it("lists 10,000 records quickly", () => {
    const s = SqliteStore.open<TestKinds>(join(dir, "many.db"));
    s.transaction(() => {
      for (let i = 0; i < 10_000; i++) s.put("many", `id-${i}`, { i });
    });
    const t0 = performance.now();
    let n = 0;
    for (const _ of s.all("many")) n++;
    expect(n).toBe(10_000);
    expect(performance.now() - t0).toBeLessThan(100);
    s.close();
  });
});

describe("emulator restart with --db", () => {
  it("keeps pipelines, versions and any other kind", async () => {
    const db = join(dir, "emu.db");
    const e1 = await startEmulator({ db });
    let pid: string;
    let vid: string;
    try {
      const up = await upload(
        e1.url,
        "/apis/v2beta1/pipelines/upload",
        { filename: "p.yaml", data: MINIMAL_SPEC() },
        { name: "kept", tags: '{"a":"b"}' },
      );
      pid = up.body.pipeline_id;
      const v = await upload(
        e1.url,
        "/apis/v2beta1/pipelines/upload_version",
        { filename: "v.yaml", data: MINIMAL_SPEC() },
        { pipelineid: pid, name: "v2" },
      );
      vid = v.body.pipeline_version_id;
      await call(e1.url, "POST", "/apis/v2beta1/pipelines", { name: "no-versions" });
      // The emulator's store is typed by StoredKinds; underneath, any kind string is kept and reloaded.
      (e1.store as unknown as RecordStore).put("custom_kind", "x1", { hello: "world" });
    } finally {
      await e1.close();
    }
    const e2 = await startEmulator({ db });
    try {
      const p = await call(e2.url, "GET", `/apis/v2beta1/pipelines/${pid}`);
      expect(p.body).toMatchObject({ name: "kept", tags: { a: "b" } });
      const versions = await call(e2.url, "GET", `/apis/v2beta1/pipelines/${pid}/versions`);
      expect(versions.body.total_size).toBe(2);
      const v = await call(e2.url, "GET", `/apis/v2beta1/pipelines/${pid}/versions/${vid}`);
      expect(v.body.pipeline_spec.pipelineInfo.name).toBe("my-pipe");
      expect((await call(e2.url, "GET", "/apis/v2beta1/pipelines/names/no-versions")).status).toBe(200);
      expect((e2.store as unknown as RecordStore).get("custom_kind", "x1")).toEqual({ hello: "world" });
      expect(e2.store.location).toBe(db);
    } finally {
      await e2.close();
    }
  });
});
