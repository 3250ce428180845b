/**
 * What every command gets (after gh's cmdutil.Factory): the streams, the global options resolved with
 * their precedence — flags > environment > the saved context > defaults — and a client made on first
 * use. The library is imported only here and only when a command needs it, so `--help` loads none of it.
 */
import type { Kfp, KfpOptions } from "../index.js";
import { type ContextSettings, readConfig } from "./config-file.js";
import { usageError } from "./exit-codes.js";
import { colorEnabled, type IOStreams, type Paint, paint } from "./io.js";

export type Lib = typeof import("../index.js");

export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml", "name"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The global flags as commander hands them over (all optional). */
export interface GlobalFlags {
  host?: string;
  namespace?: string;
  context?: string;
  token?: string;
  tokenFile?: string;
  caFile?: string;
  insecure?: boolean;
  timeout?: string;
  output?: string;
  quiet?: boolean;
  color?: boolean;
  verbose?: boolean;
  apiVersion?: string;
}

export interface Target {
  host: string | undefined;
  /** Where the host came from (flag, env variable, context name), for doctor and errors. */
  hostSource: string;
  namespace: string | undefined;
  token: string | undefined;
  tokenFile: string | undefined;
  caFile: string | undefined;
  insecure: boolean;
  /** Per-attempt timeout in ms. */
  timeoutMs: number | undefined;
  contextName: string | undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

export function parseSeconds(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw usageError(`${flag} must be a duration like 30, 30s, 5m or 1h; got "${value}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const ms = unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n * 3_600_000;
  if (!(ms > 0)) throw usageError(`${flag} must be more than 0; got "${value}"`);
  return ms;
}

/** Resolve the target server and credentials: flags > environment > context > defaults. */
export function resolveTarget(io: IOStreams, flags: GlobalFlags): Target {
  const env = io.env;
  const config = readConfig(io);
  const contextName = flags.context ?? nonEmpty(env.KFP_CONTEXT) ?? config["current-context"];
  let ctx: ContextSettings = {};
  if (contextName !== undefined) {
    const found = config.contexts[contextName];
    if (!found) {
      const known = Object.keys(config.contexts);
      throw usageError(
        `no context "${contextName}"${known.length ? ` (known: ${known.join(", ")})` : ""}: create it with "kfp-ts config set-context ${contextName} --host URL"`,
      );
    }
    ctx = found;
  }
  const envHost = nonEmpty(env.KFP_HOST) ?? nonEmpty(env.KF_PIPELINES_ENDPOINT);
  const host = flags.host ?? envHost ?? ctx.host;
  const hostSource = flags.host
    ? "--host"
    : envHost
      ? nonEmpty(env.KFP_HOST)
        ? "KFP_HOST"
        : "KF_PIPELINES_ENDPOINT"
      : ctx.host
        ? `context "${contextName}"`
        : "default";
  const token = flags.token ?? (flags.tokenFile ? undefined : nonEmpty(env.KFP_TOKEN));
  const tokenFile =
    flags.tokenFile ?? (token ? undefined : (nonEmpty(env.KF_PIPELINES_SA_TOKEN_PATH) ?? ctx["token-file"]));
  const timeoutMs =
    flags.timeout !== undefined
      ? parseSeconds(flags.timeout, "--timeout")
      : ctx.timeout !== undefined
        ? ctx.timeout * 1000
        : undefined;
  return {
    host,
    hostSource,
    namespace: flags.namespace ?? nonEmpty(env.KFP_NAMESPACE) ?? ctx.namespace,
    token,
    tokenFile,
    caFile: flags.caFile ?? nonEmpty(env.KFP_CA_FILE) ?? ctx["ca-file"],
    insecure: flags.insecure ?? ctx.insecure ?? false,
    timeoutMs,
    contextName,
  };
}

export class CliContext {
  readonly io: IOStreams;
  readonly flags: GlobalFlags;
  readonly output: OutputFormat;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Colors for stderr (progress, diagnostics) and stdout (tables). */
  readonly err: Paint;
  readonly out: Paint;
  #target: Target | undefined;
  #client: Kfp | undefined;
  #lib: Promise<Lib> | undefined;

  constructor(io: IOStreams, flags: GlobalFlags) {
    this.io = io;
    this.flags = flags;
    const output = flags.output ?? "table";
    if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) {
      throw usageError(`-o/--output must be one of ${OUTPUT_FORMATS.join(", ")}; got "${output}"`);
    }
    this.output = output as OutputFormat;
    this.quiet = flags.quiet === true;
    this.verbose = flags.verbose === true;
    this.err = paint(colorEnabled(io, io.stderrTTY, flags.color));
    this.out = paint(colorEnabled(io, io.stdoutTTY, flags.color));
  }

  get target(): Target {
    this.#target ??= resolveTarget(this.io, this.flags);
    return this.#target;
  }

  /** The library, loaded on first use. */
  lib(): Promise<Lib> {
    this.#lib ??= import("../index.js");
    return this.#lib;
  }

  /** The client for the target, made on first use (closed by `close()`). */
  async client(): Promise<Kfp> {
    if (this.#client) return this.#client;
    const { Kfp } = await this.lib();
    this.#client = new Kfp(this.clientOptions());
    return this.#client;
  }

  /**
   * The client options for the target (flags > environment > context): host (or `host`, e.g. an
   * embedded emulator), namespace, credentials, TLS, timeout, API version, and a logger on stderr.
   */
  clientOptions(host?: string): KfpOptions {
    const t = this.target;
    const target = host ?? t.host;
    if (!target) {
      throw usageError(
        'no KFP server given: pass --host URL, set KFP_HOST, or save one with "kfp-ts config set-context NAME --host URL"',
      );
    }
    const opts: KfpOptions = { host: target, env: {}, maxRetries: 2 };
    if (t.namespace) opts.namespace = t.namespace;
    if (t.token) opts.token = t.token;
    else if (t.tokenFile) opts.tokenFile = t.tokenFile;
    if (t.caFile) opts.ca = t.caFile;
    if (t.insecure) opts.insecure = true;
    if (t.timeoutMs !== undefined) opts.timeout = t.timeoutMs;
    const api = this.flags.apiVersion ?? this.io.env.KFP_API_VERSION;
    if (api !== undefined && api !== "") {
      if (!["auto", "v2", "v2beta1", "v1beta1"].includes(api)) {
        throw usageError(`--api-version must be auto, v2, v2beta1 or v1beta1; got "${api}"`);
      }
      opts.apiVersion = api as NonNullable<KfpOptions["apiVersion"]>;
    }
    const stderr = this.io.stderr;
    // The library speaks of its options; on the command line they are flags.
    const flagNames = (m: string) => m.replace(/cronFormat: "unix"/g, "--cron-format unix");
    const line = (level: string) => (m: string) =>
      stderr.write(`${this.err.dim(`[${level}]`)} ${flagNames(m)}\n`);
    opts.logger = { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
    opts.logLevel = this.verbose ? "debug" : this.quiet ? "error" : "warn";
    return opts;
  }

  /** A progress or diagnostic line on stderr (not with -q). */
  note(message: string): void {
    if (!this.quiet) this.io.stderr.write(`${message}\n`);
  }

  async close(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    await c?.close();
  }
}
