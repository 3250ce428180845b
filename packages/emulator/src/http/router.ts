/**
 * Route table of the emulator, matching like the real server (FACTS.md §1, §3.3):
 *
 * - "plain" routes (upload, upload_version, healthz) answer any method and are tried first, like the
 *   gorilla/mux handlers registered before the gateway; a plain route may be limited to one method
 *   (`.Methods(GET)` upstream: artifact read, the /apis/v2 pod log), and then any other method falls
 *   through to the gateway routes;
 * - "gateway" routes use grpc-gateway path templates: `{param}` matches one segment, a trailing
 *   `:verb` on the last segment is a custom method (`/runs/{run_id}:archive`). Unknown path → 404
 *   `{"code":5,"message":"Not Found"}`, known path with another method → 501 `Method Not Allowed`.
 *
 * Patterns are relative to the API prefix (`/pipelines/{pipeline_id}` under `/apis/v2beta1`), or
 * absolute when they start with `/apis/` (e.g. `/apis/v1alpha1/runs/{run_id}/nodes/{node_id}/log`).
 * Path parameters are percent-decoded.
 */
import { ALL_V2, type ApiVersion } from "./api-version.js";
import type { RequestContext } from "./context.js";

export { ALL_V2, type ApiVersion };

export type Handler = (ctx: RequestContext) => unknown | Promise<unknown>;

export interface RouteOptions {
  /** A plain HTTP handler (any method, not behind the gateway): errors are written by the handler. */
  plain?: boolean;
  /** For `plain()`: the only method the route answers (other methods go on to the gateway routes). */
  method?: string;
  /** Largest accepted request body in bytes (default: the server's JSON limit). */
  bodyLimit?: number;
}

type Segment = { literal: string } | { param: string };

interface Route {
  method: string; // upper case, or "*" for plain routes
  api: ApiVersion;
  prefix: string[]; // literal segments of the API prefix, e.g. ["apis", "v2beta1"]
  segments: Segment[];
  verb: string | undefined;
  handler: Handler;
  plain: boolean;
  bodyLimit: number | undefined;
  pattern: string;
}

export type RouteMatch =
  | { kind: "found"; route: MatchedRoute; params: Record<string, string> }
  | { kind: "not-found" }
  | { kind: "method-not-allowed" }
  | { kind: "bad-path" };

export interface MatchedRoute {
  readonly method: string;
  readonly api: ApiVersion;
  readonly handler: Handler;
  readonly plain: boolean;
  readonly bodyLimit: number | undefined;
  readonly pattern: string;
}

function parsePattern(pattern: string): { segments: Segment[]; verb: string | undefined } {
  const parts = pattern.replace(/^\//, "").split("/");
  let verb: string | undefined;
  const last = parts[parts.length - 1] ?? "";
  const closing = last.lastIndexOf("}");
  const colon = last.indexOf(":", closing + 1);
  if (colon > 0) {
    verb = last.slice(colon + 1);
    parts[parts.length - 1] = last.slice(0, colon);
  }
  const segments = parts.map((p): Segment => {
    const m = /^\{([A-Za-z0-9_.]+)(?:=\*)?\}$/.exec(p);
    if (m) return { param: m[1]! };
    if (p.includes("{")) throw new Error(`unsupported route pattern segment "${p}" in ${pattern}`);
    return { literal: p };
  });
  return { segments, verb };
}

export class Router {
  private readonly routes: Route[] = [];

  /**
   * Register `handler` for `method` (or "*" with `{plain: true}`) at `pattern` under each API in `apis`.
   * Registering the same method + pattern + API twice throws (catches double registration).
   */
  add(
    method: string,
    apis: ApiVersion | readonly ApiVersion[],
    pattern: string,
    handler: Handler,
    opts: RouteOptions = {},
  ): void {
    const list = typeof apis === "string" ? [apis] : apis;
    const { segments, verb } = parsePattern(pattern);
    const absolute = pattern.startsWith("/apis/");
    const m = method.toUpperCase();
    for (const api of list) {
      const prefix = absolute ? [] : ["apis", api];
      const full = absolute ? pattern : `/apis/${api}${pattern}`;
      if (this.routes.some((r) => r.method === m && r.api === api && r.pattern === full)) {
        throw new Error(`route registered twice: ${m} ${full}`);
      }
      this.routes.push({
        method: m,
        api,
        prefix,
        segments,
        verb,
        handler,
        plain: opts.plain ?? false,
        bodyLimit: opts.bodyLimit,
        pattern: full,
      });
    }
  }

  get(
    apis: ApiVersion | readonly ApiVersion[],
    pattern: string,
    handler: Handler,
    opts?: RouteOptions,
  ): void {
    this.add("GET", apis, pattern, handler, opts);
  }
  post(
    apis: ApiVersion | readonly ApiVersion[],
    pattern: string,
    handler: Handler,
    opts?: RouteOptions,
  ): void {
    this.add("POST", apis, pattern, handler, opts);
  }
  patch(
    apis: ApiVersion | readonly ApiVersion[],
    pattern: string,
    handler: Handler,
    opts?: RouteOptions,
  ): void {
    this.add("PATCH", apis, pattern, handler, opts);
  }
  put(
    apis: ApiVersion | readonly ApiVersion[],
    pattern: string,
    handler: Handler,
    opts?: RouteOptions,
  ): void {
    this.add("PUT", apis, pattern, handler, opts);
  }
  delete(
    apis: ApiVersion | readonly ApiVersion[],
    pattern: string,
    handler: Handler,
    opts?: RouteOptions,
  ): void {
    this.add("DELETE", apis, pattern, handler, opts);
  }
  /** A plain handler answering every method (upload, healthz), or only `opts.method`. */
  plain(
    apis: ApiVersion | readonly ApiVersion[],
    pattern: string,
    handler: Handler,
    opts?: RouteOptions,
  ): void {
    this.add(opts?.method ?? "*", apis, pattern, handler, { ...opts, plain: true });
  }

  /** Every registered "METHOD /full/pattern" (for diagnostics and tests). */
  list(): string[] {
    return this.routes.map((r) => `${r.method} ${r.pattern}`);
  }

  /** Match a raw (still percent-encoded) path. */
  match(method: string, rawPath: string): RouteMatch {
    const parts = rawPath.replace(/^\//, "").split("/");
    const m = method.toUpperCase();
    // Plain routes first (registered before the gateway upstream), then gateway routes.
    let pathMatched = false;
    for (const plainPass of [true, false]) {
      for (const r of this.routes) {
        if (r.plain !== plainPass) continue;
        const params = matchRoute(r, parts);
        if (params === undefined) continue;
        if (params === null) return { kind: "bad-path" };
        if (r.method === m || (r.plain && r.method === "*")) return { kind: "found", route: r, params };
        // A method-limited plain route does not answer other methods: the gateway decides.
        if (!r.plain) pathMatched = true;
      }
    }
    return pathMatched ? { kind: "method-not-allowed" } : { kind: "not-found" };
  }
}

/** Params when `parts` match the route, undefined when not, null for a malformed percent-encoding. */
function matchRoute(r: Route, parts: string[]): Record<string, string> | undefined | null {
  if (parts.length !== r.prefix.length + r.segments.length) return undefined;
  for (let i = 0; i < r.prefix.length; i++) if (parts[i] !== r.prefix[i]) return undefined;
  const params: Record<string, string> = {};
  const n = r.segments.length;
  for (let i = 0; i < n; i++) {
    let part = parts[r.prefix.length + i]!;
    if (i === n - 1) {
      if (r.verb !== undefined) {
        const suffix = `:${r.verb}`;
        if (!part.endsWith(suffix) || part.length === suffix.length) return undefined;
        part = part.slice(0, -suffix.length);
      }
    }
    const seg = r.segments[i]!;
    if ("literal" in seg) {
      if (part !== seg.literal) return undefined;
    } else {
      if (part === "") return undefined;
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return null;
      }
      params[seg.param] = value;
    }
  }
  return params;
}
