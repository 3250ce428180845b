/**
 * The HTTP transport: per-attempt timeout, AbortSignal, retries and reconciliation of creates whose
 * outcome is unknown, the same on every platform; one attempt is the connector's job (internal/connector.ts:
 * undici's `dispatch()` on Node, `fetch` elsewhere or when asked).
 *
 * "Was the request sent?" The connector says what it knows: on a dispatcher the client built, undici's
 * `onRequestSent` proves "not sent" until the whole request was written, so a replayable request may be
 * sent again whatever its method. On a caller's dispatcher, and with fetch, every failure after the
 * request was handed over counts as "maybe sent" unless its error code proves the request never left
 * (ECONNREFUSED, ENOTFOUND, undici's invalid-argument or closed-dispatcher codes: retry.ts `provesNotSent`).
 * That errs on the safe side: a create is looked up (reconciled) instead of sent twice — and with fetch,
 * which can never tell, a create that may have been sent is never sent again (`resendsCreatesAfterLookup`).
 * After a send, a failure without an answer leaves the outcome of a POST/PATCH unknown: the caller's
 * `reconcile()` looks the resource up (by name) before anything is sent again; it gets the time the
 * request was first sent, so that it can tell a resource this request created from one that was there
 * before (resources/shared.ts `reconcileByName`).
 *
 * An idempotent DELETE is retried after a lost answer; when the retry answers 404 and an earlier attempt
 * was sent (or a gateway answered 502/504), the earlier attempt deleted it: the call succeeds (logged at
 * info). A 404 to a first attempt is a NotFoundError as usual.
 *
 * Timeouts: `timeout` is the longest wait for the server — connecting, waiting for the response headers,
 * or any pause while sending or receiving the body (the timer restarts on progress) — per attempt;
 * `Infinity` means none. The caller's AbortSignal is honoured at every wait, including an asynchronous
 * token (a token provider, a token file being read).
 */
import { platform } from "#platform";
import {
  AbortError,
  type ApiError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  HTML_LOGIN_HINT,
  KfpError,
  looksLikeHtml,
  makeApiError,
  TimeoutError,
  ValidationError,
} from "../core/errors.js";
import { abortable, checkTimeout } from "./abort.js";
import type { Auth } from "./auth.js";
import { type Attempt, type Connector, headerRecord, headerValue, type RawHeaders } from "./connector.js";
import { type Log, type Redactor, redactUrl, SECRET_HEADERS } from "./log.js";
import { encodeQuery, type Query } from "./path.js";
import {
  type BackoffOptions,
  backoffDelay,
  DEFAULT_BACKOFF,
  decideOnStatus,
  isPermanentConnectError,
  parseRetryAfter,
  provesNotSent,
  sleep,
} from "./retry.js";

/** A request body that can be handed to the connector, possibly more than once. */
export interface BodySource {
  contentType: string;
  /** Byte length when known (sent as Content-Length; undefined → chunked). */
  length: number | undefined;
  /** The body for one attempt. */
  take(): Uint8Array | AsyncIterable<Uint8Array>;
  /** Whether `take()` may be called again (false once a one-shot stream was read). */
  canReplay(): boolean;
}

/** A JSON body: serialised once, re-sent as is. */
export function jsonBody(value: unknown): BodySource {
  const buf = platform.utf8Encode(JSON.stringify(value));
  return { contentType: "application/json", length: buf.length, take: () => buf, canReplay: () => true };
}

export type ResponseType = "json" | "text" | "buffer";

/** What a `reconcile` callback learns about the request whose outcome is unknown. */
export interface ReconcileContext {
  /**
   * Client clock (ms since the epoch) just before the first attempt was sent: a resource this request
   * created cannot be older (allow for whole-second server timestamps).
   */
  sentAt: number;
  /** The request method and its redacted URL, for error messages. */
  method: string;
  url: string;
}

export interface SendOptions<T> {
  method: string;
  /** Path below the host's base path, starting with `/` (e.g. `/apis/v2beta1/runs`). */
  path: string;
  query?: Query | undefined;
  body?: BodySource | undefined;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  timeout?: number | undefined;
  maxRetries?: number | undefined;
  idempotent?: boolean | undefined;
  /** Called when the outcome of a non-idempotent request is unknown; a value means "it was done". */
  reconcile?: ((ctx: ReconcileContext) => Promise<T | undefined>) | undefined;
  responseType?: ResponseType | undefined;
}

export interface TransportOptions {
  origin: string;
  basePath: string;
  connector: Connector;
  auth: Auth;
  headers?: Record<string, string> | undefined;
  timeout: number;
  maxRetries: number;
  log: Log;
  redactor: Redactor;
  backoff?: Partial<BackoffOptions> | undefined;
  userAgent?: string | undefined;
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === "string" && e.code !== "UND_ERR_SOCKET") return e.code;
  if (typeof e?.cause?.code === "string") return e.cause.code;
  return typeof e?.code === "string" ? e.code : undefined;
}

function describeCause(err: unknown): string {
  const code = errorCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Validate and lower-case extra headers. */
export function normalizeHeaders(
  headers: Record<string, string> | undefined,
  redactor: Redactor,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    if (!HEADER_NAME.test(name)) {
      throw new ValidationError(`invalid header name ${JSON.stringify(name)}`, { field: "headers" });
    }
    const v = String(value);
    if (/[\r\n\0]/.test(v)) {
      throw new ValidationError(`header ${name} has a value with CR, LF or NUL`, { field: "headers" });
    }
    const key = name.toLowerCase();
    if (SECRET_HEADERS.has(key) || /token|secret|key|auth|session|password/.test(key)) {
      redactor.add(v);
      redactor.add(v.replace(/^bearer\s+/i, ""));
    }
    out[key] = v;
  }
  return out;
}

export class Transport {
  readonly origin: string;
  readonly basePath: string;
  readonly connector: Connector;
  readonly auth: Auth;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly log: Log;
  readonly redactor: Redactor;
  readonly backoff: BackoffOptions;
  readonly #baseHeaders: Record<string, string>;
  /** The caller's extra headers and the cookie: what a proxy adds for this client (see credentialHeaders). */
  readonly #credentialHeaders: Record<string, string>;

  constructor(o: TransportOptions) {
    this.origin = o.origin;
    this.basePath = o.basePath;
    this.connector = o.connector;
    this.auth = o.auth;
    this.timeout = o.timeout;
    this.maxRetries = o.maxRetries;
    this.log = o.log;
    this.redactor = o.redactor;
    this.backoff = { ...DEFAULT_BACKOFF, ...(o.backoff ?? {}) };
    const base: Record<string, string> = { accept: "application/json" };
    const userAgent = o.userAgent ?? platform.userAgent;
    if (userAgent) base["user-agent"] = o.connector.kind === "fetch" ? `${userAgent} (fetch)` : userAgent;
    const extra = normalizeHeaders(o.headers, o.redactor);
    Object.assign(base, extra);
    if (o.auth.cookie) base.cookie = o.auth.cookie;
    this.#baseHeaders = base;
    this.#credentialHeaders = { ...extra };
    if (o.auth.cookie) this.#credentialHeaders.cookie = o.auth.cookie;
  }

  /**
   * The headers that carry this client's identity — the caller's extra headers (e.g. an identity
   * header), the cookie, and the current `authorization` (a token file is re-read when it rotates) —
   * for a proxy that sends requests on the client's behalf (`kfp-ts ui`).
   */
  async credentialHeaders(signal?: AbortSignal): Promise<Record<string, string>> {
    const h: Record<string, string> = { ...this.#credentialHeaders };
    const authz = this.auth.authorization();
    const authorization =
      authz === undefined || typeof authz === "string"
        ? authz
        : await abortable(authz, signal, () => new AbortError("The request was aborted"));
    if (authorization !== undefined) h.authorization = authorization;
    return h;
  }

  /** The redacted absolute URL of a path+query, for messages. */
  displayUrl(pathAndQuery: string): string {
    return this.redactor.scrub(redactUrl(`${this.origin}${pathAndQuery}`));
  }

  async send<T>(o: SendOptions<T>): Promise<T> {
    const method = o.method.toUpperCase();
    if (!o.path.startsWith("/")) throw new KfpError(`request path must start with "/": ${o.path}`);
    const idempotent =
      o.idempotent ?? (method === "GET" || method === "DELETE" || method === "PUT" || method === "HEAD");
    checkTimeout(o.timeout, "timeout");
    if (o.maxRetries !== undefined && (!Number.isInteger(o.maxRetries) || o.maxRetries < 0)) {
      throw new ValidationError(`maxRetries must be a non-negative integer, got ${o.maxRetries}`, {
        field: "maxRetries",
      });
    }
    const maxRetries = o.maxRetries ?? this.maxRetries;
    const timeout = o.timeout ?? this.timeout;
    const target = this.basePath + o.path + encodeQuery(o.query);
    const signal = o.signal;
    const body = o.body;
    let retries = 0;
    let authRetried = false;
    // Set once an attempt may have been processed without the answer reaching us (see the DELETE case).
    let outcomeUnknown = false;
    // For `reconcile`: a resource this request created cannot be older than this.
    const sentAt = o.reconcile ? Date.now() : 0;
    for (;;) {
      if (signal?.aborted) throw this.#abortError(signal, method, target);
      const authz = this.auth.authorization();
      const authorization =
        authz === undefined || typeof authz === "string"
          ? authz
          : await abortable(authz, signal, () => this.#abortError(signal, method, target));
      const headers = this.#headers(authorization, body, o.headers);
      const started = this.log.enabled("debug") ? performance.now() : 0;
      if (started)
        this.log.debug(`→ ${method} ${this.displayUrl(target)}${retries ? ` (retry ${retries})` : ""}`);
      const r = await this.#attempt(method, target, headers, body, timeout, signal);
      if (r.ok) {
        if (started) {
          this.log.debug(
            `← ${r.status} ${method} ${this.displayUrl(target)} (${Math.round(performance.now() - started)} ms)`,
          );
        }
        if (r.status >= 200 && r.status < 300)
          return this.#parse<T>(r, method, target, o.responseType ?? "json");
        if (r.status === 404 && outcomeUnknown && method === "DELETE") {
          // An earlier attempt was sent and its answer lost: that attempt most likely deleted it.
          this.log.info(
            `${method} ${this.displayUrl(target)}: 404 on retry ${retries} after an attempt whose answer was lost; the earlier attempt deleted it: success`,
          );
          return this.#parse<T>({ ...r, status: 200, body: EMPTY }, method, target, o.responseType ?? "json");
        }
        const err = this.#apiError(r, method, target);
        if (r.status === 401 && this.auth.refreshable && !authRetried && (!body || body.canReplay())) {
          authRetried = true;
          this.auth.invalidate();
          this.log.info(`401 from ${method} ${this.displayUrl(target)}: reading the credentials again`);
          continue;
        }
        const retryAfter = parseRetryAfter(headerValue(r.rawHeaders, "retry-after"));
        const usableRetryAfter = retryAfter !== undefined && retryAfter <= this.backoff.maxRetryAfter;
        let decision = decideOnStatus(r.status, idempotent, usableRetryAfter);
        if (decision === "reconcile") {
          if (!o.reconcile) throw err;
          const found = await this.#reconcile(o.reconcile, { sentAt, method, url: err.url }, err);
          if (found !== undefined) return found;
          // fetch cannot rule out that the create is still in flight: never send it again.
          if (!this.connector.resendsCreatesAfterLookup) throw err;
          decision = "retry";
        }
        if (decision === "retry" && retries < maxRetries && (!body || body.canReplay())) {
          if (retryAfter !== undefined && !usableRetryAfter) throw err;
          // A gateway that gave up (502/504) may have forwarded the request.
          if (r.status === 502 || r.status === 504) outcomeUnknown = true;
          const delay = usableRetryAfter ? (retryAfter as number) : backoffDelay(retries, this.backoff);
          this.log.info(`${r.status} from ${method} ${this.displayUrl(target)}; retrying in ${delay} ms`);
          await this.#sleep(delay, signal, method, target);
          retries++;
          continue;
        }
        throw err;
      }
      // No HTTP answer.
      if (r.aborted) throw this.#abortError(signal, method, target);
      if (r.error instanceof KfpError) throw r.error; // from the body source (size limit, unreadable file)
      const code = errorCode(r.error);
      const url = this.displayUrl(target);
      const message = r.timedOut
        ? `No answer within ${timeout} ms`
        : `Connection failed: ${this.redactor.scrub(describeCause(r.error))}`;
      const notSent = !r.sent || provesNotSent(code);
      const makeErr = (extra: { outcomeUnknown?: boolean; note?: string } = {}) =>
        r.timedOut
          ? new TimeoutError(message, { method, url, cause: r.error, timeout, ...extra })
          : new ConnectionError(message, { method, url, cause: r.error, ...extra });
      if (isPermanentConnectError(code)) throw makeErr();
      const replayable = !body || body.canReplay();
      if (notSent || idempotent) {
        if (retries < maxRetries && replayable) {
          if (!notSent) outcomeUnknown = true;
          const delay = backoffDelay(retries, this.backoff);
          this.log.info(`${message} (${method} ${url}); retrying in ${delay} ms`);
          await this.#sleep(delay, signal, method, target);
          retries++;
          continue;
        }
        throw makeErr(
          notSent && !idempotent
            ? { note: "The request was not fully sent, so the server did not process it." }
            : !replayable
              ? {
                  note: "The request body was a stream that was already read, so it could not be sent again.",
                }
              : {},
        );
      }
      // A POST/PATCH was sent and no answer came: the outcome is unknown.
      if (o.reconcile) {
        const found = await this.#reconcile(
          o.reconcile,
          { sentAt, method, url },
          makeErr({ outcomeUnknown: true }),
        );
        if (found !== undefined) {
          this.log.info(`${method} ${url}: no answer, but the resource exists: using it`);
          return found;
        }
        if (!this.connector.resendsCreatesAfterLookup) {
          throw makeErr({
            outcomeUnknown: true,
            note: "The request may have been sent (fetch cannot tell) and no answer came; a lookup found nothing yet. It was not sent again, so that it is never created twice: look it up later, or send it again if it is still missing.",
          });
        }
        if (retries < maxRetries && replayable) {
          const delay = backoffDelay(retries, this.backoff);
          this.log.info(`${message} (${method} ${url}); not created; retrying in ${delay} ms`);
          await this.#sleep(delay, signal, method, target);
          retries++;
          continue;
        }
        throw makeErr({
          note: "The request was sent but no answer came; a lookup afterwards found nothing, so it was not created.",
        });
      }
      throw makeErr({
        outcomeUnknown: true,
        note: "The request was sent before the connection failed: the server may or may not have processed it.",
      });
    }
  }

  async #reconcile<T>(
    reconcile: (ctx: ReconcileContext) => Promise<T | undefined>,
    ctx: ReconcileContext,
    original: KfpError,
  ): Promise<T | undefined> {
    try {
      return await reconcile(ctx);
    } catch (err) {
      // A ConflictError is a definite answer: the name was taken before this request was sent.
      if (err instanceof AbortError || err instanceof ConflictError) throw err;
      if (original instanceof ConnectionError) {
        throw new ConnectionError(original.message.replace(/ \([A-Z]+ [^)]*\).*$/, ""), {
          method: original.method,
          url: original.url,
          cause: err,
          outcomeUnknown: true,
          note: `The request was sent but no answer came, and looking the resource up failed too (${err instanceof Error ? err.message : String(err)}): it may or may not exist.`,
        });
      }
      throw original;
    }
  }

  async #sleep(ms: number, signal: AbortSignal | undefined, method: string, target: string): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch {
      throw this.#abortError(signal, method, target);
    }
  }

  #abortError(signal: AbortSignal | undefined, method: string, target: string): AbortError {
    return new AbortError(`The request was aborted (${method} ${this.displayUrl(target)})`, {
      cause: signal?.reason,
    });
  }

  #headers(
    authorization: string | undefined,
    body: BodySource | undefined,
    extra: Record<string, string> | undefined,
  ): Record<string, string> {
    if (authorization === undefined && !body && !extra) return this.#baseHeaders;
    const h: Record<string, string> = { ...this.#baseHeaders };
    if (extra) for (const k in extra) h[k.toLowerCase()] = extra[k] as string;
    if (authorization !== undefined) h.authorization = authorization;
    if (body) {
      h["content-type"] = body.contentType;
      if (body.length !== undefined) h["content-length"] = String(body.length);
    }
    return h;
  }

  #attempt(
    method: string,
    target: string,
    headers: Record<string, string>,
    body: BodySource | undefined,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<Attempt> {
    let payload: Uint8Array | AsyncIterable<Uint8Array> | null = null;
    try {
      payload = body ? body.take() : null;
    } catch (err) {
      // The body source refused (a one-shot stream read twice): nothing was sent.
      return Promise.resolve({ ok: false, error: err, sent: false, timedOut: false, aborted: false });
    }
    return this.connector.attempt({
      method,
      origin: this.origin,
      target,
      headers,
      body: payload,
      timeout,
      signal,
    });
  }

  #parse<T>(r: Extract<Attempt, { ok: true }>, method: string, target: string, type: ResponseType): T {
    if (type === "buffer") return r.body as T;
    const text = platform.utf8Decode(r.body);
    if (type === "text") return text as T;
    if (text.length === 0) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      const ct = headerValue(r.rawHeaders, "content-type") ?? "";
      if (looksLikeHtml(text) || ct.includes("text/html")) {
        throw new AuthenticationError({
          status: r.status,
          shortMessage: "HTML page instead of JSON",
          body: text.length > 2000 ? `${text.slice(0, 2000)}…` : text,
          headers: this.#safeHeaders(r.rawHeaders),
          method,
          url: this.displayUrl(target),
          hint: HTML_LOGIN_HINT,
        });
      }
      throw new KfpError(
        `${r.status} answer is not valid JSON (${method} ${this.displayUrl(target)}): ${text.slice(0, 200)}`,
        { cause: err },
      );
    }
  }

  #safeHeaders(raw: RawHeaders): Record<string, string> {
    const h = headerRecord(raw);
    delete h["set-cookie"];
    if (h.location) h.location = this.redactor.scrub(redactUrl(h.location));
    if (h["www-authenticate"]) h["www-authenticate"] = this.redactor.scrub(h["www-authenticate"]);
    return h;
  }

  #apiError(r: Extract<Attempt, { ok: true }>, method: string, target: string): ApiError {
    return makeApiError({
      status: r.status,
      text: this.redactor.scrub(platform.utf8Decode(r.body)),
      headers: this.#safeHeaders(r.rawHeaders),
      method,
      url: this.displayUrl(target),
    });
  }
}

const EMPTY = new Uint8Array(0);
