/**
 * "Sent" vs "not sent" with a dispatcher the caller passed: undici's compose() wraps the handler and
 * drops onRequestSent, so the client must not read a missing callback as "not sent" (that turned a lost
 * answer to runs.create into a second run). Timeouts are validated; abort is honoured while an
 * asynchronous token is fetched.
 */
import { Agent, type Dispatcher, MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Kfp, type KfpOptions } from "../../packages/kfp-ts/src/client.js";
import { AbortError, ConnectionError, ValidationError } from "../../packages/kfp-ts/src/core/errors.js";
import { closedPort, type Recorder, startRecorder } from "../helpers/recorder.js";

let rec: Recorder;
const clients: Kfp[] = [];
const agents: Dispatcher[] = [];

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

/** An Agent composed with interceptors that only pass the request on (as user code often does). */
function composedAgent(): Dispatcher {
  const agent = new Agent();
  agents.push(agent);
  const passThrough: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) =>
    dispatch(opts, handler);
  return agent.compose(passThrough, passThrough);
}

beforeEach(async () => {
  rec = await startRecorder();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await rec.close();
});

const runParams = {
  display_name: "r",
  pipeline_id: "p",
  pipeline_version_id: "v",
  checkParameters: false,
};

describe("a composed dispatcher and a lost answer", () => {
  it("runs.create whose answer is lost is not sent a second time", async () => {
    rec.route("POST /apis/v2beta1/runs", { destroy: "after-body" });
    const kfp = client({ dispatcher: composedAgent(), maxRetries: 3 });
    const err = await kfp.runs.create(runParams).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).outcomeUnknown).toBe(true);
    expect((err as ConnectionError).message).toMatch(/^Connection failed/);
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("the same with the client's own dispatcher (its onRequestSent is trusted)", async () => {
    rec.route("POST /apis/v2beta1/runs", { destroy: "after-body" });
    const err = await client({ maxRetries: 3 })
      .runs.create(runParams)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).outcomeUnknown).toBe(true);
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("a create through a composed dispatcher is looked up by name before anything is resent", async () => {
    rec.route("POST /apis/v2beta1/pipelines", { destroy: "after-body" });
    rec.route("GET /apis/v2beta1/pipelines/names/p1", {
      body: {
        pipeline_id: "id1",
        name: "p1",
        display_name: "p1",
        created_at: new Date(Date.now() + 5_000).toISOString().replace(/\.\d+Z$/, "Z"),
      },
    });
    const kfp = client({ dispatcher: composedAgent() });
    const p = await kfp.pipelines.create({ name: "p1" });
    expect(p.pipeline_id).toBe("id1");
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("a POST that was never sent (connection refused) is still retried through a composed dispatcher", async () => {
    const port = await closedPort();
    const kfp = new Kfp({
      host: `http://127.0.0.1:${port}`,
      apiVersion: "v2beta1",
      dispatcher: composedAgent(),
      retry: { baseDelay: 1, maxDelay: 2 },
      maxRetries: 2,
      logLevel: "off",
      env: {},
    });
    clients.push(kfp);
    const err = await kfp.runs.create(runParams).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).outcomeUnknown).toBe(false);
    expect((err as ConnectionError).message).toMatch(/ECONNREFUSED/);
  });
});

describe("a MockAgent", () => {
  it("a create answered with an error by the mock is not sent a second time (it may have been sent)", async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    agents.push(mock);
    const origin = "http://kfp.mock";
    let posts = 0;
    mock
      .get(origin)
      .intercept({ path: "/apis/v2beta1/runs", method: "POST" })
      .reply(() => {
        posts++;
        throw new Error("socket hang up");
      })
      .persist();
    const kfp = new Kfp({
      host: origin,
      apiVersion: "v2beta1",
      dispatcher: mock,
      retry: { baseDelay: 1, maxDelay: 2 },
      maxRetries: 3,
      logLevel: "off",
      env: {},
    });
    clients.push(kfp);
    const err = await kfp.runs.create(runParams).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).outcomeUnknown).toBe(true);
    expect((err as ConnectionError).message).toMatch(/socket hang up/);
    expect(posts).toBe(1);
  });
});

describe("timeouts are validated", () => {
  it.each([Number.NaN, -5, 0, 3e9, Number.NEGATIVE_INFINITY])("client timeout %s → ValidationError", (t) => {
    expect(() => client({ timeout: t })).toThrow(ValidationError);
    expect(() => client({ timeout: t })).toThrow(/timeout must be a number of milliseconds greater than 0/);
  });

  it.each([Number.NaN, -5, 3e9])("per-call timeout %s → ValidationError, nothing sent", async (t) => {
    const err = await client()
      .pipelines.get("p", { timeout: t })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toMatch(/at most 2147483647/);
    expect(rec.requests).toHaveLength(0);
  });

  it("timeout: Infinity means no timeout (the call waits for a slow answer)", async () => {
    rec.route("GET /apis/v2beta1/pipelines/p", { delayMs: 50, body: { pipeline_id: "p" } });
    const p = await client({ timeout: Number.POSITIVE_INFINITY }).pipelines.get("p");
    expect(p.pipeline_id).toBe("p");
  });

  it("the largest timeout (2^31−1 ms) does not fire early", async () => {
    rec.route("GET /apis/v2beta1/pipelines/p", { delayMs: 30, body: { pipeline_id: "p" } });
    const p = await client({ timeout: 2 ** 31 - 1 }).pipelines.get("p");
    expect(p.pipeline_id).toBe("p");
  });
});

describe("abort while an asynchronous token is fetched", () => {
  it("tokenProvider: an abort during the fetch rejects with AbortError and sends nothing", async () => {
    const ac = new AbortController();
    let release!: (t: string) => void;
    const kfp = client({
      tokenProvider: () =>
        new Promise<string>((resolve) => {
          release = resolve;
          ac.abort(new Error("user gave up"));
        }),
    });
    const call = kfp.pipelines.get("p", { signal: ac.signal });
    const err = await call.catch((e: unknown) => e);
    release("tok");
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).message).toMatch(/^The request was aborted \(GET /);
    expect(rec.requests).toHaveLength(0);
  });

  it("tokenProvider that never settles: the abort still ends the call", async () => {
    const ac = new AbortController();
    const kfp = client({ tokenProvider: () => new Promise<string>(() => undefined) });
    const call = kfp.pipelines.get("p", { signal: ac.signal });
    queueMicrotask(() => ac.abort());
    await expect(call).rejects.toThrow(AbortError);
    expect(rec.requests).toHaveLength(0);
  });
});
