// The live display of `runs watch` on a real terminal (a pseudo-terminal from python3's pty module):
// the task tree is drawn, then redrawn in place (cursor up, clear) as tasks change state, and ends with
// each task's final state and duration. Without a terminal the same command prints plain lines.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { Kfp } from "../../packages/kfp-ts/src/index.js";
import { repoRoot } from "../helpers/specs.js";

const BIN = join(repoRoot, "packages/kfp-ts/dist/bin/kfp-ts.js");
const PTY = join(repoRoot, "test/cli/fixtures/pty-run.py");
const EXAMPLE = join(repoRoot, "packages/kfp-ts/examples/word-count.yaml");

let emu: Emulator;
let runId = "";

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`build first: ${BIN} is missing (npm run build)`);
  // Slow enough that the tasks go through PENDING and RUNNING while the display is up.
  emu = await startEmulator({ port: 0, lifecycle: { tickMs: 120, podTicks: 2 } });
  const kfp = new Kfp({ host: emu.url, logLevel: "off" });
  const { pipeline } = await kfp.pipelines.publish("tty", readFileSync(EXAMPLE, "utf8"));
  const run = await kfp.runs.create({
    display_name: "tty-run",
    pipeline_id: pipeline.pipeline_id,
    parameters: { text: "a b c", report_title: "t" },
  });
  runId = run.run_id as string;
  await kfp.close();
});
afterAll(async () => {
  await emu?.close();
});

function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      rej(new Error(`did not end within 60 s: ${out}`));
    }, 60_000);
    child.once("close", (code) => {
      clearTimeout(t);
      res({ code, out });
    });
  });
}

describe("runs watch on a terminal", () => {
  it("draws the task tree and redraws it in place until the run ends", async () => {
    const r = await run("python3", [PTY, process.execPath, BIN, "--host", emu.url, "runs", "watch", runId], {
      KFP_TS_POLL_MS: "50",
      NO_COLOR: "",
      TERM: "xterm-256color",
    });
    expect(r.code).toBe(0);
    // Redraws move the cursor up over the previous drawing and clear it.
    const redraws = r.out.match(/\u001b\[\d+A\r\u001b\[J/g) ?? [];
    expect(redraws.length).toBeGreaterThanOrEqual(2);
    // Colors on a terminal; the running state was seen on the way.
    expect(r.out).toContain("\u001b[33m");
    const plain = r.out.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
    expect(plain).toMatch(/● \S+ {2}RUNNING/);
    // The last drawing: every task with its final state and a duration.
    const last = plain.slice(plain.lastIndexOf(`tty-run ${runId}`));
    for (const task of ["normalize-text", "count-words", "write-report"]) {
      expect(last).toMatch(new RegExp(`✓ ${task} {2}SUCCEEDED {2}\\d+(\\.\\d)?s`));
    }
    expect(plain).toMatch(/RUN ID\s+NAME\s+STATE/);
  }, 90_000);

  it("without a terminal: timestamped lines, no cursor movement", async () => {
    const r = await run(process.execPath, [BIN, "--host", emu.url, "runs", "watch", runId], {
      KFP_TS_POLL_MS: "50",
    });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("\u001b[");
    expect(r.out).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ run \S+ SUCCEEDED/m);
  });
});

describe("upload progress on a terminal", () => {
  it("a package of 1 MiB or more shows a bar with bytes and rate; not without a terminal", async () => {
    const pad = Array.from({ length: 20_000 }, (_, i) => `# padding ${i} ${"x".repeat(100)}\n`).join("");
    const file = join(mkdtempSync(join(tmpdir(), "kfp-ts-cli-big-")), "big.yaml");
    writeFileSync(file, readFileSync(EXAMPLE, "utf8") + pad);
    const size = (readFileSync(file).length / 1024 / 1024).toFixed(1);
    const tty = await run(
      "python3",
      [PTY, process.execPath, BIN, "--host", emu.url, "pipelines", "create", "-p", "big-tty", file],
      {},
    );
    expect(tty.code).toBe(0);
    expect(tty.out).toMatch(
      new RegExp(`\\rUploading big\\.yaml █{24} ${size} MiB / ${size} MiB {2}[\\d.]+ MiB/s {2}[\\d.]+s`),
    );
    const plain = await run(
      process.execPath,
      [BIN, "--host", emu.url, "pipelines", "create", "-p", "big-plain", file],
      {},
    );
    expect(plain.code).toBe(0);
    expect(plain.out).not.toContain("Uploading");
    expect(plain.out).toContain("pipeline big-plain created");
  }, 90_000);
});
