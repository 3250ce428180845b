/**
 * The library as a browser gets it: `import ... from "kfp-ts"` built by Vite with the browser
 * conditions (the package's `#platform` import picks src/platform/web.ts, compiled in dist/), into one
 * ES module. The entry is written under node_modules/.cache so that "kfp-ts" resolves through the
 * workspace link to the built package, as in an application.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { build } from "vite";
import { ROOT } from "./build.js";

export interface WebBundle {
  /** Directory holding `kfp.js`. */
  dir: string;
  file: string;
  code: string;
  remove(): Promise<void>;
}

export async function buildWebBundle(): Promise<WebBundle> {
  const cache = path.join(ROOT, "node_modules/.cache");
  await mkdir(cache, { recursive: true });
  const work = await mkdtemp(path.join(cache, "kfp-ts-web-"));
  const entry = path.join(work, "entry.js");
  await writeFile(entry, 'export * from "kfp-ts";\n');
  const outDir = path.join(work, "out");
  await build({
    root: work,
    logLevel: "silent",
    configFile: false,
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      target: "es2022",
      lib: { entry, formats: ["es"], fileName: () => "kfp.js" },
    },
  });
  const file = path.join(outDir, "kfp.js");
  return {
    dir: outDir,
    file,
    code: await readFile(file, "utf8"),
    remove: () => rm(work, { recursive: true, force: true }),
  };
}
