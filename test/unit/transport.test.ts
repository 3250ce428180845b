import { Agent, buildConnector } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Kfp, type KfpOptions } from "../../packages/kfp-ts/src/client.js";
import {
  AbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  TimeoutError,
  UnsupportedError,
} from "../../packages/kfp-ts/src/core/errors.js";
import { captureLogger, closedPort, type Recorder, startRecorder } from "../helpers/recorder.js";

let rec: Recorder;
const clients: Kfp[] = [];

function client(opts: Partial<KfpOptions> = {}): Kfp {
  const c = new Kfp({
    host: rec.url,
    apiVersion: "v2beta1",
    retry: { baseDelay: 1, maxDelay: 5 },
    logLevel: "off",
    env: {},
    ...opts,
  });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  rec = await startRecorder();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await rec.close();
});

/** The current second as the server writes timestamps (whole seconds, truncated). */
const nowStamp = () => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(".000Z", "Z");

const gatewayError = (code: number, short: string, long?: string) => ({
  code,
  message: long ?? `Failed: ${short}`,
  details: [{ "@type": "type.googleapis.com/google.rpc.Status", code, message: short }],
});

describe("error shapes", () => {
  it.each([
    [400, 3, BadRequestError],
    [401, 16, AuthenticationError],
    [403, 7, PermissionDeniedError],
    [404, 5, NotFoundError],
    [409, 6, ConflictError],
    [429, 8, RateLimitError],
    [500, 13, ServerError],
    [501, 12, UnsupportedError],
    [503, 14, ServerError],
  ])("maps %i to its class and keeps status, gRPC code and the short message", async (status, code, Cls) => {
    rec.fallback({
      status,
      body: gatewayError(code, "Pipeline abc not found", "long: chain: Pipeline abc not found"),
    });
    const c = client({ maxRetries: 0 });
    const err = await c.pipelines.get("abc").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Cls);
    const e = err as InstanceType<typeof Cls>;
    expect(e.status).toBe(status);
    expect(e.grpcCode).toBe(code);
    expect(e.shortMessage).toBe("Pipeline abc not found");
    expect(e.serverMessage).toBe("long: chain: Pipeline abc not found");
    expect(e.method).toBe("GET");
    expect(e.url).toBe(`${rec.url}/apis/v2beta1/pipelines/abc`);
  });

  it("formats the message as `<status> <reason>: <short> (<METHOD> <url>)`", async () => {
    rec.fallback({ status: 404, body: gatewayError(5, "Pipeline abc not found") });
    const err = (await client()
      .pipelines.get("abc")
      .catch((e: unknown) => e)) as NotFoundError;
    expect(err.message).toBe(
      `404 Not Found: Pipeline abc not found (GET ${rec.url}/apis/v2beta1/pipelines/abc)`,
    );
  });

  it("reads the pre-2.14 gateway shape {error, code, message}", async () => {
    rec.fallback({ status: 404, body: { error: "Run x not found", code: 5, message: "Run x not found" } });
    const err = (await client()
      .pipelines.get("x")
      .catch((e: unknown) => e)) as NotFoundError;
    expect(err.shortMessage).toBe("Run x not found");
    expect(err.grpcCode).toBe(5);
  });

  it("reads the upload handler shape sent as text/plain", async () => {
    rec.fallback({
      status: 400,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: JSON.stringify({
        error_message: "Failed to read a pipeline spec file",
        error_details: "Failed to read a pipeline spec file: stack\n\tat x.go:12",
      }),
    });
    const err = (await client()
      .pipelines.get("x")
      .catch((e: unknown) => e)) as BadRequestError;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.shortMessage).toBe("Failed to read a pipeline spec file");
  });

  it("reads a plain-text body (http.Error)", async () => {
    rec.fallback({
      status: 400,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: "Invalid input error: Pipeline.Name length cannot exceed 128\n",
    });
    const err = (await client()
      .pipelines.get("x")
      .catch((e: unknown) => e)) as BadRequestError;
    expect(err.shortMessage).toBe("Invalid input error: Pipeline.Name length cannot exceed 128");
  });

  it("turns an HTML login page (200) into an AuthenticationError that says so", async () => {
    rec.fallback({
      status: 200,
      headers: { "content-type": "text/html" },
      body: "<!DOCTYPE html><html><head><title>Sign in</title></head><body>login</body></html>",
    });
    const err = (await client()
      .pipelines.get("x")
      .catch((e: unknown) => e)) as AuthenticationError;
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.message).toMatch(/HTML page/);
    expect(err.message).toMatch(/auth proxy's login page/);
  });

  it("turns an HTML 403 page into an AuthenticationError, and a redirect too", async () => {
    rec.enqueue({
      status: 403,
      headers: { "content-type": "text/html" },
      body: "<html><title>Denied</title></html>",
    });
    const e1 = await client()
      .pipelines.get("x")
      .catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(AuthenticationError);
    rec.enqueue({
      status: 302,
      headers: { location: "https://dex.example.com/auth?state=s3cr3t-state&code=abc" },
    });
    const e2 = (await client()
      .pipelines.get("x")
      .catch((e: unknown) => e)) as AuthenticationError;
    expect(e2).toBeInstanceOf(AuthenticationError);
    expect(e2.status).toBe(302);
    expect(e2.headers.location).not.toContain("abc");
  });
});

describe("retries", () => {
  it("retries GET on 503 honouring Retry-After, then succeeds", async () => {
    rec.enqueue({ status: 503, headers: { "retry-after": "0" } }, { status: 502 });
    rec.fallback({ body: { pipeline_id: "p1" } });
    const p = await client().pipelines.get("p1");
    expect(p.pipeline_id).toBe("p1");
    expect(rec.requests).toHaveLength(3);
  });

  it("waits as long as Retry-After says (seconds)", async () => {
    rec.enqueue({ status: 429, headers: { "retry-after": "1" } });
    rec.fallback({ body: {} });
    const t0 = performance.now();
    await client().pipelines.get("p1");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(rec.requests).toHaveLength(2);
  });

  it("does not wait for a Retry-After longer than a minute", async () => {
    rec.fallback({ status: 503, headers: { "retry-after": "3600" }, body: gatewayError(14, "maintenance") });
    const t0 = performance.now();
    await expect(client().pipelines.get("p")).rejects.toBeInstanceOf(ServerError);
    expect(rec.requests).toHaveLength(1);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it("honours an HTTP-date Retry-After, and retries DELETE", async () => {
    rec.enqueue({ status: 503, headers: { "retry-after": new Date(Date.now() - 1000).toUTCString() } });
    rec.fallback({ body: {} });
    await client().pipelines.delete("p");
    expect(rec.requests.map((r) => r.method)).toEqual(["DELETE", "DELETE"]);
  });

  it("a DELETE whose answer was lost and whose retry gets 404 succeeds (the first attempt deleted it)", async () => {
    const { lines, logger } = captureLogger();
    rec.enqueue({ destroy: "after-body" }, { status: 404, body: gatewayError(5, "Pipeline p not found") });
    await expect(client({ logger, logLevel: "info" }).pipelines.delete("p")).resolves.toBeUndefined();
    expect(rec.requests.map((r) => r.method)).toEqual(["DELETE", "DELETE"]);
    expect(lines.some((l) => /404 on retry 1 after an attempt whose answer was lost/.test(l))).toBe(true);

    // The same after a gateway 504 (it may have forwarded the request).
    rec.enqueue({ status: 504, body: "upstream timed out" }, { status: 404, body: gatewayError(5, "nf") });
    const r = await client().request({ method: "DELETE", path: "/runs/r1" });
    expect(r).toEqual({});
  });

  it("a DELETE answered 404 on its first attempt is a NotFoundError; so is a 404 after a 503", async () => {
    rec.enqueue({ status: 404, body: gatewayError(5, "Pipeline p not found") });
    await expect(client().pipelines.delete("p")).rejects.toBeInstanceOf(NotFoundError);
    expect(rec.requests).toHaveLength(1);
    // 503 + Retry-After: the server did not process the first attempt.
    rec.enqueue(
      { status: 503, headers: { "retry-after": "0" }, body: gatewayError(14, "unavailable") },
      { status: 404, body: gatewayError(5, "Pipeline p not found") },
    );
    await expect(client().pipelines.delete("p")).rejects.toBeInstanceOf(NotFoundError);
    expect(rec.requests).toHaveLength(3);
  });

  it("a GET answered 404 after a lost answer is still a NotFoundError", async () => {
    rec.enqueue({ destroy: "after-body" }, { status: 404, body: gatewayError(5, "Pipeline p not found") });
    await expect(client().pipelines.get("p")).rejects.toBeInstanceOf(NotFoundError);
    expect(rec.requests).toHaveLength(2);
  });

  it("gives up after maxRetries", async () => {
    rec.fallback({ status: 503, body: gatewayError(14, "unavailable") });
    const err = await client({ maxRetries: 2 })
      .pipelines.get("p")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(rec.requests).toHaveLength(3);
  });

  it("does not retry GET on 500 or 404", async () => {
    rec.fallback({ status: 500, body: gatewayError(13, "Internal Server Error") });
    await expect(client().pipelines.get("p")).rejects.toBeInstanceOf(ServerError);
    expect(rec.requests).toHaveLength(1);
  });

  it("never retries 409", async () => {
    rec.fallback({ status: 409, body: gatewayError(6, "already exists") });
    await expect(client().pipelines.create({ name: "x" })).rejects.toBeInstanceOf(ConflictError);
    expect(rec.requests).toHaveLength(1);
    await expect(client().request({ method: "GET", path: "/x" })).rejects.toBeInstanceOf(ConflictError);
    expect(rec.requests).toHaveLength(2);
  });

  it("does not retry a POST on 500 or on 503 without Retry-After", async () => {
    rec.enqueue(
      { status: 500, body: gatewayError(13, "boom") },
      { status: 503, body: gatewayError(14, "later") },
    );
    await expect(client().pipelines.create({ name: "x" })).rejects.toBeInstanceOf(ServerError);
    await expect(client().pipelines.create({ name: "x" })).rejects.toBeInstanceOf(ServerError);
    expect(rec.requests).toHaveLength(2);
  });

  it("retries a POST on 429/503 with Retry-After (the server said: later)", async () => {
    rec.enqueue(
      { status: 429, headers: { "retry-after": "0" } },
      { status: 503, headers: { "retry-after": "0" } },
    );
    rec.fallback({ body: { pipeline_id: "new" } });
    const p = await client().pipelines.create({ name: "x" });
    expect(p.pipeline_id).toBe("new");
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(3);
  });

  it("retries any method when the connection was refused (nothing was sent)", async () => {
    const port = await closedPort();
    const c = client({ host: `http://127.0.0.1:${port}`, maxRetries: 2 });
    const err = (await c.pipelines.create({ name: "x" }).catch((e: unknown) => e)) as ConnectionError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toBe("ECONNREFUSED");
    expect(err.outcomeUnknown).toBe(false);
    expect(err.message).toMatch(/not fully sent/);
  });

  it("retries a POST whose connection failed before the request was written", async () => {
    // A connector that fails the first connection attempt, then connects normally.
    const real = buildConnector({});
    let calls = 0;
    const agent = new Agent({
      connect: (opts, cb) => {
        calls++;
        if (calls === 1) {
          const err = Object.assign(new Error("connect ECONNRESET (injected)"), { code: "ECONNRESET" });
          cb(err, null);
          return;
        }
        real(opts, cb);
      },
    });
    rec.fallback({ body: { pipeline_id: "p" } });
    const c = client({ dispatcher: agent });
    const p = await c.pipelines.create({ name: "x" });
    expect(p.pipeline_id).toBe("p");
    expect(calls).toBe(2);
    expect(rec.requests).toHaveLength(1);
    await agent.close();
  });

  it("retries GET when the connection dies after the request was sent", async () => {
    rec.enqueue({ destroy: "after-body" });
    rec.fallback({ body: { pipeline_id: "p" } });
    const p = await client().pipelines.get("p");
    expect(p.pipeline_id).toBe("p");
    expect(rec.requests).toHaveLength(2);
  });

  it("retries GET when the connection dies in the middle of the response", async () => {
    rec.enqueue({ body: { pipeline_id: "p", pad: "x".repeat(1000) }, destroy: "after-headers" });
    rec.fallback({ body: { pipeline_id: "p" } });
    const p = await client().pipelines.get("p");
    expect(p.pipeline_id).toBe("p");
  });
});

describe("creates whose outcome is unknown", () => {
  it("reconciles by name: the create happened, so it is returned and not sent again", async () => {
    rec.route("POST /apis/v2beta1/pipelines", { destroy: "after-body" });
    rec.route("GET /apis/v2beta1/pipelines/names/my-pipe", {
      body: { pipeline_id: "created-id", name: "my-pipe", display_name: "my-pipe", created_at: nowStamp() },
    });
    const p = await client().pipelines.create({ name: "my-pipe" });
    expect(p.pipeline_id).toBe("created-id");
    const posts = rec.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(1);
    expect(rec.requests.map((r) => `${r.method} ${r.url.split("?")[0]}`)).toEqual([
      "POST /apis/v2beta1/pipelines",
      "GET /apis/v2beta1/pipelines/names/my-pipe",
    ]);
  });

  it("reconciles, finds nothing, then sends again (replayable body)", async () => {
    rec.enqueue(
      { destroy: "after-body" },
      { status: 404, body: gatewayError(5, "Pipeline my-pipe not found") },
    );
    rec.fallback({ body: { pipeline_id: "second" } });
    const p = await client().pipelines.create({ name: "my-pipe" });
    expect(p.pipeline_id).toBe("second");
    expect(rec.requests.map((r) => r.method)).toEqual(["POST", "GET", "POST"]);
  });

  it("a found resource created before the request was sent is a ConflictError (the name was taken)", async () => {
    rec.route("POST /apis/v2beta1/pipelines", { destroy: "after-body" });
    const old = new Date(Date.now() - 5_000).toISOString();
    rec.route("GET /apis/v2beta1/pipelines/names/my-pipe", {
      body: { pipeline_id: "old-id", name: "my-pipe", created_at: old },
    });
    const err = (await client()
      .pipelines.create({ name: "my-pipe" })
      .catch((e: unknown) => e)) as ConflictError;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.status).toBe(409);
    expect(err.url).toBe(`${rec.url}/apis/v2beta1/pipelines`);
    expect(err.message).toMatch(/already existed before this request was sent/);
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("a raw request's reconcile gets the send time", async () => {
    rec.fallback({ destroy: "after-body" });
    const before = Date.now();
    let seen: number | undefined;
    const r = await client().request<{ ok: boolean }>({
      method: "POST",
      path: "/experiments",
      body: { display_name: "e" },
      reconcile: async (ctx) => {
        seen = ctx.sentAt;
        return { ok: true };
      },
    });
    expect(r).toEqual({ ok: true });
    expect(seen).toBeGreaterThanOrEqual(before);
    expect(seen).toBeLessThanOrEqual(Date.now());
  });

  it("without reconcile: ConnectionError with outcomeUnknown, sent once", async () => {
    rec.fallback({ destroy: "after-body" });
    const err = (await client()
      .request({ method: "POST", path: "/experiments", body: { display_name: "e" } })
      .catch((e: unknown) => e)) as ConnectionError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.outcomeUnknown).toBe(true);
    expect(err.message).toMatch(/may or may not have processed it/);
    expect(rec.requests).toHaveLength(1);
  });

  it("a gateway 504 on a create is reconciled too", async () => {
    rec.enqueue({ status: 504, body: "upstream timed out" });
    rec.route("GET /apis/v2beta1/pipelines/names/p504", {
      body: { pipeline_id: "p504id", created_at: nowStamp() },
    });
    const p = await client().pipelines.create({ name: "p504" });
    expect(p.pipeline_id).toBe("p504id");
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });
});

describe("abort and timeout", () => {
  it("aborts a request in flight with AbortError", async () => {
    rec.fallback({ delayMs: 5_000, body: {} });
    const ac = new AbortController();
    const p = client().pipelines.get("p", { signal: ac.signal });
    await rec.waitForRequests(1);
    const t0 = performance.now();
    ac.abort(new Error("user stop"));
    const err = (await p.catch((e: unknown) => e)) as AbortError;
    expect(err).toBeInstanceOf(AbortError);
    expect((err.cause as Error).message).toBe("user stop");
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it("rejects at once with an already aborted signal, sending nothing", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(client().pipelines.get("p", { signal: ac.signal })).rejects.toBeInstanceOf(AbortError);
    expect(rec.requests).toHaveLength(0);
  });

  it("aborts during a backoff wait", async () => {
    rec.fallback({ status: 503, headers: { "retry-after": "30" } });
    const ac = new AbortController();
    const p = client().pipelines.get("p", { signal: ac.signal });
    await rec.waitForRequests(1);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
  });

  it("times out with TimeoutError after retries", async () => {
    rec.fallback({ delayMs: 2_000, body: {} });
    const t0 = performance.now();
    const err = (await client({ timeout: 100, maxRetries: 1 })
      .pipelines.get("p")
      .catch((e: unknown) => e)) as TimeoutError;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.timeout).toBe(100);
    expect(rec.requests).toHaveLength(2);
    expect(performance.now() - t0).toBeLessThan(1_500);
  });

  it("a per-call timeout overrides the client's", async () => {
    rec.fallback({ delayMs: 1_000, body: {} });
    const err = await client({ timeout: 60_000 })
      .pipelines.get("p", { timeout: 50, maxRetries: 0 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
  });
});

describe("secrets never leak", () => {
  const TOKEN = "tok-SECRET-1234567890";
  const COOKIE = "oauth2_proxy=COOKIE-SECRET-abcdef";

  it("keeps Authorization/Cookie out of errors and log lines", async () => {
    const { lines, logger } = captureLogger();
    rec.fallback({
      status: 401,
      headers: { "www-authenticate": `Bearer realm="kfp" token=${TOKEN}` },
      body: gatewayError(16, `bad token ${TOKEN}`, `Unauthenticated: Bearer ${TOKEN} cookie ${COOKIE}`),
    });
    const c = client({ token: TOKEN, cookies: COOKIE, logger, logLevel: "debug", maxRetries: 1 });
    const err = (await c.pipelines
      .get("p", { maxRetries: 0 })
      .catch((e: unknown) => e)) as AuthenticationError;
    expect(err).toBeInstanceOf(AuthenticationError);
    const dump = [
      err.message,
      err.stack,
      JSON.stringify(err.body),
      JSON.stringify(err.headers),
      err.shortMessage,
      err.serverMessage,
      ...lines,
    ].join("\n");
    expect(dump).not.toContain(TOKEN);
    expect(dump).not.toContain("COOKIE-SECRET");
    expect(lines.length).toBeGreaterThan(0);
    // They were sent, though.
    expect(rec.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(rec.requests[0]?.headers.cookie).toBe(COOKIE);
  });

  it("redacts token-like query values and hides the client's credentials in inspect/JSON", async () => {
    const { lines, logger } = captureLogger();
    rec.fallback({ status: 400, body: gatewayError(3, "bad") });
    const c = client({ token: TOKEN, logger, logLevel: "debug" });
    const err = (await c
      .request({ method: "GET", path: "/x", query: { access_token: "QSECRETQ", page_size: 5 } })
      .catch((e: unknown) => e)) as BadRequestError;
    expect(err.url).toContain("access_token=***");
    expect(err.url).toContain("page_size=5");
    expect(lines.join("\n")).not.toContain("QSECRETQ");
    const { inspect } = await import("node:util");
    expect(inspect(c, { depth: 5 })).not.toContain(TOKEN);
    expect(JSON.stringify(c)).not.toContain(TOKEN);
  });

  it("keeps a provider's token out of a connection error", async () => {
    const port = await closedPort();
    const c = client({ host: `http://127.0.0.1:${port}`, tokenProvider: async () => TOKEN, maxRetries: 0 });
    const err = (await c.pipelines.get("p").catch((e: unknown) => e)) as ConnectionError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(`${err.message}${err.stack}`).not.toContain(TOKEN);
  });
});

describe("auth", () => {
  it("sends a static token, extra headers and cookies", async () => {
    await client({
      token: "abc1234",
      headers: { "kubeflow-userid": "alice@example.com" },
      cookies: { authservice_session: "s1", other: "v2" },
    }).pipelines.get("p");
    const h = rec.requests[0]?.headers;
    expect(h?.authorization).toBe("Bearer abc1234");
    expect(h?.["kubeflow-userid"]).toBe("alice@example.com");
    expect(h?.cookie).toBe("authservice_session=s1; other=v2");
  });

  it("calls the token provider per request", async () => {
    let n = 0;
    const c = client({ tokenProvider: () => `t-${++n}-xxxx` });
    await c.pipelines.get("a");
    await c.pipelines.get("b");
    expect(rec.requests.map((r) => r.headers.authorization)).toEqual(["Bearer t-1-xxxx", "Bearer t-2-xxxx"]);
  });

  it("asks the provider again after a 401 and retries once", async () => {
    let n = 0;
    rec.enqueue({ status: 401, body: gatewayError(16, "expired") });
    rec.fallback({ body: { pipeline_id: "p" } });
    const c = client({ tokenProvider: () => `t-${++n}-xxxx` });
    const p = await c.pipelines.create({ name: "x" });
    expect(p.pipeline_id).toBe("p");
    expect(rec.requests.map((r) => r.headers.authorization)).toEqual(["Bearer t-1-xxxx", "Bearer t-2-xxxx"]);
  });

  it("does not retry a 401 with a static token", async () => {
    rec.fallback({ status: 401, body: gatewayError(16, "nope") });
    await expect(client({ token: "static-xyz" }).pipelines.get("p")).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    expect(rec.requests).toHaveLength(1);
  });
});

describe("paths and queries", () => {
  it("encodes ids so they cannot add a segment or a parameter", async () => {
    await client().pipelines.get("a/../b?x=1#frag");
    expect(rec.requests[0]?.url).toBe("/apis/v2beta1/pipelines/a%2F..%2Fb%3Fx%3D1%23frag");
  });

  it("keeps a host path prefix", async () => {
    await client({ host: `${rec.url}/pipeline/` }).pipelines.get("p");
    expect(rec.requests[0]?.url).toBe("/pipeline/apis/v2beta1/pipelines/p");
  });

  it("double-encodes filters as the server expects", async () => {
    await client().pipelines.list({
      filter: { predicates: [{ key: "name", operation: "EQUALS", string_value: "a+b 50%" }] },
    });
    const url = rec.requests[0]?.url ?? "";
    const q = new URLSearchParams(url.split("?")[1]);
    const once = q.get("filter") ?? "";
    expect(JSON.parse(decodeURIComponent(once))).toEqual({
      predicates: [{ key: "name", operation: "EQUALS", string_value: "a+b 50%" }],
    });
  });
});
