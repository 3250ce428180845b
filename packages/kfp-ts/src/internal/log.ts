/**
 * Logging and redaction. Every line goes through `Redactor.scrub`, which removes known secret values
 * (tokens, cookie values) and credentials in URLs; `Authorization` and `Cookie` are never logged.
 */

export type LogLevel = "debug" | "info" | "warn" | "error" | "off";

export interface Logger {
  /** Receives one redacted log line at level `debug`. */
  debug(message: string, ...args: unknown[]): void;
  /** Receives one redacted log line at level `info`. */
  info(message: string, ...args: unknown[]): void;
  /** Receives one redacted log line at level `warn`. */
  warn(message: string, ...args: unknown[]): void;
  /** Receives one redacted log line at level `error`. */
  error(message: string, ...args: unknown[]): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === "string" && Object.hasOwn(LEVELS, v);
}

/** Query parameter names whose values are treated as secrets in URLs. */
const SECRET_PARAM =
  /token|secret|password|passwd|signature|credential|^(key|api[-_]?key|sig|auth|authorization|code|session|sessionid|pwd)$/i;

/** Header names never shown. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
]);

/** Redact userinfo and secret-looking query values of a URL string (best effort on unparsable input). */
export function redactUrl(url: string): string {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, "$1***@");
  const q = out.indexOf("?");
  if (q >= 0) {
    const hashAt = out.indexOf("#", q);
    const query = out.slice(q + 1, hashAt >= 0 ? hashAt : undefined);
    const parts = query.split("&").map((part) => {
      const eq = part.indexOf("=");
      if (eq < 0) return part;
      let name = part.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        /* keep raw */
      }
      return SECRET_PARAM.test(name) ? `${part.slice(0, eq)}=***` : part;
    });
    out = `${out.slice(0, q + 1)}${parts.join("&")}${hashAt >= 0 ? out.slice(hashAt) : ""}`;
  }
  return out;
}

/**
 * Holds the secret values known to a client and scrubs them from any text. Values shorter than 4
 * characters are not tracked (they would match ordinary text).
 */
export class Redactor {
  readonly #secrets = new Set<string>();
  #list: string[] = [];

  add(secret: string | undefined): void {
    if (!secret || secret.length < 4 || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    // Longest first so that a secret containing another one is replaced whole.
    this.#list = [...this.#secrets].sort((a, b) => b.length - a.length);
    if (this.#secrets.size > 64) {
      const oldest = this.#secrets.values().next().value;
      if (oldest !== undefined) this.#secrets.delete(oldest);
      this.#list = [...this.#secrets].sort((a, b) => b.length - a.length);
    }
  }

  /** Replace every known secret and URL credential in `text`. */
  scrub(text: string): string {
    let out = text;
    for (const s of this.#list) {
      if (out.includes(s)) out = out.split(s).join("***");
    }
    if (out.includes("://")) {
      out = out.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (m) => redactUrl(m));
    }
    if (/bearer\s+\S/i.test(out)) out = out.replace(/(bearer\s+)[^\s"',;]+/gi, "$1***");
    return out;
  }
}

function consoleLogger(): Logger {
  return {
    debug: (m, ...a) => console.debug(m, ...a),
    info: (m, ...a) => console.info(m, ...a),
    warn: (m, ...a) => console.warn(m, ...a),
    error: (m, ...a) => console.error(m, ...a),
  };
}

/**
 * A level-filtered logger that scrubs every line. Check `enabled(level)` before building an expensive
 * message.
 */
export class Log {
  readonly #logger: Logger;
  readonly #threshold: number;
  readonly #redactor: Redactor;

  constructor(logger: Logger | undefined, level: LogLevel, redactor: Redactor) {
    this.#logger = logger ?? consoleLogger();
    this.#threshold = LEVELS[level];
    this.#redactor = redactor;
  }

  enabled(level: Exclude<LogLevel, "off">): boolean {
    return LEVELS[level] >= this.#threshold;
  }

  #emit(level: Exclude<LogLevel, "off">, message: string): void {
    if (!this.enabled(level)) return;
    try {
      this.#logger[level](`[kfp-ts] ${this.#redactor.scrub(message)}`);
    } catch {
      /* a throwing logger must not break a request */
    }
  }

  debug(message: string): void {
    this.#emit("debug", message);
  }
  info(message: string): void {
    this.#emit("info", message);
  }
  warn(message: string): void {
    this.#emit("warn", message);
  }
  error(message: string): void {
    this.#emit("error", message);
  }
}
