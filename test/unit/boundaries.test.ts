// The parts share nothing but the repository. Two packages:
// - `kfp-ts` (packages/kfp-ts): the library and the CLI. The library never imports the CLI; the CLI
//   reaches the library only through its public surface (src/index.ts) and the emulator only through
//   the separate `kfp-ts-emulator` package, loaded on demand (never a static import, so installing the
//   client pulls no server code).
// - `kfp-ts-emulator` (packages/emulator): never imports the library (it is an independent check of
//   the client) nor anything outside its own package.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const LIB_SRC = join(ROOT, "packages/kfp-ts/src");
const EMU_SRC = join(ROOT, "packages/emulator/src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

interface Imports {
  file: string;
  /** Relative imports, resolved to repository paths (e.g. "packages/kfp-ts/src/core/errors.ts"). */
  local: string[];
  /** Bare package specifiers imported statically. */
  packages: string[];
}

function importsOf(file: string): Imports {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(/(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g),
  ].map((m) => m[1] ?? m[2] ?? "");
  return {
    file: relative(ROOT, file),
    local: specs
      .filter((s) => s.startsWith("."))
      .map((s) => relative(ROOT, resolve(dirname(file), s)).replace(/\.js$/, ".ts")),
    // `#platform` is the package's own conditional import (package.json "imports"), not a dependency.
    packages: specs.filter((s) => !s.startsWith(".") && !s.startsWith("node:") && !s.startsWith("#")),
  };
}

const lib = files(LIB_SRC).map(importsOf);
const emu = files(EMU_SRC).map(importsOf);
const isCli = (p: string) => p.startsWith("packages/kfp-ts/src/cli/");
const pkgName = (spec: string) =>
  spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? "");

describe("package boundaries", () => {
  it("finds both source trees", () => {
    expect(lib.length).toBeGreaterThan(20);
    expect(emu.length).toBeGreaterThan(20);
  });

  it("the library never imports the CLI or the emulator", () => {
    const bad = lib
      .filter((f) => !isCli(f.file))
      .flatMap((f) => [
        ...f.local
          .filter((i) => isCli(i) || !i.startsWith("packages/kfp-ts/src/"))
          .map((i) => `${f.file} → ${i}`),
        ...f.packages.filter((p) => pkgName(p) === "kfp-ts-emulator").map((p) => `${f.file} → ${p}`),
      ]);
    expect(bad).toEqual([]);
  });

  it("the emulator never imports the library, the CLI, or anything outside its package", () => {
    const bad = emu.flatMap((f) => [
      ...f.local.filter((i) => !i.startsWith("packages/emulator/src/")).map((i) => `${f.file} → ${i}`),
      ...f.packages.filter((p) => pkgName(p) === "kfp-ts").map((p) => `${f.file} → ${p}`),
    ]);
    expect(bad).toEqual([]);
  });

  it("the CLI uses only the public surface of the library and never imports the emulator statically", () => {
    const bad = lib
      .filter((f) => isCli(f.file))
      .flatMap((f) => [
        ...f.local
          .filter((i) => !isCli(i) && i !== "packages/kfp-ts/src/index.ts")
          .map((i) => `${f.file} → ${i}`),
        ...f.packages.filter((p) => pkgName(p) === "kfp-ts-emulator").map((p) => `${f.file} → ${p}`),
      ]);
    expect(bad).toEqual([]);
  });

  it("each package depends only on what its own code imports; the library has no server dependency", () => {
    const deps = (dir: string) =>
      Object.keys(
        (JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8")) as { dependencies?: object })
          .dependencies ?? {},
      ).sort();
    // Bare specifiers in doc comments name the package itself; commander is the peer of its typings.
    const used = (list: Imports[], self: string, peers: string[] = []) =>
      [...new Set([...list.flatMap((f) => f.packages.map(pkgName)), ...peers])]
        .filter((p) => p !== "kfp-ts-emulator" && p !== self)
        .sort();
    expect(deps("packages/kfp-ts")).toEqual(used(lib, "kfp-ts", ["commander"]));
    // The emulator's shipped .d.ts import busboy, so its typings are a dependency too (checked by
    // test/e2e/package-types.test.ts, which compiles a consumer with skipLibCheck off).
    expect(deps("packages/emulator")).toEqual(used(emu, "kfp-ts-emulator", ["@types/busboy"]));
    expect(deps("packages/kfp-ts")).not.toContain("better-sqlite3");
    expect(deps("packages/kfp-ts")).not.toContain("busboy");
  });
});
