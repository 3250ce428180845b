/**
 * Credentials: a static token, an async token function, a token file re-read when it rotates, cookies.
 *
 * Order (first match wins): `token` option → `tokenProvider` option → `tokenFile` option → `KFP_TOKEN`
 * → `KF_PIPELINES_SA_TOKEN_PATH` → the in-cluster default file `/var/run/secrets/kubeflow/pipelines/token`
 * when it exists and no token or cookie was given. Tokens are sent as `Authorization: Bearer <token>`.
 *
 * A token file is read asynchronously, at most once per second it is `stat`ed, and it is re-read when
 * its mtime/size/inode changed or the value is older than 60 s (projected service-account tokens
 * rotate). A failed re-read keeps the last good value.
 */
import { platform } from "#platform";
import { KfpError, ValidationError } from "../core/errors.js";
import type { TokenFs } from "../platform/contract.js";
import type { Log, Redactor } from "./log.js";

/** Returns a bearer token for each request (cache it on your side); may be async. */
export type TokenProvider = () => string | Promise<string>;

export interface AuthConfig {
  token?: string | undefined;
  tokenProvider?: TokenProvider | undefined;
  tokenFile?: string | undefined;
  /** The in-cluster default file, used only when it exists and no other credential is set. */
  defaultTokenFile?: string | undefined;
  cookies?: string | Record<string, string> | undefined;
}

/** Max age of a token read from a file before it is read again. */
export const TOKEN_FILE_MAX_AGE_MS = 60_000;
/** Min interval between two `stat` calls on the token file. */
export const TOKEN_FILE_STAT_INTERVAL_MS = 1_000;

const HEADER_VALUE_OK = /^[\t\x20-\x7e\x80-\xff]*$/;

function checkToken(token: string, from: string): string {
  const t = token.trim();
  if (!t) throw new ValidationError(`${from} gave an empty token`, { field: "token" });
  if (!HEADER_VALUE_OK.test(t)) {
    throw new ValidationError(`${from} gave a token with characters not allowed in an HTTP header`, {
      field: "token",
    });
  }
  return t;
}

/** Build the `Cookie` header value. */
export function cookieHeader(cookies: string | Record<string, string> | undefined): string | undefined {
  if (cookies === undefined) return undefined;
  if (typeof cookies === "string") {
    const c = cookies.trim();
    if (!c) return undefined;
    if (!HEADER_VALUE_OK.test(c) || /[\r\n]/.test(c)) {
      throw new ValidationError("cookies contain characters not allowed in an HTTP header", {
        field: "cookies",
      });
    }
    return c;
  }
  const parts: string[] = [];
  for (const [name, value] of Object.entries(cookies)) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
      throw new ValidationError(`invalid cookie name ${JSON.stringify(name)}`, { field: "cookies" });
    }
    if (!/^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/.test(value)) {
      throw new ValidationError(`cookie ${name} has a value with characters not allowed in a cookie`, {
        field: "cookies",
      });
    }
    parts.push(`${name}=${value}`);
  }
  return parts.length ? parts.join("; ") : undefined;
}

type FsLike = TokenFs;

/** The platform's files (Node), or a ValidationError that says what to pass instead (browsers). */
function platformFs(): FsLike {
  if (platform.tokenFs) return platform.tokenFs;
  throw new ValidationError(
    "tokenFile needs a file system, which this runtime does not have: pass token or tokenProvider",
    { field: "tokenFile" },
  );
}

/** A token file, re-read when it changes or gets old. */
export class TokenFile {
  readonly path: string;
  readonly #fs: FsLike;
  readonly #now: () => number;
  readonly #redactor: Redactor;
  readonly #log: Log;
  #value: string | undefined;
  #readAt = 0;
  #checkedAt = 0;
  #stamp = "";
  #pending: Promise<string> | undefined;

  constructor(path: string, deps: { redactor: Redactor; log: Log; fs?: FsLike; now?: () => number }) {
    this.path = path;
    this.#fs = deps.fs ?? platformFs();
    this.#now = deps.now ?? Date.now;
    this.#redactor = deps.redactor;
    this.#log = deps.log;
  }

  /** The current token; synchronous while the cached value is fresh. */
  get(): string | Promise<string> {
    if (this.#value !== undefined && this.#now() - this.#checkedAt < TOKEN_FILE_STAT_INTERVAL_MS) {
      return this.#value;
    }
    this.#pending ??= this.#refresh().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Forget the cached value (after a 401). */
  invalidate(): void {
    this.#checkedAt = 0;
    this.#readAt = 0;
  }

  async #refresh(): Promise<string> {
    const now = this.#now();
    try {
      const st = await this.#fs.stat(this.path);
      const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      this.#checkedAt = now;
      if (this.#value !== undefined && stamp === this.#stamp && now - this.#readAt < TOKEN_FILE_MAX_AGE_MS) {
        return this.#value;
      }
      const text = await this.#fs.readFile(this.path);
      const token = checkToken(text, `token file ${this.path}`);
      this.#redactor.add(token);
      if (this.#value !== undefined && token !== this.#value)
        this.#log.debug(`token file ${this.path} rotated`);
      this.#value = token;
      this.#stamp = stamp;
      this.#readAt = now;
      return token;
    } catch (err) {
      if (this.#value !== undefined) {
        this.#log.warn(
          `could not re-read token file ${this.path} (${errorCode(err)}); keeping the last token`,
        );
        this.#checkedAt = now;
        return this.#value;
      }
      if (err instanceof ValidationError) throw err;
      throw new ValidationError(`cannot read token file ${this.path}: ${errorCode(err)}`, {
        field: "tokenFile",
        cause: err,
      });
    }
  }
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === "string") return e.code;
  return typeof e?.message === "string" ? e.message : String(err);
}

type Source =
  | { kind: "none" }
  | { kind: "static"; header: string }
  | { kind: "provider"; fn: TokenProvider }
  | { kind: "file"; file: TokenFile }
  | { kind: "default-file"; path: string };

/** Resolves the Authorization and Cookie headers of a client. */
export class Auth {
  readonly cookie: string | undefined;
  readonly #redactor: Redactor;
  readonly #log: Log;
  readonly #fs: FsLike | undefined;
  readonly #now: (() => number) | undefined;
  #source: Source;
  #defaultProbe: Promise<void> | undefined;

  constructor(config: AuthConfig, deps: { redactor: Redactor; log: Log; fs?: FsLike; now?: () => number }) {
    this.#redactor = deps.redactor;
    this.#log = deps.log;
    this.#fs = deps.fs;
    this.#now = deps.now;
    this.cookie = cookieHeader(config.cookies);
    if (this.cookie) {
      for (const part of this.cookie.split(";")) {
        const v = part.slice(part.indexOf("=") + 1).trim();
        this.#redactor.add(v);
      }
      this.#redactor.add(this.cookie);
    }
    if (config.token !== undefined) {
      const t = checkToken(config.token, "the token option");
      this.#redactor.add(t);
      this.#source = { kind: "static", header: `Bearer ${t}` };
    } else if (config.tokenProvider) {
      if (typeof config.tokenProvider !== "function") {
        throw new ValidationError("tokenProvider must be a function returning a token", {
          field: "tokenProvider",
        });
      }
      this.#source = { kind: "provider", fn: config.tokenProvider };
    } else if (config.tokenFile) {
      this.#source = { kind: "file", file: this.#makeFile(config.tokenFile) };
    } else if (config.defaultTokenFile && !this.cookie && (this.#fs ?? platform.tokenFs)) {
      this.#source = { kind: "default-file", path: config.defaultTokenFile };
    } else {
      this.#source = { kind: "none" };
    }
  }

  #makeFile(p: string): TokenFile {
    return new TokenFile(p, {
      redactor: this.#redactor,
      log: this.#log,
      ...(this.#fs ? { fs: this.#fs } : {}),
      ...(this.#now ? { now: this.#now } : {}),
    });
  }

  /** What kind of credential is configured (for diagnostics; never the value). */
  get kind(): "none" | "token" | "tokenProvider" | "tokenFile" {
    switch (this.#source.kind) {
      case "static":
        return "token";
      case "provider":
        return "tokenProvider";
      case "file":
      case "default-file":
        return "tokenFile";
      default:
        return "none";
    }
  }

  /** True when asking again may give a different token (a provider or a file). */
  get refreshable(): boolean {
    return this.#source.kind === "provider" || this.#source.kind === "file";
  }

  /** Drop cached credentials so the next request reads them again. */
  invalidate(): void {
    if (this.#source.kind === "file") this.#source.file.invalidate();
  }

  /** The Authorization header value, or undefined. Synchronous for static tokens and fresh files. */
  authorization(): string | undefined | Promise<string | undefined> {
    const src = this.#source;
    switch (src.kind) {
      case "none":
        return undefined;
      case "static":
        return src.header;
      case "file": {
        const v = src.file.get();
        return typeof v === "string" ? `Bearer ${v}` : v.then((t) => `Bearer ${t}`);
      }
      case "provider":
        return this.#fromProvider(src.fn);
      case "default-file":
        return this.#probeDefault(src.path).then(() => this.authorization());
    }
  }

  async #fromProvider(fn: TokenProvider): Promise<string> {
    let raw: unknown;
    try {
      raw = await fn();
    } catch (err) {
      throw new KfpError(`tokenProvider failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    if (typeof raw !== "string") {
      throw new ValidationError(`tokenProvider must return a string, got ${typeof raw}`, {
        field: "tokenProvider",
      });
    }
    const t = checkToken(raw, "tokenProvider");
    this.#redactor.add(t);
    return `Bearer ${t}`;
  }

  #probeDefault(p: string): Promise<void> {
    this.#defaultProbe ??= (async () => {
      const fs = this.#fs ?? platformFs();
      try {
        await fs.stat(p);
      } catch {
        this.#log.debug(`no token file at ${p}; sending no credentials`);
        this.#source = { kind: "none" };
        return;
      }
      this.#log.debug(`using the in-cluster token file ${p}`);
      this.#source = { kind: "file", file: this.#makeFile(p) };
    })();
    return this.#defaultProbe;
  }
}
