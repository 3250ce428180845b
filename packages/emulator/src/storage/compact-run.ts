/**
 * Finished runs kept compact. A run's task rows and state history are most of its weight (302 task
 * rows for `pipeline_with_loops_and_conditions.yaml`) and never change once the run has finished,
 * so a finished run record keeps its scalar fields as they are and those two lists as one deflated
 * JSON buffer, decoded when read. The record stays a plain-looking `RunRecord`: `tasks` and
 * `state_history` are enumerable accessors, so reading them, spreading the record into a new one
 * (`{ ...rec, storage_state }`) and `JSON.stringify` (the SQLite row) all see the full lists.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { RunRecord, StateEntry, TaskRow } from "../model/run.js";

const PACKED = Symbol("packed run lists");
const TERMINAL: ReadonlySet<string> = new Set(["SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"]);

type Lists = [TaskRow[], StateEntry[]];

/**
 * Small zlib state (a 2 KiB window, memLevel 2: some KiB instead of zlib's default ~300 KiB per
 * call): the lists repeat within a few rows, and large per-call allocations fragment the heap.
 */
const ZLIB = {
  windowBits: 11,
  memLevel: 2,
  get dictionary() {
    return DICTIONARY;
  },
};

/**
 * A preset dictionary of what every packed list repeats (deflate finds matches in it from the first
 * byte): small runs pack to about half the size they would without it.
 */
const DICTIONARY = Buffer.from(
  '"update_time":"state":"PENDING"},{"RUNNING"},{"SUCCEEDED"}]]"FAILED"SKIPPED"CANCELING"CANCELED"' +
    '[[{"task_id":"pod_name":"display_name":"create_time":"start_time":"end_time":"state_history":' +
    '[{"update_time":"child_tasks":[],"node_type":"Pod","DAG","TaskGroup","task_key":"artifacts":' +
    '"root-driver"-system-container-impl-system-container-driver-system-dag-driver-executor"',
);
type Compact = RunRecord & { [PACKED]: Buffer | (() => unknown) };

/** The last few decoded records: rendering one run reads its lists several times. */
const recent: { rec: Compact; lists: Lists }[] = [];
const RECENT = 8;

function lists(rec: Compact): Lists {
  for (const hit of recent) if (hit.rec === rec) return hit.lists;
  const packed = rec[PACKED];
  let decoded: Lists;
  if (typeof packed === "function") {
    const full = packed() as Partial<RunRecord> | undefined;
    decoded = [full?.tasks ?? [], full?.state_history ?? []];
  } else {
    decoded = JSON.parse(inflateRawSync(packed, ZLIB).toString("utf8")) as Lists;
  }
  recent.unshift({ rec, lists: decoded });
  if (recent.length > RECENT) recent.pop();
  return decoded;
}

function getTasks(this: Compact): TaskRow[] {
  return lists(this)[0];
}

function getHistory(this: Compact): StateEntry[] {
  return lists(this)[1];
}

export function isCompactRun(rec: RunRecord): boolean {
  return Object.hasOwn(rec, PACKED);
}

/**
 * The record as stored: compact when the run has finished (and is not compact yet), else itself.
 * With `reload` (a persistent store) the lists are not kept in memory at all: they are read back
 * from the database row when asked for.
 */
export function compactRun(rec: RunRecord, reload?: () => unknown): RunRecord {
  if (!TERMINAL.has(rec.state) || isCompactRun(rec)) return rec;
  const { tasks, state_history, ...rest } = rec;
  const out = rest as Compact;
  Object.defineProperty(out, PACKED, {
    // A copy: zlib's result is a view of its 16 KiB output chunk, which it would keep alive.
    value: reload ?? Buffer.from(deflateRawSync(JSON.stringify([tasks, state_history]), ZLIB)),
  });
  Object.defineProperty(out, "tasks", { get: getTasks, enumerable: true });
  Object.defineProperty(out, "state_history", { get: getHistory, enumerable: true });
  return out;
}
