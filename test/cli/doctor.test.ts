// `kfp-ts doctor` against what goes wrong in real deployments: an auth proxy's HTML login page where
// JSON was expected, and a server whose certificate is not trusted (then trusted with --ca-file).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttp, type Server } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../packages/kfp-ts/src/cli/exit-codes.js";
import { cli, isolatedConfig } from "./helpers.js";

interface Report {
  ok: boolean;
  checks: { check: string; ok: boolean; detail: string; fix?: string }[];
}

const env = { KFP_TS_CONFIG: isolatedConfig() };
const servers: Server[] = [];

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r((server.address() as AddressInfo).port)));
}

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe("doctor", () => {
  it("an HTML login page instead of JSON: the auth check fails and says which token to pass", async () => {
    const port = await listen(
      createHttp((_req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<!DOCTYPE html><html><head><title>Sign in · Dex</title></head><body>login</body></html>");
      }),
    );
    const r = await cli(["--host", `http://127.0.0.1:${port}`, "-o", "json", "doctor"], { env });
    expect(r.code).toBe(EXIT.FAILED);
    const report = JSON.parse(r.stdout) as Report;
    const auth = report.checks.find((c) => c.check === "auth");
    expect(auth).toMatchObject({ ok: false });
    expect(auth?.detail).toMatch(/^HTML page.*: likely an auth proxy's login page$/);
    expect(auth?.fix).toContain("--token-file");
  });

  describe("TLS with a self-signed certificate", () => {
    let url = "";
    let caFile = "";
    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), "kfp-ts-cli-tls-"));
      // openssl is part of the CI image; a missing one fails here (never a silent skip).
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
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      caFile = join(dir, "cert.pem");
      const server = createHttps(
        { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(caFile) },
        (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ commit_sha: "abc", tag_name: "2.5.0", multi_user: false }));
        },
      );
      url = `https://127.0.0.1:${await listen(server as unknown as Server)}`;
    });

    it("untrusted: the tls check fails and names --ca-file", async () => {
      const r = await cli(["--host", url, "doctor"], { env });
      expect(r.code).toBe(EXIT.FAILED);
      expect(r.stdout).toMatch(
        /✗ fail {2}tls +certificate not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/,
      );
      expect(r.stdout).toContain("→ pass the server's CA with --ca-file FILE");
    });

    it("trusted with --ca-file: every check passes", async () => {
      const r = await cli(["--host", url, "--ca-file", caFile, "-o", "json", "doctor"], { env });
      const report = JSON.parse(r.stdout) as Report;
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(r.code).toBe(EXIT.OK);
      expect(report.checks.find((c) => c.check === "tls")?.detail).toBe(`verified with ${caFile}`);
      expect(report.checks.find((c) => c.check === "api")?.detail).toContain("server 2.5.0");
    });
  });
});
