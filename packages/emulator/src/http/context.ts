/**
 * The per-request context handed to every route handler, and the application object shared by the
 * resource modules. See the API overview at the top of server.ts.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import {
  type AuthResource,
  type AuthVerb,
  authorize,
  identify,
  type ResolvedMultiUser,
  unauthenticatedError,
} from "../auth.js";
import type { RecurringRunScheduler, RunEngine } from "../engine/engine.js";
import type { ExperimentArchiveHooks } from "../model/experiment.js";
import type { Store } from "../storage/kinds.js";
import type { ApiVersion } from "./api-version.js";
import { decodeJsonBody, type MessageShape } from "./body.js";
import { type JsonListParts, jsonListPartsToBuffer, writeJsonListParts } from "./encode.js";
import { ApiError, GrpcCode, gatewayInvalid } from "./errors.js";
import type { PartSummary } from "./inspector.js";
import type { OutputPool } from "./out-pool.js";

export interface EmulatorLogger {
  debug?(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Resolved server configuration (options with defaults applied). */
export interface EmulatorConfig {
  /** Multi-user settings; undefined = single-user mode. */
  multiUser: ResolvedMultiUser | undefined;
  /** Allow http:// package URLs (`PIPELINE_URL_ALLOW_HTTP`). */
  allowHttpUrls: boolean;
  /** Allow package URLs on loopback/private addresses and any domain (for tests). */
  allowLoopbackUrls: boolean;
  /** `PIPELINE_URL_ALLOWED_DOMAINS`. */
  allowedUrlDomains: string[];
  /** Timeout for downloading a package URL (ms). */
  urlFetchTimeoutMs: number;
  /** `common.MaxFileLength` (32 MiB). */
  maxUploadBytes: number;
  /** Largest JSON request body (bytes); larger → 413. */
  maxJsonBodyBytes: number;
  /** Namespaces in which v1 (Argo Workflow) pipelines are blocked; "*" blocks everywhere. */
  blockV1Pipelines: string[];
  commitSha: string;
  tagName: string;
  /** Service account of runs that name none ("" = the real default, `pipeline-runner`). */
  defaultServiceAccount: string;
  pipelineStore: "database" | "kubernetes";
}

/** The application services every module and request handler can reach (`ctx.app`). */
export interface EmulatorApp {
  readonly store: Store;
  readonly config: EmulatorConfig;
  readonly log: EmulatorLogger;
  /** Current time in unix seconds (injectable clock). */
  now(): number;
  /** Current time in milliseconds (injectable clock). */
  nowMs(): number;
  /** A new resource id (UUID v4 unless an id generator was injected). */
  newId(): string;
  /** Run `fn` when the emulator closes (stop timers, flush); awaited in reverse registration order. */
  onClose(fn: () => void | Promise<void>): void;
  /** The run engine the resource layer starts, terminates and retries runs with (engine/engine.ts). */
  readonly engine: RunEngine;
  /** The recurring-run controller (scheduler.ts). */
  readonly scheduler: RecurringRunScheduler;
  /** Steps other resources add to an experiment's archival (recurring runs: disable them). */
  readonly experimentArchive: ExperimentArchiveHooks;
  /** Reusable buffers for large responses assembled from pieces (`sendJson`). */
  readonly outputPool: OutputPool;
}

export class RequestContext {
  readonly method: string;
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly api: ApiVersion;
  /** The raw request body (already read; empty when none). */
  readonly body: Buffer;
  /** The body exceeded the route's limit and was discarded. */
  readonly bodyTooLarge: boolean;
  private _responded = false;
  /**
   * The request inspector's part summaries of a multipart body, when the handler already parsed it
   * the way the inspector would (see inspector.ts `watchParts`).
   */
  inspectedParts: PartSummary[] | undefined;

  constructor(
    readonly app: EmulatorApp,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    init: {
      path: string;
      params: Record<string, string>;
      query: URLSearchParams;
      api: ApiVersion;
      body: Buffer;
      bodyTooLarge: boolean;
    },
  ) {
    this.method = (req.method ?? "GET").toUpperCase();
    this.path = init.path;
    this.params = init.params;
    this.query = init.query;
    this.headers = req.headers;
    this.rawHeaders = req.rawHeaders;
    this.api = init.api;
    this.body = init.body;
    this.bodyTooLarge = init.bodyTooLarge;
  }

  get store(): Store {
    return this.app.store;
  }
  get config(): EmulatorConfig {
    return this.app.config;
  }
  get multiUser(): ResolvedMultiUser | undefined {
    return this.app.config.multiUser;
  }
  get isMultiUser(): boolean {
    return this.app.config.multiUser !== undefined;
  }
  now(): number {
    return this.app.now();
  }
  newId(): string {
    return this.app.newId();
  }

  /** A path parameter (percent-decoded); "" when absent. */
  param(name: string): string {
    return this.params[name] ?? "";
  }

  /** A query parameter by proto name, also accepting its lowerCamelCase JSON name; undefined when absent. */
  q(name: string): string | undefined {
    const v = this.query.get(name);
    if (v !== null) return v;
    const camel = name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    if (camel !== name) {
      const c = this.query.get(camel);
      if (c !== null) return c;
    }
    return undefined;
  }

  /** An int32 query parameter; a value that does not parse → 400 like the gateway. */
  qInt(name: string): number | undefined {
    const v = this.q(name);
    if (v === undefined || v === "") return undefined;
    if (!/^[+-]?\d+$/.test(v.trim())) {
      throw gatewayInvalid(
        `parsing field "${name}": strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`,
      );
    }
    const n = Number(v.trim());
    if (n > 2147483647 || n < -2147483648) {
      throw gatewayInvalid(
        `parsing field "${name}": strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`,
      );
    }
    return n;
  }

  /** A bool query parameter (Go strconv.ParseBool spellings); bad value → 400. */
  qBool(name: string): boolean | undefined {
    const v = this.q(name);
    if (v === undefined || v === "") return undefined;
    if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
    if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
    throw gatewayInvalid(
      `parsing field "${name}": strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`,
    );
  }

  /** An enum query parameter given by name or number; bad value → 400. */
  qEnum(name: string, values: readonly string[]): string | undefined {
    const v = this.q(name);
    if (v === undefined || v === "") return undefined;
    if (/^\d+$/.test(v) && values[Number(v)]) return values[Number(v)];
    if (values.includes(v)) return v;
    throw gatewayInvalid(`parsing field "${name}": ${JSON.stringify(v)} is not a valid value`);
  }

  /** The standard list query parameters, for list.ts `listRows`. Validates page_size is an int. */
  listQuery(): { page_token?: string; page_size?: string; sort_by?: string; filter?: string } {
    const out: { page_token?: string; page_size?: string; sort_by?: string; filter?: string } = {};
    const size = this.qInt("page_size");
    if (size !== undefined) out.page_size = String(size);
    const token = this.q("page_token");
    if (token !== undefined) out.page_token = token;
    const sort = this.q("sort_by");
    if (sort !== undefined) out.sort_by = sort;
    const filter = this.q("filter");
    if (filter !== undefined) out.filter = filter;
    return out;
  }

  /**
   * Decode the JSON body like protojson: unknown fields → 400. Pass a message shape (see body.ts) for
   * full type checks, or a list of allowed snake_case keys for a flat check.
   */
  readJson(shape?: MessageShape | readonly string[]): Record<string, unknown> {
    if (this.bodyTooLarge) {
      const e = new ApiError(
        GrpcCode.InvalidArgument,
        `request body exceeds the limit of ${this.config.maxJsonBodyBytes} bytes`,
      );
      e.bare = true;
      e.httpStatus = 413;
      throw e;
    }
    return decodeJsonBody(this.body, shape);
  }

  /** The request's identity in multi-user mode; throws 401 when there is none; "" in single-user mode. */
  identity(): string {
    if (!this.multiUser) return "";
    const { user, errors } = identify(this);
    if (!user) throw unauthenticatedError(errors);
    return user;
  }

  /** Authorization check (no-op in single-user mode). See auth.ts. */
  authorize(namespace: string, resource: AuthResource | string, verb: AuthVerb | string, name = ""): void {
    authorize(this, namespace, resource, verb, name);
  }

  /** Whether a response has been sent. */
  get responded(): boolean {
    return this._responded || this.res.headersSent;
  }

  /** Send a JSON response. */
  send(status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    this._responded = true;
    this.res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      ...headers,
    });
    this.res.end(text);
  }

  /** Send JSON that is already serialised: one piece, or a list page of cached items (`listResponseJson`). */
  sendJson(status: number, json: string | Buffer | JsonListParts): void {
    if (typeof json === "string" || Buffer.isBuffer(json)) {
      this.sendRaw(status, json, "application/json");
      return;
    }
    const length = json.byteLength;
    this._responded = true;
    this.res.writeHead(status, { "content-type": "application/json", "content-length": length });
    const pool = this.app.outputPool;
    const slab = pool.acquire(length);
    if (slab === undefined) {
      // Small (or huge) bodies: one buffer of their own.
      this.res.end(jsonListPartsToBuffer(json));
      return;
    }
    // One copy into a pooled buffer and one socket write, instead of a write per piece (see
    // out-pool.ts). The buffer goes back once the response has closed: finished, or torn down.
    writeJsonListParts(json, slab);
    this.res.once("close", () => pool.release(slab));
    this.res.end(slab.subarray(0, length));
  }

  /** Send a non-JSON body. */
  sendRaw(
    status: number,
    body: string | Buffer,
    contentType: string,
    headers: Record<string, string> = {},
  ): void {
    this._responded = true;
    this.res.writeHead(status, {
      "content-type": contentType,
      "content-length": Buffer.byteLength(body),
      ...headers,
    });
    this.res.end(body);
  }

  /** Mark the response as handled by the caller (after writing to `res` directly). */
  markResponded(): void {
    this._responded = true;
  }
}
