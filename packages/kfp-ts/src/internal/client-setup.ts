/**
 * The client's setup steps that do not depend on the client class: checking the options, and picking
 * the connector (the platform's own HTTP stack, a caller's undici dispatcher, or fetch) and whether a
 * client derived with `withOptions()` can share its parent's.
 */
import { platform } from "#platform";
import { ValidationError } from "../core/errors.js";
import { checkTimeout } from "./abort.js";
import type { ApiState, ApiVersion } from "./api-version.js";
import type { Connector } from "./connector.js";
import type { Env } from "./env.js";
import { FetchConnector, type FetchLike } from "./fetch-connector.js";
import { isLogLevel } from "./log.js";

export const API_VERSIONS: readonly ApiVersion[] = ["v2", "v2beta1", "v1beta1"];

/** The options checked here (a structural part of `KfpOptions`). */
export interface CheckedOptions {
  timeout?: number | undefined;
  maxRetries?: number | undefined;
  logLevel?: string | undefined;
  apiVersion?: string | undefined;
  namespace?: string | undefined;
  headers?: Record<string, string> | undefined;
  ca?: string | Uint8Array | undefined;
  insecure?: boolean | undefined;
  token?: string | undefined;
  tokenProvider?: unknown;
  tokenFile?: string | undefined;
  transport?: string | undefined;
  fetch?: FetchLike | undefined;
  dispatcher?: unknown;
}

/** Mutable state shared by a client and the clients derived from it with `withOptions()`. */
export interface Shared<Info = unknown> {
  connector: Connector;
  /** Where the connector came from: the platform's own stack, a caller's dispatcher, or fetch. */
  source: "platform" | "dispatcher" | "fetch";
  /** The platform settings it was built from, or the caller's dispatcher. */
  settings: unknown;
  closed: boolean;
  /** Cached probe result per host. */
  probes: Map<string, Promise<Info>>;
  /** What `auto` learned of each host's API version (see internal/api-version.ts). */
  apis: Map<string, ApiState>;
  /** healthz answers already received, per host. */
  infos: Map<string, Info>;
}

export function checkOptions(o: CheckedOptions): void {
  checkTimeout(o.timeout, "timeout");
  if (o.maxRetries !== undefined && (!Number.isInteger(o.maxRetries) || o.maxRetries < 0)) {
    throw new ValidationError(`maxRetries must be a non-negative integer, got ${o.maxRetries}`, {
      field: "maxRetries",
    });
  }
  if (o.logLevel !== undefined && !isLogLevel(o.logLevel)) {
    throw new ValidationError(
      `logLevel must be one of debug, info, warn, error, off; got ${String(o.logLevel)}`,
      {
        field: "logLevel",
      },
    );
  }
  if (
    o.apiVersion !== undefined &&
    o.apiVersion !== "auto" &&
    !(API_VERSIONS as readonly string[]).includes(o.apiVersion)
  ) {
    throw new ValidationError(
      `apiVersion must be auto, v2, v2beta1 or v1beta1; got ${String(o.apiVersion)}`,
      {
        field: "apiVersion",
      },
    );
  }
  if (o.namespace !== undefined && typeof o.namespace !== "string") {
    throw new ValidationError("namespace must be a string", { field: "namespace" });
  }
  if (o.headers !== undefined && (typeof o.headers !== "object" || o.headers === null)) {
    throw new ValidationError("headers must be an object of header name → value", { field: "headers" });
  }
  if (o.insecure === true && o.ca !== undefined) {
    throw new ValidationError(
      "pass either ca or insecure, not both: insecure turns certificate verification off, so ca would be ignored. Keep ca to verify the server against it, or drop it to skip verification",
      { field: "insecure" },
    );
  }
  if (o.transport !== undefined && !["auto", "undici", "fetch"].includes(o.transport)) {
    throw new ValidationError(`transport must be auto, undici or fetch; got ${String(o.transport)}`, {
      field: "transport",
    });
  }
  if (o.fetch !== undefined && typeof o.fetch !== "function") {
    throw new ValidationError("fetch must be a function (a fetch implementation)", { field: "fetch" });
  }
  if (o.fetch !== undefined && o.transport === "undici") {
    throw new ValidationError("fetch cannot be used with transport: undici; drop one of them", {
      field: "fetch",
    });
  }
  if (o.dispatcher !== undefined && (o.fetch !== undefined || o.transport === "fetch")) {
    throw new ValidationError("dispatcher is for the undici transport; with fetch pass fetch instead", {
      field: "dispatcher",
    });
  }
  if ((o.fetch !== undefined || o.transport === "fetch") && (o.ca !== undefined || o.insecure === true)) {
    throw new ValidationError(
      "ca and insecure apply to the undici transport; with fetch the TLS settings of the runtime (or of your fetch) apply: drop them",
      { field: o.ca !== undefined ? "ca" : "insecure" },
    );
  }
  const creds = [o.token !== undefined, o.tokenProvider !== undefined, o.tokenFile !== undefined].filter(
    Boolean,
  );
  if (creds.length > 1) {
    throw new ValidationError("pass only one of token, tokenProvider and tokenFile", { field: "token" });
  }
}

function loadCa(ca: string | Uint8Array | undefined): string | Uint8Array | undefined {
  if (ca === undefined || typeof ca !== "string" || ca.includes("-----BEGIN")) return ca;
  return platform.readCaFile(ca);
}

/** Where the page was loaded from, in a browser (the default host there). */
export function pageOrigin(): string | undefined {
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  return typeof origin === "string" && /^https?:\/\//.test(origin) ? origin : undefined;
}

/**
 * The connector of a new client: the caller's dispatcher, fetch (asked for, or passed), or the
 * platform's stack — shared with the parent client when the settings are the same.
 */
export function connect<Info>(
  opts: CheckedOptions,
  shared: Shared<Info> | undefined,
  timeout: number,
  env: Env,
): { shared: Shared<Info>; owned: boolean } {
  const inherit = {
    probes: shared?.probes ?? new Map<string, Promise<Info>>(),
    apis: shared?.apis ?? new Map<string, ApiState>(),
    infos: shared?.infos ?? new Map<string, Info>(),
  };
  if (opts.dispatcher) {
    if (shared?.source === "dispatcher" && shared.settings === opts.dispatcher) {
      return { shared, owned: false };
    }
    const connector = platform.connections.fromDispatcher(opts.dispatcher);
    return {
      shared: { connector, source: "dispatcher", settings: opts.dispatcher, closed: false, ...inherit },
      owned: false,
    };
  }
  if (opts.transport === "undici" && platform.name !== "node") {
    throw new ValidationError("transport undici needs Node; this runtime has fetch: drop transport", {
      field: "transport",
    });
  }
  if (opts.fetch !== undefined || opts.transport === "fetch") {
    // A fetch connector holds no connections: one per client, nothing to share or close.
    const connector = new FetchConnector(opts.fetch);
    return {
      shared: { connector, source: "fetch", settings: undefined, closed: false, ...inherit },
      owned: true,
    };
  }
  const settings = platform.connections.settings(
    { timeout, ca: loadCa(opts.ca), insecure: opts.insecure },
    env,
  );
  if (
    shared?.source === "platform" &&
    !shared.closed &&
    platform.connections.same(shared.settings, settings)
  ) {
    return { shared, owned: false };
  }
  const connector = platform.connections.create(settings);
  if (!connector) {
    throw new ValidationError("no HTTP transport in this runtime: pass fetch (new Kfp({ fetch }))", {
      field: "fetch",
    });
  }
  return { shared: { connector, source: "platform", settings, closed: false, ...inherit }, owned: true };
}
