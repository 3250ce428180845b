// The three parts share nothing but the repository: the library never imports the CLI or the emulator,
// the emulator never imports the library (it is an independent check), and the CLI reaches the library
// only through its public surface (src/index.ts) and the emulator through src/testing or src/emulator/index.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports of a file, resolved to paths under src/ (e.g. "core/errors.ts"). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(/(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g),
  ].map((m) => m[1] ?? m[2] ?? "");
  return specs
    .filter((s) => s.startsWith("."))
    .map((s) => relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, ".ts"));
}

const all = files(SRC).map((f) => ({ file: relative(SRC, f), imports: importsOf(f) }));
const part = (p: string) => p.split("/")[0] ?? "";
const LIBRARY = new Set(["index.ts", "client.ts", "core", "internal", "resources", "types"]);

describe("module boundaries", () => {
  it("finds the source tree", () => {
    expect(all.length).toBeGreaterThan(20);
    expect(all.some((f) => f.file.startsWith("emulator/"))).toBe(true);
  });

  it("the library never imports the CLI or the emulator", () => {
    const bad = all
      .filter((f) => LIBRARY.has(part(f.file)))
      .flatMap((f) =>
        f.imports
          .filter((i) => ["cli", "emulator", "testing"].includes(part(i)))
          .map((i) => `${f.file} → ${i}`),
      );
    expect(bad).toEqual([]);
  });

  it("the emulator never imports the library or the CLI", () => {
    const bad = all
      .filter((f) => part(f.file) === "emulator")
      .flatMap((f) => f.imports.filter((i) => part(i) !== "emulator").map((i) => `${f.file} → ${i}`));
    expect(bad).toEqual([]);
  });

  it("the CLI uses only the public surface of the library", () => {
    const allowed = new Set(["index.ts", "testing/index.ts", "emulator/index.ts"]);
    const bad = all
      .filter((f) => part(f.file) === "cli")
      .flatMap((f) =>
        f.imports.filter((i) => part(i) !== "cli" && !allowed.has(i)).map((i) => `${f.file} → ${i}`),
      );
    expect(bad).toEqual([]);
  });
});
