/**
 * `kfp-ts emulator [options]`: runs the local KFP-compatible API server from the `kfp-ts-emulator`
 * package (its options and help are that package's: `kfp-ts emulator --help`).
 */
import type { Command } from "@commander-js/extra-typings";
import { loadEmulatorCli } from "./emulator-package.js";

export function addEmulatorCommand(program: Command): void {
  program
    .command("emulator")
    .description("run a local KFP-compatible API server (no cluster needed; package kfp-ts-emulator)")
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument("[options...]", "the emulator's options (kfp-ts emulator --help lists them)")
    .action(async (args) => {
      const { runEmulatorCli } = await loadEmulatorCli();
      process.exitCode = await runEmulatorCli(args);
    });
}
