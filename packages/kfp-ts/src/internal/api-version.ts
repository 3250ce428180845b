/**
 * `apiVersion: "auto"` without a probe: the first call of a client goes to `/apis/v2beta1` (what every
 * released KFP 2.x server serves) and the answer tells the rest.
 *
 * - Any answer of the server to a `/apis/v2beta1/...` request other than "unknown route" confirms
 *   v2beta1 (a 2xx, or an error the API itself gave: 400, 404 of a resource, 409...).
 * - "Unknown route" is a 404 whose body is the gateway's `{"code":5,"message":"Not Found"}` or not a
 *   gateway error at all (Go's `404 page not found`, a proxy's page): a KFP 1.x server has no v2beta1.
 *   The client then switches to v1beta1 and throws `ApiVersionFallback`; the resource method that sent
 *   the request is run again from the start (`redoOnFallback`), now building the v1beta1 request. So a
 *   call costs one round trip against a 2.x server and two against a 1.x server.
 * - `/apis/v2` is used only when asked for (`apiVersion: "v2"`).
 *
 * The state is kept per host and shared by the clients derived with `withOptions()`.
 */
import { ApiError, KfpError, NotFoundError } from "../core/errors.js";
import type { Log } from "./log.js";
import { isRecord } from "./values.js";

export type ApiVersion = "v2beta1" | "v1beta1" | "v2";

/** What a client knows of its server's API version. */
export interface ApiState {
  version: ApiVersion;
  /** True once an answer of the server confirmed `version`. */
  confirmed: boolean;
}

/** Thrown (once) when the server turned out to have no v2beta1 API: the call is made again on v1beta1. */
export class ApiVersionFallback extends KfpError {
  override name = "ApiVersionFallback";
  constructor(url: string) {
    super(
      `the server has no /apis/v2beta1 API (${url} answered 404 for an unknown route: a KFP 1.x server); this client uses /apis/v1beta1 from now on: send the request again`,
    );
  }
}

/** Whether an error is a 404 for a route the server does not have (not for a missing resource). */
export function isUnknownRoute(err: unknown): err is NotFoundError {
  if (!(err instanceof NotFoundError)) return false;
  // The upload and artifact handlers answer `{error_message, error_details}`: the API's own 404.
  if (isRecord(err.body) && typeof err.body.error_message === "string") return false;
  if (err.grpcCode === undefined) return true;
  return err.grpcCode === 5 && err.shortMessage === "Not Found";
}

/** Whether an HTTP error answer comes from the KFP API itself (so it confirms the route exists). */
export function confirmsRoute(err: unknown): boolean {
  if (isUnknownRoute(err)) return false;
  return (
    err instanceof ApiError &&
    err.status < 500 &&
    err.status !== 401 &&
    err.status !== 403 &&
    err.status !== 407 &&
    (err.status < 300 || err.status >= 400)
  );
}

/** The version prefix of a full path (`/apis/v2beta1/runs` → `v2beta1`). */
export function versionOfPath(path: string): ApiVersion | undefined {
  if (path.startsWith("/apis/v2beta1/")) return "v2beta1";
  if (path.startsWith("/apis/v1beta1/")) return "v1beta1";
  if (path.startsWith("/apis/v2/")) return "v2";
  return undefined;
}

function isPromiseLike(v: unknown): v is Promise<unknown> {
  return v instanceof Promise;
}

/** A PagePromise (core/pagination.ts), told by its shape to keep the modules free of a cycle. */
function isPagePromise(v: unknown): boolean {
  return typeof (v as { pages?: unknown }).pages === "function";
}

/**
 * A view of a resource whose async methods are run once more when they fail with ApiVersionFallback
 * (lists are lazy: their pages are redone by `redoPage`). Nested resources (`pipelines.versions`)
 * are wrapped too when `isResource` says so.
 */
export function redoOnFallback<T extends object>(target: T, isResource: (v: unknown) => boolean): T {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(t, key) {
      const v: unknown = Reflect.get(t, key, t);
      if (cache.has(key)) return cache.get(key);
      let out: unknown = v;
      if (typeof v === "function" && key !== "constructor") {
        const fn = v as (...args: unknown[]) => unknown;
        out = (...args: unknown[]): unknown => {
          const r = fn.apply(t, args);
          // A PagePromise starts nothing until awaited: leave it lazy (its pages redo on their own).
          if (!isPromiseLike(r) || isPagePromise(r)) return r;
          return r.catch((err: unknown) => {
            if (err instanceof ApiVersionFallback) return fn.apply(t, args);
            throw err;
          });
        };
      } else if (typeof v === "object" && v !== null && isResource(v)) {
        out = redoOnFallback(v, isResource);
      } else return v;
      cache.set(key, out);
      return out;
    },
  });
}

/** A page fetcher that is run once more after ApiVersionFallback. */
export function redoPage<A extends unknown[], R>(
  fetch: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fetch(...args);
    } catch (err) {
      if (err instanceof ApiVersionFallback) return fetch(...args);
      throw err;
    }
  };
}

/** The error when neither v2beta1 nor v1beta1 is at the host. */
export function noKfpApi(host: string): KfpError {
  return new KfpError(
    `no KFP API found at ${host}: /apis/v2beta1 and /apis/v1beta1 both answered 404 for an unknown route; check the host (and its path prefix), or set apiVersion`,
  );
}

/**
 * Auto mode: learn from the answer to a request sent to a version not yet confirmed for `host` (the
 * state is in `apis`): an answer confirms it; an unknown-route 404 from v2beta1 switches to v1beta1
 * and throws ApiVersionFallback; one from v1beta1 after that is `noKfpApi`.
 */
export function learnApiVersion<T>(
  apis: Map<string, ApiState>,
  host: string,
  version: ApiVersion,
  sent: Promise<T>,
  log: Log,
): Promise<T> {
  return sent.then(
    (v) => {
      apis.set(host, { version, confirmed: true });
      return v;
    },
    (err: unknown) => {
      const known = apis.get(host);
      if (isUnknownRoute(err)) {
        // Another call switched the version while this one was on its way: run this one again too.
        if (known && known.version !== version) throw new ApiVersionFallback(err.url);
        if (version === "v2beta1" && !known?.confirmed) {
          apis.set(host, { version: "v1beta1", confirmed: false });
          log.info(`${host} has no /apis/v2beta1 (404 for an unknown route): using /apis/v1beta1`);
          throw new ApiVersionFallback(err.url);
        }
        if (version === "v1beta1" && known !== undefined && !known.confirmed) {
          apis.delete(host);
          throw noKfpApi(host);
        }
      } else if (!known?.confirmed && confirmsRoute(err)) apis.set(host, { version, confirmed: true });
      throw err;
    },
  );
}
