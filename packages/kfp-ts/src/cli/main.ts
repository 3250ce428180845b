#!/usr/bin/env node
/**
 * The `kfp-ts` command line: one entry point, `runCli(args, io)`, that takes the arguments and the
 * streams (the binary passes the process's; tests pass their own). Command modules register their
 * commands; none of them loads the library until a command runs, so `--help` stays cheap. Failures end
 * with the exit codes of exit-codes.ts.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { type AnyCommand, App } from "./app.js";
import { addDemoCommand } from "./demo-command.js";
import { addEmulatorCommand } from "./emulator-command.js";
import { EXIT, exitCodeFor, usageError } from "./exit-codes.js";
import { type IOStreams, systemIO } from "./io.js";
import { addUiCommand } from "./ui-command.js";
import { clientVersion } from "./version.js";

export { EXIT } from "./exit-codes.js";
export const EXIT_OK = EXIT.OK;
export const EXIT_FAILED = EXIT.FAILED;
export const EXIT_USAGE = EXIT.USAGE;

/**
 * The command groups, each loaded only when it runs: the others are stand-ins with the same name,
 * aliases and summary, enough for `kfp-ts --help` (a test holds the summaries equal to the modules').
 */
export const GROUPS: readonly {
  name: string;
  aliases: string[];
  summary: string;
  load: (app: App, root: () => Promise<Command>) => Promise<AnyCommand>;
}[] = [
  {
    name: "pipelines",
    aliases: ["pipeline"],
    summary: "pipelines and their versions: upload, publish (idempotent, for CI), list, get, download",
    load: async (app) => (await import("./commands/pipelines.js")).pipelinesCommand(app),
  },
  {
    name: "experiments",
    aliases: ["experiment"],
    summary: "experiments: create, list, get, archive, delete",
    load: async (app) => (await import("./commands/experiments.js")).experimentsCommand(app),
  },
  {
    name: "runs",
    aliases: ["run"],
    summary: "runs: create, list, get, wait, watch, terminate, retry, archive, delete",
    load: async (app) => (await import("./commands/runs.js")).runsCommand(app),
  },
  {
    name: "recurring-runs",
    aliases: ["recurring-run"],
    summary: "recurring runs (schedules): create, list, get, enable, disable, delete",
    load: async (app) => (await import("./commands/recurring-runs.js")).recurringRunsCommand(app),
  },
  {
    name: "config",
    aliases: [],
    summary: "saved contexts (server, namespace, credentials files) in $XDG_CONFIG_HOME/kfp-ts/config.yaml",
    load: async (app) => (await import("./commands/config.js")).configCommand(app),
  },
  {
    name: "doctor",
    aliases: [],
    summary: "check the connection to the current target and say what to fix",
    load: async (app) => (await import("./commands/doctor.js")).doctorCommand(app),
  },
  {
    name: "requests",
    aliases: [],
    summary: "what the emulator received (its request inspector; credentials redacted)",
    load: async (app) => (await import("./commands/misc.js")).requestsCommand(app),
  },
  {
    name: "version",
    aliases: [],
    summary: "the client's version and, when reachable, the server's",
    load: async (app) => (await import("./commands/misc.js")).versionCommand(app),
  },
  {
    name: "completion",
    aliases: [],
    summary: "print a shell completion script",
    load: async (app, root) => (await import("./commands/misc.js")).completionCommand(app, root),
  },
];

/** Global options that take a value (to find the group in the arguments without parsing them). */
const VALUE_FLAGS = new Set([
  "--host",
  "--endpoint",
  "-n",
  "--namespace",
  "--context",
  "--token",
  "--existing-token",
  "--token-file",
  "--ca-file",
  "--timeout",
  "--api-version",
  "-o",
  "--output",
]);

/** The first operand of the arguments (the group), skipping the global options and their values. */
export function requestedGroup(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") return args[i + 1];
    if (!a.startsWith("-") || a === "-") return a;
    if (VALUE_FLAGS.has(a)) i++;
  }
  return undefined;
}

/**
 * The program. `args` picks which group modules to load: the requested one (all of them for
 * `completion` and `help`); the other groups are stand-ins that only show in `--help`.
 */
export async function buildProgram(app: App, args?: readonly string[]): Promise<Command> {
  const wanted = args === undefined ? undefined : requestedGroup(args);
  const all = wanted === undefined ? args === undefined : wanted === "completion" || wanted === "help";
  const program = programShell(app);
  const root = () => buildProgram(app);
  for (const g of GROUPS) {
    const load = all || g.name === wanted || g.aliases.includes(wanted ?? "");
    const cmd = load
      ? await g.load(app, root)
      : new Command(g.name).aliases(g.aliases).description(g.summary);
    program.addCommand(cmd as unknown as Command);
  }
  addEmulatorCommand(program);
  addDemoCommand(program);
  addUiCommand(program, app);
  // Subcommands inherit the output streams and the error handling of the program.
  const io = app.io;
  const inherit = (c: Command, depth: number) => {
    if (depth > 4) return;
    c.exitOverride().configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
    c.showHelpAfterError("(add --help for usage)");
    for (const s of c.commands) inherit(s as Command, depth + 1);
  };
  for (const c of program.commands) inherit(c as Command, 0);
  return program;
}

function programShell(app: App): Command {
  const io = app.io;
  const program = new Command()
    .name("kfp-ts")
    .description(
      "Kubeflow Pipelines from the shell: pipelines, experiments, runs, schedules; a local emulator",
    )
    .version(clientVersion(), "--version", "print the client's version")
    .enablePositionalOptions()
    .addOption(new Option("--host <url>", "KFP API endpoint (env KFP_HOST, KF_PIPELINES_ENDPOINT)"))
    .addOption(new Option("--endpoint <url>", "same as --host (the official CLI's name)").hideHelp())
    .option("-n, --namespace <ns>", "namespace (env KFP_NAMESPACE)")
    .option("--context <name>", "use this saved context (kfp-ts config get-contexts)")
    .option("--token <token>", "bearer token (env KFP_TOKEN)")
    .addOption(new Option("--existing-token <token>", "same as --token (the official CLI's name)").hideHelp())
    .addOption(new Option("--iap-client-id <id>").hideHelp())
    .addOption(new Option("--other-client-id <id>").hideHelp())
    .addOption(new Option("--other-client-secret <secret>").hideHelp())
    .option(
      "--token-file <path>",
      "file holding a bearer token, re-read when it rotates (env KF_PIPELINES_SA_TOKEN_PATH)",
    )
    .option("--ca-file <path>", "CA certificate(s) (PEM) to verify the server")
    .option("--insecure", "skip TLS verification (test clusters only)")
    .option("--timeout <seconds>", "per-request timeout (default 60)")
    .option("--api-version <version>", "auto (default: the newest served), v2, v2beta1 or v1beta1")
    .option("-o, --output <format>", "table | wide | json | yaml | name (default table)")
    .option("-q, --quiet", "no progress or notes on stderr")
    .option("--no-color", "no colors (also NO_COLOR)")
    .option("--verbose", "log each request on stderr (secrets redacted)")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  program.hook("preSubcommand", (thisCommand) => {
    const o = thisCommand.opts() as Record<string, unknown>;
    if (o.endpoint !== undefined && o.host === undefined) thisCommand.setOptionValue("host", o.endpoint);
    if (o.existingToken !== undefined && o.token === undefined)
      thisCommand.setOptionValue("token", o.existingToken);
    if (o.iapClientId !== undefined || o.otherClientId !== undefined || o.otherClientSecret !== undefined) {
      // The official CLI's Google IAP / OAuth client flows: say what to use instead (usage error, exit 2).
      throw usageError(
        "--iap-client-id, --other-client-id and --other-client-secret (Google IAP / OAuth flows of the official CLI) are not supported: get a token (e.g. gcloud auth print-identity-token) and pass it with --token or --token-file",
      );
    }
  });
  program.addHelpText(
    "after",
    `
Examples:
  $ kfp-ts --host http://localhost:8888 pipelines list
  $ kfp-ts pipelines publish my-pipeline pipeline.yaml
  $ kfp-ts runs create -e nightly -p <pipeline-id> --wait epochs=3

Exit codes: 0 ok · 1 failed · 2 usage or bad input · 3 not found · 4 already exists ·
            5 not authenticated or not allowed · 6 run did not succeed · 7 timeout · 130 interrupted
`,
  );
  return program;
}

/** Run the CLI with `args` (without node and the script) on `io`; resolves to the exit code. */
export async function runCli(args: readonly string[], io: IOStreams = systemIO()): Promise<number> {
  const app = new App(io);
  const program = await buildProgram(app, args);
  try {
    await program.parseAsync([...args], { from: "user" });
    if (typeof process.exitCode === "number" && process.exitCode !== 0 && app.exitCode === 0)
      return process.exitCode;
    return app.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0; a group without a subcommand shows help.
      if (err.exitCode === 0 || err.code === "commander.help" || err.code === "commander.helpDisplayed")
        return EXIT.OK;
      return EXIT.USAGE;
    }
    const message = (err as Error)?.message ?? String(err);
    io.stderr.write(`kfp-ts: ${message}\n`);
    return exitCodeFor(err);
  }
}

/** The binary's entry: `argv` is process.argv. */
export async function main(argv: string[]): Promise<number> {
  return runCli(argv.slice(2));
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** `kfp-ts ... | head`: the reader went away; stop quietly, as other CLIs do (not a crash with a stack). */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? EXIT.OK);
    throw err;
  });
}

/**
 * Run as the `kfp-ts` program: the process's arguments and streams, its exit code. The published
 * binary (the bundle of scripts/bundle-cli.mjs) calls this; `node dist/cli/main.js` does too.
 */
export function runAsBinary(): void {
  exitQuietlyOnClosedPipe(process.stdout);
  exitQuietlyOnClosedPipe(process.stderr);
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`kfp-ts: ${String(err)}\n`);
      process.exitCode = EXIT.FAILED;
    },
  );
}

if (invokedDirectly()) runAsBinary();
