/**
 * Retry policy: which answers may be retried, and how long to wait.
 *
 * - Idempotent calls (GET, DELETE, PUT): on 408, 429, 502, 503, 504 and on connection failures.
 *   500 is not retried: KFP 500s are usually deterministic (a bad spec, a failed conversion).
 * - Non-idempotent calls (POST, PATCH): only when the request never reached the server (the failure
 *   came before a byte was written), or on 429/503 carrying `Retry-After` (the server said "later").
 *   When the outcome is unknown (the connection died after the body was sent, or a gateway answered
 *   502/504), the caller's `reconcile` decides. Never on 409.
 * - Delay: `Retry-After` (seconds or HTTP date, capped) when present, else jittered exponential backoff
 *   `base * 2^attempt` capped at `maxDelay`, multiplied by a random factor in [0.5, 1].
 */

export interface BackoffOptions {
  /** Base delay in ms (default 500). */
  baseDelay: number;
  /** Max backoff delay in ms (default 8000). */
  maxDelay: number;
  /** Longest Retry-After honoured, in ms (default 60 000); longer means "do not retry". */
  maxRetryAfter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseDelay: 500, maxDelay: 8000, maxRetryAfter: 60_000 };

/** Statuses retried for idempotent calls. */
const IDEMPOTENT_RETRY_STATUS = new Set([408, 429, 502, 503, 504]);
/** Statuses retried for non-idempotent calls when Retry-After is present. */
const RETRY_AFTER_STATUS = new Set([429, 503]);
/** Statuses after which a create's outcome is unknown (a proxy gave up after forwarding). */
const UNKNOWN_OUTCOME_STATUS = new Set([502, 504]);

/**
 * Parse `Retry-After` (delta seconds or an HTTP date) into milliseconds from `now`.
 * Returns undefined when absent or unparsable; negative values become 0.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.max(0, Math.round(Number(v) * 1000));
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/** Jittered exponential backoff for the given retry number (0 = first retry). */
export function backoffDelay(
  retry: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.maxDelay, opts.baseDelay * 2 ** Math.min(retry, 30));
  return Math.round(exp * (0.5 + random() * 0.5));
}

export type StatusDecision = "retry" | "reconcile" | "fail";

/**
 * What to do with an HTTP error answer.
 * `hasRetryAfter` tells whether the response carried a usable Retry-After header.
 */
export function decideOnStatus(status: number, idempotent: boolean, hasRetryAfter: boolean): StatusDecision {
  if (status === 409) return "fail";
  if (idempotent) return IDEMPOTENT_RETRY_STATUS.has(status) ? "retry" : "fail";
  if (RETRY_AFTER_STATUS.has(status) && hasRetryAfter) return "retry";
  if (UNKNOWN_OUTCOME_STATUS.has(status)) return "reconcile";
  return "fail";
}

/** Error codes that prove the request never left the client (connection not established). */
const CONNECT_PHASE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);

/** Whether an error code proves the connection was never established. */
export function isConnectPhaseCode(code: string | undefined): boolean {
  return code !== undefined && CONNECT_PHASE_CODES.has(code);
}

/**
 * undici error codes of a request refused before anything was written (bad arguments, a closed or
 * destroyed dispatcher): like the connect-phase codes, they prove "not sent" whatever the dispatcher.
 */
const REFUSED_CODES = new Set([
  "UND_ERR_INVALID_ARG",
  "UND_ERR_NOT_SUPPORTED",
  "UND_ERR_CLOSED",
  "UND_ERR_DESTROYED",
]);

/** Whether an error code proves the request never left the client. */
export function provesNotSent(code: string | undefined): boolean {
  return isConnectPhaseCode(code) || (code !== undefined && REFUSED_CODES.has(code));
}

/** TLS errors and refused requests are permanent: retrying cannot help. */
export function isPermanentConnectError(code: string | undefined): boolean {
  return (
    code !== undefined &&
    (code.startsWith("ERR_TLS") ||
      code.includes("CERT") ||
      code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE" ||
      REFUSED_CODES.has(code))
  );
}

/** Sleep `ms`, rejecting early with `signal.reason` when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
