/**
 * The emulator's HTTP server.
 *
 * ── Framework API for resource modules ────────────────────────────────────────────────────────────
 *
 * A resource module (pipelines.ts, api/experiments.ts, api/runs.ts, ...) exports
 *
 *     export function register(app: ModuleHost): void   // module.ts: EmulatorApp + router
 *
 * and is listed in app.ts `MODULES` (imported by name). `app` (context.ts) gives: `router`, `store`,
 * `config`, `log`, `now()` (unix seconds), `nowMs()`, `newId()`, `onClose(fn)` (stop timers on
 * close), `engine` (engine/engine.ts: start, terminate, retry, observe runs), `scheduler` (recurring
 * runs) and `experimentArchive` (steps other resources add to an experiment's archival).
 *
 * Routes (router.ts):
 *
 *     app.router.get(ALL_V2, "/runs/{run_id}", handler)          // /apis/v2beta1/... and /apis/v2/...
 *     app.router.post(ALL_V2, "/runs/{run_id}:archive", handler)  // custom verb
 *     app.router.get("v1beta1", "/runs/{run_id}", handlerV1)
 *     app.router.plain(ALL_V2, "/healthz", handler)               // any method, not behind the gateway
 *     app.router.get("v1beta1", "/apis/v1alpha1/runs/{run_id}/nodes/{node_id}/log", h) // absolute pattern
 *     app.router.plain("v2", "/runs/{run_id}/nodes/{node_id}/log", h, { method: "GET" }) // mux .Methods(GET)
 *
 * A handler `(ctx: RequestContext) => unknown | Promise<unknown>` returns the response object
 * (sent as 200 JSON; return `{}` for google.protobuf.Empty) or responds itself with `ctx.send(...)`.
 * Throwing an `ApiError` (errors.ts: invalidInput, notFound, alreadyExists, badRequest,
 * failedPrecondition, permissionDenied, internal, ...) writes the gateway error body with the
 * mapped status. `ctx` (context.ts) offers:
 *   method, path, params / param(name) (percent-decoded), query (URLSearchParams), q(name) (also
 *   accepts the camelCase spelling), qInt/qBool/qEnum (400 on a bad value like the gateway),
 *   listQuery() (→ list.ts `listRows`), headers, api ("v1beta1" | "v2beta1" | "v2"), store, config,
 *   now(), newId(), readJson(shape | allowedKeys) (protojson strictness: unknown field → 400; shapes
 *   built with body.ts `message/repeated/mapOf/enumOf`), isMultiUser, identity() (401 when none),
 *   authorize(namespace, resource, verb) (auth.ts; no-op in single-user mode; 401/403 errors carry
 *   no context prefix, wrap them like upstream), send(status, body), sendRaw(status, body, type),
 *   sendJson(status, json) (already serialised JSON, e.g. `listResponseJson` parts).
 * JSON helpers (encode.ts): timestamp(sec), int64(n), omitZero(msg), listResponse(key, items,
 * total, next), listResponseJson (the same from pre-serialised items) and `JsonCache` (JSON of
 * immutable records, per variant). Storage (store.ts, typed by kind in kinds.ts): store.put/get/has/delete/all(kind)/count/
 * transaction(fn), find(kind, field, value) (indexed) and snapshot(kind) — records are immutable
 * values, `put` a new object to change one; find/snapshot lists are frozen and reused until changed,
 * which lets list.ts keep them sorted between requests.
 *
 * ── Server behaviour ──────────────────────────────────────────────────────────────────────────────
 * Request flow: match route → fault rules (latency, 503, resets, truncation) → read the whole body
 * (bounded; oversize bodies are drained and flagged) → handler → inspector record.
 * Paths outside /apis/ get Go's plain-text 404. Control endpoints (`/_emulator/*`, http/control.ts)
 * are never faulted or recorded; in multi-user mode they need the admin token.
 * Limits (http/limits.ts): head ≤ 1 MiB (431 beyond), body ≤ 32 MiB, a time budget per handler (504);
 * a request that fails unexpectedly gets a generic 500 and the server goes on (http/guards.ts).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createApp } from "../app.js";
import { identify, type MultiUserConfig } from "../auth.js";
import type { LifecycleOptions } from "../engine/lifecycle-options.js";
import type { ExecuteLimits } from "../execute/dag.js";
import type { TaskRunner } from "../execute/task.js";
import type { Store } from "../storage/kinds.js";
import { type EmulatorApp, type EmulatorConfig, type EmulatorLogger, RequestContext } from "./context.js";
import { handleControl } from "./control.js";
import {
  ApiError,
  GrpcCode,
  gatewayErrorBody,
  toApiError,
  writeGatewayError,
  writePlainTextError,
  writeRoutingError,
} from "./errors.js";
import { type ActiveFault, type FaultRule, Faults } from "./faults.js";
import { answerClientError, installSafetyNet, withTimeBudget } from "./guards.js";
import {
  type InspectedRequest,
  Inspector,
  redactHeaders,
  redactQuery,
  summarizeBody,
  watchResponse,
} from "./inspector.js";
import {
  MAX_CONTROL_BODY_BYTES,
  MAX_HEADER_BYTES,
  REQUEST_RECEIVE_TIMEOUT_MS,
  REQUEST_TIME_BUDGET_MS,
} from "./limits.js";
import type { ApiVersion } from "./router.js";
import { defaultUiDir, UiStatic } from "./ui-static.js";

export interface EmulatorOptions {
  /** TCP port (default 0 = any free port). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** SQLite file for persistence; in memory when absent. */
  db?: string;
  /** An already opened store (tests); overrides `db`. */
  store?: Store;
  /** Multi-user mode: `true` for defaults, or a config (users, tokens, shared read ...). */
  multiUser?: boolean | MultiUserConfig;
  /** Clock in milliseconds since the epoch (default Date.now). */
  clock?: () => number;
  /** Id generator (default crypto.randomUUID). */
  idGenerator?: () => string;
  /** Fault rules active from the start. */
  faults?: FaultRule[];
  /** Accept package URLs on loopback/private hosts and any domain (tests). Default false. */
  allowLoopbackUrls?: boolean;
  /** Accept http:// package URLs. Default false. */
  allowHttpUrls?: boolean;
  /** Allowed package URL domains (default storage.googleapis.com, s3.amazonaws.com, github.com, raw.githubusercontent.com). */
  allowedUrlDomains?: string[];
  /** Package download timeout in ms (default 30 000). */
  urlFetchTimeoutMs?: number;
  /** Namespaces where v1 (Argo Workflow) pipelines are refused; ["*"] = everywhere. Default none. */
  blockV1Pipelines?: string[];
  /** Requests kept by the inspector (default 200; 0 disables). */
  inspectorSize?: number;
  /** Logger (default: silent). */
  logger?: EmulatorLogger;
  /** Reported by healthz (default "unknown"). */
  commitSha?: string;
  tagName?: string;
  /** Run lifecycle settings, passed through to the run modules. */
  lifecycle?: LifecycleOptions;
  /** Service account of runs that name none (the real default is `pipeline-runner`). */
  defaultServiceAccount?: string;
  /** Run durations, passed through to the run modules. */
  runDurations?: unknown;
  /**
   * Multi-user mode: the credential of the control endpoints (`/_emulator/*`), sent as
   * `Authorization: Bearer <token>` or `X-Emulator-Admin-Token`. Without it they are closed in
   * multi-user mode (a user may still read their own inspector entries). Ignored in single-user mode.
   */
  adminToken?: string;
  /** Time budget of one request's handler in ms (default REQUEST_TIME_BUDGET_MS); beyond it a 504. */
  requestTimeBudgetMs?: number;
  /**
   * Keep the process alive on a stray asynchronous error (log it instead of exiting): process-wide
   * `uncaughtException`/`unhandledRejection` handlers, removed on close. The command line sets it;
   * an embedding program decides for itself (default false).
   */
  safetyNet?: boolean;
  /**
   * Serve the web UI at `/` (GET/HEAD of paths outside `/apis/` and `/_emulator/`; http/ui-static.ts):
   * `true` for this package's `dist/ui`, or a directory. Default off, so an embedded emulator answers
   * those paths with Go's plain 404 like the real server; the command line turns it on (`--no-ui`).
   */
  ui?: boolean | string;
  /**
   * Execute mode (issue 13): runs execute their tasks as local processes (code from uploaded
   * packages runs on this machine). Default false: runs are simulated.
   */
  execute?: boolean;
  /** Execute mode: directory of the runs' task roots (default `<db dir or tmp>/pipeline-root`). */
  pipelineRoot?: string;
  /** Execute mode: caps (concurrent tasks, task timeout, output bytes, retry backoff). */
  executeLimits?: Partial<ExecuteLimits>;
  /** Execute mode: the task runner (tests); default the local process runner. */
  taskRunner?: TaskRunner;
  /**
   * Execute mode listens on loopback only; set this to listen on another `host` anyway (anyone who
   * reaches the port can run code on this machine). A warning is logged.
   */
  allowRemoteExecute?: boolean;
}

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Execute mode on a non-loopback interface needs `allowRemoteExecute`; then it warns. */
function checkExecuteHost(opts: EmulatorOptions): void {
  const host = opts.host ?? "127.0.0.1";
  if (!opts.execute || isLoopbackHost(host)) return;
  if (!opts.allowRemoteExecute) {
    throw new Error(
      `execute mode runs the code of uploaded pipelines, so it listens on loopback only; host ${host} needs allowRemoteExecute (--allow-remote-execute)`,
    );
  }
  opts.logger?.warn(
    `emulator: execute mode listening on ${host}: anyone who reaches this port can run code on this machine`,
  );
}

export interface Emulator {
  /** Base URL, e.g. "http://127.0.0.1:41234" (no trailing slash). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly store: Store;
  readonly faults: Faults;
  readonly app: EmulatorApp;
  /** Inspected requests, oldest first (secrets redacted). */
  requests(): InspectedRequest[];
  clearRequests(): void;
  /** Stop listening, close connections, stop background work and close the store. Idempotent. */
  close(): Promise<void>;
}

/** Read the whole body; beyond `limit` bytes keep draining but discard. Resolves null if the client went away. */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean } | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let done = false;
    req.on("data", (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      done = true;
      resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge });
    });
    req.on("error", () => {
      if (!done) resolve(null);
    });
    req.on("close", () => {
      if (!done && !req.complete) resolve(null);
    });
  });
}

/** Make `res` swallow the response and drop the connection (the request was still processed). */
function installResetAfterBody(
  req: IncomingMessage,
  res: ServerResponse,
  onStatus: (s: number) => void,
): void {
  const socket = req.socket;
  res.writeHead = ((status: number) => {
    onStatus(status);
    return res;
  }) as ServerResponse["writeHead"];
  res.write = (() => true) as ServerResponse["write"];
  res.end = (() => {
    socket.destroy();
    return res;
  }) as ServerResponse["end"];
}

/** Make `res` send headers with the full Content-Length but only half of the body, then drop the connection. */
function installTruncate(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  const origWriteHead = res.writeHead.bind(res) as (s: number, h?: Record<string, unknown>) => ServerResponse;
  const origWrite = res.write.bind(res) as (c: Buffer, cb?: () => void) => boolean;
  let status = 200;
  let headers: Record<string, unknown> = {};
  const pending: Buffer[] = [];
  res.writeHead = ((s: number, h?: unknown) => {
    status = s;
    if (h && typeof h === "object" && !Array.isArray(h)) headers = { ...(h as Record<string, unknown>) };
    return res;
  }) as ServerResponse["writeHead"];
  res.write = ((chunk: unknown) => {
    if (chunk !== undefined && chunk !== null) pending.push(Buffer.from(chunk as string));
    return true;
  }) as ServerResponse["write"];
  res.end = ((chunk?: unknown) => {
    if (chunk !== undefined && chunk !== null && typeof chunk !== "function")
      pending.push(Buffer.from(chunk as string));
    const full = Buffer.concat(pending);
    origWriteHead(status, { ...headers, "content-length": full.length });
    origWrite(full.subarray(0, Math.floor(full.length / 2)), () => setImmediate(() => socket.destroy()));
    return res;
  }) as ServerResponse["end"];
}

export async function startServer(opts: EmulatorOptions = {}): Promise<Emulator> {
  checkExecuteHost(opts);
  const app = await createApp(opts);
  const faults = new Faults();
  if (opts.faults?.length) faults.add(opts.faults);
  const inspector = new Inspector(opts.inspectorSize ?? 200);
  const sockets = new Set<Socket>();
  const multiUser = app.config.multiUser;
  const adminToken = opts.adminToken === "" ? undefined : opts.adminToken;
  const timeBudgetMs = opts.requestTimeBudgetMs ?? REQUEST_TIME_BUDGET_MS;
  const ui = opts.ui ? new UiStatic(typeof opts.ui === "string" ? opts.ui : defaultUiDir()) : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const startedAt = new Date(app.nowMs()).toISOString();
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://emulator.invalid");
    } catch {
      writeGatewayError(res, badPath());
      return;
    }
    const method = (req.method ?? "GET").toUpperCase();
    const path = url.pathname;

    if (path === "/_emulator" || path.startsWith("/_emulator/")) {
      const got = await readBody(req, MAX_CONTROL_BODY_BYTES);
      if (!got) return;
      if (got.tooLarge) {
        writeGatewayError(res, gatewayInvalidBody());
        return;
      }
      handleControl(req, res, method, path, got.body, {
        faults,
        inspector,
        router: app.router,
        multiUser,
        adminToken,
      });
      return;
    }

    if (ui && (method === "GET" || method === "HEAD") && path !== "/apis" && !path.startsWith("/apis/")) {
      ui.serve(req, res, method, path); // the web UI: never faulted, never recorded
      return;
    }

    const match = app.router.match(method, path);
    const entry: Omit<InspectedRequest, "seq"> = {
      time: startedAt,
      method,
      path,
      query: redactQuery(url.searchParams),
      headers: redactHeaders(req.headers),
      status: 0,
      duration_ms: 0,
    };
    if (multiUser) {
      const { user } = identify({ headers: req.headers, rawHeaders: req.rawHeaders, multiUser });
      if (user) entry.user = user;
    }
    if (match.kind === "found") {
      entry.api = match.route.api;
      entry.route = match.route.pattern;
    }
    let intendedStatus: number | undefined;
    let recorded = false;
    let bodyInfo: { body: Buffer; tooLarge: boolean } | null = null;
    let ctx: RequestContext | undefined;
    const response = inspector.enabled ? watchResponse(res) : undefined;
    const record = async () => {
      if (recorded) return;
      recorded = true;
      const sent = response?.();
      if (sent) entry.response = sent;
      entry.duration_ms = Math.round((performance.now() - started) * 1000) / 1000;
      entry.status = intendedStatus ?? (res.headersSent ? res.statusCode : 0);
      if (bodyInfo) {
        const summary = await summarizeBody(
          req.headers["content-type"],
          bodyInfo.body,
          bodyInfo.tooLarge,
          ctx?.inspectedParts,
        ).catch(() => undefined);
        if (summary) entry.body = summary;
      }
      inspector.record(entry);
    };
    res.on("close", () => void record());

    const fault: ActiveFault | undefined = faults.take(method, path);
    if (fault) entry.fault = fault.action;
    if (fault?.latencyMs) await sleep(fault.latencyMs);
    if (fault?.action === "reset-before-body") {
      req.socket.destroy();
      return;
    }

    const limit =
      match.kind === "found"
        ? (match.route.bodyLimit ?? app.config.maxJsonBodyBytes)
        : app.config.maxJsonBodyBytes;
    bodyInfo = await readBody(req, limit);
    if (bodyInfo === null) return; // client went away

    if (fault?.action === "unavailable") {
      const status = fault.status ?? 503;
      const err = new ApiError(
        GrpcCode.Unavailable,
        "Service Unavailable",
        "Service Unavailable (injected fault)",
      );
      const body = JSON.stringify(gatewayErrorBody(err));
      const headers: Record<string, string | number> = {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      };
      const retryAfter = fault.retryAfter ?? 1;
      if (retryAfter > 0) headers["retry-after"] = String(retryAfter);
      res.writeHead(status, headers);
      res.end(body);
      return;
    }
    if (fault?.action === "reset-after-body") {
      installResetAfterBody(req, res, (s) => {
        intendedStatus = s;
      });
    } else if (fault?.action === "truncate") {
      installTruncate(req, res);
    }

    if (match.kind !== "found") {
      // Outside /apis/ there is no gateway: gorilla/mux answers with Go's http.NotFound.
      if (!path.startsWith("/apis/")) writePlainTextError(res, 404, "404 page not found");
      else if (match.kind === "bad-path") writeGatewayError(res, badPath());
      else writeRoutingError(res, match.kind);
      return;
    }
    ctx = new RequestContext(app, req, res, {
      path,
      params: match.params,
      query: url.searchParams,
      api: match.route.api,
      body: bodyInfo.body,
      bodyTooLarge: bodyInfo.tooLarge,
    });
    try {
      const result = await withTimeBudget(match.route.handler(ctx), timeBudgetMs);
      if (!ctx.responded) ctx.send(200, result === undefined ? {} : result);
    } catch (err) {
      const apiErr = toApiError(err);
      if (!(err instanceof ApiError)) {
        app.log.error(`emulator: ${method} ${path} failed: ${(err as Error)?.stack ?? String(err)}`);
      }
      if (!res.headersSent && !ctx.responded) writeGatewayError(res, apiErr);
      else if (!res.writableEnded) res.end();
    }
    app.log.debug?.(`${method} ${path} ${res.statusCode} ${Math.round(performance.now() - started)}ms`);
  };

  const server: Server = createServer(
    { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS },
    (req, res) => {
      // A response stream error (the client went away mid-write) is not the server's failure.
      res.on("error", () => {});
      handle(req, res).catch((err: unknown) => {
        app.log.error(`emulator: unhandled error: ${(err as Error)?.stack ?? String(err)}`);
        if (!res.headersSent) writeGatewayError(res, toApiError(err));
        else res.destroy();
      });
    },
  );
  server.keepAliveTimeout = 5_000;
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("clientError", answerClientError);
  server.on("error", (err) => app.log.error(`emulator: server error: ${err.message}`));
  const removeSafetyNet = opts.safetyNet ? installSafetyNet(app.log) : undefined;

  const host = opts.host ?? "127.0.0.1";
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once("error", onError);
      server.listen(opts.port ?? 0, host, () => {
        server.off("error", onError);
        resolve();
      });
    });
  } catch (err) {
    await app.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost =
    host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    store: app.store,
    faults,
    app,
    requests: () => inspector.list(),
    clearRequests: () => inspector.clear(),
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        for (const s of sockets) s.destroy();
        await closed;
        removeSafetyNet?.();
        await app.close();
      })();
      return closing;
    },
  };
}

function gatewayInvalidBody(): ApiError {
  const e = new ApiError(
    GrpcCode.InvalidArgument,
    `control request body larger than ${MAX_CONTROL_BODY_BYTES} bytes`,
  );
  e.bare = true;
  return e;
}

function badPath(): ApiError {
  const e = new ApiError(GrpcCode.InvalidArgument, "malformed path");
  e.bare = true;
  return e;
}

export type { ApiVersion, EmulatorApp, EmulatorConfig, EmulatorLogger };
