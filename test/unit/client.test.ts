import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Kfp, type KfpOptions } from "../../packages/kfp-ts/src/client.js";
import {
  KfpError,
  NotFoundError,
  ServerError,
  ValidationError,
} from "../../packages/kfp-ts/src/core/errors.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";

let rec: Recorder;
const clients: Kfp[] = [];
function client(opts: Partial<KfpOptions> = {}): Kfp {
  const c = new Kfp({
    host: rec.url,
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

describe("options and environment", () => {
  it("a missing host is a ValidationError that says how to set it", () => {
    expect(() => new Kfp({ env: {} })).toThrow(ValidationError);
    expect(() => new Kfp({ env: {} })).toThrow(/KFP_HOST/);
  });

  it("falls back to KFP_HOST, then KF_PIPELINES_ENDPOINT, then the in-cluster service", async () => {
    const a = new Kfp({ env: { KFP_HOST: rec.url, KF_PIPELINES_ENDPOINT: "http://other" } });
    const b = new Kfp({ env: { KF_PIPELINES_ENDPOINT: "localhost:1234" } });
    const c = new Kfp({ env: { KUBERNETES_SERVICE_HOST: "10.0.0.1" } });
    expect(a.host).toBe(rec.url);
    expect(b.host).toBe("http://localhost:1234");
    expect(c.host).toBe("http://ml-pipeline.kubeflow.svc.cluster.local:8888");
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it("takes KFP_TOKEN and KFP_NAMESPACE from the environment; options win", async () => {
    const c = client({ env: { KFP_TOKEN: "env-token", KFP_NAMESPACE: "env-ns" }, apiVersion: "v2beta1" });
    expect(c.namespace).toBe("env-ns");
    await c.pipelines.get("x");
    expect(rec.requests[0]?.headers.authorization).toBe("Bearer env-token");
    const d = client({
      env: { KFP_TOKEN: "env-token" },
      tokenProvider: () => "opt-token",
      namespace: "opt-ns",
      apiVersion: "v2beta1",
    });
    await d.pipelines.get("x");
    expect(rec.requests[1]?.headers.authorization).toBe("Bearer opt-token");
    expect(d.namespace).toBe("opt-ns");
  });

  it("validates options", () => {
    expect(() => client({ timeout: 0 })).toThrow(/timeout/);
    expect(() => client({ maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => client({ logLevel: "loud" as never })).toThrow(/logLevel/);
    expect(() => client({ apiVersion: "v3" as never })).toThrow(/apiVersion/);
    expect(() => client({ token: "a", tokenFile: "/x" })).toThrow(/only one of/);
    expect(() => client({ headers: { "bad header": "x" } })).toThrow(/invalid header name/);
    expect(() => client({ headers: { "x-a": "b\r\nc: d" } })).toThrow(/CR, LF/);
    expect(() => client({ ca: "/definitely/not/here.pem" })).toThrow(
      /ca is neither PEM text nor a readable file/,
    );
  });

  it("refuses ca together with insecure (insecure would silently ignore the CA)", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let err: unknown;
    try {
      client({ ca: pem, insecure: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe("insecure");
    expect((err as Error).message).toMatch(/either ca or insecure.*ca would be ignored/);
    // insecure: false with a CA is fine; a derived client's new TLS choice replaces the parent's.
    const verified = client({ ca: pem, insecure: false });
    expect(() => clients.push(verified.withOptions({ insecure: true }))).not.toThrow();
    const lax = client({ insecure: true });
    expect(() => clients.push(lax.withOptions({ ca: pem }))).not.toThrow();
    expect(() => lax.withOptions({ ca: pem, insecure: true })).toThrow(ValidationError);
  });
});

describe("API version", () => {
  it("apiVersion() asks /apis/v2beta1/healthz (never /apis/v2), once, and caches the result", async () => {
    rec.route("GET /apis/v2beta1/healthz", {
      body: { multi_user: true, commit_sha: "abc", tag_name: "2.17.0", pipeline_store: "database" },
    });
    const c = client();
    expect(await c.apiVersion()).toBe("v2beta1");
    expect(await c.serverInfo()).toEqual({
      apiVersion: "v2beta1",
      multiUser: true,
      commitSha: "abc",
      tagName: "2.17.0",
      pipelineStore: "database",
    });
    await c.pipelines.get("p");
    await c.pipelines.get("q");
    expect(rec.requests.map((r) => r.url)).toEqual([
      "/apis/v2beta1/healthz",
      "/apis/v2beta1/pipelines/p",
      "/apis/v2beta1/pipelines/q",
    ]);
  });

  it("falls back to v1beta1 and says so when nothing answers", async () => {
    rec.route("GET /apis/v2beta1/healthz", { status: 404, body: "404 page not found" });
    rec.route("GET /apis/v1beta1/healthz", { body: { multi_user: false } });
    expect(await client().apiVersion()).toBe("v1beta1");
    rec.route("GET /apis/v1beta1/healthz", { status: 404, body: "" });
    const err = await client()
      .apiVersion()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KfpError);
    expect((err as Error).message).toMatch(/^no KFP API found at http:\/\/127\.0\.0\.1:\d+: \/apis\/v2beta1/);
    expect(rec.requests.some((r) => r.url.startsWith("/apis/v2/"))).toBe(false);
  });

  it("does not cache a failed probe", async () => {
    rec.enqueue({ status: 500, body: { code: 13, message: "x" } });
    rec.route("GET /apis/v2beta1/healthz", { body: { multi_user: false } });
    const c = client();
    await expect(c.apiVersion()).rejects.toBeInstanceOf(ServerError);
    expect(await c.apiVersion()).toBe("v2beta1");
  });

  it("one caller aborting does not fail the shared probe for the others", async () => {
    rec.route("GET /apis/v2beta1/healthz", { delayMs: 200, body: { multi_user: false } });
    const c = client();
    const ac = new AbortController();
    const first = c.apiVersion({ signal: ac.signal });
    const second = c.apiVersion();
    ac.abort();
    await expect(first).rejects.toMatchObject({ name: "AbortError" });
    expect(await second).toBe("v2beta1");
    expect(rec.requests).toHaveLength(1);
  });

  it("uses a configured version without probing; serverInfo asks healthz once", async () => {
    rec.route("GET /apis/v2beta1/healthz", { body: { multi_user: false } });
    const c = client({ apiVersion: "v2beta1" });
    expect(await c.apiVersion()).toBe("v2beta1");
    expect(rec.requests).toHaveLength(0);
    await c.serverInfo();
    await c.serverInfo();
    expect(await c.healthz.get()).toEqual({ multi_user: false });
    expect(rec.requests.map((r) => r.url)).toEqual(["/apis/v2beta1/healthz", "/apis/v2beta1/healthz"]);
  });
});

describe("derived clients and close()", () => {
  it("withNamespace/withOptions share the dispatcher and the probe cache", async () => {
    rec.route("GET /apis/v2beta1/healthz", { body: { multi_user: true } });
    const root = client({ namespace: "a" });
    await root.apiVersion();
    const other = root.withNamespace("b");
    expect(other.namespace).toBe("b");
    expect(root.namespace).toBe("a");
    expect(await other.apiVersion()).toBe("v2beta1");
    await other.pipelines.get("x");
    expect(rec.requests.filter((r) => r.url.endsWith("/healthz"))).toHaveLength(1);
    expect(rec.connections()).toBe(1); // one keep-alive connection for both
    const withToken = root.withOptions({ token: "derived-token" });
    await withToken.pipelines.get("y");
    expect(rec.requests.at(-1)?.headers.authorization).toBe("Bearer derived-token");
    await other.close(); // does not close the shared dispatcher
    await root.pipelines.get("z");
    expect(() => root.withNamespace("")).toThrow(ValidationError);
  });

  it("a closed client refuses requests; close() is idempotent", async () => {
    const c = client({ apiVersion: "v2beta1" });
    await c.close();
    await c.close();
    await expect(c.pipelines.get("x")).rejects.toThrow(/closed/);
  });
});

describe("generic request helpers", () => {
  it("resolve paths against the version, pass /apis/ paths through, and list", async () => {
    rec.route("GET /apis/v2beta1/things", {
      body: { things: [{ id: 1 }, { id: 2 }], total_size: 3, next_page_token: "t2" },
    });
    rec.enqueue({ body: { things: [{ id: 1 }, { id: 2 }], total_size: 3, next_page_token: "t2" } });
    rec.enqueue({ body: { things: [{ id: 3 }], total_size: 3 } });
    const c = client({ apiVersion: "v2beta1" });
    const ids: number[] = [];
    for await (const t of c.getList<number, { id: number }>("/things", {
      itemsKey: "things",
      query: { page_size: 2 },
      map: (r) => r.id,
    }))
      ids.push(t);
    expect(ids).toEqual([1, 2, 3]);
    expect(rec.requests.map((r) => r.url)).toEqual([
      "/apis/v2beta1/things?page_size=2",
      "/apis/v2beta1/things?page_size=2&page_token=t2",
    ]);
    await c.get("/apis/v1beta1/healthz");
    expect(rec.requests.at(-1)?.url).toBe("/apis/v1beta1/healthz");
    rec.route("POST /apis/v2beta1/x", { body: {} });
    await c.post("/x", { body: { a: 1 } });
    expect(JSON.parse(rec.requests.at(-1)?.body.toString() ?? "")).toEqual({ a: 1 });
    expect(rec.requests.at(-1)?.headers["content-type"]).toBe("application/json");
    const empty = await c.getList("/empty", { itemsKey: "things" });
    expect(empty.items).toEqual([]);
    expect(empty.total_size).toBe(0);
    await expect(c.get("relative")).rejects.toBeInstanceOf(ValidationError);
    rec.route("DELETE /apis/v2beta1/gone", { status: 404, body: { code: 5, message: "x" } });
    await expect(c.delete("/gone")).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("one list shape", () => {
  it("getList sends sort_by and filter on the first page only (the page token carries them)", async () => {
    rec.enqueue({ body: { things: [{ id: 1 }], total_size: 2, next_page_token: "t2" } });
    rec.enqueue({ body: { things: [{ id: 2 }], total_size: 2 } });
    const c = client({ apiVersion: "v2beta1" });
    const all = await c
      .getList<number, { id: number }>("/things", {
        itemsKey: "things",
        query: { page_size: 1, sort_by: "name", filter: "%7B%7D" },
        map: (r) => r.id,
      })
      .toArray();
    expect(all).toEqual([1, 2]);
    expect(rec.requests.map((r) => r.url)).toEqual([
      "/apis/v2beta1/things?page_size=1&sort_by=name&filter=%257B%257D",
      "/apis/v2beta1/things?page_size=1&page_token=t2",
    ]);
  });

  it("every list takes (params, options): call options in params are refused, and options reach the request", async () => {
    const c = client({ apiVersion: "v2beta1" });
    const err = await c.pipelines.list({ page_size: 5, timeout: 10 } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toBe(
      "timeout is a call option: pass it as the second argument, e.g. list({ page_size: 50 }, { timeout })",
    );
    expect(rec.requests).toHaveLength(0);
    const ac = new AbortController();
    ac.abort();
    const aborted = await c.pipelines.versions
      .list("p1", { page_size: 5 }, { signal: ac.signal })
      .catch((e: unknown) => e);
    expect((aborted as Error).name).toBe("AbortError");
    rec.enqueue({ body: { pipeline_versions: [{ pipeline_version_id: "v1" }], total_size: 1 } });
    const page = await c.pipelines.versions.list("p1", { page_size: 5, sort_by: "name" });
    expect(page.items.map((v) => v.pipeline_version_id)).toEqual(["v1"]);
    expect(rec.requests.at(-1)?.url).toBe("/apis/v2beta1/pipelines/p1/versions?page_size=5&sort_by=name");
  });

  it("withOptions builds a client on its parent's connection without module-level state", async () => {
    const parent = client({ apiVersion: "v2beta1" });
    const child = parent.withOptions({ namespace: "team-a" });
    clients.push(child);
    // An unrelated client built afterwards is not handed the parent's state.
    const other = client({ apiVersion: "v2beta1", timeout: 1234 });
    expect(child.namespace).toBe("team-a");
    expect(other.namespace).toBeUndefined();
    rec.route("GET /apis/v2beta1/pipelines/x", { body: { pipeline_id: "x" } });
    await parent.close();
    // The child shares the parent's dispatcher, so it is closed with it.
    await expect(child.pipelines.get("x")).rejects.toThrow(/closed/);
    expect((await other.pipelines.get("x")).pipeline_id).toBe("x");
  });
});
