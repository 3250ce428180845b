import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { needs } from "../../helpers/needs.js";

export const repoRoot = resolve(import.meta.dirname, "../../..");
export const sharedPipelines = resolve(repoRoot, "../shared/kfp-api/pipelines");
export const hasShared = needs(existsSync(sharedPipelines), sharedPipelines);

/** All files under `dir` (recursive), relative paths sorted. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(full).isDirectory()) walk(full, r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out;
}
