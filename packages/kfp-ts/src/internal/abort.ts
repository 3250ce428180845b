/**
 * Abort and timeout helpers shared by the client and the transport.
 *
 * - `abortable(p, signal, onAbort)`: wait for `p`, but settle with `onAbort()` as soon as the signal
 *   fires (also when it fired before the call). `p` keeps running; its result is dropped.
 * - `checkTimeout(value, field)`: a timeout is a number of milliseconds with 0 < t ≤ 2^31−1 (the
 *   largest delay Node's timers keep: a larger one fires after 1 ms), or `Infinity` for none.
 */
import { ValidationError } from "../core/errors.js";

/** The largest delay Node's `setTimeout` honours (2^31−1 ms, about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Margin added to the client timeout for undici's own timers: the client's timer fires first. */
export const TIMEOUT_MARGIN_MS = 1_000;

/** undici's header/body timer for a client timeout: the timeout plus the margin, 0 (none) for Infinity. */
export function undiciTimer(timeout: number): number {
  return timeout === Number.POSITIVE_INFINITY ? 0 : Math.min(timeout + TIMEOUT_MARGIN_MS, MAX_TIMEOUT_MS);
}

/** Throws a ValidationError unless `value` is undefined, `Infinity` or 0 < value ≤ 2^31−1. */
export function checkTimeout(value: unknown, field: string): void {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return;
  if (typeof value !== "number" || !(value > 0 && value <= MAX_TIMEOUT_MS)) {
    throw new ValidationError(
      `${field} must be a number of milliseconds greater than 0 and at most ${MAX_TIMEOUT_MS} (about 24.8 days), or Infinity for no timeout; got ${typeof value === "number" ? String(value) : typeof value}`,
      { field },
    );
  }
}

/** Wait for `p`, or reject with `onAbort()` when `signal` fires first. */
export function abortable<T>(
  p: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => Error,
): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(onAbort());
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      p.catch(() => undefined);
      reject(onAbort());
    };
    signal.addEventListener("abort", abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(e);
      },
    );
  });
}
