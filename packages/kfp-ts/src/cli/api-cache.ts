/**
 * Which API version a server serves, remembered for 10 minutes per host (like kubectl's discovery
 * cache), so a one-shot command does not probe healthz before its real request. The file lives in
 * `$XDG_CACHE_HOME/kfp-ts/api-versions.json` (default `~/.cache/...`); `--api-version` bypasses it; a
 * 404 while a remembered version was used forgets it, so the next command probes again.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { IOStreams } from "./io.js";

const TTL_MS = 10 * 60_000;
type Entries = Record<string, { version: string; at: number }>;

function cacheFile(io: Pick<IOStreams, "env" | "homeDir">): string | undefined {
  if (io.env.KFP_TS_NO_CACHE) return undefined;
  const base = io.env.XDG_CACHE_HOME || join(io.homeDir, ".cache");
  return join(base, "kfp-ts", "api-versions.json");
}

function read(file: string): Entries {
  try {
    const v = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Entries) : {};
  } catch {
    return {};
  }
}

/** The remembered version for a host, when fresh. */
export function cachedApiVersion(
  io: Pick<IOStreams, "env" | "homeDir">,
  host: string,
  now = Date.now(),
): string | undefined {
  const file = cacheFile(io);
  if (!file) return undefined;
  const e = read(file)[host];
  if (!e || typeof e.version !== "string" || !(now - e.at < TTL_MS) || e.at > now) return undefined;
  return ["v2", "v2beta1", "v1beta1"].includes(e.version) ? e.version : undefined;
}

/** Remember (or, with `undefined`, forget) a host's version. Failures to write are ignored: it is a cache. */
export function rememberApiVersion(
  io: Pick<IOStreams, "env" | "homeDir">,
  host: string,
  version: string | undefined,
  now = Date.now(),
): void {
  const file = cacheFile(io);
  if (!file) return;
  try {
    const entries = read(file);
    if (version === undefined) delete entries[host];
    else entries[host] = { version, at: now };
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entries), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      rmSync(`${file}.${process.pid}.tmp`, { force: true });
    } catch {
      // nothing to clean
    }
  }
}
