/**
 * `kfp-ts ui` as a user runs it (the built binary, real sockets on 127.0.0.1): the page and the SPA
 * fallback from a small stand-in for the built UI (KFP_TS_UI_DIR); API calls and a multipart upload
 * forwarded to a second emulator standing in for a remote server; the token from --token-file reaching
 * the remote as `authorization: Bearer …` and never the page nor the CLI's output; a remote that is down
 * → 502 in the KFP error shape; requests from another origin refused; the embedded emulator without
 * --host; a clear usage error when the UI is not built.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { packageRoot, uiAssetsDir } from "../../packages/kfp-ts/src/cli/ui-assets.js";
import { Kfp } from "../../packages/kfp-ts/src/index.js";
import { ROOT } from "../helpers/build.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { specYaml } from "../helpers/specs.js";
import { cli } from "./helpers.js";

const BIN = join(ROOT, "packages/kfp-ts/dist/cli/main.js");
const INDEX = "<!doctype html><title>kfp-ts ui stand-in</title><div id=app></div>";
const TOKEN = "ui-secret-token-4f1c9e";

let dir: string;
let assets: string;
let config: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kfp-ts-ui-"));
  assets = join(dir, "ui");
  mkdirSync(join(assets, "assets"), { recursive: true });
  writeFileSync(join(assets, "index.html"), INDEX);
  writeFileSync(join(assets, "assets", "app-1234.js"), "console.log('app');\n");
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  config = join(dir, "config");
  mkdirSync(config);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** Start `kfp-ts <args>` and wait (bounded) for the line with the UI's URL. */
async function startUi(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      XDG_CONFIG_HOME: config,
      KFP_TS_UI_DIR: assets,
      NO_COLOR: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 15 s; output:\n${out}`)), 15_000);
    const check = () => {
      const m = /kfp-ts ui: (http:\/\/127\.0\.0\.1:\d+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before printing its URL:\n${out}`));
    });
  });
  const stop = () =>
    new Promise<number | null>((resolve, reject) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error("kfp-ts ui did not stop within 10 s of SIGTERM"));
      }, 10_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
      child.kill("SIGTERM");
    });
  return { url, child, output: () => out, stop };
}

describe("kfp-ts ui against a remote KFP server (a second emulator)", () => {
  let remote: Emulator;
  let ui: Running;
  beforeAll(async () => {
    remote = await startEmulator();
    ui = await startUi(["ui", "--host", remote.url, "--port", "0"]);
  }, 30_000);
  afterAll(async () => {
    expect(await ui?.stop()).toBe(0);
    await remote?.close();
  });

  it("serves index.html at /, assets as files, and index.html for unknown paths", async () => {
    const page = await fetch(`${ui.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toBe(INDEX);
    const js = await fetch(`${ui.url}/assets/app-1234.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect(await js.text()).toBe("console.log('app');\n");
    for (const p of ["/runs/abc", "/pipelines/x/versions/y", "/assets/missing.js", "/../../etc/passwd"]) {
      const r = await fetch(`${ui.url}${p}`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(INDEX);
    }
  });

  it("forwards API reads and a multipart upload; the result is on the remote", async () => {
    const direct = new Kfp({ host: remote.url, env: {}, logLevel: "off" });
    const seeded = await direct.pipelines.upload(specYaml("seeded"), { name: "seeded-on-remote" });
    const list = await fetch(`${ui.url}/apis/v2beta1/pipelines?page_size=100`);
    expect(list.status).toBe(200);
    const body = (await list.json()) as { pipelines?: { pipeline_id: string }[] };
    expect(body.pipelines?.map((p) => p.pipeline_id)).toContain(seeded.pipeline_id);

    const form = new FormData();
    form.append("uploadfile", new Blob([specYaml("via-ui")]), "via-ui.yaml");
    const up = await fetch(`${ui.url}/apis/v2beta1/pipelines/upload?name=uploaded-via-ui`, {
      method: "POST",
      body: form,
    });
    expect(up.status).toBe(200);
    const created = (await up.json()) as { pipeline_id: string };
    expect((await direct.pipelines.get(created.pipeline_id)).name).toBe("uploaded-via-ui");
    const seen = remote.requests().filter((r) => r.path.endsWith("/pipelines/upload"));
    expect(seen.at(-1)?.body?.parts?.map((p) => p.filename)).toEqual(["via-ui.yaml"]);

    // The library itself through the UI server, as the page does (host = the page's origin).
    const viaUi = new Kfp({ host: ui.url, env: {}, logLevel: "off", transport: "fetch" });
    expect((await viaUi.pipelines.get(created.pipeline_id)).display_name).toBe("uploaded-via-ui");
    const missing = await viaUi.pipelines.get("no-such-id").catch((e) => e);
    expect(missing).toMatchObject({ name: "NotFoundError", status: 404 });
    await viaUi.close();
    await direct.close();
  });

  it("refuses a request from another origin and an unexpected Host header", async () => {
    const r = await fetch(`${ui.url}/apis/v2beta1/pipelines`, { headers: { origin: "http://evil.example" } });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { message: string }).message).toMatch(/requests from http:\/\/evil\.example/);
    const port = new URL(ui.url).port;
    // A DNS-rebinding page reaches this port under its own host name: refused.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port, path: "/", headers: { host: `rebound.example:${port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});

describe("credentials are added server-side", () => {
  let rec: Recorder;
  let ui: Running;
  beforeAll(async () => {
    rec = await startRecorder();
    rec.fallback({ status: 200, body: { ok: true } });
    ui = await startUi([
      "ui",
      "--host",
      rec.url,
      "--token-file",
      join(dir, "token"),
      "--header",
      "kubeflow-userid: alice@example.com",
      "--verbose",
    ]);
  }, 30_000);
  afterAll(async () => {
    await ui?.stop();
    await rec?.close();
  });

  it("the token from --token-file reaches the remote; never the page or the CLI's output", async () => {
    const r = await fetch(`${ui.url}/apis/v2beta1/healthz`, { headers: { cookie: "local=1" } });
    expect(r.status).toBe(200);
    const req = rec.requests.at(-1);
    expect(req?.url).toBe("/apis/v2beta1/healthz");
    expect(req?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req?.headers["kubeflow-userid"]).toBe("alice@example.com");
    expect(req?.headers.cookie).toBeUndefined();
    const page = await (await fetch(`${ui.url}/`)).text();
    expect(page).not.toContain(TOKEN);
    expect(JSON.stringify(Object.fromEntries(r.headers))).not.toContain(TOKEN);
    expect(ui.output()).toMatch(/GET \/apis\/v2beta1\/healthz 200/);
    expect(ui.output()).not.toContain(TOKEN);
  });
});

describe("bodies are streamed, not buffered", () => {
  it("the remote sees the first chunk of an upload before the rest is sent, and the page the first chunk of an answer", async () => {
    let firstChunk: () => void = () => undefined;
    const gotFirst = new Promise<void>((r) => {
      firstChunk = r;
    });
    let sendRest: () => void = () => undefined;
    const restWanted = new Promise<void>((r) => {
      sendRest = r;
    });
    const remote = createHttpServer((req, res) => {
      let n = 0;
      req.on("data", (d: Buffer) => {
        n += d.length;
        firstChunk();
      });
      req.on("end", async () => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write(`got ${n} bytes;`);
        await restWanted;
        res.end(" done");
      });
    });
    await new Promise<void>((r) => remote.listen(0, "127.0.0.1", r));
    const ui = await startUi([
      "ui",
      "--host",
      `http://127.0.0.1:${(remote.address() as { port: number }).port}`,
    ]);
    // Bounded: if the answer were buffered, the remote would hold its end until this fires.
    const fallback = setTimeout(() => sendRest(), 10_000);
    let sawFirstPartEarly = false;
    try {
      const { port } = new URL(ui.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port,
            method: "POST",
            path: "/apis/v2beta1/pipelines/upload",
            headers: { "content-type": "application/octet-stream" },
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => {
              text += d;
              // The first part of the answer arrived while the remote still holds the rest back.
              if (text === "got 10 bytes;") {
                sawFirstPartEarly = true;
                sendRest();
              }
            });
            res.on("end", () => resolve(text));
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.write("first-part");
        // The second chunk only after the remote has received the first one (bounded by the test timeout).
        const stuck = setTimeout(
          () =>
            reject(new Error("the remote saw nothing of the upload before it ended: the body was buffered")),
          10_000,
        );
        gotFirst.then(() => {
          clearTimeout(stuck);
          req.end("");
        }, reject);
      });
      expect(answer).toBe("got 10 bytes; done");
      expect(sawFirstPartEarly).toBe(true);
    } finally {
      clearTimeout(fallback);
      sendRest();
      await ui.stop();
      await new Promise((r) => remote.close(r));
    }
  }, 30_000);
});

describe("errors", () => {
  it("a remote that is down → 502 JSON that says so", async () => {
    const free = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const ui = await startUi(["ui", "--host", `http://127.0.0.1:${free}`]);
    try {
      const r = await fetch(`${ui.url}/apis/v2beta1/pipelines`);
      expect(r.status).toBe(502);
      expect(r.headers.get("content-type")).toBe("application/json");
      const body = (await r.json()) as { code: number; message: string };
      expect(body.code).toBe(14);
      expect(body.message).toBe(
        `kfp-ts ui: cannot reach the KFP server at http://127.0.0.1:${free} (ECONNREFUSED); is it running, and is --host right?`,
      );
    } finally {
      await ui.stop();
    }
  }, 30_000);

  it("without --host it serves an embedded emulator", async () => {
    const ui = await startUi(["ui"]);
    try {
      expect(ui.output()).toMatch(/→ embedded emulator \(http:\/\/127\.0\.0\.1:\d+\)/);
      const r = await fetch(`${ui.url}/apis/v2beta1/healthz`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { multi_user?: boolean }).multi_user).toBe(false);
      const inspector = await fetch(`${ui.url}/_emulator/requests`);
      expect(inspector.status).toBe(200);
    } finally {
      expect(await ui.stop()).toBe(0);
    }
  }, 30_000);

  it("a UI that is not built is a usage error that says how to build it", async () => {
    const empty = mkdtempSync(join(dir, "empty-"));
    const child = spawn(process.execPath, [BIN, "ui"], {
      env: { PATH: process.env.PATH ?? "", HOME: dir, XDG_CONFIG_HOME: config, KFP_TS_UI_DIR: empty },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr?.on("data", (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(err).toContain(`kfp-ts: no index.html in ${empty}`);
  }, 30_000);

  it("--help explains the command and ends with examples; a bad --port or --header is a usage error", async () => {
    const help = await cli(["ui", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--listen <address>");
    expect(help.stdout).toContain("the page never\nsees them");
    expect(help.stdout).toMatch(/Examples:\n {2}\$ kfp-ts ui\n/);
    const port = await cli(["ui", "--port", "http"], { env: { KFP_TS_UI_DIR: assets } });
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be a whole number from 0 to 65535; got "http"');
    const header = await cli(["ui", "--header", "no colon"], { env: { KFP_TS_UI_DIR: assets } });
    expect(header.code).toBe(2);
    expect(header.stderr).toContain('--header must be "Name: value"');
  });

  it("finds the package root and its dist/ui from the module's own location", () => {
    expect(packageRoot()).toBe(join(ROOT, "packages/kfp-ts"));
    expect(() => uiAssetsDir(join(dir, "nowhere"))).toThrow(/no index\.html in .*nowhere/);
    expect(uiAssetsDir(assets)).toBe(assets);
  });
});
