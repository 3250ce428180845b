// The CLI against a multi-user server: tokens (flag, file, environment), namespaces (-n, contexts),
// the auth exit code, doctor's namespace check, and --verbose never printing a secret.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { EXIT } from "../../packages/kfp-ts/src/cli/exit-codes.js";
import { cli, isolatedConfig } from "./helpers.js";

const TOKEN = "token-alice-0123456789";
let emu: Emulator;
let env: Record<string, string>;

beforeAll(async () => {
  emu = await startEmulator({
    port: 0,
    multiUser: { users: { "alice@example.com": { namespaces: ["team-a"], tokens: [TOKEN] } } },
    lifecycle: { tickMs: 2 },
  });
  env = { KFP_TS_CONFIG: isolatedConfig() };
});
afterAll(async () => {
  await emu?.close();
});

describe("multi-user", () => {
  it("no token: exit 5 (not authenticated)", async () => {
    const r = await cli(["--host", emu.url, "-n", "team-a", "experiments", "list"], { env });
    expect(r.code).toBe(EXIT.AUTH);
    expect(r.stderr).toMatch(/^kfp-ts: 401 Unauthorized/);
  });

  it("a token and an allowed namespace work; another namespace is exit 5 (not allowed)", async () => {
    const ok = await cli(
      ["--host", emu.url, "--token", TOKEN, "-n", "team-a", "-o", "json", "experiments", "create", "mu-exp"],
      { env },
    );
    expect(ok.code).toBe(EXIT.OK);
    expect(JSON.parse(ok.stdout)).toMatchObject({ display_name: "mu-exp", namespace: "team-a" });
    const other = await cli(["--host", emu.url, "--token", TOKEN, "-n", "team-b", "experiments", "list"], {
      env,
    });
    expect(other.code).toBe(EXIT.AUTH);
    expect(other.stderr).toMatch(/^kfp-ts: 403 Forbidden/);
    expect(other.stderr).not.toContain(TOKEN);
  });

  it("the official CLI's --existing-token, a token file and KFP_TOKEN; a context's namespace", async () => {
    const legacy = await cli(
      ["--endpoint", emu.url, "--existing-token", TOKEN, "-n", "team-a", "-o", "name", "experiments", "list"],
      { env },
    );
    expect(legacy.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
    expect(legacy.code).toBe(EXIT.OK);
    const file = join(env.KFP_TS_CONFIG as string, "..", "token");
    writeFileSync(file, `${TOKEN}\n`);
    const cfg = { KFP_TS_CONFIG: isolatedConfig() };
    expect(
      (
        await cli(
          ["config", "set-context", "mu", "--host", emu.url, "--namespace", "team-a", "--token-file", file],
          { env: cfg },
        )
      ).code,
    ).toBe(EXIT.OK);
    const viaContext = await cli(["-o", "json", "experiments", "get", "--experiment-name", "mu-exp"], {
      env: cfg,
    });
    expect(viaContext.code).toBe(EXIT.OK);
    expect(JSON.parse(viaContext.stdout).namespace).toBe("team-a");
    const viaEnv = await cli(["--host", emu.url, "-n", "team-a", "-o", "name", "experiments", "list"], {
      env: { ...env, KFP_TOKEN: TOKEN },
    });
    expect(viaEnv.code).toBe(EXIT.OK);
  });

  it("--verbose logs the requests on stderr without the token", async () => {
    const r = await cli(
      ["--host", emu.url, "--token", TOKEN, "-n", "team-a", "--verbose", "experiments", "list"],
      { env },
    );
    expect(r.code).toBe(EXIT.OK);
    expect(r.stderr).toMatch(/\[debug\] .*GET http:\/\/127\.0\.0\.1:\d+\/apis\/v2beta1\/experiments/);
    expect(r.stderr).not.toContain(TOKEN);
  });

  it("doctor: the namespace check passes for an allowed namespace, fails for another", async () => {
    const ok = await cli(["--host", emu.url, "--token", TOKEN, "-n", "team-a", "doctor"], { env });
    expect(ok.code).toBe(EXIT.OK);
    expect(ok.stdout).toMatch(/namespace +multi-user; namespace team-a allowed/);
    const bad = await cli(["--host", emu.url, "--token", TOKEN, "-n", "team-b", "-o", "json", "doctor"], {
      env,
    });
    expect(bad.code).toBe(EXIT.FAILED);
    expect(JSON.parse(bad.stdout).checks.at(-1)).toMatchObject({ check: "namespace", ok: false });
    expect(bad.stdout).not.toContain(TOKEN);
  });
});
