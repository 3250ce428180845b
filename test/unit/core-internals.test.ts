import { Agent, EnvHttpProxyAgent } from "undici";
import { describe, expect, it } from "vitest";
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  makeApiError,
  NotFoundError,
  parseErrorBody,
  ServerError,
  UnsupportedError,
  ValidationError,
} from "../../packages/kfp-ts/src/core/errors.js";
import { normalizeHost, readEnv } from "../../packages/kfp-ts/src/internal/env.js";
import { Log, Redactor, redactUrl } from "../../packages/kfp-ts/src/internal/log.js";
import { encodePathSegment, encodeQuery, path } from "../../packages/kfp-ts/src/internal/path.js";
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  decideOnStatus,
  parseRetryAfter,
} from "../../packages/kfp-ts/src/internal/retry.js";
import {
  createDispatcher,
  dispatcherSettings,
  sameDispatcherSettings,
} from "../../packages/kfp-ts/src/platform/node-dispatcher.js";

describe("path template", () => {
  it("percent-encodes every interpolated value", () => {
    expect(path`/runs/${"a/b"}:terminate`).toBe("/runs/a%2Fb:terminate");
    expect(path`/p/${"x?y=1#z"}/v/${"ü %"}`).toBe("/p/x%3Fy%3D1%23z/v/%C3%BC%20%25");
    expect(path`/p/${"it's(1)*!"}`).toBe("/p/it%27s%281%29%2A%21");
    expect(path`/p/${42}`).toBe("/p/42");
  });

  it.each([[""], ["."], [".."], [undefined], [null], [{}]])("refuses %j", (v) => {
    expect(() => path`/p/${v}`).toThrow(/path parameter 1/);
  });

  it("keeps `..` inside a value harmless", () => {
    expect(encodePathSegment("../x")).toBe("..%2Fx");
  });

  it("encodes queries, leaving out undefined and null", () => {
    expect(encodeQuery({ a: "x y&z=1", b: undefined, c: null, d: 0, e: false, "k&=": "v" })).toBe(
      "?a=x%20y%26z%3D1&d=0&e=false&k%26%3D=v",
    );
    expect(encodeQuery({})).toBe("");
    expect(encodeQuery(undefined)).toBe("");
  });
});

describe("error bodies", () => {
  it("gateway shape: short message from details[0]", () => {
    const p = parseErrorBody(
      JSON.stringify({
        code: 5,
        message: "Failed: x: Run 1 not found",
        details: [{ "@type": "t", code: 5, message: "Run 1 not found" }],
      }),
    );
    expect(p).toMatchObject({
      shortMessage: "Run 1 not found",
      serverMessage: "Failed: x: Run 1 not found",
      grpcCode: 5,
      html: false,
    });
  });

  it("gateway shape without details", () => {
    expect(parseErrorBody('{"code":5,"message":"Not Found"}')).toMatchObject({
      shortMessage: "Not Found",
      grpcCode: 5,
    });
  });

  it("v1 api.Error detail (error_message inside details)", () => {
    const p = parseErrorBody(
      JSON.stringify({
        error: "long",
        code: 3,
        message: "long",
        details: [
          {
            "@type": "type.googleapis.com/api.Error",
            error_message: "unknown template format",
            error_details: "long",
          },
        ],
      }),
    );
    expect(p.shortMessage).toBe("unknown template format");
  });

  it("HTML and text", () => {
    expect(parseErrorBody("  <html><head><title> Log in </title>")).toMatchObject({
      html: true,
      shortMessage: 'HTML page "Log in"',
    });
    expect(parseErrorBody("oops\nmore")).toMatchObject({
      html: false,
      shortMessage: "oops",
      body: "oops\nmore",
    });
  });

  it.each([
    [400, BadRequestError],
    [413, BadRequestError],
    [404, NotFoundError],
    [409, ConflictError],
    [501, UnsupportedError],
    [502, ServerError],
    [307, AuthenticationError],
  ])("status %i → %s", (status, Cls) => {
    const e = makeApiError({ status, text: "", headers: {}, method: "GET", url: "http://h/x" });
    expect(e).toBeInstanceOf(Cls);
    expect(e.name).toBe(Cls.name);
  });

  it("drops set-cookie from kept headers", () => {
    const e = makeApiError({
      status: 400,
      text: "x",
      headers: { "set-cookie": "s=1", "x-a": "b" },
      method: "GET",
      url: "u",
    });
    expect(e.headers).toEqual({ "x-a": "b" });
  });
});

describe("retry policy", () => {
  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("1.5")).toBe(1500);
    expect(parseRetryAfter(new Date(10_000 + 4_000).toUTCString(), 10_000)).toBe(4000);
    expect(parseRetryAfter(new Date(0).toUTCString(), 10_000)).toBe(0);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it("backs off exponentially with jitter, capped", () => {
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(250);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 1)).toBe(500);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 1)).toBe(4000);
    expect(backoffDelay(10, DEFAULT_BACKOFF, () => 1)).toBe(8000);
    expect(backoffDelay(10, DEFAULT_BACKOFF, () => 0)).toBe(4000);
  });

  it("decides per status and method", () => {
    for (const s of [408, 429, 502, 503, 504]) expect(decideOnStatus(s, true, false)).toBe("retry");
    for (const s of [400, 401, 403, 404, 409, 500, 501]) expect(decideOnStatus(s, true, true)).toBe("fail");
    expect(decideOnStatus(429, false, true)).toBe("retry");
    expect(decideOnStatus(503, false, true)).toBe("retry");
    expect(decideOnStatus(503, false, false)).toBe("fail");
    expect(decideOnStatus(500, false, true)).toBe("fail");
    expect(decideOnStatus(409, false, true)).toBe("fail");
    expect(decideOnStatus(502, false, false)).toBe("reconcile");
    expect(decideOnStatus(504, false, false)).toBe("reconcile");
  });
});

describe("dispatcher settings (no sockets)", () => {
  it("an Agent with keep-alive and timeouts above the client's", () => {
    const s = dispatcherSettings({ timeout: 10_000 }, {});
    expect(s.kind).toBe("agent");
    expect(s.headersTimeout).toBeGreaterThanOrEqual(10_000);
    expect(s.bodyTimeout).toBeGreaterThanOrEqual(10_000);
    expect(s.connect).toMatchObject({
      rejectUnauthorized: true,
      keepAlive: true,
      keepAliveInitialDelay: 30_000,
    });
    expect(s.proxy).toBeUndefined();
  });

  it("TLS: ca and insecure", () => {
    const s = dispatcherSettings({ timeout: 1000, ca: "-----BEGIN CERTIFICATE-----x", insecure: true }, {});
    expect(s.connect.ca).toBe("-----BEGIN CERTIFICATE-----x");
    expect(s.connect.rejectUnauthorized).toBe(false);
  });

  it("proxy variables (either case) select the env proxy agent", () => {
    expect(dispatcherSettings({ timeout: 1 }, { HTTPS_PROXY: "http://proxy:3128" }).kind).toBe("env-proxy");
    const s = dispatcherSettings(
      { timeout: 1 },
      { http_proxy: "http://u:p@proxy:3128", no_proxy: "localhost" },
    );
    expect(s.kind).toBe("env-proxy");
    expect(s.proxy).toEqual({ http: "http://u:p@proxy:3128", noProxy: "localhost" });
  });

  it("builds the right undici class and compares settings", async () => {
    const a = createDispatcher(dispatcherSettings({ timeout: 1000 }, {}));
    const b = createDispatcher(dispatcherSettings({ timeout: 1000 }, { HTTP_PROXY: "http://127.0.0.1:9" }));
    expect(a).toBeInstanceOf(Agent);
    expect(b).toBeInstanceOf(EnvHttpProxyAgent);
    await Promise.all([a.close(), b.close()]);
    expect(
      sameDispatcherSettings(dispatcherSettings({ timeout: 5 }, {}), dispatcherSettings({ timeout: 5 }, {})),
    ).toBe(true);
    expect(
      sameDispatcherSettings(dispatcherSettings({ timeout: 5 }, {}), dispatcherSettings({ timeout: 6 }, {})),
    ).toBe(false);
  });
});

describe("env and host", () => {
  it("reads KFP_* and the Python SDK's variables", () => {
    expect(readEnv({ KFP_HOST: "h1", KF_PIPELINES_ENDPOINT: "h2" })).toMatchObject({
      host: "h1",
      hostSource: "KFP_HOST",
    });
    expect(readEnv({ KF_PIPELINES_ENDPOINT: " h2 " })).toMatchObject({
      host: "h2",
      hostSource: "KF_PIPELINES_ENDPOINT",
    });
    expect(
      readEnv({
        KFP_TOKEN: "t",
        KFP_NAMESPACE: "ns",
        KF_PIPELINES_SA_TOKEN_PATH: "/p",
        KUBERNETES_SERVICE_HOST: "10.0.0.1",
      }),
    ).toMatchObject({ token: "t", namespace: "ns", tokenFile: "/p", inCluster: true });
    expect(readEnv({ KFP_TOKEN: "  " }).token).toBeUndefined();
  });

  it.each([
    ["localhost:8888", "http://localhost:8888", ""],
    ["127.0.0.1:8888/", "http://127.0.0.1:8888", ""],
    ["ml-pipeline.kubeflow.svc.cluster.local:8888", "http://ml-pipeline.kubeflow.svc.cluster.local:8888", ""],
    ["kubeflow.example.com/pipeline/", "https://kubeflow.example.com", "/pipeline"],
    ["http://kfp.example.com", "http://kfp.example.com", ""],
    [
      "https://h/api/v1/namespaces/kubeflow/services/ml-pipeline:http/proxy/",
      "https://h",
      "/api/v1/namespaces/kubeflow/services/ml-pipeline:http/proxy",
    ],
  ])("normalizes %s", (input, origin, basePath) => {
    expect(normalizeHost(input)).toMatchObject({ origin, basePath });
  });

  it.each([
    ["ftp://x", "host must use http or https, got ftp:"],
    [
      "https://u:p@h",
      "host must not contain credentials (user:password@); use the token, cookies or headers options",
    ],
    ["https://h/?a=1", "host must not contain a query string or a fragment"],
    ["", "host must not be empty"],
  ])("refuses %j", (h, message) => {
    expect(() => normalizeHost(h)).toThrow(ValidationError);
    expect(() => normalizeHost(h)).toThrow(message);
  });

  it("does not echo credentials of a bad host", () => {
    expect(() => normalizeHost("https://user:pw@")).toThrow(/\*\*\*@/);
  });
});

describe("redaction", () => {
  it("redacts userinfo and secret query values", () => {
    expect(redactUrl("https://u:p@h/x?token=abc&page_size=3&X-Amz-Signature=zz&code_source_url=ok")).toBe(
      "https://***@h/x?token=***&page_size=3&X-Amz-Signature=***&code_source_url=ok",
    );
    expect(redactUrl("/apis/v1beta1/pipelines?resource_reference_key.type=NAMESPACE")).toBe(
      "/apis/v1beta1/pipelines?resource_reference_key.type=NAMESPACE",
    );
  });

  it("scrubs known secrets, bearer tokens and URL credentials from any text", () => {
    const r = new Redactor();
    r.add("s3cr3t-value");
    r.add("ab"); // too short to track
    expect(r.scrub("x s3cr3t-value y Bearer zzz.yyy https://a:b@h/p?sessionid=1 ab")).toBe(
      "x *** y Bearer *** https://***@h/p?sessionid=*** ab",
    );
  });

  it("filters by level and never throws from a bad logger", () => {
    const lines: string[] = [];
    const r = new Redactor();
    r.add("TOPSECRET");
    const log = new Log(
      {
        debug: (m) => lines.push(m),
        info: (m) => lines.push(m),
        warn: () => {
          throw new Error("x");
        },
        error: (m) => lines.push(m),
      },
      "info",
      r,
    );
    log.debug("no");
    log.info("yes TOPSECRET");
    log.warn("boom");
    expect(lines).toEqual(["[kfp-ts] yes ***"]);
    expect(log.enabled("debug")).toBe(false);
  });
});
