/**
 * The Node connector: undici's low-level `dispatch()` with a small handler (no fetch, no body streams).
 *
 * "Was the request sent?" On a dispatcher the client built itself (`knowsSent`), undici's
 * `onRequestSent` callback answers it: it fires once the whole request (headers and body) has been
 * written to the socket. Before that the server cannot hold a complete request, so nothing was processed
 * and a replayable request may be sent again, whatever its method. A dispatcher the caller passed may
 * wrap the handler (undici's `compose()` wraps it in a way that drops `onRequestSent`; a proxy or mock
 * agent may do anything), so there the callback proves nothing: every failure after `dispatch()` counts
 * as "maybe sent" unless its error code proves the request never left (internal/retry.ts `provesNotSent`).
 *
 * The timer restarts on progress (request sent, body chunk sent, headers, each response chunk); undici's
 * own header/body timers are set a margin above it, so the client's timer fires first.
 */
import type { Dispatcher } from "undici";
import { KfpError } from "../core/errors.js";
import { undiciTimer } from "../internal/abort.js";
import {
  type Attempt,
  AttemptCancelled,
  type AttemptRequest,
  type Connector,
  MAX_RESPONSE_BYTES,
} from "../internal/connector.js";

const EMPTY = Buffer.alloc(0);

export class UndiciConnector implements Connector {
  readonly kind = "undici" as const;
  readonly knowsSent: boolean;
  readonly resendsCreatesAfterLookup = true;
  readonly dispatcher: Dispatcher;
  readonly #owned: boolean;

  /** `owned`: the client built this dispatcher (its `onRequestSent` is trusted; `close()` closes it). */
  constructor(dispatcher: Dispatcher, owned: boolean) {
    this.dispatcher = dispatcher;
    this.#owned = owned;
    this.knowsSent = owned;
  }

  async close(): Promise<void> {
    if (this.#owned) await this.dispatcher.close();
  }

  attempt(req: AttemptRequest): Promise<Attempt> {
    const { timeout, signal } = req;
    const knowsSent = this.knowsSent;
    return new Promise<Attempt>((resolve) => {
      let done = false;
      let sent = false;
      let timedOut = false;
      let aborted = false;
      let abortFn: ((err: Error) => void) | undefined;
      let pending: Error | undefined;
      let status = 0;
      let rawHeaders: Buffer[] | string[] = [];
      let chunks: Buffer[] | undefined;
      let single: Buffer | undefined;
      let size = 0;

      // A dispatcher the client did not build may drop `onRequestSent` (or answer with an error from
      // within dispatch(), as a MockAgent does): every failure it reports counts as maybe sent, unless
      // its error code proves otherwise (transport: provesNotSent). Only a throw from dispatch() is "not sent".
      const wasSent = () => sent || !knowsSent;
      const finish = (a: Attempt) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(a);
      };
      const cancel = (why: Error) => {
        if (abortFn) abortFn(why);
        else pending = why;
        // Answer now even if undici has not connected yet; it aborts when it does.
        finish({ ok: false, error: why, sent: wasSent(), timedOut, aborted });
      };
      const timer =
        timeout === Number.POSITIVE_INFINITY
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              cancel(new AttemptCancelled("timeout"));
            }, timeout);
      const onAbort = () => {
        aborted = true;
        cancel(new AttemptCancelled("aborted"));
      };
      if (signal) {
        if (signal.aborted) {
          finish({ ok: false, error: new AttemptCancelled("aborted"), sent: false, timedOut, aborted: true });
          return;
        }
        signal.addEventListener("abort", onAbort, { once: true });
      }

      const handler: Dispatcher.DispatchHandler = {
        onConnect(abort: (err?: Error) => void) {
          if (pending) abort(pending);
          else abortFn = abort as (err: Error) => void;
        },
        onRequestSent() {
          sent = true;
          timer?.refresh();
        },
        onBodySent() {
          timer?.refresh();
        },
        onHeaders(statusCode: number, headers: Buffer[] | string[]) {
          status = statusCode;
          rawHeaders = headers;
          sent = true;
          timer?.refresh();
          return true;
        },
        onData(chunk: Buffer) {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            cancel(new KfpError(`response body larger than ${MAX_RESPONSE_BYTES} bytes`));
            return false;
          }
          if (single === undefined && chunks === undefined) single = chunk;
          else {
            if (!chunks) chunks = [single as Buffer];
            chunks.push(chunk);
          }
          timer?.refresh();
          return true;
        },
        onComplete() {
          const body = chunks ? Buffer.concat(chunks, size) : (single ?? EMPTY);
          finish({ ok: true, status, rawHeaders, body });
        },
        onError(err: Error) {
          finish({ ok: false, error: err, sent: wasSent(), timedOut, aborted });
        },
      } as unknown as Dispatcher.DispatchHandler;

      try {
        this.dispatcher.dispatch(
          {
            origin: req.origin,
            path: req.target,
            method: req.method as Dispatcher.HttpMethod,
            headers: req.headers,
            // undici accepts async iterables as bodies (typed as Readable only).
            body: req.body as Buffer | null,
            headersTimeout: undiciTimer(timeout),
            bodyTimeout: undiciTimer(timeout),
          },
          handler,
        );
      } catch (err) {
        finish({ ok: false, error: err, sent: false, timedOut: false, aborted: false });
      }
    });
  }
}
