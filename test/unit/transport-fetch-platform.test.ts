/**
 * The platform split: `import { Kfp } from "kfp-ts"` bundles for a browser (Vite, browser conditions)
 * with no node builtin and no undici in the output, and that bundle — the web platform — works: it is
 * loaded here (Node has fetch, web streams, Web Crypto and DecompressionStream too) and talks to the
 * emulator over real HTTP. Also: the web platform's byte helpers against Node's, and the rule that
 * nothing outside src/platform/ imports a node builtin or undici at run time.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { deflateRawSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { platform as web } from "../../packages/kfp-ts/src/platform/web.js";
import { ROOT } from "../helpers/build.js";
import { specYaml } from "../helpers/specs.js";
import { buildWebBundle, type WebBundle } from "../helpers/web-bundle.js";

const LIB_SRC = path.join(ROOT, "packages/kfp-ts/src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("the platform seam", () => {
  it("only src/platform/ (and the CLI) imports node builtins or undici at run time", () => {
    const bad: string[] = [];
    for (const file of sourceFiles(LIB_SRC)) {
      const rel = path.relative(LIB_SRC, file);
      if (rel.startsWith("platform/") || rel.startsWith("cli/")) continue;
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gm)) {
        const spec = m[3] as string;
        if (m[2]) continue; // type-only: erased
        if (spec.startsWith("node:") || spec === "undici") bad.push(`${rel} → ${spec}`);
      }
      if (/\bBuffer\.|\bprocess\./.test(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ""))) {
        bad.push(`${rel} uses Buffer or process`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("the web platform's bytes, hashes and inflate agree with Node's", async () => {
    const samples = ["", "abc", "héllo wörld ✓ 😀", "x".repeat(1000), "\ud800 lone surrogate"];
    for (const s of samples) {
      expect(web.utf8Length(s)).toBe(Buffer.byteLength(s, "utf8"));
      expect(Buffer.from(web.utf8Encode(s)).equals(Buffer.from(s, "utf8"))).toBe(true);
      expect(web.sha256Hex(s)).toBe(createHash("sha256").update(s).digest("hex"));
    }
    for (const n of [0, 55, 56, 63, 64, 65, 1000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 31) & 0xff);
      expect(web.sha256Hex(bytes)).toBe(createHash("sha256").update(bytes).digest("hex"));
    }
    const into = new Uint8Array(40);
    expect(web.utf8Write(into, "héllo", 3)).toBe(6);
    expect(web.utf8Decode(into, 3, 9)).toBe("héllo");
    expect(web.utf8Decode(web.fromBase64(Buffer.from("a b ✓").toString("base64")))).toBe("a b ✓");
    expect(web.randomHex(12)).toMatch(/^[0-9a-f]{24}$/);
    const text = "pipelineInfo:\n  name: p\n".repeat(50);
    expect(web.utf8Decode(await web.decompress("deflate-raw", deflateRawSync(text), 1 << 20))).toBe(text);
    expect(web.utf8Decode(await web.decompress("gzip", gzipSync(text), 1 << 20))).toBe(text);
    await expect(web.decompress("gzip", gzipSync(text), 100)).rejects.toThrow(/more than 100 bytes/);
    expect(web.basename("a/b/pipeline.yaml")).toBe("pipeline.yaml");
    expect(web.env()).toEqual({});
  });

  it("the web platform refuses what needs files, with what to pass instead", async () => {
    await expect(
      web.readPath("/tmp/p.yaml", { check: () => undefined, syncRead: 1, inMemory: 1 }),
    ).rejects.toMatchObject({
      name: "ValidationError",
      field: "path",
      message: expect.stringContaining("pass the package as a File or Blob"),
    });
    expect(() => web.readCaFile("/etc/ca.pem")).toThrow(/ca as a file path needs a file system/);
    expect(() => web.connections.settings({ timeout: 1000, insecure: true }, {})).toThrow(
      /ca and insecure apply to the Node transport/,
    );
  });
});

describe("a browser bundle of kfp-ts (Vite, browser conditions)", () => {
  let bundle: WebBundle;
  let code: string;
  let emu: Emulator;

  beforeAll(async () => {
    bundle = await buildWebBundle();
    code = bundle.code;
    emu = await startEmulator();
  }, 120_000);

  afterAll(async () => {
    await emu?.close();
    await bundle?.remove();
  });

  it("contains no node: import, no undici, no Buffer and no process", () => {
    expect(code.length).toBeGreaterThan(50_000);
    expect(code).not.toMatch(/from\s*["']node:|import\(["']node:|require\(["']node:/);
    expect(code).not.toMatch(/(from|import\(|require\()\s*["']undici/);
    expect(code).not.toMatch(/\bBuffer\.(from|alloc|isBuffer|concat|byteLength)\b/);
    expect(code).not.toMatch(/\bprocess\.(env|versions)\b/);
    expect(code).toContain("class FetchConnector");
    expect(code).not.toContain("class UndiciConnector");
  });

  it("runs: lists, uploads a Blob and a web stream, hashes, refuses a path", async () => {
    const mod = (await import(
      pathToFileURL(bundle.file).href
    )) as typeof import("../../packages/kfp-ts/src/index.js");
    const kfp = new mod.Kfp({ host: emu.url, logLevel: "off" });
    expect(kfp.toJSON()).toMatchObject({ transport: "fetch" });
    const name = `web-bundle-${Date.now()}`;
    const blob = new Blob([specYaml(name)], { type: "application/x-yaml" });
    const p = await kfp.pipelines.upload(blob, { name, filename: "p.yaml" });
    expect(p.display_name).toBe(name);
    const stream = new Blob([specYaml(`${name}-2`)]).stream();
    const v = await kfp.pipelines.uploadVersion(stream, { pipeline_id: p.pipeline_id, name: `${name}-v2` });
    expect(v.pipeline_id).toBe(p.pipeline_id);
    const page = await kfp.pipelines.list({ page_size: 100 });
    expect(page.items.map((x) => x.pipeline_id)).toContain(p.pipeline_id);
    expect(mod.specHash({ pipelineInfo: { name: "a" }, root: {} })).toMatch(/^[0-9a-f]{64}$/);
    await expect(kfp.pipelines.upload({ path: "/tmp/pipeline.yaml" }, { name })).rejects.toThrow(
      mod.ValidationError,
    );
    await kfp.close();
  });
});
