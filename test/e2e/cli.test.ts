// The `kfp-ts` binary as a user runs it: the emulator command (prints its URL, serves, stops cleanly on
// SIGTERM/SIGINT) and the demo (the README's main job) against the embedded emulator.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = resolve(ROOT, "packages/kfp-ts/dist/bin/kfp-ts.js");

beforeAll(() => {
  // `npm test` builds first; a bare `vitest run` builds here.
  if (!existsSync(BIN)) execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
}, 120_000);

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    err += d;
  });
  return { out: () => out, err: () => err };
}

function exited(child: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((res, rej) => {
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      rej(new Error(`process did not exit within ${ms} ms`));
    }, ms);
    child.once("exit", (code) => {
      clearTimeout(t);
      res(code);
    });
  });
}

async function firstLine(child: ChildProcess, ms: number): Promise<string> {
  return new Promise((res, rej) => {
    let buf = "";
    const t = setTimeout(() => rej(new Error(`no output within ${ms} ms`)), ms);
    child.stdout?.on("data", (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(t);
        res(buf.slice(0, nl));
      }
    });
    child.once("exit", () => rej(new Error("exited before printing its URL")));
  });
}

describe("kfp-ts emulator", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`prints its URL, serves the API and stops on ${signal}`, async () => {
      const child = spawn(process.execPath, [BIN, "emulator", "--port", "0"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      const io = collect(child);
      const url = await firstLine(child, 15_000);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/apis/v2beta1/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ multi_user: false });
      child.kill(signal);
      expect(await exited(child, 10_000)).toBe(0);
      expect(io.err()).toContain("shutting down");
    });
  }

  it("runs in multi-user mode and rejects an anonymous request with 401", async () => {
    const child = spawn(process.execPath, [BIN, "emulator", "--port", "0", "--multi-user", "--quiet"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const url = await firstLine(child, 15_000);
    const health = (await (await fetch(`${url}/apis/v2beta1/healthz`)).json()) as { multi_user: boolean };
    expect(health.multi_user).toBe(true);
    const res = await fetch(`${url}/apis/v2beta1/experiments?namespace=team-a`);
    expect(res.status).toBe(401);
    const ok = await fetch(`${url}/apis/v2beta1/experiments?namespace=team-a`, {
      headers: { "kubeflow-userid": "alice@example.com" },
    });
    expect(ok.status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited(child, 10_000)).toBe(0);
  });

  it("rejects a bad flag with exit code 2 and says what is wrong", async () => {
    const child = spawn(process.execPath, [BIN, "emulator", "--port", "70000"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const io = collect(child);
    expect(await exited(child, 10_000)).toBe(2);
    expect(io.err()).toContain("--port must be a whole number from 0 to 65535");
  });
});

describe("kfp-ts demo (the README's main job)", () => {
  it("publishes, runs and follows the example pipeline to SUCCEEDED", async () => {
    const child = spawn(process.execPath, [BIN, "demo", "--tick-ms", "30"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    const io = collect(child);
    const code = await exited(child, 60_000);
    expect(io.err()).toBe("");
    expect(code).toBe(0);
    const out = io.out();
    expect(out).toContain("Upload the example pipeline from a string");
    expect(out).toContain("unchanged: nothing uploaded");
    expect(out).toMatch(/ParameterError: .*report_title|report_title.*required/s);
    expect(out).toContain("outcome: SUCCEEDED");
    // Task progress is reported while the run goes on, and every task ends SUCCEEDED.
    expect(out).toMatch(/RUNNING — \d+ tasks?: .*RUNNING/);
    expect(out).toMatch(/SUCCEEDED — (\d+) tasks: \1 SUCCEEDED/);
    expect(out).toMatch(/part name=uploadfile filename=word-count\.yaml type=application\/x-yaml \d+ bytes/);
  });
});
