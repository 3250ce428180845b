/**
 * Emulator framework: routing, body decoding, healthz, control endpoints, fault injection, the
 * request inspector.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { call, MINIMAL_SPEC, upload } from "./helpers/http.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ commitSha: "abc123", tagName: "2.17.0" });
});
afterAll(async () => {
  await emu?.close();
});

describe("healthz", () => {
  it("answers under v2beta1 and v2 with pipeline_store, under v1beta1 without, for any method", async () => {
    const full = { commit_sha: "abc123", tag_name: "2.17.0", multi_user: false, pipeline_store: "database" };
    for (const [path, method] of [
      ["/apis/v2beta1/healthz", "GET"],
      ["/apis/v2/healthz", "GET"],
      ["/apis/v2beta1/healthz", "POST"],
      ["/apis/v2/healthz", "DELETE"],
    ] as const) {
      const r = await call(emu.url, method, path);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("application/json");
      expect(r.body).toEqual(full);
    }
    const v1 = await call(emu.url, "GET", "/apis/v1beta1/healthz");
    expect(v1.body).toEqual({ commit_sha: "abc123", tag_name: "2.17.0", multi_user: false });
  });
});

describe("routing", () => {
  it("unknown paths → 404 {code:5}", async () => {
    for (const p of [
      "/apis/v2beta1/nope",
      "/apis/v2beta10/healthz",
      "/apis/v2beta1/filters",
      "/apis/v3/healthz",
      "/apis/v2beta1/pipelines/a/b/c/d",
    ]) {
      const r = await call(emu.url, "GET", p);
      expect(r.status, p).toBe(404);
      expect(r.body).toEqual({ code: 5, message: "Not Found" });
    }
  });

  it("paths outside /apis/ → Go's plain-text 404", async () => {
    for (const p of ["/", "/metrics", "/apis", "/pipelines"]) {
      const r = await call(emu.url, "GET", p);
      expect(r.status, p).toBe(404);
      expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(r.text).toBe("404 page not found\n");
    }
  });

  it("known path with another method → 501 {code:12}", async () => {
    for (const [m, p] of [
      ["PUT", "/apis/v2beta1/pipelines"],
      ["POST", "/apis/v2beta1/pipelines/abc"],
      ["DELETE", "/apis/v2/pipelines/names/x"],
    ] as const) {
      const r = await call(emu.url, m, p);
      expect(r.status, `${m} ${p}`).toBe(501);
      expect(r.body).toEqual({ code: 12, message: "Method Not Allowed" });
    }
  });

  it("percent-decodes path parameters and rejects malformed ones", async () => {
    const name = "a b/c";
    const created = await call(emu.url, "POST", "/apis/v2beta1/pipelines", { name });
    expect(created.status).toBe(200);
    const byName = await call(emu.url, "GET", `/apis/v2beta1/pipelines/names/${encodeURIComponent(name)}`);
    expect(byName.status).toBe(200);
    expect(byName.body.name).toBe(name);
    const bad = await call(emu.url, "GET", "/apis/v2beta1/pipelines/%E0%A4%A");
    expect(bad.status).toBe(400);
  });

  it("bad typed query values → 400; unknown query params ignored", async () => {
    const r = await call(emu.url, "GET", "/apis/v2beta1/pipelines?page_size=abc");
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(3);
    expect(r.body.details).toBeUndefined();
    expect((await call(emu.url, "GET", "/apis/v2beta1/pipelines?pageSize=1&foo=bar")).status).toBe(200);
  });

  it("rejects JSON bodies over 32 MiB with 413 {code:3}", async () => {
    const big = JSON.stringify({ name: "big", description: "x".repeat(32 * 1024 * 1024) });
    const r = await call(emu.url, "POST", "/apis/v2beta1/pipelines", big);
    expect(r.status).toBe(413);
    expect(r.body.code).toBe(3);
  });

  it("lists the registered routes", async () => {
    const r = await call(emu.url, "GET", "/_emulator/routes");
    expect(r.body.routes).toContain("GET /apis/v2beta1/pipelines");
    expect(r.body.routes).toContain("* /apis/v2/pipelines/upload");
  });
});

describe("fault injection", () => {
  it("adds latency", async () => {
    emu.faults.add({
      method: "GET",
      path: "^/apis/v2beta1/healthz$",
      action: "latency",
      latencyMs: 150,
      times: 1,
    });
    const t0 = performance.now();
    expect((await call(emu.url, "GET", "/apis/v2beta1/healthz")).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    const t1 = performance.now();
    await call(emu.url, "GET", "/apis/v2beta1/healthz");
    expect(performance.now() - t1).toBeLessThan(140);
    emu.faults.clear();
  });

  it("answers 503 with Retry-After, for the configured number of times, after skipping some", async () => {
    emu.faults.add({
      path: "^/apis/v2beta1/pipelines$",
      method: "GET",
      action: "unavailable",
      retryAfter: 2,
      times: 1,
      after: 1,
    });
    expect((await call(emu.url, "GET", "/apis/v2beta1/pipelines")).status).toBe(200);
    const r = await call(emu.url, "GET", "/apis/v2beta1/pipelines");
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("2");
    expect(r.body.code).toBe(14);
    expect(r.body.details[0].message).toBe("Service Unavailable");
    expect((await call(emu.url, "GET", "/apis/v2beta1/pipelines")).status).toBe(200);
    const [rule] = emu.faults.list();
    expect(rule).toMatchObject({ seen: 3, fired: 1 });
    emu.faults.clear();
  });

  it("resets before the body is read: nothing is created", async () => {
    emu.faults.add({
      method: "POST",
      path: "^/apis/v2beta1/pipelines$",
      action: "reset-before-body",
      times: 1,
    });
    await expect(
      call(emu.url, "POST", "/apis/v2beta1/pipelines", { name: "never-created" }),
    ).rejects.toMatchObject({
      name: "TypeError",
      message: "fetch failed",
    });
    expect((await call(emu.url, "GET", "/apis/v2beta1/pipelines/names/never-created")).status).toBe(404);
    emu.faults.clear();
  });

  it("resets after the body is read: the create still happens", async () => {
    emu.faults.add({
      method: "POST",
      path: "^/apis/v2beta1/pipelines/upload$",
      action: "reset-after-body",
      times: 1,
    });
    await expect(
      upload(
        emu.url,
        "/apis/v2beta1/pipelines/upload",
        { filename: "p.yaml", data: MINIMAL_SPEC() },
        { name: "created-anyway" },
      ),
    ).rejects.toMatchObject({ name: "TypeError", message: "fetch failed" });
    const found = await call(emu.url, "GET", "/apis/v2beta1/pipelines/names/created-anyway");
    expect(found.status).toBe(200);
    const entry = emu
      .requests()
      .find((e) => e.path === "/apis/v2beta1/pipelines/upload" && e.fault === "reset-after-body");
    expect(entry?.status).toBe(200);
    emu.faults.clear();
  });

  it("truncates the response body", async () => {
    emu.faults.add({ method: "GET", path: "^/apis/v2beta1/healthz$", action: "truncate", times: 1 });
    const res = await fetch(`${emu.url}/apis/v2beta1/healthz`);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toMatchObject({ name: "TypeError", message: "terminated" });
    expect((await call(emu.url, "GET", "/apis/v2beta1/healthz")).status).toBe(200);
    emu.faults.clear();
  });

  it("is configurable at runtime through /_emulator/faults", async () => {
    const added = await call(emu.url, "POST", "/_emulator/faults", [
      { path: "/healthz$", action: "unavailable", status: 502 },
    ]);
    expect(added.status).toBe(200);
    expect(added.body.faults[0].id).toBeTruthy();
    expect((await call(emu.url, "GET", "/apis/v2/healthz")).status).toBe(502);
    expect((await call(emu.url, "GET", "/_emulator/faults")).body.faults).toHaveLength(1);
    expect((await call(emu.url, "DELETE", "/_emulator/faults")).status).toBe(200);
    expect((await call(emu.url, "GET", "/apis/v2/healthz")).status).toBe(200);
    const bad = await call(emu.url, "POST", "/_emulator/faults", { path: "(", action: "latency" });
    expect(bad.status).toBe(400);
    const badAction = await call(emu.url, "POST", "/_emulator/faults", { path: "x", action: "explode" });
    expect(badAction.status).toBe(400);
    expect(badAction.body.message).toMatch(/action/);
  });

  it("applies rules given at start", async () => {
    const e = await startEmulator({ faults: [{ path: "healthz", action: "unavailable", times: 1 }] });
    try {
      expect((await call(e.url, "GET", "/apis/v2beta1/healthz")).status).toBe(503);
      expect((await call(e.url, "GET", "/apis/v2beta1/healthz")).status).toBe(200);
    } finally {
      await e.close();
    }
  });
});

describe("request inspector", () => {
  it("records requests with secrets redacted and bodies summarised", async () => {
    await call(emu.url, "DELETE", "/_emulator/requests");
    const secrets = ["Bearer secret-token-123", "session=cookie-secret-456", "xat-secret-789"];
    await call(emu.url, "GET", "/apis/v2beta1/pipelines?page_size=5&token=qs-secret-000", undefined, {
      authorization: secrets[0]!,
      cookie: secrets[1]!,
      "x-auth-token": secrets[2]!,
      "kubeflow-userid": "someone@example.com",
    });
    await call(emu.url, "POST", "/apis/v2beta1/pipelines", { name: "inspected", description: "x" });
    await upload(
      emu.url,
      "/apis/v2beta1/pipelines/upload",
      { filename: "i.yaml", data: MINIMAL_SPEC() },
      { name: "inspected-upload" },
      { authorization: secrets[0]! },
    );
    const r = await call(emu.url, "GET", "/_emulator/requests");
    const text = JSON.stringify(r.body);
    for (const s of [...secrets, "secret-token-123", "cookie-secret-456", "qs-secret-000"])
      expect(text).not.toContain(s);
    const [list, create, up] = r.body.requests;
    expect(list).toMatchObject({
      method: "GET",
      path: "/apis/v2beta1/pipelines",
      status: 200,
      api: "v2beta1",
      query: { page_size: "5", token: "[redacted]" },
    });
    expect(list.headers.authorization).toBe("[redacted]");
    expect(list.headers.cookie).toBe("[redacted]");
    expect(list.headers["x-auth-token"]).toBe("[redacted]");
    expect(list.headers["kubeflow-userid"]).toBe("someone@example.com");
    expect(typeof list.duration_ms).toBe("number");
    expect(create.body).toMatchObject({
      size: expect.any(Number),
      prefix: expect.stringContaining('"inspected"'),
    });
    expect(up.body.parts[0]).toMatchObject({
      name: "uploadfile",
      filename: "i.yaml",
      size: Buffer.byteLength(MINIMAL_SPEC()),
      head: MINIMAL_SPEC().slice(0, 64),
    });
    // Control endpoints are not recorded; in-process access matches; DELETE clears.
    expect(r.body.requests).toHaveLength(3);
    expect(emu.requests()).toHaveLength(3);
    await call(emu.url, "DELETE", "/_emulator/requests");
    expect(emu.requests()).toHaveLength(0);
  });

  it("keeps only the last N requests", async () => {
    const e = await startEmulator({ inspectorSize: 3 });
    try {
      for (let i = 0; i < 5; i++) await call(e.url, "GET", `/apis/v2beta1/healthz?i=${i}`);
      expect(e.requests().map((x) => x.query.i)).toEqual(["2", "3", "4"]);
    } finally {
      await e.close();
    }
  });
});

describe("lifecycle", () => {
  it("close() is idempotent and frees the port", async () => {
    const e = await startEmulator();
    const { port } = e;
    await e.close();
    await e.close();
    await expect(fetch(`http://127.0.0.1:${port}/apis/v2beta1/healthz`)).rejects.toMatchObject({
      name: "TypeError",
      message: "fetch failed",
    });
  });

  it("injects clock and id generator", async () => {
    let n = 0;
    const e = await startEmulator({
      clock: () => Date.UTC(2030, 0, 2, 3, 4, 5, 678),
      idGenerator: () => `id-${++n}`,
    });
    try {
      const r = await call(e.url, "POST", "/apis/v2beta1/pipelines", { name: "timed" });
      expect(r.body).toMatchObject({
        pipeline_id: expect.stringMatching(/^id-\d+$/),
        created_at: "2030-01-02T03:04:05Z",
      });
    } finally {
      await e.close();
    }
  });
});
