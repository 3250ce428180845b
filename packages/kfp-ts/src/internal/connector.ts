/**
 * What the transport needs from an HTTP stack: one attempt of one request, and a way to close. Two
 * implementations: undici's `dispatch()` on Node (platform/undici-connector.ts) and `fetch` everywhere
 * (internal/fetch-connector.ts). The retry, reconcile and error rules stay in internal/transport.ts,
 * the same for both; a connector only says what it can know about an attempt.
 */

/** A request body for one attempt: bytes (replayable) or a stream of chunks. */
export type AttemptBody = Uint8Array | AsyncIterable<Uint8Array>;

/** Response headers as the stack gives them: undici's flat name/value list, or a fetch `Headers`. */
export type RawHeaders =
  | ReadonlyArray<string | Uint8Array>
  | { get(name: string): string | null; forEach(cb: (value: string, key: string) => void): void };

export interface AttemptRequest {
  method: string;
  /** `scheme://host[:port]` */
  origin: string;
  /** Path and query below the origin (the host's base path included). */
  target: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: AttemptBody | null;
  /** Longest wait for the server (connect, headers, any pause in either body); Infinity = none. */
  timeout: number;
  signal: AbortSignal | undefined;
}

export type Attempt =
  | { ok: true; status: number; rawHeaders: RawHeaders; body: Uint8Array }
  | {
      ok: false;
      error: unknown;
      /** Whether the request may have reached the server (false only when that is certain). */
      sent: boolean;
      timedOut: boolean;
      aborted: boolean;
    };

export interface Connector {
  readonly kind: "undici" | "fetch";
  /**
   * Whether a failure after the request was handed over can still prove "not sent" (undici's
   * `onRequestSent` on a dispatcher the client built). False: every such failure counts as maybe sent,
   * unless an error code proves otherwise.
   */
  readonly knowsSent: boolean;
  /**
   * Whether a create whose answer was lost may be sent again once a lookup found nothing. False for
   * fetch: it cannot tell "not sent" from "sent, answer lost", and a create still in flight would not be
   * found yet, so a create that may have been sent is never sent again.
   */
  readonly resendsCreatesAfterLookup: boolean;
  attempt(req: AttemptRequest): Promise<Attempt>;
  close(): Promise<void>;
}

/** Largest response body accepted (a list of 200 pipeline versions with big specs fits easily). */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** Thrown inside an attempt to cancel it (timeout, abort); never reaches the caller. */
export class AttemptCancelled extends Error {}

/** One header of a response (case-insensitive). */
export function headerValue(raw: RawHeaders, name: string): string | undefined {
  if (!Array.isArray(raw)) {
    return (raw as Exclude<RawHeaders, ReadonlyArray<unknown>>).get(name) ?? undefined;
  }
  const list = raw as ReadonlyArray<string | Uint8Array>;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const key = latin1(list[i] as string | Uint8Array);
    if (key.length === name.length && key.toLowerCase() === name)
      return latin1(list[i + 1] as string | Uint8Array);
  }
  return undefined;
}

/** Every header of a response, names lower-cased, repeated ones joined with `, `. */
export function headerRecord(raw: RawHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (k: string, v: string) => {
    out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`;
  };
  if (!Array.isArray(raw)) {
    (raw as Exclude<RawHeaders, ReadonlyArray<unknown>>).forEach((v, k) => {
      add(k.toLowerCase(), v);
    });
    return out;
  }
  const list = raw as ReadonlyArray<string | Uint8Array>;
  for (let i = 0; i + 1 < list.length; i += 2) {
    add(latin1(list[i] as string | Uint8Array).toLowerCase(), latin1(list[i + 1] as string | Uint8Array));
  }
  return out;
}

function latin1(v: string | Uint8Array): string {
  if (typeof v === "string") return v;
  let s = "";
  for (let i = 0; i < v.length; i++) s += String.fromCharCode(v[i] as number);
  return s;
}
