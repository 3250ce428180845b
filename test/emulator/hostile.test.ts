/**
 * The hostile inputs of issue 14, one by one: each gets a 4xx in its endpoint's error shape, the
 * process stays up (a crash would end this test file), healthz answers and a later list still works.
 */
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_ARCHIVE_TRAVERSAL_BYTES,
  MAX_NESTING_DEPTH,
  MAX_SPEC_BYTES,
  sizeLimitMessage,
} from "../../packages/emulator/src/http/limits.js";
import type { ModuleHost } from "../../packages/emulator/src/http/module.js";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { writeTarGz, writeZip } from "./helpers/archive-writer.js";
import { call, MINIMAL_SPEC, multipart, type Reply, upload } from "./helpers/http.js";

const UP = "/apis/v2beta1/pipelines/upload";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.close();
});

/** healthz answers and every list endpoint still serves. */
async function expectServing(): Promise<void> {
  const h = await call(emu.url, "GET", "/apis/v2beta1/healthz");
  expect(h.status).toBe(200);
  for (const path of [
    "/apis/v2beta1/pipelines",
    "/apis/v2beta1/runs",
    "/apis/v2beta1/recurringruns",
    "/apis/v2beta1/experiments",
    "/apis/v1beta1/runs",
  ]) {
    const r = await call(emu.url, "GET", path);
    expect(r.status, `${path}: ${r.text}`).toBe(200);
  }
}

function expectGateway400(r: Reply, message: RegExp): void {
  expect(r.status, r.text).toBe(400);
  expect(r.headers.get("content-type")).toBe("application/json");
  expect(r.body.code).toBe(3);
  expect(r.body.message).toMatch(message);
}

function expectUpload400(r: Reply, details?: RegExp): void {
  expect(r.status, r.text).toBe(400);
  expect(typeof r.body.error_message).toBe("string");
  if (details) expect(r.body.error_details).toMatch(details);
}

/** Send raw bytes, resolve with the whole answer (the server closes or the answer is complete). */
function rawRequest(bytes: Buffer | string): Promise<string> {
  const url = new URL(emu.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("no answer within 10 s"));
    }, 10_000);
    sock.on("data", (c) => chunks.push(c));
    sock.on("error", () => {});
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
    sock.end(bytes);
  });
}

describe("multipart uploads", () => {
  it("a truncated body (no closing boundary) is a 400 and the server stays up", async () => {
    const { body, contentType } = multipart([
      { name: "uploadfile", filename: "p.yaml", data: MINIMAL_SPEC("trunc") },
    ]);
    for (const cut of [body.length - 10, Math.floor(body.length / 2), 60]) {
      const res = await fetch(`${emu.url}${UP}`, {
        method: "POST",
        body: body.subarray(0, cut),
        headers: { "content-type": contentType },
      });
      const r: Reply = { status: res.status, headers: res.headers, text: "", body: await res.json() };
      expectUpload400(r);
      expect(r.body.error_message).toBe("Failed to read pipeline from file");
    }
    await expectServing();
    // Not stored.
    const list = await call(emu.url, "GET", "/apis/v2beta1/pipelines?filter=");
    expect(list.body.pipelines ?? []).toHaveLength(0);
  });

  it("a duplicated boundary parameter is refused like Go's mime.ParseMediaType", async () => {
    const { body, contentType } = multipart([
      { name: "uploadfile", filename: "p.yaml", data: MINIMAL_SPEC("dupb") },
    ]);
    const res = await fetch(`${emu.url}${UP}`, {
      method: "POST",
      body,
      headers: { "content-type": `${contentType}; boundary=other` },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_message: string }).error_message).toBe(
      "Failed to read pipeline from file",
    );
    await expectServing();
  });

  it("two uploadfile parts: the first one is used (Go's FormFile)", async () => {
    const r = await upload(emu.url, UP, [
      { name: "uploadfile", filename: "a.yaml", data: MINIMAL_SPEC("first-one") },
      { name: "uploadfile", filename: "b.yaml", data: MINIMAL_SPEC("second-one") },
    ]);
    expect(r.status, r.text).toBe(200);
    expect(r.body.display_name).toBe("a.yaml");
  });

  it("too many parts is a 400", async () => {
    const parts = Array.from({ length: 150 }, (_, i) => ({ name: `f${i}`, data: "x" }));
    parts.push({ name: "uploadfile", filename: "p.yaml", data: MINIMAL_SPEC("parts") } as never);
    const r = await upload(emu.url, UP, parts);
    expectUpload400(r);
    await expectServing();
  });
});

describe("nesting depth", () => {
  it("a 6 KB JSON package nested 900 levels is a 400, not an out-of-memory abort", async () => {
    const deep = `${'{"a":'.repeat(900)}1${"}".repeat(900)}`;
    const r = await upload(emu.url, UP, { filename: "deep.json", data: deep });
    expectUpload400(r, /nested deeper than 256 levels/);
    const flow = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    const r2 = await upload(emu.url, UP, { filename: "deep.yaml", data: flow });
    expectUpload400(r2, /nested deeper than/);
    await expectServing();
  });

  it("plugins_input nested thousands of levels is refused before it is stored", async () => {
    const deep = JSON.parse(`${'{"a":'.repeat(3000)}1${"}".repeat(3000)}`);
    const r = await call(emu.url, "POST", "/apis/v2beta1/runs", {
      display_name: "deep",
      plugins_input: deep,
      pipeline_spec: { pipelineInfo: { name: "x" } },
    }).catch(() => undefined);
    // JSON.stringify of 3000 levels works in the client; the server answers 400.
    expect(r).toBeDefined();
    expectGateway400(r!, new RegExp(`nested deeper than ${MAX_NESTING_DEPTH} levels`));
    await expectServing();
  });

  it("duplicate JSON keys are a 400 (protojson: duplicate field)", async () => {
    const r = await call(
      emu.url,
      "POST",
      "/apis/v2beta1/experiments",
      '{"display_name":"a","display_name":"b"}',
    );
    expectGateway400(r, /duplicate field "display_name"/);
    const r2 = await call(
      emu.url,
      "POST",
      "/apis/v2beta1/runs",
      '{"display_name":"a","runtime_config":{"parameters":{"x":1,"x":2}}}',
    );
    expectGateway400(r2, /duplicate field "x"/);
    await expectServing();
  });

  it("a page token nested too deep is a 400", async () => {
    const token = Buffer.from(`${"[".repeat(3000)}${"]".repeat(3000)}`).toString("base64");
    const r = await call(emu.url, "GET", `/apis/v2beta1/pipelines?page_token=${encodeURIComponent(token)}`);
    expect(r.status, r.text).toBe(400);
    expect(r.body.code).toBe(3);
    await expectServing();
  });
});

describe("archives", () => {
  it("a zip whose member declares more than the spec limit is refused before inflating", async () => {
    const zip = writeZip([{ name: "pipeline.yaml", data: Buffer.alloc(MAX_SPEC_BYTES + 1024) }]);
    expect(zip.length).toBeLessThan(200_000);
    const started = performance.now();
    const r = await upload(emu.url, UP, { filename: "bomb.zip", data: zip });
    expectUpload400(r, /Decompressed file size too large: exceeds maximum 33554432 bytes \(32\.00 MiB\)/);
    expect(r.text).not.toMatch(/TypeError|wrap is not a function/);
    expect(performance.now() - started).toBeLessThan(5_000);
    await expectServing();
  });

  it("a zip that lies about its size never inflates past what it declared", async () => {
    const zip = writeZip([{ name: "pipeline.yaml", data: Buffer.alloc(8 << 20) }]);
    const eocd = zip.length - 22;
    const cd = zip.readUInt32LE(eocd + 16);
    zip.writeUInt32LE(100, cd + 24); // central directory: uncompressed size 100
    const r = await upload(emu.url, UP, { filename: "liar.zip", data: zip });
    expectUpload400(r, /checksum error/);
    await expectServing();
  });

  it("a tar.gz that spends the traversal budget before the spec is refused with upstream's message", async () => {
    const tgz = writeTarGz([
      { name: "junk.bin", data: Buffer.alloc(MAX_ARCHIVE_TRAVERSAL_BYTES + 1) },
      { name: "pipeline.yaml", data: MINIMAL_SPEC("after-junk") },
    ]);
    const r = await upload(emu.url, UP, { filename: "junk.tar.gz", data: tgz });
    expectUpload400(r);
    expect(r.body.error_details).toContain(
      sizeLimitMessage("pipeline_archive_traversal", MAX_ARCHIVE_TRAVERSAL_BYTES),
    );
    await expectServing();
  });

  it("a gzip bomb (tiny input, huge output) is refused quickly", async () => {
    const bomb = gzipSync(Buffer.alloc(80 << 20));
    const started = performance.now();
    const r = await upload(emu.url, UP, { filename: "bomb.tgz", data: bomb });
    expectUpload400(r, /size too large/);
    expect(performance.now() - started).toBeLessThan(10_000);
    await expectServing();
  });
});

describe("HTTP plumbing", () => {
  it("a request head of 100 KiB is served (Go takes up to 1 MiB)", async () => {
    const big = "x".repeat(100 * 1024);
    const r = await call(emu.url, "GET", "/apis/v2beta1/healthz", undefined, { "x-big": big });
    expect(r.status).toBe(200);
  });

  it("a head over 1 MiB gets Go's 431 with a body that says so", async () => {
    const answer = await rawRequest(
      `GET /apis/v2beta1/healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"y".repeat((1 << 20) + 10)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(answer).toMatch(/431 Request Header Fields Too Large$/);
    await expectServing();
  });

  it("garbage on the wire gets a 400 Bad Request with a body", async () => {
    const answer = await rawRequest("NOT HTTP AT ALL\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*400 Bad Request$/);
    await expectServing();
  });

  it("an unexpected exception is a generic 500; the detail is logged, not echoed", async () => {
    const logged: string[] = [];
    const local = await startEmulator({
      logger: { info() {}, warn() {}, debug() {}, error: (m: string) => logged.push(m) },
    });
    try {
      (local.app as ModuleHost).router.get("v2beta1", "/boom", () => {
        throw new TypeError("secret internal detail");
      });
      const r = await call(local.url, "GET", "/apis/v2beta1/boom");
      expect(r.status).toBe(500);
      expect(r.body.code).toBe(13);
      expect(r.text).not.toContain("secret internal detail");
      expect(r.body.message).toMatch(/^Internal error: the emulator failed unexpectedly/);
      expect(logged.join("\n")).toContain("secret internal detail");
      const h = await call(local.url, "GET", "/apis/v2beta1/healthz");
      expect(h.status).toBe(200);
    } finally {
      await local.close();
    }
  });

  it("a handler over its time budget gets a 504 and the server goes on", async () => {
    const local = await startEmulator({ requestTimeBudgetMs: 50 });
    try {
      let release!: () => void;
      (local.app as ModuleHost).router.get("v2beta1", "/slow", () => new Promise<void>((r) => (release = r)));
      const r = await call(local.url, "GET", "/apis/v2beta1/slow");
      expect(r.status).toBe(504);
      expect(r.body.code).toBe(4);
      expect(r.body.message).toMatch(/time budget of 50 ms/);
      release();
      const h = await call(local.url, "GET", "/apis/v2beta1/healthz");
      expect(h.status).toBe(200);
    } finally {
      await local.close();
    }
  });
});
