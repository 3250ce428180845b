/**
 * Helpers shared by the experiment, run and recurring-run resources: namespace resolution, multi-user
 * checks made before sending, list queries, "not supported by this API version" errors.
 */
import type { ApiVersion, CallOptions, Kfp, Query, ReconcileContext } from "../client.js";
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  UnsupportedError,
  ValidationError,
} from "../core/errors.js";
import { type FilterLike, type FilterResource, serializeFilter } from "../core/filters.js";
import { type ListRequest, listPages, type PagePromise } from "../core/pagination.js";
import type { Pipeline } from "../types/pipelines.js";
import type { V1ResourceReference, V1ResourceType } from "../types/v1-pipelines.js";

/** Options of every list call. */
export interface ListParams<F = FilterLike> {
  /** Items per page (server default 20, max 200). */
  page_size?: number;
  page_token?: string;
  /** `"<field>"`, `"<field> asc"` or `"<field> desc"`. */
  sort_by?: string;
  /** A typed builder, a plain-object filter, a `{predicates}` object or raw JSON. */
  filter?: F | FilterLike;
}

/** The API version to use for a call. */
export function resolveApi(client: Kfp, opts?: CallOptions, once = false): Promise<ApiVersion> {
  // Without a round trip in auto mode (client._api); `once`: the request cannot be sent twice (a
  // one-shot stream), so the version must be known before it is sent.
  return client._api(opts?.signal, once);
}

/**
 * Whether the server runs in multi-user mode, as far as the client already knows from healthz
 * (`serverInfo()`), without a round trip of its own; `undefined` when not known yet: the checks are then
 * left to the server (which answers 400 "... cannot have an empty namespace in multi-user mode").
 */
export async function isMultiUser(client: Kfp, _opts?: CallOptions): Promise<boolean | undefined> {
  return client._knownServerInfo()?.multiUser;
}

/** A per-call namespace, else the client's. Empty strings count as absent. */
export function resolveNamespace(client: Kfp, namespace: string | undefined): string | undefined {
  const ns = namespace ?? client.namespace;
  return ns === "" ? undefined : ns;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Check a Kubernetes namespace name (≤ 63 characters, DNS label). */
export function checkNamespace(ns: string | undefined): void {
  if (ns === undefined) return;
  if (typeof ns !== "string" || ns.length > 63 || !DNS_LABEL.test(ns)) {
    throw new ValidationError(
      `namespace ${JSON.stringify(ns)} is not a valid Kubernetes namespace (lower-case letters, digits and "-", at most 63 characters)`,
      { field: "namespace" },
    );
  }
}

/** Check a required non-empty string option. */
export function requireString(value: unknown, field: string, what = field): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ValidationError(`${what} is required (a non-empty string)`, { field });
  }
  return value;
}

/** Optional string option: undefined or a string. */
export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new ValidationError(`${field} must be a string`, { field });
  return value;
}

/** Build the query of a list call (filter serialized for `api`, empty values left out). */
export function listQuery(
  params: ListParams<unknown> | undefined,
  api: ApiVersion,
  resource: FilterResource,
  extra: Query = {},
): Query {
  const q: Query = { ...extra };
  if (!params) return q;
  checkNoCallOptions(params);
  if (params.page_size !== undefined) {
    if (!Number.isInteger(params.page_size) || params.page_size < 0) {
      throw new ValidationError(
        `page_size must be a non-negative integer (the server caps it at 200), got ${params.page_size}`,
        {
          field: "page_size",
        },
      );
    }
    q.page_size = params.page_size;
  }
  if (params.sort_by) q.sort_by = params.sort_by;
  if (params.filter !== undefined && params.filter !== null && params.filter !== "") {
    const f = serializeFilter(params.filter as FilterLike, api, resource);
    if (f) q.filter = f;
  }
  if (params.page_token) q.page_token = params.page_token;
  return q;
}

const CALL_OPTION_KEYS = ["signal", "timeout", "maxRetries"] as const;

/** Call options belong in a list's second argument: refuse them in the first instead of ignoring them. */
function checkNoCallOptions(params: object): void {
  const found = CALL_OPTION_KEYS.find((k) => k in params);
  if (found) {
    throw new ValidationError(
      `${found} is a call option: pass it as the second argument, e.g. list({ page_size: 50 }, { ${found} })`,
      { field: found },
    );
  }
}

/** A client-side "the resolved API version cannot do this" error (never a bare 404). */
export function unsupported(
  feature: string,
  api: ApiVersion,
  method: string,
  url: string,
  hint?: string,
): UnsupportedError {
  return new UnsupportedError({
    status: 501,
    grpcCode: 12,
    shortMessage: `${feature} is not supported by the ${api} API`,
    method,
    url,
    hint:
      hint ?? "Use a server that speaks /apis/v2beta1 or /apis/v2 (apiVersion: 'auto' picks the newest one).",
  });
}

/** A client-side NotFoundError (e.g. a lookup by name that matched nothing). */
export function notFound(message: string, method: string, url: string): NotFoundError {
  return new NotFoundError({ status: 404, shortMessage: message, method, url });
}

/** Call options passed on to the transport (never undefined-valued keys). */
export function callOpts(opts: CallOptions | undefined): CallOptions {
  const out: CallOptions = {};
  if (opts?.signal) out.signal = opts.signal;
  if (opts?.timeout !== undefined) out.timeout = opts.timeout;
  if (opts?.maxRetries !== undefined) out.maxRetries = opts.maxRetries;
  return out;
}

const PACKAGE_FILENAME = /\.(ya?ml|json|zip|tar\.gz|tgz)$/i;

/**
 * A string source is the package's content, never a path: refuse a one-line string that reads like a
 * file name (`"./pipeline.yaml"`) with a hint, instead of letting the server call it an unknown format.
 */
export function checkNotAPath(source: unknown, field = "source"): void {
  if (typeof source !== "string") return;
  const s = source.trim();
  if (s.length > 4096 || s.includes("\n") || s.startsWith("{") || /:\s/.test(s)) return;
  if (!PACKAGE_FILENAME.test(s)) return;
  throw new ValidationError(
    `${field} ${JSON.stringify(s)} looks like a file path, but a string is read as the package's content. To upload a file, pass fromPath(${JSON.stringify(s)}) (or { path: ${JSON.stringify(s)} })`,
    { field },
  );
}

/** RFC 3339 (whole seconds, UTC) from a Date or a date string; ValidationError when unparsable. */
export function toRfc3339(value: Date | string, field: string): string {
  const d = typeof value === "string" ? new Date(value) : value;
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
    throw new ValidationError(
      `${field} must be a Date or an RFC 3339 date string, got ${JSON.stringify(value)}`,
      { field },
    );
  }
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * A list call through the client's one list engine (core/pagination.ts): `prepare` works out the path
 * and query once (API version, namespace, filter); nothing is sent until the PagePromise is awaited or
 * iterated, and a failed preparation rejects every use.
 */
export function lazyList<Item>(
  client: Kfp,
  opts: CallOptions | undefined,
  prepare: () => Promise<ListRequest<Item>>,
): PagePromise<Item> {
  const call = callOpts(opts);
  return listPages<Item>((path, query) => client.get(path, { ...call, query }), prepare);
}

/** Server timestamps have whole-second resolution (truncated): allow this much before the send time. */
const TIMESTAMP_SLACK_MS = 1_000;

/**
 * The `reconcile` of a create whose resource is unique by name (pipelines, pipeline versions,
 * experiments), used when the answer to the create was lost. `lookup` finds the resource by the name
 * the server would have given it.
 *
 * - Nothing found → `undefined` (the create did not happen; the transport may send it again).
 * - Found, created at or after the first send (less 1 s for whole-second timestamps) → it is the one
 *   this request created, returned as the create's answer.
 * - Found, but older → the name was taken before this request was sent, so the server refused (or would
 *   have refused) it: a ConflictError, as the server answers a duplicate name (409). Returning the old
 *   resource would turn a conflict into a silent success.
 *
 * A resource without a readable `created_at` (KFP always sends it) is accepted. If this machine's clock
 * runs more than a second ahead of the server's, a resource this request did create looks older: the
 * ConflictError then says so.
 */
export function reconcileByName<T extends { created_at?: string | undefined }>(
  kind: string,
  name: string,
  lookup: () => Promise<T | undefined>,
): (ctx: ReconcileContext) => Promise<T | undefined> {
  return async (ctx) => {
    const found = await lookup();
    if (found === undefined) return undefined;
    const created = found.created_at === undefined ? Number.NaN : Date.parse(found.created_at);
    if (Number.isNaN(created) || created >= ctx.sentAt - TIMESTAMP_SLACK_MS) return found;
    const sent = new Date(ctx.sentAt).toISOString().replace(/\.\d{3}Z$/, "Z");
    throw new ConflictError({
      status: 409,
      grpcCode: 6,
      shortMessage: `${kind} ${JSON.stringify(name)} already existed before this request was sent (created_at ${found.created_at}, request sent ${sent}): the name is taken, so this request did not create it`,
      method: ctx.method,
      url: ctx.url,
      hint: "The answer was lost on the way back, and looking the name up found the older resource. (If this machine's clock runs ahead of the server's, it may be the resource this request created: check its created_at.)",
    });
  };
}

/**
 * A pipeline by its `name` (not display_name): the namespace's own pipeline first, then a shared one
 * (multi-user servers keep both kinds; single-user servers ignore namespaces). `namespace` undefined
 * looks among shared pipelines only. NotFoundError when neither exists.
 */
export async function pipelineByName(
  client: Kfp,
  name: string,
  namespace: string | undefined,
  opts: CallOptions | undefined,
  field = "pipeline_name",
): Promise<Pipeline> {
  if (typeof name !== "string" || name === "") {
    throw new ValidationError(`${field} must be a non-empty string`, { field });
  }
  const scopes: Array<string | null> = namespace ? [namespace, null] : [null];
  for (const ns of scopes) {
    try {
      const p = await client.pipelines.getByName(name, { ...callOpts(opts), namespace: ns });
      if (p.pipeline_id) return p;
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  throw notFound(
    `Pipeline named ${JSON.stringify(name)} not found${namespace ? ` in namespace "${namespace}" or among shared pipelines` : ""}`,
    "GET",
    "/pipelines/names/{name}",
  );
}

// ---------------------------------------------------------------------------------------------------
// Servers before 2.14.0: pipelines and versions without `name`

/** Clients whose server turned out to predate `name` on pipelines and versions. */
const SERVERS_WITHOUT_NAME = new WeakSet<object>();

/**
 * Whether `err` is a server before 2.14.0 refusing the `name` field of a pipeline or version body:
 * those servers know them by `display_name` only, and their JSON decoder rejects unknown fields
 * (FACTS.md §2.2, §5) — `unknown field "name" in v2beta1.Pipeline`.
 */
export function rejectsNameField(err: unknown): boolean {
  if (!(err instanceof BadRequestError)) return false;
  return /unknown field \\?"name\\?"/.test(`${err.shortMessage}\n${err.serverMessage ?? ""}`);
}

/**
 * The same body for such a server: `name` dropped, and the identifier kept as `display_name` (the
 * column those servers enforce uniqueness on), so looking the resource up by name finds it again.
 */
export function withoutNameField<T extends { name?: string | undefined; display_name?: string | undefined }>(
  body: T,
): T {
  const { name, ...rest } = body;
  const out = { ...rest } as T;
  const display = name || body.display_name;
  if (display) out.display_name = display;
  return out;
}

/**
 * Send a create whose body may carry `name` (`send(dropName)` sends it with or without the field).
 * When the server refuses the field, the create is sent again without it (a 400 created nothing), and
 * this client remembers to leave it out from then on.
 */
export async function createWithNameFallback<T>(
  client: object,
  hasName: boolean,
  send: (dropName: boolean) => Promise<T>,
): Promise<T> {
  if (!hasName) return send(false);
  if (SERVERS_WITHOUT_NAME.has(client)) return send(true);
  try {
    return await send(false);
  } catch (err) {
    if (!rejectsNameField(err)) throw err;
    SERVERS_WITHOUT_NAME.add(client);
    return send(true);
  }
}

/** The id of the first v1beta1 resource reference of `type`, if any. */
export function refId(refs: V1ResourceReference[] | undefined, type: V1ResourceType): string | undefined {
  return refs?.find((r) => r?.key?.type === type)?.key?.id || undefined;
}
