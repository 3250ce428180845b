// The program loads only the group a command needs; the stand-ins of the others must say what the real
// groups say, and the group must be found in the arguments whatever global options come first.
import { EventEmitter } from "node:events";
import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { App } from "../../packages/kfp-ts/src/cli/app.js";
import type { IOStreams } from "../../packages/kfp-ts/src/cli/io.js";
import { buildProgram, GROUPS, requestedGroup } from "../../packages/kfp-ts/src/cli/main.js";

const io: IOStreams = {
  stdout: new PassThrough(),
  stderr: new PassThrough(),
  stdin: Readable.from([]),
  env: {},
  stdoutTTY: false,
  stderrTTY: false,
  columns: 80,
  homeDir: "/nonexistent-home",
  signals: new EventEmitter() as unknown as IOStreams["signals"],
};

describe("lazy command groups", () => {
  it("each stand-in has the real group's summary and aliases", async () => {
    const app = new App(io);
    for (const g of GROUPS) {
      const real = await g.load(app, () => buildProgram(app));
      expect(real.description(), g.name).toBe(g.summary);
      expect(real.name()).toBe(g.name);
      expect(real.aliases()).toEqual(g.aliases);
    }
  });

  it("finds the group after global options with values", () => {
    expect(requestedGroup(["--host", "http://h", "-n", "ns", "-o", "json", "pipeline", "list"])).toBe(
      "pipeline",
    );
    expect(requestedGroup(["--host=http://h", "--insecure", "--verbose", "runs", "get", "x"])).toBe("runs");
    expect(requestedGroup(["--context", "prod", "--api-version", "v2", "--timeout", "5", "doctor"])).toBe(
      "doctor",
    );
    expect(requestedGroup(["--help"])).toBeUndefined();
  });

  it("loads the requested group only; the others stay stand-ins", async () => {
    const program = await buildProgram(new App(io), ["--host", "x", "runs", "list"]);
    const sub = (n: string) => program.commands.find((c) => c.name() === n)?.commands.length ?? 0;
    expect(sub("runs")).toBeGreaterThan(5);
    expect(sub("pipelines")).toBe(0);
    const full = await buildProgram(new App(io), ["completion", "bash"]);
    expect(full.commands.find((c) => c.name() === "pipelines")?.commands.length).toBeGreaterThan(5);
  });
});
