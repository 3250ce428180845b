/**
 * The packages as npm ships them: `npm pack` each one, install the tarballs into a scratch project next
 * to only their declared dependencies, and compile a consumer against the shipped .d.ts with
 * skipLibCheck off. Also what the tarballs hold: licence, changelog, readme, no source maps, no
 * internals in the types.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/build.js";

const PACKAGES = [
  { name: "kfp-ts", dir: "packages/kfp-ts" },
  { name: "kfp-ts-emulator", dir: "packages/emulator" },
];

let scratch: string;
const packed = new Map<string, { files: string[]; warnings: string }>();

function sh(cmd: string, args: string[], cwd: string): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  // dist/ is built by vitest's global setup (test/helpers/build.ts).
  scratch = await mkdtemp(path.join(tmpdir(), "kfp-ts-consumer-"));
  const modules = path.join(scratch, "node_modules");
  await mkdir(modules);
  const deps = new Set<string>(["@types/node"]);
  for (const p of PACKAGES) {
    const r = sh("npm", ["pack", "--json", "--pack-destination", scratch], path.join(ROOT, p.dir));
    const [info] = JSON.parse(r.stdout) as [{ filename: string; files: { path: string }[] }];
    packed.set(p.name, { files: info.files.map((f) => f.path), warnings: r.stderr });
    const target = path.join(modules, p.name);
    await mkdir(target, { recursive: true });
    sh("tar", ["-xzf", path.join(scratch, info.filename), "-C", target, "--strip-components=1"], scratch);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, p.dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    for (const d of Object.keys(pkg.dependencies ?? {})) deps.add(d);
  }
  // Only the declared dependencies are visible to the consumer (linked from the workspace's install).
  for (const d of deps) {
    const link = path.join(modules, d);
    await mkdir(path.dirname(link), { recursive: true });
    if (!existsSync(link)) await symlink(path.join(ROOT, "node_modules", d), link, "dir");
  }
}, 180_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("the packed packages", () => {
  it("compile in a strict consumer with skipLibCheck: false", () => {
    writeFileSync(
      path.join(scratch, "consumer.ts"),
      `import { Kfp, fromPath, runFilter, type Run, type Page, PagePromise, ValidationError } from "kfp-ts";
import { startEmulator, type Emulator } from "kfp-ts-emulator";

export async function main(): Promise<string> {
  const emu: Emulator = await startEmulator();
  const kfp = new Kfp({ host: emu.url });
  const page: Page<Run> = await kfp.runs.list({ filter: runFilter().eq("state", "SUCCEEDED") }, { timeout: 1000 });
  const versions: PagePromise<unknown> = kfp.pipelines.versions.list("p", { page_size: 1 });
  const id: string = page.items[0]?.run_id ?? "";
  await kfp.pipelines.publish("x", fromPath("p.yaml"), { version_name: "v1" }).catch((e: unknown) => e instanceof ValidationError);
  // @ts-expect-error internals are not part of the published types
  kfp._send;
  await kfp.close();
  await emu.close();
  return id + String(versions instanceof Promise);
}
`,
    );
    writeFileSync(
      path.join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2023",
          lib: ["ES2023"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
          types: ["node"],
        },
        files: ["consumer.ts"],
      }),
    );
    writeFileSync(path.join(scratch, "package.json"), JSON.stringify({ type: "module", private: true }));
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", scratch],
      {
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.status).toBe(0);
  });

  it.each(PACKAGES)(
    "$name ships LICENSE, README, CHANGELOG and dist without source maps or sources",
    ({ name }) => {
      const p = packed.get(name);
      expect(p).toBeDefined();
      const files = p?.files ?? [];
      expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "CHANGELOG.md", "package.json"]));
      expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
      expect(files.filter((f) => f.startsWith("src/"))).toEqual([]);
      expect(p?.warnings ?? "").not.toMatch(/warn/i);
      const licence = readFileSync(path.join(scratch, "node_modules", name, "LICENSE"), "utf8");
      expect(licence.split("\n")[0]).toBe("Copyright 2026 the kfp-ts authors");
      expect(licence).toContain("Apache License");
      const manifest = JSON.parse(
        readFileSync(path.join(scratch, "node_modules", name, "package.json"), "utf8"),
      );
      expect(manifest.repository).toMatchObject({ type: "git" });
      for (const bin of Object.values((manifest.bin ?? {}) as Record<string, string>)) {
        expect(files).toContain(bin.replace(/^\.\//, ""));
      }
    },
  );
});
