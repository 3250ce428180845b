/**
 * The benchmark's lean HTTP client (bench/lib/lean-http.mjs) reads responses correctly: it produces
 * the run-list latency figure, so a misread (a body cut short, a response taken for the next one)
 * would make that figure wrong rather than fail.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeanConnection, leanPool } from "../../bench/lib/lean-http.mjs";

let server: http.Server;
let base: string;
const connections = new Set<string>();
// A body whose every position is recognisable: "<offset mod 10 digit>" repeated.
const bodyOf = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => 48 + (i % 10)));

beforeAll(async () => {
  server = http.createServer((req, res) => {
    connections.add(`${req.socket.remotePort}`);
    const u = new URL(req.url ?? "/", "http://x");
    const size = Number(u.searchParams.get("size") ?? "10");
    const body = bodyOf(size);
    if (u.pathname === "/chunked") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write(body);
      res.end();
      return;
    }
    const status = Number(u.searchParams.get("status") ?? "200");
    const headers: Record<string, string | number> = { "content-length": body.length };
    if (u.searchParams.has("close")) headers.connection = "close";
    res.writeHead(status, headers);
    // Written in pieces with pauses, so the client sees the body across many reads.
    if (u.searchParams.has("slow")) {
      let at = 0;
      const step = () => {
        const next = Math.min(body.length, at + 7_001);
        res.write(body.subarray(at, next));
        at = next;
        if (at < body.length) setImmediate(step);
        else res.end();
      };
      step();
    } else res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("lean HTTP client (benchmark tool)", () => {
  it("reads bodies of any size across reads, keeping their first and last bytes", async () => {
    const c = new LeanConnection(base, { readBufferBytes: 4096, headBytes: 16, tailBytes: 100 });
    try {
      for (const [size, slow] of [
        [0, false],
        [5, false],
        [99, true],
        [100, false],
        [101, false],
        [300_000, true],
        [1_000_003, false],
      ] as const) {
        const r = await c.get(`/x?size=${size}${slow ? "&slow" : ""}`);
        const body = bodyOf(size);
        expect(r.status).toBe(200);
        expect(r.bodyBytes).toBe(size);
        expect(Buffer.from(r.head).equals(body.subarray(0, 16))).toBe(true);
        expect(Buffer.from(r.tail).equals(body.subarray(Math.max(0, size - 100)))).toBe(true);
      }
    } finally {
      c.close();
    }
  });

  it("keeps one connection alive across calls and reconnects after Connection: close", async () => {
    connections.clear();
    const c = new LeanConnection(base);
    try {
      for (let i = 0; i < 5; i++) expect((await c.get("/x?size=50")).status).toBe(200);
      expect(connections.size).toBe(1);
      expect((await c.get("/x?size=50&close")).bodyBytes).toBe(50);
      expect((await c.get("/x?size=50")).bodyBytes).toBe(50);
      expect(connections.size).toBe(2);
    } finally {
      c.close();
    }
  });

  it("reports the status and refuses what it cannot read exactly", async () => {
    const c = new LeanConnection(base);
    try {
      expect((await c.get("/x?size=3&status=404")).status).toBe(404);
      await expect(c.get("/chunked?size=10")).rejects.toThrow(/Content-Length/);
      // The failed connection is dropped; the next call opens a new one.
      expect((await c.get("/x?size=8")).bodyBytes).toBe(8);
      const first = c.get("/x");
      await expect(c.get("/x")).rejects.toThrow(/one request at a time/);
      expect((await first).bodyBytes).toBe(10);
    } finally {
      c.close();
    }
    expect(() => new LeanConnection("https://127.0.0.1:1")).toThrow(/http only/);
  });

  it("pool: concurrent calls each get their own connection, reused afterwards", async () => {
    connections.clear();
    const pool = leanPool(base);
    try {
      const sizes = [10, 20_000, 30, 400_000];
      const got = await Promise.all(sizes.map((n) => pool.get(`/x?size=${n}&slow`, (r) => r.bodyBytes)));
      expect(got).toEqual(sizes);
      const before = connections.size;
      expect(before).toBe(4);
      for (let i = 0; i < 4; i++) await pool.get("/x?size=1", (r) => r.status);
      expect(connections.size).toBe(before);
    } finally {
      pool.close();
    }
  });
});
