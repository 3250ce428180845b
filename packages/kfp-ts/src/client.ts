/**
 * The KFP client: options → environment → defaults, one connector (undici on Node, fetch elsewhere or
 * when asked), resources as fields.
 *
 * ```ts
 * const kfp = new Kfp({ host: "http://localhost:8888" });
 * const p = await kfp.pipelines.upload(fromPath("pipeline.yaml"), { name: "my-pipeline" });
 * for await (const run of kfp.runs.list()) console.log(run.display_name);
 * await kfp.close();
 * ```
 */

import type { Dispatcher } from "undici";
import { platform } from "#platform";
import { AbortError, KfpError, ValidationError } from "./core/errors.js";
import { listPages, type Page, type PagePromise } from "./core/pagination.js";
import { abortable } from "./internal/abort.js";
import {
  type ApiVersion,
  isUnknownRoute,
  learnApiVersion,
  noKfpApi,
  redoOnFallback,
  versionOfPath,
} from "./internal/api-version.js";
import { Auth, type TokenProvider } from "./internal/auth.js";
import { checkOptions, connect, pageOrigin, type Shared } from "./internal/client-setup.js";
import {
  DEFAULT_TOKEN_PATH,
  type Env,
  IN_CLUSTER_HOST,
  MISSING_HOST_MESSAGE,
  normalizeHost,
  readEnv,
} from "./internal/env.js";
import type { FetchLike } from "./internal/fetch-connector.js";
import { isLogLevel, Log, type Logger, type LogLevel, Redactor } from "./internal/log.js";
import type { Query } from "./internal/path.js";
import type { BackoffOptions } from "./internal/retry.js";
import {
  type BodySource,
  jsonBody,
  type ReconcileContext,
  type SendOptions,
  Transport,
} from "./internal/transport.js";
import { APIResource } from "./resources/base.js";
import { Experiments } from "./resources/experiments.js";
import { Healthz } from "./resources/healthz.js";
import { Pipelines } from "./resources/pipelines.js";
import { RecurringRuns } from "./resources/recurring-runs.js";
import { Runs } from "./resources/runs.js";
import type { HealthzResponse } from "./types/common.js";

export type { ApiVersion } from "./internal/api-version.js";
export type { FetchLike } from "./internal/fetch-connector.js";
export type { Logger, LogLevel } from "./internal/log.js";
export type { Query } from "./internal/path.js";
export type { ReconcileContext } from "./internal/transport.js";

/** What `auto` tries, in order: every released 2.x server serves v2beta1; 1.x servers only v1beta1. */
const AUTO_VERSIONS: readonly ApiVersion[] = ["v2beta1", "v1beta1"];

export interface KfpOptions {
  /**
   * KFP API endpoint, e.g. `http://localhost:8888` or `https://kubeflow.example.com/pipeline`. Env:
   * `KFP_HOST`, `KF_PIPELINES_ENDPOINT`. In a browser `""` (or omitted) means the page's own origin.
   */
  host?: string;
  /** Static bearer token. Env: `KFP_TOKEN`. */
  token?: string;
  /** Called before each request for a bearer token (may cache on its side). */
  tokenProvider?: TokenProvider;
  /** File holding a bearer token, re-read when it rotates. Env: `KF_PIPELINES_SA_TOKEN_PATH`. */
  tokenFile?: string;
  /** Default namespace (experiments, runs, pipelines). Env: `KFP_NAMESPACE`. */
  namespace?: string;
  /** Extra headers on every request, e.g. `{ "kubeflow-userid": "alice@example.com" }`. */
  headers?: Record<string, string>;
  /** Cookies (a Dex or oauth2-proxy session): a `Cookie` header string or a name → value map. */
  cookies?: string | Record<string, string>;
  /**
   * Per-attempt timeout in ms (default 60 000): connecting, waiting for headers, or any pause in the body.
   * 0 < timeout ≤ 2^31−1, or `Infinity` for none.
   */
  timeout?: number;
  /** Retries after the first attempt (default 2). */
  maxRetries?: number;
  /** CA certificate(s) for TLS: PEM text, bytes, or a path to a PEM file (Node transport only). */
  ca?: string | Uint8Array;
  /** Skip TLS certificate verification (never in production). Cannot be combined with `ca`. */
  insecure?: boolean;
  /** Where log lines go (default: console). Every line is redacted. */
  logger?: Logger;
  /** Default `warn`. Env: `KFP_LOG_LEVEL`. */
  logLevel?: LogLevel;
  /**
   * API version to use. `auto` (default) sends the first call to `/apis/v2beta1` (every released KFP
   * 2.x server) and learns from the answer: a 404 for an unknown route means a 1.x server, and the call
   * is sent again to `/apis/v1beta1`. `/apis/v2` is used only when asked for.
   */
  apiVersion?: "auto" | ApiVersion;
  /** Backoff tuning (ms): `baseDelay` 500, `maxDelay` 8000, `maxRetryAfter` 60 000. */
  retry?: Partial<BackoffOptions>;
  /**
   * Advanced: use this undici dispatcher instead of creating one (it is not closed by `close()`). The
   * client cannot tell whether such a dispatcher delivers undici's "request sent" callback (`compose()`
   * drops it), so any failure after handing it a request counts as "maybe sent": a create is looked up
   * before it is sent again, and a POST that cannot be looked up fails with `outcomeUnknown` instead of
   * being retried.
   */
  dispatcher?: Dispatcher;
  /**
   * The HTTP stack: `auto` (default) is undici on Node and `fetch` elsewhere (browsers, Deno, Bun, edge
   * workers); `fetch` forces fetch on Node too. Passing `fetch` implies `transport: "fetch"`.
   */
  transport?: "auto" | "undici" | "fetch";
  /**
   * The `fetch` to call (default `globalThis.fetch`), e.g. one that adds credentials or runs in a test.
   * With fetch a create (POST) that may have been sent is never sent again: fetch cannot tell "not sent"
   * from "sent, answer lost".
   */
  fetch?: FetchLike;
  /** Environment to read fallbacks from (default `process.env` on Node, none elsewhere). */
  env?: Env;
}

export interface ServerInfo {
  apiVersion: ApiVersion;
  multiUser: boolean;
  commitSha?: string;
  tagName?: string;
  pipelineStore?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Per-attempt timeout in ms for this call (0 < timeout ≤ 2^31−1, or `Infinity` for none). */
  timeout?: number;
  maxRetries?: number;
}

export interface RequestOptions<T> extends CallOptions {
  method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT";
  /** Relative to the version prefix (`/runs/abc` → `/apis/<version>/runs/abc`); `/apis/...` is used as is. */
  path: string;
  query?: Query;
  body?: unknown;
  /** Default: GET/DELETE/PUT true, POST/PATCH false. */
  idempotent?: boolean;
  /**
   * For creates: called when the outcome is unknown, before any retry; a value means "already done".
   * `ctx.sentAt` is when the request was first sent: a found resource older than that (less a second
   * for whole-second timestamps) was not created by this request.
   */
  reconcile?: (ctx: ReconcileContext) => Promise<T | undefined>;
}

export interface ListCallOptions<Item, Raw> extends CallOptions {
  /** Key of the item array in the response: `runs`, `pipelines`, `recurringRuns`... */
  itemsKey: string;
  /** page_size, sort_by, filter (already serialized), namespace... */
  query?: Query;
  /** Per-item conversion (v1 adapters). */
  map?: (raw: Raw) => Item;
}

/** Where `withOptions()` puts its shared state: on the new client's options, not in a module variable. */
const INHERIT: unique symbol = Symbol("kfp-ts.inherit");
type InheritingOptions = KfpOptions & { [INHERIT]?: Shared<ServerInfo> };

/**
 * The Kubeflow Pipelines client: one per server (its connections, credentials and API version), with the
 * resources as fields — `pipelines` (+ `.versions`), `experiments`, `runs`, `recurringRuns`, `healthz`.
 * Call options (`signal`, `timeout`, `maxRetries`) come last in every call; lists return a `PagePromise`.
 * E.g. `await new Kfp({ host: "http://localhost:8888" }).runs.list({ page_size: 10 }, { timeout: 5_000 })`.
 */
export class Kfp {
  readonly pipelines: Pipelines;
  readonly experiments: Experiments;
  readonly runs: Runs;
  readonly recurringRuns: RecurringRuns;
  readonly healthz: Healthz;
  /** Default namespace of this client. */
  readonly namespace: string | undefined;
  /** The API endpoint (`scheme://host[:port][/prefix]`). */
  readonly host: string;

  readonly #options: KfpOptions;
  readonly #transport: Transport;
  readonly #shared: Shared<ServerInfo>;
  readonly #ownsConnector: boolean;
  readonly #apiVersion: "auto" | ApiVersion;
  #closed = false;

  constructor(opts: KfpOptions = {}) {
    const { [INHERIT]: shared, ...own } = opts as InheritingOptions;
    checkOptions(own);
    this.#options = own;
    const rawEnv = opts.env ?? platform.env();
    const env = readEnv(rawEnv);
    const redactor = new Redactor();
    const levelFromEnv = env.logLevel && isLogLevel(env.logLevel) ? env.logLevel : undefined;
    const log = new Log(opts.logger, opts.logLevel ?? levelFromEnv ?? "warn", redactor);

    const rawHost =
      (opts.host === "" ? undefined : opts.host) ??
      env.host ??
      (env.inCluster ? IN_CLUSTER_HOST : undefined) ??
      pageOrigin();
    if (!rawHost) throw new ValidationError(MISSING_HOST_MESSAGE, { field: "host" });
    const host = normalizeHost(rawHost);
    if (host.schemeAdded) {
      log.info(`host has no scheme; using ${host.origin}${host.basePath}`);
    }
    this.host = `${host.origin}${host.basePath}`;
    this.namespace = opts.namespace ?? env.namespace;
    this.#apiVersion = opts.apiVersion ?? "auto";

    const explicitCred =
      opts.token !== undefined || opts.tokenProvider !== undefined || opts.tokenFile !== undefined;
    const auth = new Auth(
      {
        token: opts.token ?? (explicitCred ? undefined : env.token),
        tokenProvider: opts.tokenProvider,
        tokenFile: opts.tokenFile ?? (explicitCred || env.token ? undefined : env.tokenFile),
        defaultTokenFile: explicitCred || env.token || env.tokenFile ? undefined : DEFAULT_TOKEN_PATH,
        cookies: opts.cookies,
      },
      { redactor, log },
    );

    const timeout = opts.timeout ?? 60_000;
    const connection = connect(opts, shared, timeout, rawEnv);
    this.#shared = connection.shared;
    this.#ownsConnector = connection.owned;

    this.#transport = new Transport({
      origin: host.origin,
      basePath: host.basePath,
      connector: this.#shared.connector,
      auth,
      headers: opts.headers,
      timeout,
      maxRetries: opts.maxRetries ?? 2,
      log,
      redactor,
      backoff: opts.retry,
    });

    // In auto mode a call made before the server's API version is known is run again after a fallback.
    const redo = <R extends object>(r: R): R =>
      this.#apiVersion === "auto" ? redoOnFallback(r, (v) => v instanceof APIResource) : r;
    this.pipelines = redo(new Pipelines(this));
    this.experiments = redo(new Experiments(this));
    this.runs = redo(new Runs(this));
    this.recurringRuns = redo(new RecurringRuns(this));
    this.healthz = new Healthz(this);
  }

  /** A client with some options changed; shares the connections when their settings match. */
  withOptions(opts: Partial<KfpOptions>): Kfp {
    const merged: KfpOptions = { ...this.#options, ...opts };
    // A new credential replaces the old one rather than conflicting with it.
    if (opts.token !== undefined || opts.tokenProvider !== undefined || opts.tokenFile !== undefined) {
      if (opts.token === undefined) delete merged.token;
      if (opts.tokenProvider === undefined) delete merged.tokenProvider;
      if (opts.tokenFile === undefined) delete merged.tokenFile;
    }
    // Likewise a new TLS choice replaces the parent's (ca and insecure cannot be combined).
    if (opts.insecure === true && opts.ca === undefined) delete merged.ca;
    if (opts.ca !== undefined && opts.insecure === undefined) delete merged.insecure;
    if (merged.host === undefined) merged.host = this.host;
    const inheriting: InheritingOptions = { ...merged, [INHERIT]: this.#shared };
    return new Kfp(inheriting);
  }

  /** A client whose default namespace is `namespace`. */
  withNamespace(namespace: string): Kfp {
    if (typeof namespace !== "string" || namespace === "") {
      throw new ValidationError("withNamespace() needs a non-empty namespace", { field: "namespace" });
    }
    return this.withOptions({ namespace });
  }

  /** Close the connections (when this client created them). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsConnector && !this.#shared.closed) {
      this.#shared.closed = true;
      await this.#shared.connector.close();
    }
  }

  /**
   * The server's API version: the `apiVersion` option, else (auto) what earlier answers showed, else
   * asked from healthz: `/apis/v2beta1/healthz`, then `/apis/v1beta1/healthz` after an unknown-route 404.
   */
  async apiVersion(opts?: { signal?: AbortSignal }): Promise<ApiVersion> {
    if (this.#apiVersion !== "auto") return this.#apiVersion;
    const known = this.#shared.apis.get(this.host);
    if (known?.confirmed) return known.version;
    return (await this.#probe(opts?.signal)).apiVersion;
  }

  /**
   * @internal The API version to build a request for, without a round trip: the option, what the
   * server's answers showed, or (auto, nothing known yet) v2beta1, corrected by the first answer.
   * `certain`: probe healthz first when nothing is confirmed (for a request that cannot be sent twice).
   */
  async _api(signal?: AbortSignal, certain = false): Promise<ApiVersion> {
    if (this.#apiVersion !== "auto") return this.#apiVersion;
    const known = this.#shared.apis.get(this.host);
    if (known?.confirmed || (known && !certain)) return known.version;
    if (certain) return this.apiVersion(signal ? { signal } : undefined);
    return "v2beta1";
  }

  /** Server information from healthz (cached). */
  async serverInfo(opts?: { signal?: AbortSignal }): Promise<ServerInfo> {
    const version =
      this.#apiVersion !== "auto" ? this.#apiVersion : this.#shared.apis.get(this.host)?.version;
    if (version === undefined) return this.#probe(opts?.signal);
    const key = `${this.host} ${version}`;
    let p = this.#shared.probes.get(key);
    if (!p) {
      p = this._send<HealthzResponse>({ method: "GET", path: `/apis/${version}/healthz` }).then((h) =>
        toServerInfo(version, h),
      );
      this.#cacheProbe(key, p);
    }
    return withSignal(p, opts?.signal);
  }

  /** @internal What healthz said, when the client already asked it (no round trip). */
  _knownServerInfo(): ServerInfo | undefined {
    return this.#shared.infos.get(this.host);
  }

  #cacheProbe(key: string, p: Promise<ServerInfo>): void {
    this.#shared.probes.set(key, p);
    p.then(
      (info) => {
        this.#shared.infos.set(this.host, info);
        this.#shared.probes.set(`${this.host} ${info.apiVersion}`, p);
      },
      () => undefined,
    );
    // Failures are not cached: the next call probes again.
    p.catch(() => {
      if (this.#shared.probes.get(key) === p) this.#shared.probes.delete(key);
    });
  }

  #probe(signal: AbortSignal | undefined): Promise<ServerInfo> {
    const key = `${this.host} auto`;
    let p = this.#shared.probes.get(key);
    if (!p) {
      p = (async () => {
        for (const version of AUTO_VERSIONS) {
          try {
            // Shared by every caller: not tied to one caller's signal (each caller races its own).
            const h = await this.#transport.send<HealthzResponse>({
              method: "GET",
              path: `/apis/${version}/healthz`,
            });
            this.#transport.log.debug(`API version ${version}`);
            this.#shared.apis.set(this.host, { version, confirmed: true });
            return toServerInfo(version, h);
          } catch (err) {
            if (isUnknownRoute(err)) continue;
            throw err;
          }
        }
        throw noKfpApi(this.host);
      })();
      this.#cacheProbe(key, p);
    }
    return withSignal(p, signal);
  }

  /** Turn a contract path into a full path (`/runs` → `/apis/<version>/runs`). */
  async resolvePath(path: string, signal?: AbortSignal): Promise<string> {
    if (path.startsWith("/apis/")) return path;
    if (!path.startsWith("/"))
      throw new ValidationError(`path must start with "/": ${path}`, { field: "path" });
    return `/apis/${await this._api(signal)}${path}`;
  }

  /** Send one request (relative paths get the API version prefix) and decode its JSON answer: retries, timeouts, auth and typed errors as for every call. */
  async request<T>(opts: RequestOptions<T>): Promise<T> {
    const path = await this.resolvePath(opts.path, opts.signal);
    return this._send<T>({
      method: opts.method,
      path,
      query: opts.query,
      body: opts.body === undefined ? undefined : jsonBody(opts.body),
      signal: opts.signal,
      timeout: opts.timeout,
      maxRetries: opts.maxRetries,
      idempotent: opts.idempotent,
      reconcile: opts.reconcile,
    });
  }

  /** `GET path` (see `request`). */
  get<T>(path: string, opts: CallOptions & { query?: Query } = {}): Promise<T> {
    return this.request<T>({ ...opts, method: "GET", path });
  }

  /** `POST path` with a JSON body; not retried once sent unless `reconcile` finds the outcome (see `request`). */
  post<T>(
    path: string,
    opts: CallOptions & {
      query?: Query;
      body?: unknown;
      reconcile?: (ctx: ReconcileContext) => Promise<T | undefined>;
    } = {},
  ): Promise<T> {
    return this.request<T>({ ...opts, method: "POST", path });
  }

  /** `PATCH path` with a JSON body (see `request`). */
  patch<T>(
    path: string,
    opts: CallOptions & {
      query?: Query;
      body?: unknown;
      reconcile?: (ctx: ReconcileContext) => Promise<T | undefined>;
    } = {},
  ): Promise<T> {
    return this.request<T>({ ...opts, method: "PATCH", path });
  }

  /** `PUT path` with a JSON body (see `request`). */
  put<T>(path: string, opts: CallOptions & { query?: Query; body?: unknown } = {}): Promise<T> {
    return this.request<T>({ ...opts, method: "PUT", path });
  }

  /** `DELETE path` (see `request`). */
  delete<T>(path: string, opts: CallOptions & { query?: Query } = {}): Promise<T> {
    return this.request<T>({ ...opts, method: "DELETE", path });
  }

  /** A list call: awaitable as one page, `for await` over every item. */
  /** A list on any route, through the resources' list engine (later pages send no sort_by/filter). */
  getList<Item, Raw = unknown>(path: string, opts: ListCallOptions<Item, Raw>): PagePromise<Item> {
    const { itemsKey, query = {}, map, ...call } = opts;
    const request = { path, query, itemsKey, map: map as ((raw: unknown) => Item) | undefined };
    return listPages<Item>(
      (p, q) => this.get(p, { ...call, query: q }),
      async () => request,
    );
  }

  /**
   * @internal Send through the transport with any body (uploads use a multipart body).
   * `path` must already be a full path.
   */
  _send<T>(o: Omit<SendOptions<T>, "body"> & { body?: BodySource | undefined }): Promise<T> {
    if (this.#closed || this.#shared.closed) {
      return Promise.reject(new KfpError("this client is closed; create a new Kfp instance"));
    }
    if (this.#apiVersion === "auto" && !this.#shared.apis.get(this.host)?.confirmed) {
      const version = versionOfPath(o.path);
      if (version !== undefined && version !== "v2") {
        return learnApiVersion(
          this.#shared.apis,
          this.host,
          version,
          this.#transport.send<T>(o),
          this.#transport.log,
        );
      }
    }
    return this.#transport.send<T>(o);
  }

  /**
   * @internal The headers that carry this client's identity (authorization, cookie, extra headers),
   * for a proxy sending requests on its behalf (`kfp-ts ui`). Never log them.
   */
  _credentialHeaders(signal?: AbortSignal): Promise<Record<string, string>> {
    return this.#transport.credentialHeaders(signal);
  }

  /** @internal */
  get _transport(): Transport {
    return this.#transport;
  }

  /** Never shows credentials. */
  toJSON(): Record<string, unknown> {
    return {
      host: this.host,
      namespace: this.namespace,
      apiVersion: this.#apiVersion,
      auth: this.#transport.auth.kind,
      transport: this.#transport.connector.kind,
    };
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Kfp ${JSON.stringify(this.toJSON())}`;
  }
}

/** Wait for a shared promise, but give up with an AbortError when this caller's signal fires. */
function withSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return abortable(p, signal, () => new AbortError("The request was aborted", { cause: signal?.reason }));
}

function toServerInfo(version: ApiVersion, h: HealthzResponse): ServerInfo {
  const info: ServerInfo = { apiVersion: version, multiUser: h?.multi_user === true };
  if (h?.commit_sha) info.commitSha = h.commit_sha;
  if (h?.tag_name) info.tagName = h.tag_name;
  if (h?.pipeline_store) info.pipelineStore = h.pipeline_store;
  return info;
}

export type { Page };
