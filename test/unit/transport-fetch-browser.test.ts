/**
 * The library in a real browser: headless Chromium loads the Vite browser build of `kfp-ts` from a
 * loopback page server that forwards `/apis/**` to the emulator (same origin, as `kfp-ts ui` serves
 * it), and the page uploads from a File, a 5 MiB Blob and a web stream, lists, meets a per-attempt
 * timeout and an abort, and loses the answer of a create (the page server drops the connection after
 * the emulator answered): the create is looked up, never sent again.
 */
import { readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { hasChromium, launchChromium } from "../helpers/chromium.js";
import { specYaml } from "../helpers/specs.js";
import { buildWebBundle, type WebBundle } from "../helpers/web-bundle.js";

/** Evaluate an expression in the page (a promise is awaited) and return its value. */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

describe.skipIf(!hasChromium)("kfp-ts in headless Chromium", () => {
  let emu: Emulator;
  let bundle: WebBundle;
  let server: Server;
  let origin: string;
  let browser: Browser;
  let page: Page;
  /** When set, the next POST to this path is forwarded, answered, and its answer dropped. */
  let dropAnswerOf: string | undefined;

  beforeAll(async () => {
    [emu, bundle] = await Promise.all([startEmulator(), buildWebBundle()]);
    const js = readFileSync(bundle.file);
    const target = new URL(emu.url);
    server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0] as string;
      if (path === "/kfp.js") {
        res.writeHead(200, { "content-type": "text/javascript", "content-length": js.length }).end(js);
        return;
      }
      if (!path.startsWith("/apis/")) {
        res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>kfp-ts</title>");
        return;
      }
      const drop = req.method === "POST" && dropAnswerOf !== undefined && path.endsWith(dropAnswerOf);
      if (drop) dropAnswerOf = undefined;
      const up = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upRes) => {
          if (drop) {
            // The emulator processed it; the browser never hears back.
            upRes.resume();
            upRes.on("end", () => req.socket.destroy());
            return;
          }
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`${origin}/`);
    await inPage(page, `import("/kfp.js").then((m) => { window.kfp = m; return true; })`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await emu?.close();
    await bundle?.remove();
  });

  it("uses fetch against the page's origin; uploads a File, a 5 MiB Blob and a web stream; lists", async () => {
    const r = await inPage<Record<string, unknown>>(
      page,
      `(async () => {
      const { Kfp } = window.kfp;
      const kfp = new Kfp({ logLevel: "off", timeout: 10000 });
      const spec = (n) => ${JSON.stringify(specYaml("NAME"))}.replaceAll("NAME", n);
      const file = await kfp.pipelines.upload(new File([spec("browser-file")], "from-browser.yaml"), { name: "browser-file" });
      const big = await kfp.pipelines.upload(new Blob([spec("browser-big") + "# " + "x".repeat(5 * 1024 * 1024) + "\\n"]), { name: "browser-big", filename: "big.yaml" });
      const v = await kfp.pipelines.uploadVersion(new Blob([spec("browser-v2")]).stream(), { pipeline_id: file.pipeline_id, name: "browser-v2" });
      const page = await kfp.pipelines.list({ page_size: 100 });
      return { host: kfp.host, origin: location.origin, transport: kfp.toJSON().transport, file: file.name, big: big.name, version: v.name, listed: page.items.map((p) => p.name) };
    })()`,
    );
    expect(r).toMatchObject({
      host: origin,
      origin,
      transport: "fetch",
      file: "browser-file",
      big: "browser-big",
      version: "browser-v2",
    });
    expect(r.listed).toEqual(expect.arrayContaining(["browser-file", "browser-big"]));
    const uploads = emu.requests().filter((q) => q.path.endsWith("/pipelines/upload"));
    expect(uploads.map((q) => q.body?.parts?.[0]?.filename)).toEqual(["from-browser.yaml", "big.yaml"]);
    expect(uploads[1]?.body?.parts?.[0]?.size).toBeGreaterThan(5 * 1024 * 1024);
  });

  it("what needs files is a ValidationError that says what to pass instead", async () => {
    const r = await inPage<string[][]>(
      page,
      `(async () => {
      const { Kfp } = window.kfp;
      const out = [];
      try { await new Kfp({ logLevel: "off" }).pipelines.upload({ path: "/etc/pipeline.yaml" }, { name: "x" }); } catch (e) { out.push([e.name, e.message]); }
      try { new Kfp({ tokenFile: "/var/run/token" }); } catch (e) { out.push([e.name, e.message]); }
      return out;
    })()`,
    );
    expect(r[0]?.[0]).toBe("ValidationError");
    expect(r[0]?.[1]).toContain("pass the package as a File or Blob");
    expect(r[1]).toEqual([
      "ValidationError",
      "tokenFile needs a file system, which this runtime does not have: pass token or tokenProvider",
    ]);
  });

  it("a per-attempt timeout and an abort, with the browser's timers", async () => {
    emu.faults.add({ method: "GET", path: "/experiments/slow", action: "latency", latencyMs: 5_000 });
    const r = await inPage<string[][]>(
      page,
      `(async () => {
      const { Kfp } = window.kfp;
      const kfp = new Kfp({ logLevel: "off", timeout: 300, maxRetries: 0 });
      const out = [];
      const t0 = performance.now();
      try { await kfp.experiments.get("slow"); } catch (e) { out.push([e.name, e.message, String(performance.now() - t0 < 3000)]); }
      const ac = new AbortController();
      const t1 = performance.now();
      const pending = new Kfp({ logLevel: "off", timeout: 60000 }).experiments.get("slow-too", { signal: ac.signal }).catch((e) => e);
      setTimeout(() => ac.abort(), 50);
      const e = await pending;
      out.push([e.name, e.message, String(performance.now() - t1 < 3000)]);
      return out;
    })()`,
    );
    emu.faults.clear();
    expect(r[0]?.[0]).toBe("TimeoutError");
    expect(r[0]?.[1]).toMatch(/^No answer within 300 ms/);
    expect(r[0]?.[2]).toBe("true");
    expect(r[1]?.[0]).toBe("AbortError");
    expect(r[1]?.[1]).toMatch(/^The request was aborted \(GET /);
    expect(r[1]?.[2]).toBe("true");
  });

  it("a create whose answer is lost: the library never sends it again; one pipeline, one experiment", async () => {
    // The page counts the library's own POSTs through a fetch option. Chromium itself may resend a POST
    // whose reused keep-alive connection closed before any answer (its transparent retry); the unique
    // name then makes the server refuse the copy (409), so there is still exactly one resource.
    const lose = async (path: string, call: string) => {
      emu.clearRequests();
      dropAnswerOf = path;
      const r = await inPage<{
        result: string;
        outcomeUnknown?: boolean;
        posts: number;
      }>(
        page,
        `(async () => {
        const { Kfp } = window.kfp;
        let posts = 0;
        const kfp = new Kfp({ logLevel: "off", timeout: 10000, maxRetries: 3,
          fetch: (url, init) => { if (init.method === "POST") posts++; return fetch(url, init); } });
        try {
          const v = await ${call};
          return { result: "ok:" + (v.name ?? v.display_name), posts };
        } catch (e) {
          return { result: e.name, outcomeUnknown: e.outcomeUnknown, posts };
        }
      })()`,
      );
      expect(dropAnswerOf).toBeUndefined();
      return r;
    };

    const spec = JSON.stringify(specYaml("browser-lost"));
    const up = await lose(
      "/pipelines/upload",
      `kfp.pipelines.upload(new Blob([${spec}]), { name: "browser-lost" })`,
    );
    expect(up.posts).toBe(1);
    expect(["ok:browser-lost", "ConflictError"]).toContain(up.result);
    const pipelines = emu
      .requests()
      .filter((q) => q.method === "POST" && q.path.endsWith("/pipelines/upload"));
    expect(pipelines.filter((q) => q.status === 200)).toHaveLength(1);
    const named = await inPage<number>(
      page,
      `new window.kfp.Kfp({ logLevel: "off" }).pipelines.getByName("browser-lost").then(() => 1, () => 0)`,
    );
    expect(named).toBe(1);

    const exp = await lose(
      "/experiments",
      `kfp.post("/experiments", { body: { display_name: "browser-lost-exp" } })`,
    );
    expect(exp.posts).toBe(1);
    if (exp.result === "ConnectionError") expect(exp.outcomeUnknown).toBe(true);
    else expect(exp.result).toBe("ConflictError");
    const created = emu.requests().filter((q) => q.method === "POST" && q.path.endsWith("/experiments"));
    expect(created.filter((q) => q.status === 200)).toHaveLength(1);
  });
});
