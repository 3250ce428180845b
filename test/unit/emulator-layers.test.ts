// The emulator's HTTP handlers (packages/emulator/src/api/) never touch the store: they parse the wire,
// convert wire <-> model and shape errors, and call packages/emulator/src/resource/ for every rule that
// reads or writes stored state. So no file under api/ uses `.store` (nor destructures `store` out of the
// request or app), nor imports storage/, store.ts or store-sqlite.ts.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const EMU_SRC = join(ROOT, "packages/emulator/src");
const API_DIR = join(EMU_SRC, "api");

// Files under api/ that may still reach the store, as repository paths. Empty on this branch. Reserved
// for the pipeline handlers (api/pipelines*.ts) while another branch splits them: the lead lists them
// here only if they still violate the rule after merging, and empties the list once they are split.
// Every entry must exist and still violate the rule, so the list cannot outlive its reason.
const ALLOWED: readonly string[] = [];

const STORE_MODULES = new Set(["packages/emulator/src/store.ts", "packages/emulator/src/store-sqlite.ts"]);
const STORAGE_DIR = "packages/emulator/src/storage/";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Strip comments so prose like "the store" or `ctx.store` in a doc comment does not count. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** Every way `text` (the file at `file`) reaches the store; empty when it does not. */
function storeUses(file: string, text: string): string[] {
  const src = code(text);
  const found: string[] = [];
  for (const m of src.matchAll(/\.\s*store\b/g)) found.push(`uses .store at offset ${m.index}`);
  for (const m of src.matchAll(/\{[^{}]*\bstore\b[^{}]*\}\s*=/g)) {
    found.push(`destructures store at offset ${m.index}`);
  }
  const specs = [...src.matchAll(/(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? "",
  );
  for (const s of specs.filter((x) => x.startsWith("."))) {
    const target = relative(ROOT, resolve(dirname(file), s)).replace(/\.js$/, ".ts");
    if (STORE_MODULES.has(target) || target.startsWith(STORAGE_DIR)) found.push(`imports ${s}`);
  }
  return found;
}

const api = files(API_DIR).map((f) => ({
  file: relative(ROOT, f),
  uses: storeUses(f, readFileSync(f, "utf8")),
}));

describe("emulator layers: api/ handlers never touch the store", () => {
  it("finds the handlers", () => {
    expect(api.map((f) => f.file)).toEqual(
      expect.arrayContaining([
        "packages/emulator/src/api/experiments.ts",
        "packages/emulator/src/api/recurring-runs.ts",
        "packages/emulator/src/api/runs.ts",
        "packages/emulator/src/api/v2-task-routes.ts",
      ]),
    );
  });

  it("the detector flags each way of reaching the store, and not prose", () => {
    const f = join(API_DIR, "x.ts");
    expect(storeUses(f, "const r = ctx.store.get(RUNS, id);")).toHaveLength(1);
    expect(storeUses(f, "const { store, now } = ctx;")).toHaveLength(1);
    expect(storeUses(f, 'import type { Store } from "../store.js";')).toEqual(["imports ../store.js"]);
    expect(storeUses(f, 'import { openSqlite } from "../store-sqlite.js";')).toHaveLength(1);
    expect(storeUses(f, 'import { open } from "../storage/open.js";')).toHaveLength(1);
    expect(storeUses(f, "/** reads ctx.store */\n// ctx.store too\nconst a = 1;")).toEqual([]);
    expect(storeUses(f, 'import { findRun } from "../resource/run-reads.js";')).toEqual([]);
  });

  it("no file under api/ uses .store or imports storage/, store.ts or store-sqlite.ts", () => {
    const bad = api
      .filter((f) => f.uses.length > 0 && !ALLOWED.includes(f.file))
      .map((f) => `${f.file}: ${f.uses.join(", ")}`);
    expect(bad).toEqual([]);
  });

  it("every allow-listed file exists and still reaches the store", () => {
    const stale = ALLOWED.filter((p) => !api.some((f) => f.file === p && f.uses.length > 0));
    expect(stale).toEqual([]);
  });
});
