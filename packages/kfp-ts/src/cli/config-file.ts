/**
 * Saved contexts, like kubectl's: one file, `$XDG_CONFIG_HOME/kfp-ts/config.yaml` (default
 * `~/.config/kfp-ts/config.yaml`; `KFP_TS_CONFIG` names another), written with mode 0600.
 *
 * The file is YAML. We write it in JSON syntax (a JSON document is a YAML document) so the common case
 * reads with `JSON.parse`; a file edited by hand into block YAML is read with the `yaml` package.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { usageError } from "./exit-codes.js";
import type { IOStreams } from "./io.js";

export interface ContextSettings {
  host?: string;
  namespace?: string;
  "token-file"?: string;
  "ca-file"?: string;
  insecure?: boolean;
  /** Per-attempt request timeout, in seconds. */
  timeout?: number;
}

export interface ConfigFile {
  "current-context"?: string;
  contexts: Record<string, ContextSettings>;
}

const KEYS: ReadonlySet<string> = new Set([
  "host",
  "namespace",
  "token-file",
  "ca-file",
  "insecure",
  "timeout",
]);

export function configPath(io: Pick<IOStreams, "env" | "homeDir">): string {
  const explicit = io.env.KFP_TS_CONFIG;
  if (explicit) return explicit;
  const base = io.env.XDG_CONFIG_HOME || join(io.homeDir, ".config");
  return join(base, "kfp-ts", "config.yaml");
}

function parse(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      const yaml = createRequire(import.meta.url)("yaml") as typeof import("yaml");
      return yaml.parse(text);
    } catch (err) {
      throw usageError(
        `${file} is not valid YAML (${(err as Error).message.split("\n")[0]}): fix or delete it`,
      );
    }
  }
}

/** The config file's contents; an empty config when there is no file. */
export function readConfig(io: Pick<IOStreams, "env" | "homeDir">): ConfigFile {
  const file = configPath(io);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { contexts: {} };
    throw usageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (text.trim() === "") return { contexts: {} };
  const raw = parse(text, file);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw usageError(`${file} must hold a mapping with "contexts" and "current-context": fix or delete it`);
  }
  const obj = raw as Record<string, unknown>;
  const contexts: Record<string, ContextSettings> = {};
  const rawContexts = obj.contexts ?? {};
  if (typeof rawContexts !== "object" || rawContexts === null || Array.isArray(rawContexts)) {
    throw usageError(`${file}: "contexts" must be a mapping of name → settings`);
  }
  for (const [name, settings] of Object.entries(rawContexts as Record<string, unknown>)) {
    if (typeof settings !== "object" || settings === null || Array.isArray(settings)) {
      throw usageError(`${file}: context "${name}" must be a mapping`);
    }
    for (const key of Object.keys(settings)) {
      if (!KEYS.has(key)) {
        throw usageError(
          `${file}: context "${name}" has an unknown key "${key}" (known: ${[...KEYS].join(", ")})`,
        );
      }
    }
    contexts[name] = settings as ContextSettings;
  }
  const current = obj["current-context"];
  const out: ConfigFile = { contexts };
  if (typeof current === "string" && current !== "") out["current-context"] = current;
  return out;
}

/** Write the whole file atomically (temp file + rename), readable by the owner only. */
export function writeConfig(io: Pick<IOStreams, "env" | "homeDir">, config: ConfigFile): string {
  const file = configPath(io);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}
