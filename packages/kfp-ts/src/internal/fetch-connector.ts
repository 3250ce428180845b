/**
 * The fetch connector: browsers, Deno, Bun, edge workers, and Node when asked (`transport: "fetch"` or
 * a `fetch` option). Same request, same answers as the undici connector, with what fetch cannot do said
 * plainly:
 *
 * - "Sent or not?" fetch does not say. Every failure after `fetch()` was called counts as maybe sent,
 *   unless its cause carries an error code that proves the request never left (Node's fetch does:
 *   ECONNREFUSED, ENOTFOUND...). So a create (POST) that may have been sent is never sent again: the
 *   transport looks it up (reconcile) and otherwise reports the outcome as unknown
 *   (`resendsCreatesAfterLookup: false`).
 * - Timeout: the longest wait for the server, restarted on progress — each chunk of the request body
 *   handed over, the response headers, each chunk of the response body — by aborting the fetch.
 * - Request bodies: bytes as they are; a stream is streamed (`duplex: "half"`) where the runtime is a
 *   server runtime (Node, Deno, Bun), and read into memory first in a browser (browsers stream uploads
 *   only over HTTP/2, and not at all in some of them). The upload limit bounds that memory.
 * - Redirects are not followed (as with undici): a redirect answer is an error like any other status.
 * - `content-length` is fetch's to set (a stream goes chunked). Headers a browser forbids (`user-agent`,
 *   `cookie`) are left out there: the browser sets them; cookies of the page's origin go along with
 *   `credentials: "same-origin"`.
 */
import { KfpError } from "../core/errors.js";
import {
  type Attempt,
  AttemptCancelled,
  type AttemptRequest,
  type Connector,
  MAX_RESPONSE_BYTES,
} from "./connector.js";

/** The shape of `fetch` this connector calls (a custom one may be passed: `new Kfp({ fetch })`). */
export type FetchLike = (input: string, init: RequestInit & { duplex?: "half" }) => Promise<Response>;

const EMPTY = new Uint8Array(0);

type RequestBody = NonNullable<RequestInit["body"]>;

/** Whether this runtime is a browser (a page or a worker), where request streams are not usable. */
function inBrowser(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; Deno?: unknown };
  return g.process?.versions?.node === undefined && g.Deno === undefined;
}

/** Headers fetch sets itself (Node's fetch refuses a content-length of ours). */
const FETCH_SET = new Set(["content-length", "host", "connection", "transfer-encoding"]);
/** Headers a browser refuses to let a page set (sending them there would only be dropped or refused). */
const BROWSER_SET = new Set(["user-agent", "cookie"]);

export class FetchConnector implements Connector {
  readonly kind = "fetch" as const;
  readonly knowsSent = false;
  readonly resendsCreatesAfterLookup = false;
  readonly #fetch: FetchLike;
  readonly #browser: boolean;

  /** `runtime.browser`: override the detection (tests). */
  constructor(fetchImpl?: FetchLike, runtime?: { browser: boolean }) {
    const f = fetchImpl ?? (globalThis.fetch as FetchLike | undefined);
    if (typeof f !== "function") {
      throw new KfpError("no fetch in this runtime: pass one with new Kfp({ fetch })");
    }
    // A bare `fetch` called as a method of another object throws "Illegal invocation" in browsers.
    this.#fetch = fetchImpl ? fetchImpl : (input, init) => globalThis.fetch(input, init);
    this.#browser = runtime?.browser ?? inBrowser();
  }

  async close(): Promise<void> {}

  async attempt(req: AttemptRequest): Promise<Attempt> {
    const { timeout, signal } = req;
    if (signal?.aborted) {
      return {
        ok: false,
        error: new AttemptCancelled("aborted"),
        sent: false,
        timedOut: false,
        aborted: true,
      };
    }
    const controller = new AbortController();
    let timedOut = false;
    let aborted = false;
    let called = false;
    // An error of the request body's own source (size limit, unreadable file) is the one to report.
    let bodyError: unknown;
    const timer =
      timeout === Number.POSITIVE_INFINITY
        ? undefined
        : restartable(timeout, () => {
            timedOut = true;
            controller.abort(new AttemptCancelled("timeout"));
          });
    const progress = () => timer?.restart();
    const onAbort = () => {
      aborted = true;
      controller.abort(new AttemptCancelled("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const failed = (error: unknown): Attempt => ({
      ok: false,
      error:
        timedOut || aborted
          ? new AttemptCancelled(timedOut ? "timeout" : "aborted")
          : bodyError instanceof KfpError
            ? bodyError
            : error,
      sent: called,
      timedOut,
      aborted,
    });
    try {
      const headers: Record<string, string> = {};
      for (const k in req.headers) {
        if (FETCH_SET.has(k) || (this.#browser && BROWSER_SET.has(k))) continue;
        headers[k] = req.headers[k] as string;
      }
      const init: RequestInit & { duplex?: "half" } = {
        method: req.method,
        headers,
        redirect: "manual",
        credentials: "same-origin",
        signal: controller.signal,
      };
      if (req.body !== null) {
        if (req.body instanceof Uint8Array) init.body = req.body as RequestBody;
        else if (this.#browser)
          init.body = (await collect(req.body, progress, controller.signal)) as RequestBody;
        else {
          init.body = toStream(req.body, progress, (e) => {
            bodyError = e;
          }) as RequestBody;
          init.duplex = "half";
        }
      }
      called = true;
      const res = await this.#fetch(req.origin + req.target, init);
      progress();
      if (res.type === "opaqueredirect") {
        // A browser hides a redirect's status and headers: report it as the redirect it was.
        return { ok: true, status: 302, rawHeaders: new Headers(), body: EMPTY };
      }
      const body = await readBody(res, progress);
      return { ok: true, status: res.status, rawHeaders: res.headers, body };
    } catch (err) {
      return failed(err);
    } finally {
      timer?.clear();
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

/**
 * A timer that can be restarted: Node's `refresh()` where there is one, else a new timer (a browser's
 * setTimeout returns a number).
 */
function restartable(ms: number, fire: () => void): { restart(): void; clear(): void } {
  let t = setTimeout(fire, ms) as unknown as { refresh?: () => unknown } | number;
  const canRefresh = typeof t === "object" && typeof t.refresh === "function";
  return {
    restart() {
      if (canRefresh) (t as { refresh: () => unknown }).refresh();
      else {
        clearTimeout(t as Parameters<typeof clearTimeout>[0]);
        t = setTimeout(fire, ms) as unknown as number;
      }
    },
    clear: () => clearTimeout(t as Parameters<typeof clearTimeout>[0]),
  };
}

/** A stream of chunks as a web ReadableStream (pulled as fetch sends; progress on each chunk). */
function toStream(
  body: AsyncIterable<Uint8Array>,
  progress: () => void,
  onError: (err: unknown) => void,
): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await it.next();
        progress();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      } catch (err) {
        onError(err);
        controller.error(err);
      }
    },
    async cancel() {
      await it.return?.();
    },
  });
}

/** A stream of chunks read into one Blob (browsers); the multipart framing bounds its size. */
async function collect(
  body: AsyncIterable<Uint8Array>,
  progress: () => void,
  signal: AbortSignal,
): Promise<Blob> {
  const parts: Uint8Array[] = [];
  for await (const chunk of body) {
    if (signal.aborted) throw signal.reason;
    parts.push(chunk);
    progress();
  }
  return new Blob(parts as unknown as ConstructorParameters<typeof Blob>[0]);
}

/** The response body, bounded, the timer restarted on each chunk. */
async function readBody(res: Response, progress: () => void): Promise<Uint8Array> {
  if (!res.body) return EMPTY;
  const reader = res.body.getReader();
  let single: Uint8Array | undefined;
  let chunks: Uint8Array[] | undefined;
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    progress();
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new KfpError(`response body larger than ${MAX_RESPONSE_BYTES} bytes`);
    }
    if (single === undefined && chunks === undefined) single = value;
    else {
      chunks ??= [single as Uint8Array];
      chunks.push(value);
    }
  }
  if (!chunks) return single ?? EMPTY;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
