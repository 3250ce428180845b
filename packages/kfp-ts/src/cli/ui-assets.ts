/**
 * Where the built web UI is: `dist/ui/` of the kfp-ts package (index.html + assets/, written by the UI
 * package's build), found from this file's URL by walking up to the package root — so it works whether
 * the CLI runs from dist/cli/ or from a bundle elsewhere under the package. `KFP_TS_UI_DIR` (or the
 * `--assets` option) points elsewhere (tests, a development build).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The UI is not built (or the directory given does not hold it). */
export class UiAssetsMissingError extends Error {
  override name = "UiAssetsMissingError";
}

/** The kfp-ts package root above `from` (a directory whose package.json is named kfp-ts), bounded. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "kfp-ts") return dir;
      } catch {
        // Not a package.json we can read: keep walking up.
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * The directory of the built UI (it holds index.html). `override`: a directory given by option or
 * environment. Throws UiAssetsMissingError saying how to build it.
 */
export function uiAssetsDir(override?: string): string {
  if (override) {
    const dir = resolve(override);
    if (!isFile(join(dir, "index.html"))) {
      throw new UiAssetsMissingError(`no index.html in ${dir} (given by --assets or KFP_TS_UI_DIR)`);
    }
    return dir;
  }
  const root = packageRoot();
  const dir = root ? join(root, "dist", "ui") : undefined;
  if (!dir || !isFile(join(dir, "index.html"))) {
    throw new UiAssetsMissingError(
      `the web UI is not built${dir ? ` (no ${join(dir, "index.html")})` : ""}: run "npm run build" at the repository root (it builds packages/ui into packages/kfp-ts/dist/ui), or point KFP_TS_UI_DIR at a built UI`,
    );
  }
  return dir;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
