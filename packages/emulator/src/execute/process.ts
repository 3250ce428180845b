/**
 * One task process: argv spawned without a shell, detached into its own process group, with the
 * environment it is given (the runner scrubs it) and its own working directory. stdout and stderr go,
 * interleaved as they arrive, to the log file and to `onLog`. The whole group is killed on timeout,
 * on abort, and when the output passes its cap (SIGTERM, then SIGKILL after a grace); after the main
 * process exits, whatever it left in its group is killed too, so a finished task leaves nothing running;
 * and when the emulator's process exits, the groups of tasks still running are killed — on a normal
 * exit by the emulator itself, and when it is killed outright (SIGKILL, the OOM killer, a crash) by a
 * watchdog: a small Node process started with the first task, which is told each running group and,
 * when its stdin reaches end-of-file (the emulator's end of the pipe closed: the emulator is gone, however
 * it ended), kills them (SIGTERM, then SIGKILL after 2 s).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, createWriteStream, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { StringDecoder } from "node:string_decoder";

export interface ProcessOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  logPath: string;
  timeoutMs: number;
  maxOutputBytes: number;
  signal: AbortSignal;
  onLog?: (chunk: string) => void;
  /** Kill after this long; 0, negative or Infinity: never. */
  /** Between SIGTERM and SIGKILL (default 2 s). */
  killGraceMs?: number;
}

export type ProcessOutcome =
  | { kind: "exited"; exitCode: number }
  | { kind: "signaled"; signal: string }
  | { kind: "timeout" }
  | { kind: "aborted" }
  | { kind: "overflow" }
  | { kind: "spawn-error"; message: string };

/** How long to wait for a killed group to disappear (zombies are reaped by init, not by us). */
const GROUP_GONE_MS = 5_000;

/** Process groups of tasks still running in this process, killed if the emulator exits first. */
const liveGroups = new Set<number>();
let exitHook = false;

/**
 * The watchdog's program (plain CommonJS, given with `-e`: no file to find from src/, dist/ or a
 * bundle). Lines on stdin: `+<pgid>` a group started, `-<pgid>` it is gone. At end-of-file it kills the
 * groups it still holds and exits. It ignores the terminal's signals (SIGINT, SIGHUP, SIGQUIT): it stops
 * only when the emulator is gone.
 */
const WATCHDOG = `
const groups = new Set();
for (const s of ["SIGINT", "SIGHUP", "SIGQUIT"]) process.on(s, () => {});
const kill = (sig) => { for (const g of groups) { try { process.kill(-g, sig); } catch {} } };
let buf = "";
let ended = false;
const end = () => {
  if (ended) return;
  ended = true;
  kill("SIGTERM");
  setTimeout(() => { kill("SIGKILL"); process.exit(0); }, groups.size > 0 ? 2000 : 0);
};
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  buf += d;
  for (let i = buf.indexOf("\\n"); i >= 0; i = buf.indexOf("\\n")) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    const g = Number(line.slice(1));
    if (!Number.isSafeInteger(g) || g <= 1) continue;
    if (line[0] === "+") groups.add(g);
    else if (line[0] === "-") groups.delete(g);
  }
});
process.stdin.on("end", end);
process.stdin.on("error", end);
`;

let watchdog: ChildProcess | undefined;
/** Watchdogs that could not start or ended early; after 3, tasks go on without one (a normal exit still kills their groups). */
let watchdogFailures = 0;

/**
 * Start the watchdog when none runs (first use, or the last one ended early) and tell it every live
 * group. Called before a task is spawned, so the window in which a task runs unknown to the watchdog
 * is the few statements between its spawn and `trackGroup`, not the start of a process.
 */
function ensureWatchdog(): void {
  if (watchdog || watchdogFailures >= 3) return;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ["-e", WATCHDOG], {
      // Its own process group: a terminal's Ctrl-C reaches the emulator, not the watchdog.
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env: {},
    });
  } catch {
    watchdogFailures++;
    return;
  }
  const lost = () => {
    if (watchdog !== child) return;
    watchdog = undefined;
    watchdogFailures++;
  };
  child.on("error", lost);
  child.on("exit", lost);
  child.stdin?.on("error", lost);
  // Neither the watchdog nor its pipe keeps the emulator's process alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  watchdog = child;
  if (liveGroups.size > 0) child.stdin?.write([...liveGroups].map((g) => `+${g}\n`).join(""));
}

/** Tell the watchdog that a group started (`+pgid`) or is gone (`-pgid`). */
function tellWatchdog(line: string): void {
  ensureWatchdog();
  watchdog?.stdin?.write(`${line}\n`);
}

function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  tellWatchdog(`+${pgid}`);
  if (exitHook) return;
  exitHook = true;
  // 'exit' runs on a normal exit and on process.exit() (the CLI's signal handlers end that way):
  // no task outlives the emulator. When the emulator cannot run this (SIGKILL), the watchdog does it.
  process.once("exit", () => {
    for (const g of liveGroups) signalGroup(g, "SIGKILL");
  });
}

function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
  tellWatchdog(`-${pgid}`);
}

/** The absolute path `name` runs as under `PATH`, or undefined when there is none. */
export function findExecutable(name: string, pathVar: string, cwd: string): string | undefined {
  const candidates = name.includes("/")
    ? [isAbsolute(name) ? name : resolve(cwd, name)]
    : pathVar
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

/** Resolve once no process of the group is left (bounded: a stuck zombie does not hang the task). */
async function groupGone(pgid: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  let wait = 2;
  while (groupAlive(pgid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 50);
  }
}

export async function runProcess(opts: ProcessOptions): Promise<ProcessOutcome> {
  const [file, ...args] = opts.argv;
  if (!file) return { kind: "spawn-error", message: "the task has an empty command" };
  if (opts.signal.aborted) return { kind: "aborted" };
  const log = createWriteStream(opts.logPath);
  const logClosed = new Promise<void>((r) => {
    log.on("close", () => r());
    log.on("error", () => r());
  });
  const grace = opts.killGraceMs ?? 2_000;
  let reason: "timeout" | "aborted" | "overflow" | undefined;
  let bytes = 0;
  let termTimer: NodeJS.Timeout | undefined;

  ensureWatchdog();
  const child = spawn(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    shell: false,
  });
  const pgid = child.pid;
  if (pgid !== undefined) trackGroup(pgid);

  const kill = (why: "timeout" | "aborted" | "overflow") => {
    if (reason || pgid === undefined) return;
    reason = why;
    signalGroup(pgid, "SIGTERM");
    termTimer = setTimeout(() => signalGroup(pgid, "SIGKILL"), grace);
  };

  const onData = (decoder: StringDecoder) => (chunk: Buffer) => {
    if (reason === "overflow") return;
    let keep = chunk;
    if (bytes + chunk.length > opts.maxOutputBytes) keep = chunk.subarray(0, opts.maxOutputBytes - bytes);
    bytes += keep.length;
    if (keep.length > 0) {
      log.write(keep);
      if (opts.onLog) {
        const text = decoder.write(keep);
        if (text) opts.onLog(text);
      }
    }
    if (keep !== chunk) kill("overflow");
  };
  child.stdout?.on("data", onData(new StringDecoder("utf8")));
  child.stderr?.on("data", onData(new StringDecoder("utf8")));

  // No timer for a non-positive or infinite limit; Node fires a delay over 2^31-1 ms at once.
  const timer =
    opts.timeoutMs > 0 && Number.isFinite(opts.timeoutMs)
      ? setTimeout(() => kill("timeout"), Math.min(opts.timeoutMs, 2 ** 31 - 1))
      : undefined;
  const onAbort = () => kill("aborted");
  opts.signal.addEventListener("abort", onAbort, { once: true });

  const exited = await new Promise<{ code: number | null; sig: NodeJS.Signals | null } | { error: Error }>(
    (res) => {
      child.once("error", (error) => res({ error }));
      child.once("exit", (code, sig) => res({ code, sig }));
    },
  );
  clearTimeout(timer);
  opts.signal.removeEventListener("abort", onAbort);
  if (pgid !== undefined) {
    // The leader is gone: anything left in its group (background jobs) goes with it.
    if (termTimer) clearTimeout(termTimer);
    signalGroup(pgid, "SIGKILL");
    await groupGone(pgid, GROUP_GONE_MS);
    untrackGroup(pgid);
  }
  // Pipes close once every holder is dead; a process that left the group must not hold us forever.
  await Promise.race([
    Promise.all(
      [child.stdout, child.stderr].map(
        (s) => new Promise<void>((r) => (!s || s.destroyed ? r() : s.once("close", () => r()))),
      ),
    ),
    new Promise<void>((r) => setTimeout(r, 1_000).unref()),
  ]);
  child.stdout?.destroy();
  child.stderr?.destroy();
  log.end();
  await logClosed;

  if ("error" in exited) return { kind: "spawn-error", message: exited.error.message };
  if (reason) return { kind: reason };
  if (exited.code !== null) return { kind: "exited", exitCode: exited.code };
  return { kind: "signaled", signal: exited.sig ?? "unknown" };
}
