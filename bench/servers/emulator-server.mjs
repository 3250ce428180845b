// The kfp-ts emulator (built, from packages/emulator/dist) in its own process, with its default settings
// (in-memory store, single-user, request inspector on).
//
// Usage: node bench/servers/emulator-server.mjs
// Prints `@@BENCH {"port":N}` once listening; exits on SIGTERM/SIGINT or when its parent goes away.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT, report, watchParent } from "../lib/common.mjs";

const { startEmulator } = await import(
  pathToFileURL(resolve(REPO_ROOT, "packages/emulator/dist/index.js")).href
);
const emu = await startEmulator({ port: 0, host: "127.0.0.1" });
report({ port: emu.port, pid: process.pid, url: emu.url });

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  setTimeout(() => process.exit(0), 3000).unref();
  try {
    await emu.close();
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
watchParent(shutdown);
