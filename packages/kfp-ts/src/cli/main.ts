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
import { App } from "./app.js";
import { configCommand } from "./commands/config.js";
import { doctorCommand } from "./commands/doctor.js";
import { experimentsCommand } from "./commands/experiments.js";
import { clientVersion, completionCommand, requestsCommand, versionCommand } from "./commands/misc.js";
import { pipelinesCommand } from "./commands/pipelines.js";
import { recurringRunsCommand } from "./commands/recurring-runs.js";
import { runsCommand } from "./commands/runs.js";
import { addDemoCommand } from "./demo-command.js";
import { addEmulatorCommand } from "./emulator-command.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { type IOStreams, systemIO } from "./io.js";

export { EXIT } from "./exit-codes.js";
export const EXIT_OK = EXIT.OK;
export const EXIT_FAILED = EXIT.FAILED;
export const EXIT_USAGE = EXIT.USAGE;

export function buildProgram(app: App): Command {
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
  for (const c of [
    pipelinesCommand(app),
    experimentsCommand(app),
    runsCommand(app),
    recurringRunsCommand(app),
    configCommand(app),
    doctorCommand(app),
    requestsCommand(app),
    versionCommand(app),
    completionCommand(app, () => program),
  ]) {
    program.addCommand(c as unknown as Command);
  }
  addEmulatorCommand(program);
  addDemoCommand(program);
  // Subcommands inherit the output streams and the error handling of the program.
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

/** Run the CLI with `args` (without node and the script) on `io`; resolves to the exit code. */
export async function runCli(args: readonly string[], io: IOStreams = systemIO()): Promise<number> {
  const app = new App(io);
  const program = buildProgram(app);
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

if (invokedDirectly()) {
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
