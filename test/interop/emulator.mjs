#!/usr/bin/env node
// Starts the kfp-ts emulator for the interop tests (pytest fixtures spawn one per mode).
//
//   node test/interop/emulator.mjs '<options as JSON>'
//
// The options object goes to `startEmulator()` as is (`port` defaults to 0 and `host` to 127.0.0.1).
// It may also come from the environment variable KFP_EMULATOR_OPTIONS. When the emulator listens, one
// JSON line `{"url": "http://127.0.0.1:<port>"}` is written to stdout. The process stops the emulator
// and exits on SIGTERM, SIGINT, or when its stdin is closed (so it never outlives the test run).
import { startEmulator } from "../../packages/emulator/dist/index.js";

function fail(message) {
  process.stderr.write(`emulator.mjs: ${message}\n`);
  process.exit(2);
}

const raw = process.argv[2] ?? process.env.KFP_EMULATOR_OPTIONS ?? "{}";
let options;
try {
  options = JSON.parse(raw);
} catch (err) {
  fail(`options are not valid JSON: ${err.message}`);
}
if (options === null || typeof options !== "object" || Array.isArray(options)) {
  fail("options must be a JSON object");
}

let emulator;
try {
  emulator = await startEmulator({ host: "127.0.0.1", port: 0, ...options });
} catch (err) {
  fail(`could not start: ${err?.stack ?? err}`);
}

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => process.exit(code), 5000);
  timer.unref();
  try {
    await emulator.close();
  } catch (err) {
    process.stderr.write(`emulator.mjs: close failed: ${err?.message ?? err}\n`);
  }
  process.exit(code);
}

process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
process.stdin.on("end", () => void stop(0));
process.stdin.on("error", () => void stop(0));
process.stdin.resume();

process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
