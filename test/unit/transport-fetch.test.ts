/**
 * The fetch transport on Node (`transport: "fetch"`, or a `fetch` option), over real HTTP on 127.0.0.1:
 * uploads from a File, a Blob (in memory and streamed), a web ReadableStream, bytes and a spec object;
 * a create whose answer is lost is never sent again (exactly one pipeline after); GETs are retried;
 * timeouts restart on progress; abort; auth headers; the options fetch refuses.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import {
  AbortError,
  ConnectionError,
  Kfp,
  type KfpOptions,
  type PipelineSpecObject,
  TimeoutError,
  ValidationError,
} from "../../packages/kfp-ts/src/index.js";
import { FetchConnector } from "../../packages/kfp-ts/src/internal/fetch-connector.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { specObject, specYaml } from "../helpers/specs.js";

let emu: Emulator;
let kfp: Kfp;

beforeAll(async () => {
  emu = await startEmulator();
  kfp = new Kfp({ host: emu.url, env: {}, logLevel: "off", transport: "fetch" });
});
afterAll(async () => {
  await kfp.close();
  await emu.close();
});
afterEach(() => emu.faults.clear());

function uploadsTo(path: string) {
  return emu.requests().filter((r) => r.method === "POST" && r.path.endsWith(path));
}

describe("uploads through fetch", () => {
  it("the client says it uses fetch, and a custom fetch is called", async () => {
    expect(kfp.toJSON()).toMatchObject({ transport: "fetch" });
    const calls: string[] = [];
    const custom = new Kfp({
      host: emu.url,
      env: {},
      logLevel: "off",
      fetch: (url, init) => {
        calls.push(`${init.method} ${url}`);
        return fetch(url, init);
      },
    });
    await custom.healthz.get();
    expect(calls).toEqual([`GET ${emu.url}/apis/v2beta1/healthz`]);
    expect(custom.toJSON()).toMatchObject({ transport: "fetch" });
    await custom.close();
  });

  it.each([
    ["File", (n: string) => new File([specYaml(n)], "from-file.yaml", { type: "application/x-yaml" })],
    ["Blob", (n: string) => new Blob([specYaml(n)])],
    ["web ReadableStream", (n: string) => new Blob([specYaml(n)]).stream()],
    ["bytes", (n: string) => new TextEncoder().encode(specYaml(n))],
    ["string", (n: string) => specYaml(n)],
    ["spec object", (n: string) => specObject(n) as PipelineSpecObject],
  ] as const)("from a %s", async (kind, make) => {
    const name = `fetch-${kind.replace(/\W+/g, "-").toLowerCase()}`;
    emu.clearRequests();
    const p = await kfp.pipelines.upload(make(name), { name });
    expect(p.name).toBe(name);
    const [req] = uploadsTo("/pipelines/upload");
    expect(req?.body?.parts?.map((x) => x.name)).toEqual(["uploadfile"]);
    expect(req?.body?.parts?.[0]?.filename).toBe(kind === "File" ? "from-file.yaml" : "pipeline.yaml");
    const [v] = (await kfp.pipelines.versions.list(p.pipeline_id)).items;
    expect(v?.pipeline_spec).toMatchObject({ pipelineInfo: { name } });
  });

  it("a Blob over 4 MiB is streamed (no Content-Length) and arrives whole", async () => {
    const name = "fetch-big-blob";
    const text = `${specYaml(name)}# ${"x".repeat(5 * 1024 * 1024)}\n`;
    emu.clearRequests();
    const p = await kfp.pipelines.upload(new Blob([text]), { name, filename: "big.yaml" });
    expect(p.name).toBe(name);
    const [req] = uploadsTo("/pipelines/upload");
    expect(req?.body?.parts?.[0]?.size).toBe(Buffer.byteLength(text));
    expect(req?.headers["transfer-encoding"]).toBe("chunked");
  });

  it("a path is read from disk on Node, as with undici (the web platform refuses it)", async () => {
    const err = await kfp.pipelines.upload({ path: "/nonexistent/p.yaml" }, { name: "x" }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toBe("pipeline file not found: /nonexistent/p.yaml");
  });
});

describe("lost answers through fetch: a create is never sent twice", () => {
  it("the upload was processed and its answer lost: found by name, exactly one pipeline", async () => {
    emu.faults.add({ method: "POST", path: "/pipelines/upload$", action: "reset-after-body", times: 1 });
    emu.clearRequests();
    const p = await kfp.pipelines.upload(specYaml("lost-answer"), { name: "fetch-lost-answer" });
    expect(p.name).toBe("fetch-lost-answer");
    expect(uploadsTo("/pipelines/upload")).toHaveLength(1);
    const all = await kfp.pipelines.list({
      filter: { predicates: [{ key: "name", operation: "EQUALS", string_value: "fetch-lost-answer" }] },
    });
    expect(all.total_size).toBe(1);
  });

  describe("against a loopback server that drops the connection after reading the body", () => {
    let rec: Recorder;
    let client: Kfp;
    beforeAll(async () => {
      rec = await startRecorder();
      client = new Kfp({
        host: rec.url,
        env: {},
        logLevel: "off",
        transport: "fetch",
        apiVersion: "v2beta1",
        maxRetries: 3,
        retry: { baseDelay: 1, maxDelay: 2 },
      });
    });
    afterAll(async () => {
      await client.close();
      await rec.close();
    });

    it("a POST without a lookup: ConnectionError, outcome unknown, sent once", async () => {
      rec.requests.length = 0;
      rec.route("POST /apis/v2beta1/experiments", { destroy: "after-body" });
      const err = await client.post("/experiments", { body: { display_name: "e" } }).catch((e) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).outcomeUnknown).toBe(true);
      expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    });

    it("a create whose lookup finds nothing is not sent again either", async () => {
      rec.requests.length = 0;
      rec.route("POST /apis/v2beta1/pipelines/upload", { destroy: "after-body" });
      rec.route("GET /apis/v2beta1/pipelines/names/gone", {
        status: 404,
        body: { code: 5, message: "Pipeline gone not found" },
      });
      const err = await client.pipelines.upload(specYaml("gone"), { name: "gone" }).catch((e) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).outcomeUnknown).toBe(true);
      expect((err as ConnectionError).message).toMatch(/fetch cannot tell/);
      expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
      expect(rec.requests.filter((r) => r.method === "GET").map((r) => r.url)).toEqual([
        "/apis/v2beta1/pipelines/names/gone",
      ]);
    });

    it("a GET whose answer is lost is retried", async () => {
      rec.requests.length = 0;
      rec.enqueue({ destroy: "after-body" }, { body: { experiment_id: "e1", display_name: "one" } });
      const e = await client.experiments.get("e1");
      expect(e.display_name).toBe("one");
      expect(rec.requests).toHaveLength(2);
    });

    it("the token, identity header and cookies reach the server", async () => {
      rec.requests.length = 0;
      const authed = new Kfp({
        host: rec.url,
        env: {},
        logLevel: "off",
        transport: "fetch",
        apiVersion: "v2beta1",
        token: "fetch-secret-token",
        headers: { "kubeflow-userid": "alice@example.com" },
        cookies: { session: "s1" },
      });
      rec.enqueue({ body: { experiment_id: "e2" } });
      await authed.experiments.get("e2");
      const h = rec.requests[0]?.headers;
      expect(h?.authorization).toBe("Bearer fetch-secret-token");
      expect(h?.["kubeflow-userid"]).toBe("alice@example.com");
      expect(h?.cookie).toBe("session=s1");
      expect(h?.["user-agent"]).toMatch(/^kfp-ts node\/.* \(fetch\)$/);
      await authed.close();
    });
  });
});

describe("timeouts and abort through fetch", () => {
  let rec: Recorder;
  beforeAll(async () => {
    rec = await startRecorder();
  });
  afterAll(() => rec.close());

  const client = (o: Partial<KfpOptions> = {}) =>
    new Kfp({
      host: rec.url,
      env: {},
      logLevel: "off",
      transport: "fetch",
      apiVersion: "v2beta1",
      retry: { baseDelay: 1, maxDelay: 2 },
      ...o,
    });

  it("no answer within the timeout: TimeoutError; a GET is retried, a POST is not", async () => {
    rec.requests.length = 0;
    rec.route("* /apis/v2beta1/experiments/slow", { delayMs: 3_000, body: {} });
    rec.route("POST /apis/v2beta1/experiments", { delayMs: 3_000, body: {} });
    const c = client({ timeout: 150, maxRetries: 1 });
    const started = Date.now();
    const get = await c.experiments.get("slow").catch((e) => e);
    expect(get).toBeInstanceOf(TimeoutError);
    expect((get as TimeoutError).message).toMatch(/^No answer within 150 ms/);
    expect(rec.requests.filter((r) => r.method === "GET")).toHaveLength(2);
    const post = await c.post("/experiments", { body: { display_name: "x" } }).catch((e) => e);
    expect(post).toBeInstanceOf(TimeoutError);
    expect((post as TimeoutError).outcomeUnknown).toBe(true);
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it("the timeout restarts on progress: a slow body that keeps coming is read whole", async () => {
    // Six chunks 80 ms apart (480 ms in all) against a 250 ms timeout.
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const parts = ['{"experiment_id":', '"slow', "-but-", "steady", '"', "}"];
      let i = 0;
      const tick = setInterval(() => {
        res.write(parts[i++]);
        if (i === parts.length) {
          clearInterval(tick);
          res.end();
        }
      }, 80);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const c = new Kfp({
      host: `http://127.0.0.1:${port}`,
      env: {},
      logLevel: "off",
      transport: "fetch",
      apiVersion: "v2beta1",
      timeout: 250,
      maxRetries: 0,
    });
    try {
      expect((await c.experiments.get("x")).experiment_id).toBe("slow-but-steady");
    } finally {
      await c.close();
      await new Promise((r) => server.close(r));
    }
  });

  it("abort: AbortError at once, nothing retried", async () => {
    rec.requests.length = 0;
    rec.route("GET /apis/v2beta1/experiments/hang", { delayMs: 5_000, body: {} });
    const c = client({ timeout: 60_000, maxRetries: 3 });
    const ac = new AbortController();
    const started = Date.now();
    const pending = c.experiments.get("hang", { signal: ac.signal }).catch((e) => e);
    await rec.waitForRequests(1, 5_000);
    ac.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).message).toMatch(/^The request was aborted \(GET /);
    expect(rec.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("options fetch refuses", () => {
  it.each([
    [{ transport: "fetch", ca: "-----BEGIN CERTIFICATE-----" }, "ca", /ca and insecure apply to the undici/],
    [{ transport: "fetch", insecure: true }, "insecure", /ca and insecure apply to the undici/],
    [{ fetch, transport: "undici" }, "fetch", /fetch cannot be used with transport: undici/],
    [{ transport: "bogus" }, "transport", /transport must be auto, undici or fetch; got bogus/],
    [{ fetch: "nope" }, "fetch", /fetch must be a function/],
  ] as const)("%o → ValidationError on %s", (opts, field, message) => {
    let err: unknown;
    try {
      new Kfp({ host: "http://127.0.0.1:1", env: {}, ...(opts as unknown as KfpOptions) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe(field);
    expect((err as ValidationError).message).toMatch(message);
  });
});

describe("the fetch connector as a browser runs it", () => {
  it("reads a request stream into a Blob (no duplex) and leaves out headers a page cannot set", async () => {
    const seen: { init?: RequestInit & { duplex?: string } } = {};
    const connector = new FetchConnector(
      async (_url, init) => {
        seen.init = init;
        return new Response('{"ok":true}', { status: 200, headers: { "content-type": "application/json" } });
      },
      { browser: true },
    );
    async function* chunks() {
      yield new TextEncoder().encode("part one, ");
      yield new TextEncoder().encode("part two");
    }
    const r = await connector.attempt({
      method: "POST",
      origin: "http://127.0.0.1:1",
      target: "/apis/v2beta1/pipelines/upload",
      headers: {
        "content-type": "multipart/form-data; boundary=x",
        "content-length": "18",
        "user-agent": "kfp-ts",
        cookie: "a=b",
        authorization: "Bearer t",
      },
      body: chunks(),
      timeout: 1_000,
      signal: undefined,
    });
    expect(r.ok && new TextDecoder().decode(r.body)).toBe('{"ok":true}');
    expect(seen.init?.body).toBeInstanceOf(Blob);
    expect(await (seen.init?.body as Blob | undefined)?.text()).toBe("part one, part two");
    expect(seen.init?.duplex).toBeUndefined();
    expect(seen.init?.headers).toEqual({
      "content-type": "multipart/form-data; boundary=x",
      authorization: "Bearer t",
    });
    expect(seen.init?.redirect).toBe("manual");
  });
});
