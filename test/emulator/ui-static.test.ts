/**
 * The emulator serving the web UI (packages/emulator/src/http/ui-static.ts) from a directory made
 * here: content types, caching, gzip, HEAD, ETag, the page fallback, the "not built" line, and paths
 * that try to leave the directory (a fixed list and generated ones) never reaching the file beside it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOT_BUILT_MESSAGE, uiRelativePath } from "../../packages/emulator/src/http/ui-static.js";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with the path sent exactly as given (no client-side normalisation). */
function raw(
  base: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<Raw> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method, path: rawPath, headers, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout: ${method} ${rawPath}`)));
    req.on("error", reject);
    req.end();
  });
}

const SECRET = "top-secret-beside-the-ui";
const INDEX =
  '<!doctype html><html><head><script type="module" src="./assets/app-1a2b3c.js"></script></head><body><div id="app"></div></body></html>';
const APP_JS = `export const x = ${JSON.stringify("a".repeat(4000))};\n`;

let root: string;
let emu: Emulator;
let empty: Emulator;
beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "kfp-ui-static-"));
  const ui = path.join(root, "ui");
  mkdirSync(path.join(ui, "assets"), { recursive: true });
  writeFileSync(path.join(ui, "index.html"), INDEX);
  writeFileSync(path.join(ui, "assets", "app-1a2b3c.js"), APP_JS);
  writeFileSync(path.join(ui, "assets", "app-1a2b3c.css"), "body{color:red}");
  writeFileSync(path.join(root, "secret.txt"), SECRET);
  mkdirSync(path.join(root, "empty"));
  emu = await startEmulator({ ui });
  empty = await startEmulator({ ui: path.join(root, "empty") });
});
afterAll(async () => {
  await emu?.close();
  await empty?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("the web UI's files", () => {
  it("/ is index.html: HTML, never cached, a content security policy that allows only this server", async () => {
    const r = await raw(emu.url, "GET", "/");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(r.headers["cache-control"]).toBe("no-cache");
    expect(r.headers["content-security-policy"]).toContain("connect-src 'self'");
    expect(r.body.toString()).toBe(INDEX);
  });

  it("hashed assets: JavaScript type, cached a year, gzipped when accepted, plain otherwise", async () => {
    const gz = await raw(emu.url, "GET", "/assets/app-1a2b3c.js", { "accept-encoding": "gzip, br" });
    expect(gz.status).toBe(200);
    expect(gz.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(gz.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gz.body.length).toBeLessThan(APP_JS.length / 4);
    expect(gunzipSync(gz.body).toString()).toBe(APP_JS);
    const plainJs = await raw(emu.url, "GET", "/assets/app-1a2b3c.js");
    expect(plainJs.headers["content-encoding"]).toBeUndefined();
    expect(plainJs.body.toString()).toBe(APP_JS);
    const css = await raw(emu.url, "GET", "/assets/app-1a2b3c.css", { "accept-encoding": "gzip" });
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(css.headers["content-encoding"]).toBeUndefined(); // too small to be worth it
  });

  it("HEAD sends the headers only; a matching ETag gets 304", async () => {
    const h = await raw(emu.url, "HEAD", "/assets/app-1a2b3c.js");
    expect(h.status).toBe(200);
    expect(Number(h.headers["content-length"])).toBe(APP_JS.length);
    expect(h.body.length).toBe(0);
    const again = await raw(emu.url, "GET", "/assets/app-1a2b3c.js", {
      "if-none-match": String(h.headers.etag),
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it("a page path gets index.html; a missing asset or file is a 404", async () => {
    for (const p of ["/runs/abc", "/pipelines", "/requests?x=1"]) {
      const r = await raw(emu.url, "GET", p);
      expect(r.status, p).toBe(200);
      expect(r.body.toString(), p).toBe(INDEX);
    }
    for (const p of ["/assets/nope.js", "/assets/nope", "/favicon.ico", "/robots.txt"]) {
      const r = await raw(emu.url, "GET", p);
      expect(r.status, p).toBe(404);
      expect(r.body.toString(), p).toBe("404 page not found\n");
    }
  });

  it("the API is unchanged: other methods outside /apis/ get Go's 404, /apis/ paths the gateway's", async () => {
    const post = await raw(emu.url, "POST", "/");
    expect(post.status).toBe(404);
    expect(post.body.toString()).toBe("404 page not found\n");
    const api = await raw(emu.url, "GET", "/apis/v2beta1/nothing");
    expect(api.status).toBe(404);
    expect(JSON.parse(api.body.toString())).toEqual({ code: 5, message: "Not Found" });
    const healthz = await raw(emu.url, "GET", "/apis/v2beta1/healthz");
    expect(healthz.status).toBe(200);
    // The UI's own files are not API traffic: the inspector records the POST, not the GETs.
    const roots = emu.requests().filter((r) => r.path === "/");
    expect(roots.map((r) => r.method)).toEqual(["POST"]);
  });

  it("not built: / says so in one line; other paths are plain 404s", async () => {
    const r = await raw(empty.url, "GET", "/");
    expect(r.status).toBe(404);
    expect(r.body.toString()).toBe(NOT_BUILT_MESSAGE);
    expect(NOT_BUILT_MESSAGE.trim().split("\n")).toHaveLength(1);
    expect((await raw(empty.url, "GET", "/runs/x")).body.toString()).toBe("404 page not found\n");
  });
});

describe("paths that try to leave the UI directory", () => {
  const EVIL = [
    "/../secret.txt",
    "/assets/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/assets/..%2f..%2fsecret.txt",
    "/..%5csecret.txt",
    "/assets/..%5c..%5csecret.txt",
    "/%2e%2e%2fsecret.txt",
    "/secret.txt%00.js",
    "/%00",
    "/assets/%ff%fe",
    "//secret.txt",
    "/./../secret.txt",
  ];

  it.each(EVIL)("%s never answers the file beside the directory", async (p) => {
    const r = await raw(emu.url, "GET", p);
    expect(r.body.toString()).not.toContain(SECRET);
    expect([200, 404]).toContain(r.status);
    if (r.status === 200) expect(r.body.toString()).toBe(INDEX);
  });

  it("generated paths from traversal pieces: never the secret, never a 5xx", async () => {
    const piece = fc.constantFrom(
      "..",
      "%2e%2e",
      ".%2e",
      "%2f",
      "%5c",
      "\\",
      "secret.txt",
      "assets",
      "%00",
      ".",
      "ui",
      "%252e%252e",
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 6 }), async (parts) => {
        const p = `/${parts.join("/")}`;
        const r = await raw(emu.url, "GET", p);
        expect(r.status, p).toBeLessThan(500);
        expect(r.body.toString(), p).not.toContain(SECRET);
      }),
      { numRuns: 150 },
    );
  });

  it("uiRelativePath refuses what decodes to .., backslashes or NUL, and malformed escapes", () => {
    expect(uiRelativePath("/assets/app.js")).toBe("assets/app.js");
    expect(uiRelativePath("/")).toBe("");
    expect(uiRelativePath("/a/./b")).toBe("a/b");
    for (const p of ["/..", "/a/%2e%2e/b", "/a%5cb", "/a%00", "/%ff"])
      expect(uiRelativePath(p), p).toBeUndefined();
  });
});
