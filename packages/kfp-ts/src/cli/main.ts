#!/usr/bin/env node
/**
 * The `kfp-ts` command line. Subcommands live in their own modules; this file wires them together and
 * maps failures to stable exit codes:
 *   0 success · 1 the operation failed · 2 bad usage or input.
 */
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "@commander-js/extra-typings";
import { addDemoCommand } from "./demo-command.js";
import { addEmulatorCommand } from "./emulator-command.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function buildProgram(): Command {
  const program = new Command()
    .name("kfp-ts")
    .description("Kubeflow Pipelines from the shell: a local API emulator and the kfp-ts client")
    .version(version())
    .showHelpAfterError()
    .exitOverride();
  addEmulatorCommand(program);
  addDemoCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    process.stderr.write(`kfp-ts: ${(err as Error).message ?? String(err)}\n`);
    return EXIT_FAILED;
  }
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
      process.exitCode = EXIT_FAILED;
    },
  );
}
