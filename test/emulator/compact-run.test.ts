/**
 * Finished runs kept compact (storage/compact-run.ts) read exactly like the record that was stored,
 * and the JSON cache of rendered runs (encode.ts JsonCache) stays within its byte budget.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JsonCache } from "../../packages/emulator/src/http/encode.js";
import type { RunRecord } from "../../packages/emulator/src/model/run.js";
import { compactRun, isCompactRun } from "../../packages/emulator/src/storage/compact-run.js";
import { MemoryStore } from "../../packages/emulator/src/storage/store.js";
import { SqliteStore } from "../../packages/emulator/src/storage/store-sqlite.js";

function run(state: RunRecord["state"], taskCount: number): RunRecord {
  const tasks = Array.from({ length: taskCount }, (_, i) => ({
    task_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    pod_name: `wf-${i}`,
    display_name: i === 0 ? "root" : `task-${i}`,
    create_time: 1000 + i,
    start_time: 1001 + i,
    end_time: 1002 + i,
    state: "SUCCEEDED" as const,
    state_history: [
      { update_time: 1001 + i, state: "RUNNING" as const },
      { update_time: 1002 + i, state: "SUCCEEDED" as const },
    ],
    child_tasks: i === 0 ? ["wf-1", "wf-2"] : [],
    node_type: (i === 0 ? "DAG" : "Pod") as "DAG" | "Pod",
  }));
  return {
    run_id: "r1",
    experiment_id: "e1",
    display_name: "a run",
    description: "",
    namespace: "",
    storage_state: "AVAILABLE",
    pipeline_id: "p1",
    pipeline_version_id: "v1",
    pipeline_name: "pipe",
    template_type: "v2",
    service_account: "pipeline-runner",
    created_at: 1000,
    scheduled_at: 1000,
    finished_at: state === "RUNNING" ? 0 : 1500,
    state,
    state_history: [
      { update_time: 1000, state: "PENDING" },
      { update_time: 1001, state: "RUNNING" },
      ...(state === "RUNNING" ? [] : [{ update_time: 1500, state }]),
    ],
    recurring_run_id: "",
    tasks,
    workflow_name: "wf",
    retry_generation: 0,
  };
}

describe("compact finished runs", () => {
  it("a finished run reads, spreads and serialises exactly like the original", () => {
    const original = run("SUCCEEDED", 300);
    const compact = compactRun(original);
    expect(isCompactRun(compact)).toBe(true);
    expect(compact.tasks).toEqual(original.tasks);
    expect(compact.state_history).toEqual(original.state_history);
    expect({ ...compact, storage_state: "ARCHIVED" }).toEqual({ ...original, storage_state: "ARCHIVED" });
    expect(JSON.parse(JSON.stringify(compact))).toEqual(JSON.parse(JSON.stringify(original)));
    expect(compactRun(compact)).toBe(compact);
  });

  it("an unfinished run is stored as it is", () => {
    const live = run("RUNNING", 3);
    expect(compactRun(live)).toBe(live);
    expect(isCompactRun(live)).toBe(false);
  });

  it("a store with the compactor hands back an equal record, and an undo restores the earlier one", () => {
    const store = new MemoryStore<{ runs: RunRecord }>(new Map([["runs", compactRun]]));
    const live = run("RUNNING", 3);
    store.put("runs", "r1", live);
    const done = run("FAILED", 5);
    expect(() =>
      store.transaction(() => {
        store.put("runs", "r1", done);
        expect(isCompactRun(store.get("runs", "r1")!)).toBe(true);
        expect(store.get("runs", "r1")).toEqual(done);
        throw new Error("roll back");
      }),
    ).toThrow("roll back");
    expect(store.get("runs", "r1")).toBe(live);
  });
});

describe("compact finished runs with SQLite (--db)", () => {
  it("keeps no lists in memory: they are read back from the row, also after a reopen", () => {
    const dir = mkdtempSync(join(tmpdir(), "kfp-compact-"));
    const file = join(dir, "emu.db");
    const compactors = new Map([["runs", compactRun]]);
    try {
      const done = run("SUCCEEDED", 40);
      const store = SqliteStore.open<{ runs: RunRecord }>(file, compactors);
      store.put("runs", "r1", done);
      const kept = store.get("runs", "r1")!;
      expect(isCompactRun(kept)).toBe(true);
      expect(Object.getOwnPropertySymbols(kept).map((k) => typeof (kept as never)[k])).toEqual(["function"]);
      expect(kept).toEqual(done);
      store.put("runs", "r1", { ...kept, storage_state: "ARCHIVED" });
      store.close();
      const again = SqliteStore.open<{ runs: RunRecord }>(file, compactors);
      try {
        const loaded = again.get("runs", "r1")!;
        expect(isCompactRun(loaded)).toBe(true);
        expect(loaded).toEqual({ ...done, storage_state: "ARCHIVED" });
      } finally {
        again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("JsonCache byte budget", () => {
  it("keeps at most its budget, drops the oldest first, and never keeps a document over an eighth of it", () => {
    const cache = new JsonCache<{ id: number; pad: string }>(8_000);
    const map = cache.variant("v");
    const records = Array.from({ length: 100 }, (_, id) => ({ id, pad: "x".repeat(200) }));
    const render = (r: { id: number; pad: string }) => r;
    for (const r of records) cache.lookup(map, r, render);
    expect(cache.size).toBeLessThanOrEqual(8_000);
    expect(cache.size).toBeGreaterThan(8_000 - 300);
    const last = records[99]!;
    expect(cache.lookup(map, last, render)).toBe(cache.lookup(map, last, render));
    expect(map.has(records[0]!)).toBe(false);
    const big = { id: -1, pad: "y".repeat(2_000) };
    const first = cache.lookup(map, big, render);
    expect(JSON.parse(first.toString())).toEqual(big);
    expect(map.has(big)).toBe(false);
  });
});
