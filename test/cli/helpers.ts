// Runs the CLI in-process through its one entry point, runCli(args, io), with in-memory streams.
import { EventEmitter } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import type { IOStreams } from "../../packages/kfp-ts/src/cli/io.js";
import { runCli } from "../../packages/kfp-ts/src/cli/main.js";

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string | Buffer;
  env?: Record<string, string | undefined>;
  stdoutTTY?: boolean;
  stderrTTY?: boolean;
  columns?: number;
  /** Emits SIGINT when the test wants to interrupt a wait. */
  signals?: EventEmitter;
  /** Called with each stderr / stdout chunk as it is written. */
  onStderr?: (chunk: string) => void;
  onStdout?: (chunk: string) => void;
}

function sink(): { stream: PassThrough; text: () => string; on: (f: (s: string) => void) => void } {
  const stream = new PassThrough();
  let text = "";
  const listeners: ((s: string) => void)[] = [];
  stream.on("data", (d: Buffer) => {
    text += d.toString();
    for (const l of listeners) l(d.toString());
  });
  return { stream, text: () => text, on: (f) => listeners.push(f) };
}

/** A config directory of its own for each test file (the user's file is never read). */
export function isolatedConfig(): string {
  return join(mkdtempSync(join(tmpdir(), "kfp-ts-cli-")), "config.yaml");
}

export async function cli(args: string[], opts: RunOptions = {}): Promise<Result> {
  const out = sink();
  const err = sink();
  if (opts.onStderr) err.on(opts.onStderr);
  if (opts.onStdout) out.on(opts.onStdout);
  const io: IOStreams = {
    stdout: out.stream,
    stderr: err.stream,
    stdin: Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]),
    env: { NO_COLOR: "1", KFP_TS_POLL_MS: "20", ...opts.env },
    stdoutTTY: opts.stdoutTTY ?? false,
    stderrTTY: opts.stderrTTY ?? false,
    columns: opts.columns ?? 200,
    homeDir: "/nonexistent-home",
    signals: (opts.signals ?? new EventEmitter()) as unknown as IOStreams["signals"],
  };
  const code = await runCli(args, io);
  // Let the PassThrough streams deliver what was written.
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out.text(), stderr: err.text() };
}
