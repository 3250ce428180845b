// The built `kfp-ts` binary as a user runs it, one command per group against the emulator; what
// `--help` loads; and `npx kfp-ts emulator & kill $!` leaving nothing running.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { EXIT } from "../../packages/kfp-ts/src/cli/exit-codes.js";
import { repoRoot } from "../helpers/specs.js";

const PKG = join(repoRoot, "packages/kfp-ts");
/** The published binary (package.json `bin`: the bundle of scripts/bundle-cli.mjs). */
const BIN = join(
  PKG,
  (JSON.parse(readFileSync(join(PKG, "package.json"), "utf8")) as { bin: Record<string, string> }).bin[
    "kfp-ts"
  ] as string,
);
const EXAMPLE = join(repoRoot, "packages/kfp-ts/examples/word-count.yaml");
const TMP = mkdtempSync(join(tmpdir(), "kfp-ts-bin-"));
const ENV = {
  ...process.env,
  KFP_TS_CONFIG: join(TMP, "config.yaml"),
  XDG_CACHE_HOME: join(TMP, "cache"),
  NO_COLOR: "1",
  KFP_TS_POLL_MS: "20",
};
delete (ENV as Record<string, string | undefined>).KFP_HOST;

let emu: Emulator;

beforeAll(async () => {
  if (!existsSync(BIN)) execFileSync("npm", ["run", "build"], { cwd: repoRoot, stdio: "inherit" });
  emu = await startEmulator({ port: 0, lifecycle: { tickMs: 5, podTicks: 1 } });
}, 180_000);
afterAll(async () => {
  await emu?.close();
});

/** Run the binary to its end (bounded by a timeout). Asynchronous: the emulator lives in this process. */
function kfpTs(
  args: string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      rej(new Error(`kfp-ts ${args.join(" ")} did not end within 30 s: ${stderr}`));
    }, 30_000);
    child.once("close", (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
    child.stdin.end(input ?? "");
  });
}

describe("the built binary, one command per group", () => {
  it("a reader that closes the pipe early (`kfp-ts --help | head -1`) ends it quietly with exit 0", async () => {
    const child = spawn(process.execPath, [BIN, "--help"], { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    // Close our end at once: every write of the help text after this fails with EPIPE.
    child.stdout.destroy();
    const code = await new Promise<number | null>((res, rej) => {
      const t = setTimeout(() => {
        child.kill("SIGKILL");
        rej(new Error("kfp-ts --help did not end within 30 s"));
      }, 30_000);
      child.once("close", (c) => {
        clearTimeout(t);
        res(c);
      });
    });
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect(code).toBe(EXIT.OK);
  });

  it("pipelines: create from stdin, list as json", async () => {
    const c = await kfpTs(
      ["--host", emu.url, "-o", "json", "pipelines", "create", "-p", "bin-wc", "-"],
      readFileSync(EXAMPLE, "utf8"),
    );
    expect(c.stderr).toMatch(/pipeline bin-wc created: /);
    expect(c.code).toBe(EXIT.OK);
    const l = await kfpTs(["--endpoint", emu.url, "--output", "json", "pipeline", "list"]);
    expect((JSON.parse(l.stdout) as { name: string }[]).map((p) => p.name)).toContain("bin-wc");
  });

  it("experiments and runs: create, run with --wait, exit 0", async () => {
    expect((await kfpTs(["--host", emu.url, "experiment", "create", "bin-exp"])).code).toBe(EXIT.OK);
    const r = await kfpTs([
      "--host",
      emu.url,
      "-o",
      "json",
      "run",
      "create",
      "-e",
      "bin-exp",
      "-r",
      "bin-run",
      "-n",
      "bin-wc",
      "-w",
      "text=a b",
      "report_title=t",
    ]);
    expect(r.code).toBe(EXIT.OK);
    expect(JSON.parse(r.stdout).state).toBe("SUCCEEDED");
  });

  it("recurring runs, config, doctor, version", async () => {
    const pid = (await kfpTs(["--host", emu.url, "-o", "name", "pipelines", "list"])).stdout
      .trim()
      .split("\n")[0] as string;
    const rr = await kfpTs([
      "--host",
      emu.url,
      "recurring-run",
      "create",
      "--job-name",
      "bin-rr",
      "--interval-second",
      "600",
      "-p",
      pid,
      "text=a",
      "report_title=t",
    ]);
    expect(rr.code).toBe(EXIT.OK);
    expect((await kfpTs(["config", "set-context", "emu", "--host", emu.url])).code).toBe(EXIT.OK);
    const list = await kfpTs(["recurring-runs", "list", "-o", "name"]);
    expect(list.code).toBe(EXIT.OK);
    expect(list.stdout.trim().split("\n")).toHaveLength(1);
    expect((await kfpTs(["doctor"])).code).toBe(EXIT.OK);
    expect((await kfpTs(["version"])).stdout).toMatch(/^client: kfp-ts \d+\.\d+\.\d+\nserver: .*API v2/);
  });

  it("exit codes: not found 3, usage 2", async () => {
    expect((await kfpTs(["--host", emu.url, "runs", "get", "no-such-run"])).code).toBe(EXIT.NOT_FOUND);
    const u = await kfpTs(["pipelines", "frobnicate"]);
    expect(u.code).toBe(EXIT.USAGE);
    expect(u.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe("what --help loads", () => {
  it("kfp-ts --help and a command's --help load neither undici, yaml, the library nor the emulator", () => {
    for (const args of [["--help"], ["runs", "create", "--help"]]) {
      const loads = join(TMP, `loads-${args.length}.txt`);
      writeFileSync(loads, "");
      const r = spawnSync(
        process.execPath,
        ["--import", join(repoRoot, "test/cli/fixtures/record-loads.mjs"), BIN, ...args],
        { env: { ...ENV, KFP_TS_LOADS: loads }, encoding: "utf8", timeout: 30_000 },
      );
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("Usage: kfp-ts");
      const urls = withBundledModules(readFileSync(loads, "utf8").trim().split("\n"));
      expect(urls.some((u) => u.includes("/@commander-js/extra-typings/"))).toBe(true);
      // Only the group that runs is loaded: none for the program's help, `runs` for `runs create --help`.
      const groups = [
        ...new Set(
          urls.filter((u) => u.includes("/cli/commands/")).map((u) => u.replace(/.*\/cli\/commands\//, "")),
        ),
      ];
      expect(groups).toEqual(args.length === 1 ? [] : ["runs.js"]);
      for (const heavy of ["/undici/", "/yaml/", "/packages/emulator/", "/kfp-ts/dist/index.js", "/zod/"]) {
        expect(
          urls.filter((u) => u.includes(heavy)),
          `${args.join(" ")}: ${heavy}`,
        ).toEqual([]);
      }
    }
  });
});

/**
 * The module URLs a process loaded, with the modules bundled into each loaded chunk of the binary
 * (esbuild writes a `// path` line, relative to the package, before each module it bundles).
 */
function withBundledModules(urls: string[]): string[] {
  const out = [...urls];
  const binDir = join(BIN, "..");
  for (const u of urls) {
    if (!u.startsWith("file:")) continue;
    const file = fileURLToPath(u);
    if (!file.startsWith(binDir)) continue;
    for (const m of readFileSync(file, "utf8").matchAll(/^\/\/ (\S+\.[cm]?js)$/gm)) {
      out.push(`file://${resolve(PKG, m[1] as string)}`);
    }
  }
  return out;
}

function waitFor(child: ChildProcess, re: RegExp, ms: number): Promise<string> {
  return new Promise((res, rej) => {
    let buf = "";
    const t = setTimeout(() => rej(new Error(`no ${re} within ${ms} ms: ${buf}`)), ms);
    child.stdout?.on("data", (d) => {
      buf += d;
      const m = re.exec(buf);
      if (m) {
        clearTimeout(t);
        res(m[0]);
      }
    });
  });
}

function portOpen(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((res) => {
    const s = connect(Number(u.port), u.hostname);
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });
}

describe("npx kfp-ts emulator & kill $!", () => {
  it("stops the emulator when npx is killed", async () => {
    // A project whose node_modules/.bin has kfp-ts, as after `npm install kfp-ts kfp-ts-emulator`.
    const proj = join(TMP, "proj");
    mkdirSync(join(proj, "node_modules/.bin"), { recursive: true });
    writeFileSync(join(proj, "package.json"), '{"name":"p","version":"1.0.0","private":true}');
    chmodSync(BIN, 0o755);
    symlinkSync(BIN, join(proj, "node_modules/.bin/kfp-ts"));
    const npx = spawn("npx", ["--no-install", "kfp-ts", "emulator", "--port", "0", "--quiet"], {
      cwd: proj,
      env: { ...ENV, npm_config_update_notifier: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const url = await waitFor(npx, /http:\/\/127\.0\.0\.1:\d+/, 20_000);
    expect(await portOpen(url)).toBe(true);
    npx.kill("SIGTERM");
    // Bounded: at most 10 s, checked every 100 ms.
    let open = true;
    for (let i = 0; i < 100 && open; i++) {
      await new Promise((r) => setTimeout(r, 100));
      open = await portOpen(url);
    }
    expect(open).toBe(false);
  }, 40_000);
});
