/**
 * The emulator's command line: `kfp-ts-emulator [options]` (this package's bin) and `kfp-ts emulator`
 * (the kfp-ts CLI forwards its arguments here). Runs the server until SIGINT/SIGTERM, or until the
 * process that started it goes away (unless `--no-exit-with-parent`).
 *
 * Exit codes: 0 stopped cleanly · 1 failed while running · 2 bad usage or input.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { EmulatorOptions } from "./http/server.js";
import { startServer } from "./http/server.js";

export const HELP = `Usage: kfp-ts-emulator [options]

Run a local KFP-compatible API server (no cluster needed). Prints its URL on stdout.

Options:
  -p, --port <port>            TCP port, 0 = any free port (default 8888)
  -H, --host <host>            interface to listen on (default 127.0.0.1)
      --db <file>              persist everything in this SQLite file (default: in memory)
      --multi-user             multi-user mode: identity from the kubeflow-userid header or a bearer token
      --users <file>           multi-user config (YAML/JSON): users, namespaces, tokens; implies --multi-user
      --userid-header <name>   multi-user identity header (default kubeflow-userid)
      --userid-prefix <text>   prefix stripped from the identity header value (default "")
      --admin-token <token>    multi-user: credential of the /_emulator/* control endpoints (or env
                               KFP_EMULATOR_ADMIN_TOKEN; without one they are closed in multi-user mode)
      --allow-loopback-urls    accept package URLs on loopback/private hosts (tests only)
      --allow-http-urls        accept http:// package URLs
      --tick-ms <ms>           simulated run speed: milliseconds per lifecycle step
      --fail-task <key>        make the named pipeline task fail in every run (repeatable)
      --fail-rate <ratio>      share of runs (0..1) in which a random task fails
      --seed <n>               seed for --fail-rate
      --inspector-size <n>     requests kept by the inspector (default 200)
      --execute                run each task of a run as a local process (runs code from uploaded
                               pipelines on this machine; loopback only unless --allow-remote-execute)
      --pipeline-root <dir>    execute mode: where task outputs go (default <db dir or tmp>/pipeline-root)
      --max-tasks <n>          execute mode: tasks running at once (default 4)
      --task-timeout <s>       execute mode: a task is killed after this many seconds (default 600)
      --allow-remote-execute   execute mode on a non-loopback --host (prints a warning)
      --no-exit-with-parent    keep running after the process that started it exits (default: stop)
      --no-ui                  do not serve the web UI at / (paths outside /apis/ then get Go's 404)
  -q, --quiet                  print only the URL
  -h, --help                   show this help

Example:
  npx kfp-ts-emulator --port 8888 --db ./kfp.db
`;

/** A usage error: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

const usersFileSchema = z.object({
  userIdHeader: z.string().min(1).optional(),
  userIdPrefix: z.string().optional(),
  sharedRead: z.boolean().optional(),
  requireNamespaceForPipelines: z.boolean().optional(),
  kfpNamespace: z.string().optional(),
  users: z
    .record(
      z.string(),
      z.object({
        namespaces: z.array(z.string()).optional(),
        tokens: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

function int(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  }
  return n;
}

function ratio(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`--fail-rate must be a number from 0 to 1, got "${v}"`);
  }
  return n;
}

async function loadUsersFile(file: string): Promise<z.infer<typeof usersFileSchema>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read --users file ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new UsageError(`--users file ${file} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  const parsed = usersFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--users file ${file}: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}

export interface ParsedCli {
  help: boolean;
  quiet: boolean;
  exitWithParent: boolean;
  options: EmulatorOptions;
}

/** Parse the emulator's arguments (without the program name) into start options. */
export async function parseEmulatorArgs(
  args: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<ParsedCli> {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string", short: "p" },
        host: { type: "string", short: "H" },
        db: { type: "string" },
        "multi-user": { type: "boolean" },
        users: { type: "string" },
        "userid-header": { type: "string" },
        "userid-prefix": { type: "string" },
        "admin-token": { type: "string" },
        "allow-loopback-urls": { type: "boolean" },
        "allow-http-urls": { type: "boolean" },
        "tick-ms": { type: "string" },
        "fail-task": { type: "string", multiple: true },
        "fail-rate": { type: "string" },
        seed: { type: "string" },
        "inspector-size": { type: "string" },
        execute: { type: "boolean" },
        "pipeline-root": { type: "string" },
        "max-tasks": { type: "string" },
        "task-timeout": { type: "string" },
        "allow-remote-execute": { type: "boolean" },
        "no-exit-with-parent": { type: "boolean" },
        "no-ui": { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const str = (k: string) => values[k] as string | undefined;
  const bool = (k: string) => values[k] === true;
  if (bool("help")) {
    return { help: true, quiet: false, exitWithParent: false, options: {} };
  }
  const lifecycle: Record<string, unknown> = {};
  const tickMs = int("--tick-ms", str("tick-ms"), 0, 600_000);
  if (tickMs !== undefined) lifecycle.tickMs = tickMs;
  const failTask = values["fail-task"] as string[] | undefined;
  if (failTask?.length) lifecycle.failTasks = failTask;
  const failRate = ratio(str("fail-rate"));
  if (failRate !== undefined) lifecycle.failRate = failRate;
  const seed = int("--seed", str("seed"), 0, 2 ** 31 - 1);
  if (seed !== undefined) lifecycle.seed = seed;
  const options: EmulatorOptions = {
    port: int("--port", str("port"), 0, 65535) ?? 8888,
    host: str("host") ?? "127.0.0.1",
    lifecycle,
    allowLoopbackUrls: bool("allow-loopback-urls"),
    allowHttpUrls: bool("allow-http-urls"),
    ui: !bool("no-ui"),
    // A request must never end the command's process: stray async errors are logged instead.
    safetyNet: true,
  };
  const db = str("db");
  if (db) options.db = db;
  const inspectorSize = int("--inspector-size", str("inspector-size"), 0, 100_000);
  if (inspectorSize !== undefined) options.inspectorSize = inspectorSize;
  if (bool("execute")) {
    options.execute = true;
    const root = str("pipeline-root");
    if (root !== undefined) {
      if (root.trim() === "") throw new UsageError("--pipeline-root must name a directory");
      options.pipelineRoot = root;
    }
    const maxTasks = int("--max-tasks", str("max-tasks"), 1, 256);
    const timeout = int("--task-timeout", str("task-timeout"), 1, 7 * 24 * 3600);
    options.executeLimits = {
      ...(maxTasks !== undefined ? { maxConcurrentTasks: maxTasks } : {}),
      ...(timeout !== undefined ? { taskTimeoutMs: timeout * 1000 } : {}),
    };
    if (bool("allow-remote-execute")) options.allowRemoteExecute = true;
    const host = options.host ?? "127.0.0.1";
    const loopback = host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
    if (!loopback && !options.allowRemoteExecute) {
      throw new UsageError(
        `--execute runs the code of uploaded pipelines, so it listens on loopback only; --host ${host} needs --allow-remote-execute`,
      );
    }
  } else {
    for (const flag of ["pipeline-root", "max-tasks", "task-timeout", "allow-remote-execute"]) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --execute`);
    }
  }
  const usersFile = str("users");
  const multiUserFile = usersFile ? await loadUsersFile(usersFile) : undefined;
  if (bool("multi-user") || multiUserFile !== undefined) {
    options.multiUser = {
      userIdHeader: str("userid-header") ?? "kubeflow-userid",
      userIdPrefix: str("userid-prefix") ?? "",
      ...(multiUserFile ?? {}),
    };
  }
  const adminToken = str("admin-token") ?? env.KFP_EMULATOR_ADMIN_TOKEN;
  if (adminToken !== undefined && adminToken !== "") {
    if (adminToken.length < 16) throw new UsageError("--admin-token must be at least 16 characters");
    options.adminToken = adminToken;
  }
  const exitWithParent = !bool("no-exit-with-parent");
  return { help: false, quiet: bool("quiet"), exitWithParent, options };
}

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/**
 * Run the emulator from the command line until a signal (or the parent's exit) stops it; resolves
 * with the exit code.
 */
export async function runEmulatorCli(
  args: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let parsed: ParsedCli;
  try {
    parsed = await parseEmulatorArgs(args);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`kfp-ts-emulator: ${err.message}\n(see --help)\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const { options: opts, quiet } = parsed;
  if (!quiet) {
    opts.logger = {
      debug() {},
      info: (msg: string) => io.stderr.write(`${msg}\n`),
      warn: (msg: string) => io.stderr.write(`warn: ${msg}\n`),
      error: (msg: string) => io.stderr.write(`error: ${msg}\n`),
    };
  }
  let emu: Awaited<ReturnType<typeof startServer>>;
  try {
    emu = await startServer(opts);
  } catch (err) {
    io.stderr.write(`kfp-ts-emulator: could not start: ${(err as Error).message}\n`);
    return 1;
  }
  io.stdout.write(`${emu.url}\n`);
  if (!quiet) {
    io.stderr.write(
      `KFP emulator listening on ${emu.url} (${opts.multiUser ? "multi-user" : "single-user"}, ${
        opts.db ? `SQLite ${opts.db}` : "in memory"
      }${opts.execute ? ", EXECUTE mode: tasks run as local processes" : ""})\n` +
        (opts.ui ? `  web UI:    ${emu.url}/\n` : "") +
        `  API:       ${emu.url}/apis/v2beta1/healthz\n` +
        `  inspector: ${emu.url}/_emulator/requests\n` +
        "Press Ctrl+C to stop.\n",
    );
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      clearInterval(parentWatch);
      if (!quiet) io.stderr.write(`\n${why}: shutting down\n`);
      emu.close().then(
        () => resolve(0),
        (err: unknown) => {
          io.stderr.write(`error while shutting down: ${(err as Error).message}\n`);
          resolve(1);
        },
      );
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
    // The parent going away: we are re-parented, so our parent pid changes.
    const parent = process.ppid;
    const parentWatch = setInterval(() => {
      if (parsed.exitWithParent && process.ppid !== parent) stop("parent process exited");
    }, 500);
    parentWatch.unref();
  });
}
