/**
 * The emulator's fast paths give the same answers as the plain ones: store indexes and frozen lists,
 * the sorted/filtered list cache in list.ts, pre-serialised list responses and their pooled output
 * buffers, cached run JSON (which must follow every stored change), the timestamp formatter and the
 * parsed-template memo.
 */
import http from "node:http";
import net from "node:net";
import { describe, expect, it } from "vitest";
import {
  jsonListPartsToBuffer,
  listResponse,
  listResponseJson,
  timestamp,
} from "../../packages/emulator/src/http/encode.js";
import {
  MAX_IDLE_BYTES,
  MAX_POOLED_BYTES,
  MIN_POOLED_BYTES,
  OutputPool,
} from "../../packages/emulator/src/http/out-pool.js";
import { startEmulator } from "../../packages/emulator/src/index.js";
import { type ListQuery, type ListSpec, listRows } from "../../packages/emulator/src/list/list.js";
import { MemoryStore } from "../../packages/emulator/src/storage/store.js";
import { parseTemplate } from "../../packages/emulator/src/template/template.js";
import { call, MINIMAL_SPEC, multipart, upload } from "./helpers/http.js";
import { waitFinished } from "./runs-fixtures.js";

interface Rec {
  id: string;
  group: string;
  v: number;
}

describe("store indexes (find) and snapshots", () => {
  const ids = (list: readonly Rec[]) => list.map((r) => r.id).sort();

  it("follow puts, field changes, deletes and rolled-back transactions", () => {
    const s = new MemoryStore<{ k: Rec; other: Rec }>();
    s.put("k", "a", { id: "a", group: "x", v: 1 });
    s.put("k", "b", { id: "b", group: "y", v: 2 });
    expect(ids(s.find("k", "group", "x"))).toEqual(["a"]); // index built here
    s.put("k", "c", { id: "c", group: "x", v: 3 });
    expect(ids(s.find("k", "group", "x"))).toEqual(["a", "c"]);
    // A changed record replaces the old one in the list; a changed field moves it.
    s.put("k", "a", { id: "a", group: "x", v: 10 });
    expect(s.find("k", "group", "x").find((r) => r.id === "a")?.v).toBe(10);
    s.put("k", "c", { id: "c", group: "y", v: 3 });
    expect(ids(s.find("k", "group", "x"))).toEqual(["a"]);
    expect(ids(s.find("k", "group", "y"))).toEqual(["b", "c"]);
    s.delete("k", "b");
    expect(ids(s.find("k", "group", "y"))).toEqual(["c"]);
    expect(s.find("k", "group", "none")).toEqual([]);
    expect(s.find("other", "group", "x")).toEqual([]);

    const before = { x: ids(s.find("k", "group", "x")), y: ids(s.find("k", "group", "y")) };
    const snap = s.snapshot("k").map((r) => r.v);
    expect(() =>
      s.transaction(() => {
        s.put("k", "d", { id: "d", group: "x", v: 4 });
        s.put("k", "a", { id: "a", group: "y", v: 11 });
        s.delete("k", "c");
        expect(ids(s.find("k", "group", "y"))).toEqual(["a"]);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(ids(s.find("k", "group", "x"))).toEqual(before.x);
    expect(ids(s.find("k", "group", "y"))).toEqual(before.y);
    expect(s.snapshot("k").map((r) => r.v)).toEqual(snap);
  });

  it("hand out frozen lists that are reused until something in them changes", () => {
    const s = new MemoryStore<{ k: Rec; other: Rec }>();
    s.put("k", "a", { id: "a", group: "x", v: 1 });
    s.put("k", "b", { id: "b", group: "y", v: 2 });
    const x1 = s.find("k", "group", "x");
    const all1 = s.snapshot("k");
    expect(Object.isFrozen(x1) && Object.isFrozen(all1)).toBe(true);
    expect(s.find("k", "group", "x")).toBe(x1);
    expect(s.snapshot("k")).toBe(all1);
    s.put("k", "b", { id: "b", group: "y", v: 3 }); // another group: x's list stays
    expect(s.find("k", "group", "x")).toBe(x1);
    const all2 = s.snapshot("k");
    expect(all2).not.toBe(all1);
    expect(all2.map((r) => r.v)).toEqual([1, 3]);
    expect(all1.map((r) => r.v)).toEqual([1, 2]); // an old list is never changed
    s.put("k", "a", { id: "a", group: "x", v: 5 });
    expect(s.find("k", "group", "x")).not.toBe(x1);
    expect(s.find("k", "group", "x")[0]?.v).toBe(5);
  });
});

// ── list.ts: sorted/filtered cache vs the linear path ────────────────────────────────────────────

interface Row {
  id: string;
  name: string;
  created: number;
}

const SPEC: ListSpec<Row> = {
  model: "runs",
  id: (r) => r.id,
  createdAt: (r) => r.created,
  fields: {
    id: { get: (r) => r.id, kind: "string" },
    name: { get: (r) => r.name, kind: "string" },
    display_name: { get: (r) => r.name, kind: "string" },
    created_at: { get: (r) => r.created, kind: "timestamp" },
  },
};

function rows(n: number): Row[] {
  const out: Row[] = [];
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    // Many rows per second, ids in no particular order (like runs created in a burst).
    out.push({
      id: `id-${Math.floor(rnd() * 1e9).toString(36)}-${i}`,
      name: `run-${i}-${i % 3 === 0 ? "even" : "odd"}`,
      created: 1_700_000_000 + Math.floor(i / 40) + (i % 97 === 0 ? -5 : 0),
    });
  }
  return out;
}

function walk(data: Iterable<Row>, q: ListQuery, times = 1): string[] {
  const pages: string[] = [];
  for (let t = 0; t < times; t++) {
    let token: string | undefined;
    for (let guard = 0; guard < 1000; guard++) {
      const page = listRows(data, token ? { page_size: q.page_size, page_token: token } : q, SPEC, "v2beta1");
      pages.push(
        JSON.stringify({
          ids: page.items.map((r) => r.id),
          total: page.total_size,
          next: page.next_page_token,
        }),
      );
      token = page.next_page_token;
      if (!token) break;
    }
  }
  return pages;
}

describe("list cache of frozen lists", () => {
  const data = rows(700);
  const frozen = Object.freeze([...data]);
  const filter = (v: string) =>
    JSON.stringify({ predicates: [{ key: "display_name", operation: "IS_SUBSTRING", string_value: v }] });
  const queries: [string, ListQuery][] = [
    ["default order", { page_size: "50" }],
    ["created_at desc", { page_size: "64", sort_by: "created_at desc" }],
    ["name asc", { page_size: "100", sort_by: "name" }],
    ["id desc", { page_size: "33", sort_by: "id desc" }],
    ["filtered, created_at desc", { page_size: "40", sort_by: "created_at desc", filter: filter("-even") }],
    ["filtered, nothing matches", { page_size: "40", filter: filter("nope") }],
    ["page larger than the list", { page_size: "200", sort_by: "name desc", filter: filter("odd") }],
  ];
  it.each(queries)("%s: every page equals the linear listing, on every walk", (_name, q) => {
    const expected = walk(data, q); // a plain array: always the linear path
    expect(walk(frozen, q, 3)).toEqual([...expected, ...expected, ...expected]);
    expect(expected.length).toBeGreaterThan(0);
  });
});

describe("listResponseJson", () => {
  const items = [{ a: 1, s: "é\u2028<>" }, { b: [true, null] }];
  const cases: [unknown[], number, string | undefined][] = [
    [items, 2, "tok+/="],
    [items, -1, undefined],
    [items, 0, ""],
    [[], 0, undefined],
    [[], 5, "next"],
  ];
  it.each(cases)("matches JSON.stringify(listResponse(...)) (%#)", (list, total, next) => {
    const parts = listResponseJson(
      "runs",
      list.map((x) => Buffer.from(JSON.stringify(x))),
      total,
      next,
    );
    const expected = JSON.stringify(listResponse("runs", list, total, next));
    expect(parts.byteLength).toBe(Buffer.byteLength(expected));
    expect(jsonListPartsToBuffer(parts).toString("utf8")).toBe(expected);
  });
});

describe("timestamp", () => {
  it("formats like Date#toISOString without milliseconds, for any second", () => {
    const old = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    for (const s of [
      0, 1, 1_700_000_000, 1_700_000_000, -1, -62135596800, 253402300799, 253402300800, 1e11,
    ]) {
      expect(timestamp(s)).toBe(old(s));
    }
    expect(timestamp(undefined)).toBe("1970-01-01T00:00:00Z");
    expect(timestamp(1.9)).toBe(old(1));
  });
});

describe("parsed template memo", () => {
  it("returns the same template for the same text and never remembers failures", () => {
    const a = parseTemplate(MINIMAL_SPEC());
    expect(parseTemplate(Buffer.from(MINIMAL_SPEC()))).toBe(a);
    expect(parseTemplate(`${MINIMAL_SPEC()}\n# another text\n`)).not.toBe(a);
    for (let i = 0; i < 2; i++) expect(() => parseTemplate("pipelineInfo: {name: x}\n")).toThrow();
  });
});

describe("cached run JSON follows stored changes", () => {
  it("lists show each new state of a run (cache keyed by the stored record)", async () => {
    const emu = await startEmulator({ lifecycle: { tickMs: 20 } });
    try {
      const up = await upload(emu.url, "/apis/v2beta1/pipelines/upload", {
        filename: "p.yaml",
        data: MINIMAL_SPEC(),
      });
      expect(up.status, up.text).toBe(200);
      const versions = await call(emu.url, "GET", `/apis/v2beta1/pipelines/${up.body.pipeline_id}/versions`);
      const ref = {
        pipeline_id: up.body.pipeline_id,
        pipeline_version_id: versions.body.pipeline_versions[0].pipeline_version_id,
      };
      const created = await call(emu.url, "POST", "/apis/v2beta1/runs", {
        display_name: "r",
        pipeline_version_reference: ref,
      });
      expect(created.status, created.text).toBe(200);
      const runId = created.body.run_id as string;
      const first = await call(emu.url, "GET", "/apis/v2beta1/runs");
      expect(first.body.runs[0].run_id).toBe(runId);
      expect((await call(emu.url, "GET", "/apis/v1beta1/runs")).body.runs[0].status).toMatch(
        /Pending|Running/,
      );
      await waitFinished(emu, runId);
      const done = await call(emu.url, "GET", "/apis/v2beta1/runs");
      const get = await call(emu.url, "GET", `/apis/v2beta1/runs/${runId}`);
      expect(done.body.runs[0]).toEqual(get.body);
      expect(done.body.runs[0].state).toBe("SUCCEEDED");
      expect(done.body.runs[0].run_details.task_details.length).toBeGreaterThan(0);
      const archived = await call(emu.url, "POST", `/apis/v2beta1/runs/${runId}:archive`);
      expect(archived.status).toBe(200);
      const after = await call(emu.url, "GET", "/apis/v2beta1/runs");
      expect(after.body.runs[0].storage_state).toBe("ARCHIVED");
      const v1 = await call(emu.url, "GET", "/apis/v1beta1/runs");
      const v1Get = await call(emu.url, "GET", `/apis/v1beta1/runs/${runId}`);
      expect(v1.body.runs[0]).toEqual(v1Get.body.run);
      expect(v1.body.runs[0].storage_state).toBe("STORAGESTATE_ARCHIVED");
      const v2 = await call(emu.url, "GET", "/apis/v2/runs");
      expect(v2.body.runs[0].storage_state).toBe("ARCHIVED");
      expect(v2.body.runs[0].task_count).toBeGreaterThan(0);
    } finally {
      await emu.close();
    }
  });
});

describe("inspector summary of an upload parsed by its handler", () => {
  it("equals the inspector's own parse of the same body", async () => {
    const emu = await startEmulator();
    try {
      const { body, contentType } = multipart([
        { name: "description", data: "x".repeat(100) },
        { name: "token", data: "s3cret-value" },
        {
          name: "uploadfile",
          filename: "dir/p.yaml",
          contentType: "application/x-yaml",
          data: MINIMAL_SPEC("ins"),
        },
        { name: "other", filename: "o.bin", data: Buffer.from([0xe2, 0x82, 0xac, 0x41]) },
        { name: "uploadfile", filename: "second.yaml", data: "ignored" },
      ]);
      const post = (path: string) =>
        fetch(emu.url + path, { method: "POST", body: body, headers: { "content-type": contentType } });
      expect((await post("/apis/v2beta1/pipelines/upload?name=ins")).status).toBe(200);
      // The experiments handler never parses multipart: the inspector parses it itself.
      expect((await post("/apis/v2beta1/experiments")).status).toBe(400);
      const [byHandler, byInspector] = emu.requests();
      expect(byHandler?.route).toBe("/apis/v2beta1/pipelines/upload");
      expect(byHandler?.body?.parts).toHaveLength(5);
      // The inspector shows the filename as sent, directories included.
      expect(byHandler?.body?.parts?.[2]?.filename).toBe("dir/p.yaml");
      expect(byHandler?.body).toEqual(byInspector?.body);
      expect(JSON.stringify(byHandler)).not.toContain("s3cret-value");
    } finally {
      await emu.close();
    }
  });
});

describe("output buffer pool", () => {
  it("sizes classes in powers of two between its bounds", () => {
    expect(OutputPool.classOf(MIN_POOLED_BYTES - 1)).toBeUndefined();
    expect(OutputPool.classOf(MIN_POOLED_BYTES)).toBe(MIN_POOLED_BYTES);
    expect(OutputPool.classOf(MIN_POOLED_BYTES + 1)).toBe(2 * MIN_POOLED_BYTES);
    expect(OutputPool.classOf(400_000)).toBe(512 * 1024);
    expect(OutputPool.classOf(MAX_POOLED_BYTES)).toBe(MAX_POOLED_BYTES);
    expect(OutputPool.classOf(MAX_POOLED_BYTES + 1)).toBeUndefined();
  });

  it("hands a released buffer out again, keeps a bounded number and never the same one twice", () => {
    const pool = new OutputPool();
    expect(pool.acquire(100)).toBeUndefined();
    const a = pool.acquire(300_000)!;
    expect(a.length).toBe(512 * 1024);
    const b = pool.acquire(300_000)!;
    expect(b).not.toBe(a);
    pool.release(a);
    pool.release(a); // a second release of the same buffer must not let two responses share it
    expect(pool.idle()).toEqual({ [512 * 1024]: 1 });
    expect(pool.acquire(400_000)).toBe(a);
    expect(pool.acquire(400_000)).not.toBe(a);
    pool.release(Buffer.alloc(1000)); // not one of ours (no size class): ignored
    const many = Array.from({ length: 20 }, () => pool.acquire(20_000)!);
    for (const buf of many) pool.release(buf);
    expect(pool.idle()[32 * 1024]).toBe(8);
    expect(pool.idleTotal()).toBe(8 * 32 * 1024); // the 512 KiB buffers are both out
  });

  it("keeps at most MAX_IDLE_BYTES idle in all", () => {
    const pool = new OutputPool();
    const big = Array.from({ length: 8 }, () => pool.acquire(MAX_POOLED_BYTES)!);
    for (const buf of big) pool.release(buf);
    expect(pool.idleTotal()).toBeLessThanOrEqual(MAX_IDLE_BYTES);
    expect(pool.idle()[MAX_POOLED_BYTES]).toBe(MAX_IDLE_BYTES / MAX_POOLED_BYTES);
    // Taking one out makes room again.
    pool.release(pool.acquire(MAX_POOLED_BYTES)!);
    expect(pool.idleTotal()).toBe(MAX_IDLE_BYTES);
  });
});

describe("large list pages through pooled output buffers", () => {
  it("are byte-identical under concurrency, when queued behind a slow response, and after hang-ups", async () => {
    const emu = await startEmulator({ lifecycle: { tickMs: 1 } });
    try {
      const up = await upload(emu.url, "/apis/v2beta1/pipelines/upload", {
        filename: "p.yaml",
        data: MINIMAL_SPEC("pooled"),
      });
      expect(up.status, up.text).toBe(200);
      const ids: string[] = [];
      for (let i = 0; i < 150; i++) {
        const r = await call(emu.url, "POST", "/apis/v2beta1/runs", {
          display_name: `run-${i}-${i % 3 === 0 ? "three" : "other"}`,
          pipeline_version_reference: { pipeline_id: up.body.pipeline_id },
        });
        expect(r.status, r.text).toBe(200);
        ids.push(r.body.run_id as string);
      }
      for (const id of ids) await waitFinished(emu, id);
      const filter = encodeURIComponent(
        JSON.stringify({
          predicates: [{ key: "display_name", operation: "IS_SUBSTRING", string_value: "three" }],
        }),
      );
      const paths = [
        "/apis/v2beta1/runs?page_size=150",
        "/apis/v2beta1/runs?page_size=60&sort_by=display_name%20desc",
        `/apis/v2beta1/runs?page_size=30&filter=${filter}`,
        "/apis/v1beta1/runs?page_size=150",
      ];
      const reference = new Map<string, string>();
      for (const p of paths) {
        const r = await call(emu.url, "GET", p);
        expect(r.status, r.text).toBe(200);
        reference.set(p, r.text);
      }
      // Each reference page is large enough for the pooled path, and the pages differ.
      for (const text of reference.values())
        expect(Buffer.byteLength(text)).toBeGreaterThan(MIN_POOLED_BYTES);
      expect(new Set(reference.values()).size).toBe(paths.length);

      const hangUp = (p: string) =>
        new Promise<void>((resolve, reject) => {
          const req = http.get(emu.url + p, (res) => {
            res.once("data", () => {
              req.destroy();
              resolve();
            });
          });
          req.on("error", (err) =>
            (err as NodeJS.ErrnoException).code === "ECONNRESET" ? resolve() : reject(err),
          );
        });
      // A pipelined request whose response must wait for the one before it (held back by a latency
      // fault): its body sits in the server's output queue, not yet written, while other responses
      // are produced — its buffer must not be handed out again before it is sent.
      // Same size class as paths[0], different bytes (the same runs in another order).
      const queuedPath = "/apis/v2beta1/runs?page_size=150&sort_by=display_name";
      const queuedRef = await call(emu.url, "GET", queuedPath);
      expect(OutputPool.classOf(Buffer.byteLength(queuedRef.text))).toBe(
        OutputPool.classOf(Buffer.byteLength(reference.get(paths[0]!)!)),
      );
      expect(queuedRef.text).not.toBe(reference.get(paths[0]!));
      const faultAdd = await call(emu.url, "POST", "/_emulator/faults", {
        path: "^/apis/v2beta1/healthz$",
        action: "latency",
        latencyMs: 150,
        times: 1,
      });
      expect(faultAdd.status, faultAdd.text).toBe(200);
      const pipelined = new Promise<string>((resolve, reject) => {
        const u = new URL(emu.url);
        const sock = net.connect({ host: u.hostname, port: Number(u.port) });
        const got: Buffer[] = [];
        sock.on("data", (c) => got.push(c));
        sock.on("error", reject);
        sock.on("end", () => resolve(Buffer.concat(got).toString("utf8")));
        sock.write(
          `GET /apis/v2beta1/healthz HTTP/1.1\r\nhost: x\r\n\r\n` +
            `GET ${queuedPath} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
        );
      });
      await new Promise((r) => setTimeout(r, 30));
      for (let round = 0; round < 3; round++) {
        const jobs: Promise<unknown>[] = [];
        for (let i = 0; i < 24; i++) {
          const p = paths[i % paths.length]!;
          if (i % 5 === 4) jobs.push(hangUp(p));
          else
            jobs.push(
              call(emu.url, "GET", p).then((r) => {
                expect(r.status).toBe(200);
                expect(r.text === reference.get(p), `page ${p} changed under concurrency`).toBe(true);
              }),
            );
        }
        await Promise.all(jobs);
      }
      const raw = await pipelined;
      const second = raw.slice(raw.indexOf("HTTP/1.1", 10));
      expect(second).toMatch(/^HTTP\/1\.1 200/);
      const body = second.slice(second.indexOf("\r\n\r\n") + 4);
      expect(body === queuedRef.text, "a queued page was overwritten before it was sent").toBe(true);
      // Buffers went back to the pool, within its bound.
      const idle = Object.values(emu.app.outputPool.idle());
      expect(idle.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      for (const n of idle) expect(n).toBeLessThanOrEqual(8);
    } finally {
      await emu.close();
    }
  });
});
