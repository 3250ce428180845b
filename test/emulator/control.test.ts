/**
 * The control endpoints (`/_emulator/*`, http/control.ts): open in single-user mode; in multi-user
 * mode the admin token opens them, users read only their own inspector entries, nobody else gets in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEmulatorArgs, UsageError } from "../../packages/emulator/src/cli.js";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { call } from "./helpers/http.js";

const ADMIN = "admin-token-0123456789abcdef";
const alice = { "kubeflow-userid": "alice@example.com" };
const bob = { "kubeflow-userid": "bob@example.com" };
const users = {
  "alice@example.com": { namespaces: ["team-a"] },
  "bob@example.com": { namespaces: ["team-b"], tokens: ["bob-bearer-token"] },
};

describe("single-user mode", () => {
  it("the control endpoints stay open", async () => {
    const emu = await startEmulator();
    try {
      expect((await call(emu.url, "GET", "/_emulator/faults")).status).toBe(200);
      await call(emu.url, "GET", "/apis/v2beta1/pipelines");
      const r = await call(emu.url, "GET", "/_emulator/requests");
      expect(r.status).toBe(200);
      expect(r.body.requests.map((e: { path: string }) => e.path)).toEqual(["/apis/v2beta1/pipelines"]);
    } finally {
      await emu.close();
    }
  });
});

describe("multi-user mode with an admin token", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ multiUser: { users }, adminToken: ADMIN });
    await call(emu.url, "GET", "/apis/v2beta1/experiments?namespace=team-a", undefined, alice);
    await call(emu.url, "GET", "/apis/v2beta1/experiments?namespace=team-b", undefined, {
      authorization: "Bearer bob-bearer-token",
    });
    await call(emu.url, "GET", "/apis/v2beta1/experiments?namespace=team-b");
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("anonymous callers get 401 on every control endpoint", async () => {
    for (const [method, path] of [
      ["GET", "/_emulator/faults"],
      ["POST", "/_emulator/faults"],
      ["GET", "/_emulator/requests"],
      ["DELETE", "/_emulator/requests"],
      ["GET", "/_emulator/routes"],
    ] as const) {
      const r = await call(emu.url, method, path, method === "POST" ? [] : undefined);
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.body.code).toBe(16);
    }
  });

  it("a user cannot read or set faults, nor clear the inspector", async () => {
    const post = await call(
      emu.url,
      "POST",
      "/_emulator/faults",
      { path: ".*", action: "unavailable" },
      alice,
    );
    expect(post.status).toBe(403);
    expect(post.body.message).toBe(
      "user 'alice@example.com' is not the emulator's admin: send the admin token",
    );
    expect((await call(emu.url, "GET", "/_emulator/faults", undefined, alice)).status).toBe(403);
    expect((await call(emu.url, "DELETE", "/_emulator/requests", undefined, bob)).status).toBe(403);
    expect(emu.faults.list()).toEqual([]);
  });

  it("a user sees only their own requests, with their credentials redacted", async () => {
    const a = await call(emu.url, "GET", "/_emulator/requests", undefined, alice);
    expect(a.status).toBe(200);
    expect(a.body.requests).toHaveLength(1);
    expect(a.body.requests[0].query).toEqual({ namespace: "team-a" });
    const b = await call(emu.url, "GET", "/_emulator/requests", undefined, {
      authorization: "Bearer bob-bearer-token",
    });
    expect(b.body.requests).toHaveLength(1);
    expect(b.body.requests[0].query).toEqual({ namespace: "team-b" });
    expect(b.body.requests[0].headers.authorization).toBe("[redacted]");
    expect(b.text).not.toContain("bob-bearer-token");
  });

  it("the admin token (bearer or X-Emulator-Admin-Token) sees everything and sets faults", async () => {
    const all = await call(emu.url, "GET", "/_emulator/requests", undefined, {
      authorization: `Bearer ${ADMIN}`,
    });
    expect(all.status).toBe(200);
    expect(all.body.requests).toHaveLength(3);
    const set = await call(
      emu.url,
      "POST",
      "/_emulator/faults",
      { path: "^/nothing$", action: "unavailable" },
      {
        "x-emulator-admin-token": ADMIN,
      },
    );
    expect(set.status, set.text).toBe(200);
    expect(emu.faults.list()).toHaveLength(1);
    const wrong = await call(emu.url, "GET", "/_emulator/faults", undefined, {
      "x-emulator-admin-token": `${ADMIN}x`,
    });
    expect(wrong.status).toBe(401);
  });
});

describe("multi-user mode without an admin token", () => {
  it("faults are closed to everybody; users still read their own requests", async () => {
    const emu = await startEmulator({ multiUser: { users } });
    try {
      await call(emu.url, "GET", "/apis/v2beta1/experiments?namespace=team-a", undefined, alice);
      const f = await call(emu.url, "GET", "/_emulator/faults", undefined, alice);
      expect(f.status).toBe(403);
      expect(f.body.message).toBe(
        "control endpoints are closed in multi-user mode: start the emulator with an admin token",
      );
      const mine = await call(emu.url, "GET", "/_emulator/requests", undefined, alice);
      expect(mine.body.requests).toHaveLength(1);
      const theirs = await call(emu.url, "GET", "/_emulator/requests", undefined, bob);
      expect(theirs.body.requests).toEqual([]);
    } finally {
      await emu.close();
    }
  });
});

describe("command line", () => {
  it("--admin-token or KFP_EMULATOR_ADMIN_TOKEN sets the admin token; the CLI keeps a safety net", async () => {
    const a = await parseEmulatorArgs(["--multi-user", "--admin-token", ADMIN], {});
    expect(a.options.adminToken).toBe(ADMIN);
    expect(a.options.safetyNet).toBe(true);
    const b = await parseEmulatorArgs(["--multi-user"], { KFP_EMULATOR_ADMIN_TOKEN: ADMIN });
    expect(b.options.adminToken).toBe(ADMIN);
    const c = await parseEmulatorArgs(["--multi-user"], {});
    expect(c.options.adminToken).toBeUndefined();
    await expect(parseEmulatorArgs(["--admin-token", "short"], {})).rejects.toThrow(UsageError);
  });
});
