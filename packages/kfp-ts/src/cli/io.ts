/**
 * The streams and environment a command sees (after gh's pkg/iostreams): the real process in the
 * binary, in-memory ones in tests. Data goes to `stdout`, progress and diagnostics to `stderr`.
 */
import { homedir } from "node:os";
import type { Readable, Writable } from "node:stream";

export interface IOStreams {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: Record<string, string | undefined>;
  /** Whether stdout / stderr is a terminal (animations and colors only there). */
  stdoutTTY: boolean;
  stderrTTY: boolean;
  /** Terminal width for tables (80 when unknown). */
  columns: number;
  /** Where the config file lives unless KFP_TS_CONFIG says otherwise (tests point it elsewhere). */
  homeDir: string;
  /** Signal sources (SIGINT) for waits; tests pass their own emitter. */
  signals: Pick<NodeJS.Process, "once" | "removeListener">;
}

interface TTYStream {
  isTTY?: boolean;
  columns?: number;
}

export function systemIO(): IOStreams {
  const out = process.stdout as TTYStream;
  const err = process.stderr as TTYStream;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    stdoutTTY: out.isTTY === true,
    stderrTTY: err.isTTY === true,
    columns: out.columns || err.columns || Number(process.env.COLUMNS) || 80,
    homeDir: process.env.HOME || homedir(),
    signals: process,
  };
}

/** Colors on stderr/stdout only for a terminal, never with NO_COLOR or --no-color. */
export function colorEnabled(io: IOStreams, tty: boolean, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "") return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== "0") return true;
  return tty && io.env.TERM !== "dumb";
}

const ANSI = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

export type Paint = Record<keyof typeof ANSI, (s: string) => string>;

/** Color functions that are the identity when colors are off. */
export function paint(enabled: boolean): Paint {
  const out = {} as Paint;
  for (const [k, [open, close]] of Object.entries(ANSI) as [keyof typeof ANSI, readonly number[]][]) {
    out[k] = enabled ? (s) => `\u001b[${open}m${s}\u001b[${close}m` : (s) => s;
  }
  return out;
}
