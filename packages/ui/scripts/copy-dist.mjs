#!/usr/bin/env node
// Copies the built UI (packages/ui/dist) to the two packages that serve it: the emulator
// (packages/emulator/dist/ui, served at /) and the library's CLI (packages/kfp-ts/dist/ui, served by
// `kfp-ts ui --host`). Run by `npm run build -w kfp-ts-ui` after `vite build`.
import { cpSync, existsSync, rmSync } from "node:fs";
import path from "node:path";

const ui = path.resolve(import.meta.dirname, "..");
const from = path.join(ui, "dist");
if (!existsSync(path.join(from, "index.html"))) {
  console.error(`copy-dist: ${from}/index.html is missing: run vite build first`);
  process.exit(1);
}
for (const pkg of ["emulator", "kfp-ts"]) {
  const to = path.resolve(ui, "..", pkg, "dist", "ui");
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
  console.log(`copy-dist: ${path.relative(path.resolve(ui, "../.."), to)}`);
}
