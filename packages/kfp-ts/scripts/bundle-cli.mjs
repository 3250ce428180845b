// Bundles the CLI for a fast cold start: `dist/bin/kfp-ts.js`, the package's `bin`, and its chunks,
// from the compiled dist/ (run after tsc; `npm run build` runs both).
//
// Why: unbundled, a one-shot `kfp-ts pipelines list` reads, parses and links ~50 ES modules (the CLI's,
// commander's, the library's) and undici's ~100 CommonJS files, which costs more than the request.
// Bundled, the program is a few files: the entry, one chunk per command group (esbuild keeps each
// `import()` of main.ts a chunk, so `--help` still loads no group, no library and no undici), and the
// library with the part of undici it uses. yaml stays a `require` made when YAML is read or written,
// and the emulator an `import()` of the optional peer package: both resolve from the installed package.
//
//   node scripts/bundle-cli.mjs
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(pkgDir, "dist");
const outdir = join(dist, "bin");

/**
 * The undici exports the library may import, and the module of undici that defines each. The library
 * (internal/dispatcher.ts) builds its own Agent; undici's index also loads fetch, WebSocket, the cache,
 * mocks and more, none of which the CLI uses. When the compiled library imports anything else from
 * undici, the whole of undici is bundled instead (and this says so).
 */
const UNDICI_PARTS = {
  Agent: "undici/lib/dispatcher/agent.js",
  EnvHttpProxyAgent: "undici/lib/dispatcher/env-http-proxy-agent.js",
};

/** The names the compiled library imports from "undici" (null: a form this cannot read, e.g. `* as`). */
function undiciImports() {
  const names = new Set();
  const walk = (dir, depth) => {
    if (depth > 8) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (p !== outdir) walk(p, depth + 1);
        continue;
      }
      if (!e.name.endsWith(".js")) continue;
      const text = readFileSync(p, "utf8");
      for (const m of text.matchAll(/\b(?:import|export)\s*([^;]*?)\s*from\s*["']undici["']/g)) {
        const clause = (m[1] ?? "").trim();
        const braces = /^\{([^}]*)\}$/.exec(clause);
        if (!braces) {
          names.add(null);
          continue;
        }
        for (const part of (braces[1] ?? "").split(",")) {
          const name = part.trim().split(/\s+as\s+/)[0];
          if (name) names.add(name);
        }
      }
      if (/\b(?:import|require)\(\s*["']undici["']\s*\)/.test(text)) names.add(null);
    }
  };
  walk(dist, 0);
  return names;
}

const wanted = undiciImports();
const partsOnly = [...wanted].every((n) => n !== null && Object.hasOwn(UNDICI_PARTS, n));
if (!partsOnly) {
  const other = [...wanted].map((n) => n ?? "(a whole-module import)").filter((n) => !Object.hasOwn(UNDICI_PARTS, n));
  console.warn(`bundle-cli: the library imports ${other.join(", ")} from undici: bundling all of undici`);
}

/** `import ... from "undici"` in the library → a module exporting only the parts it imports. */
const undiciParts = {
  name: "undici-parts",
  setup(b) {
    if (!partsOnly) return;
    b.onResolve({ filter: /^undici$/ }, () => ({ path: "undici-parts", namespace: "kfp-ts-bundle" }));
    b.onLoad({ filter: /^undici-parts$/, namespace: "kfp-ts-bundle" }, () => ({
      contents: `module.exports = {\n${[...wanted].map((n) => `  ${n}: require(${JSON.stringify(UNDICI_PARTS[n])}),`).join("\n")}\n};\n`,
      resolveDir: pkgDir,
      loader: "js",
    }));
  },
};

/**
 * The entry: turn on Node's compile cache where Node has it (22.1+; V8's compiled code of the chunks
 * is kept on disk between runs, under the OS temp directory, as Node documents; NODE_DISABLE_COMPILE_CACHE
 * turns it off), then load the program. The cache applies to modules loaded after the call, hence the
 * `import()`.
 */
const binEntry = {
  name: "bin-entry",
  setup(b) {
    b.onResolve({ filter: /^kfp-ts-bin$/ }, () => ({ path: "kfp-ts-bin", namespace: "kfp-ts-bundle" }));
    b.onLoad({ filter: /^kfp-ts-bin$/, namespace: "kfp-ts-bundle" }, () => ({
      contents: [
        "#!/usr/bin/env node",
        'import module from "node:module";',
        "module.enableCompileCache?.();",
        'const { runAsBinary } = await import("./main.js");',
        "runAsBinary();",
        "",
      ].join("\n"),
      resolveDir: join(dist, "cli"),
      loader: "js",
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: pkgDir,
  entryPoints: { "kfp-ts": "kfp-ts-bin" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  // The library's platform seam (`#platform` imports) resolves to its Node implementation.
  conditions: ["node"],
  // Chunks sit beside the entry, two levels under the package like dist/cli/: modules that find files
  // from `import.meta.url` (the package's package.json, examples/) find the same ones.
  chunkNames: "chunk-[hash]",
  external: ["kfp-ts-emulator", "yaml"],
  plugins: [binEntry, undiciParts],
  // CommonJS dependencies (commander, undici) call `require` for Node's modules: give each chunk one.
  banner: {
    js: 'import { createRequire as __kfpTsCreateRequire } from "node:module";\nconst require = __kfpTsCreateRequire(import.meta.url);',
  },
  legalComments: "none",
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
});

// The bundled packages' licences (MIT and others ask that their notices travel with their code).
const bundled = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m && !bundled.has(m[1])) bundled.set(m[1], JSON.parse(readFileSync(join(pkgDir, m[1], "package.json"), "utf8")));
}
const notices = [...bundled]
  .sort((a, b) => a[1].name.localeCompare(b[1].name))
  .map(([dir, pkg]) => {
    const licence = readdirSync(join(pkgDir, dir)).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    if (!licence) throw new Error(`bundle-cli: ${pkg.name} has no licence file to ship with its code`);
    const text = readFileSync(join(pkgDir, dir, licence), "utf8").trim();
    return `${pkg.name} ${pkg.version} (${pkg.license})\n\n${text}\n`;
  });
writeFileSync(
  join(outdir, "THIRD-PARTY-LICENSES.txt"),
  `The kfp-ts binary (dist/bin/) bundles code of these packages, under their licences:\n\n${notices.join(`\n${"-".repeat(72)}\n\n`)}`,
);

const files = Object.keys(result.metafile.outputs).map((f) => relative(pkgDir, join(pkgDir, f)));
const entry = join(outdir, "kfp-ts.js");
if (!statSync(entry).isFile()) throw new Error(`bundle-cli: ${entry} was not written`);
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(
  `bundle-cli: ${relative(pkgDir, entry)} and ${files.length - 1} chunks, ${Math.round(bytes / 1024)} KiB` +
    (partsOnly ? ` (undici: ${[...wanted].join(", ")})` : " (all of undici)"),
);
