/** TLS options end to end: a self-signed server, refused by default, accepted with `ca` or `insecure`. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kfp } from "../../packages/kfp-ts/src/client.js";
import { ConnectionError } from "../../packages/kfp-ts/src/core/errors.js";
import { needs } from "../helpers/needs.js";

function haveOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!needs(haveOpenssl(), "the openssl command"))("TLS", () => {
  let dir: string;
  let server: Server;
  let url: string;
  let cert: string;
  let hits = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "kfp-ts-tls-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    cert = readFileSync(path.join(dir, "cert.pem"), "utf8");
    server = createServer({ key: readFileSync(path.join(dir, "key.pem")), cert }, (_req, res) => {
      hits++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ pipeline_id: "tls" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const opts = { apiVersion: "v2beta1" as const, env: {}, logLevel: "off" as const, retry: { baseDelay: 1 } };

  it("refuses an unknown certificate, without retrying", async () => {
    const c = new Kfp({ ...opts, host: url, maxRetries: 3 });
    const err = (await c.pipelines.get("p").catch((e: unknown) => e)) as ConnectionError;
    await c.close();
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toMatch(/CERT|SELF_SIGNED/);
    expect(hits).toBe(0);
  });

  it("accepts it with `ca` (PEM text or a file path) or with `insecure`", async () => {
    for (const extra of [{ ca: cert }, { ca: path.join(dir, "cert.pem") }, { insecure: true }]) {
      const c = new Kfp({ ...opts, host: url, ...extra });
      expect((await c.pipelines.get("p")).pipeline_id).toBe("tls");
      await c.close();
    }
    expect(hits).toBe(3);
  });
});
