/**
 * An emulator killed outright (SIGKILL: it runs no exit handler) leaves no task process behind: its
 * watchdog (execute/process.ts) sees the emulator's end of its pipe close and kills the groups of the
 * tasks still running. The task holds a FIFO open for writing (it and the `sleep` it started, which
 * inherits the descriptor); the test reads the FIFO and waits for end-of-file — the event that every
 * process of the task is gone — instead of polling.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, constants, createReadStream, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/build.js";
import { processesWith } from "./helpers/execute-task.js";

const BIN = join(ROOT, "packages/emulator/dist/bin.js");

/** Resolves with `p`, or rejects after `ms` with `what` (a deadline for a failure, not a sleep). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms);
    }),
  ]);
}

function holderSpec(fifo: string, marker: string): Record<string, unknown> {
  return {
    pipelineInfo: { name: "holder" },
    schemaVersion: "2.1.0",
    sdkVersion: "kfp-2.14.3",
    components: { "comp-hold": { executorLabel: "exec-hold" } },
    deploymentSpec: {
      executors: {
        "exec-hold": {
          container: {
            image: "alpine",
            command: ["sh", "-c", `exec 3>'${fifo}'; sleep 300 & wait; echo ${marker}`],
          },
        },
      },
    },
    root: {
      dag: { tasks: { hold: { componentRef: { name: "comp-hold" }, taskInfo: { name: "hold" } } } },
    },
  };
}

describe.runIf(process.platform === "linux")("execute mode: a SIGKILLed emulator", () => {
  const dir = mkdtempSync(join(tmpdir(), "kfp-watchdog-"));
  let emu: ChildProcess | undefined;
  afterAll(() => {
    emu?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("leaves no task process running: the watchdog kills the task's group", async () => {
    const fifo = join(dir, "held");
    execFileSync("mkfifo", [fifo]);
    const marker = `kfp-watchdog-${randomUUID()}`;
    emu = spawn(
      process.execPath,
      [BIN, "--execute", "--port", "0", "--quiet", "--no-ui", "--pipeline-root", join(dir, "root")],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const stdout = emu.stdout;
    if (!stdout) throw new Error("no stdout");
    const url = await within(
      new Promise<string>((resolve) => createInterface({ input: stdout }).once("line", resolve)),
      15_000,
      "the emulator's URL",
    );
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const res = await fetch(`${url}/apis/v2beta1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ display_name: "holder", pipeline_spec: holderSpec(fifo, marker) }),
    });
    expect(res.status, await res.clone().text()).toBe(200);

    // Opening the FIFO for reading completes once the task opened it for writing: the task runs.
    const reader = createReadStream(fifo);
    let opened = false;
    const ended = new Promise<void>((resolve) => reader.on("close", () => resolve()));
    reader.resume();
    try {
      await within(
        new Promise<void>((resolve) => reader.once("open", () => resolve())),
        20_000,
        "the task opening the FIFO",
      );
      opened = true;
      expect(processesWith(marker).length).toBeGreaterThanOrEqual(1);
      // The task runs, so the emulator spawned it; an answer from the emulator (one thread) after that
      // means it finished the statements around the spawn, which tell the watchdog. Without this, a
      // loaded machine could let the test kill the emulator between the spawn and that message.
      expect((await fetch(`${url}/apis/v2beta1/healthz`)).status).toBe(200);

      emu.kill("SIGKILL");
      // End-of-file: no process holds the FIFO open any more (SIGTERM from the watchdog; SIGKILL 2 s later).
      await within(ended, 10_000, "every process of the task gone after the emulator was killed");
      expect(processesWith(marker)).toEqual([]);
    } finally {
      if (!opened) {
        // Unblock the reader's open (a thread of the pool waits in it) so the worker can exit.
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          // no reader waiting
        }
      }
      reader.destroy();
    }
  }, 60_000);
});
