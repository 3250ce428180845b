#!/usr/bin/env node
// `kfp-ts-emulator`: the emulator's own command (see cli.ts for the options).
import { runEmulatorCli } from "./cli.js";

runEmulatorCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`kfp-ts-emulator: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
