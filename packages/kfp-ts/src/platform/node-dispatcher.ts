/**
 * One undici dispatcher per client. `dispatcherSettings` is a pure function from the client options and
 * the environment to the dispatcher's settings (tested without sockets); `createDispatcher` builds it.
 *
 * - An `EnvHttpProxyAgent` when `HTTP_PROXY`/`HTTPS_PROXY` (or lower-case) is set, so `NO_PROXY` is
 *   honoured per host; otherwise an `Agent`.
 * - TLS: `ca` (PEM text or bytes) and `insecure` (`rejectUnauthorized: false`) apply to the KFP
 *   connection (and to the tunnelled connection through a proxy).
 * - `headersTimeout`/`bodyTimeout` are the client timeout plus a margin: the client's own timer fires
 *   first and gives the clearer error.
 * - TCP keep-alive probes start after 30 s; idle pooled sockets are kept for 30 s at most.
 */
import { Agent, type Dispatcher, EnvHttpProxyAgent } from "undici";
import { undiciTimer } from "../internal/abort.js";
import type { Env } from "../internal/env.js";

export interface DispatcherInput {
  timeout: number;
  ca?: string | Uint8Array | undefined;
  insecure?: boolean | undefined;
}

export interface TlsSettings {
  ca?: string | Buffer;
  rejectUnauthorized: boolean;
}

export interface DispatcherSettings {
  kind: "agent" | "env-proxy";
  /** Proxy settings as found in the environment (may hold credentials: use `describeProxy` to show them). */
  proxy?: { http?: string; https?: string; noProxy?: string };
  headersTimeout: number;
  bodyTimeout: number;
  keepAliveTimeout: number;
  keepAliveMaxTimeout: number;
  connect: TlsSettings & { keepAlive: true; keepAliveInitialDelay: number; timeout: number };
}

export { TIMEOUT_MARGIN_MS } from "../internal/abort.js";

function envVar(env: Env, name: string): string | undefined {
  const v = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return v?.trim() ? v.trim() : undefined;
}

/** The proxy settings with credentials redacted, for diagnostics. */
export function describeProxy(settings: DispatcherSettings): string | undefined {
  const p = settings.proxy;
  if (!p) return undefined;
  const red = (u: string | undefined) => (u ? u.replace(/\/\/[^/@]*@/, "//***@") : "-");
  return `http=${red(p.http)} https=${red(p.https)} no_proxy=${p.noProxy ?? "-"}`;
}

export function dispatcherSettings(input: DispatcherInput, env: Env): DispatcherSettings {
  const httpProxy = envVar(env, "http_proxy");
  const httpsProxy = envVar(env, "https_proxy");
  const noProxy = envVar(env, "no_proxy");
  // 0 = no timer (a client timeout of Infinity).
  const timers = undiciTimer(input.timeout);
  const tls: TlsSettings = { rejectUnauthorized: !input.insecure };
  if (input.ca !== undefined) {
    const ca = input.ca;
    tls.ca =
      typeof ca === "string" || Buffer.isBuffer(ca)
        ? ca
        : Buffer.from(ca.buffer, ca.byteOffset, ca.byteLength);
  }
  const settings: DispatcherSettings = {
    kind: httpProxy || httpsProxy ? "env-proxy" : "agent",
    headersTimeout: timers,
    bodyTimeout: timers,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
    connect: {
      ...tls,
      keepAlive: true,
      keepAliveInitialDelay: 30_000,
      timeout: timers === 0 ? 30_000 : Math.min(timers, 30_000),
    },
  };
  if (settings.kind === "env-proxy") {
    settings.proxy = {};
    if (httpProxy) settings.proxy.http = httpProxy;
    if (httpsProxy) settings.proxy.https = httpsProxy;
    if (noProxy) settings.proxy.noProxy = noProxy;
  }
  return settings;
}

/** Build the dispatcher described by `settings`. */
export function createDispatcher(settings: DispatcherSettings): Dispatcher {
  const common = {
    headersTimeout: settings.headersTimeout,
    bodyTimeout: settings.bodyTimeout,
    keepAliveTimeout: settings.keepAliveTimeout,
    keepAliveMaxTimeout: settings.keepAliveMaxTimeout,
    connect: settings.connect,
  };
  if (settings.kind === "env-proxy") {
    const tls: TlsSettings = { rejectUnauthorized: settings.connect.rejectUnauthorized };
    if (settings.connect.ca !== undefined) tls.ca = settings.connect.ca;
    // Pass the values explicitly ("" = none) so the agent does not read process.env on its own;
    // requestTls applies to the tunnelled target.
    return new EnvHttpProxyAgent({
      ...common,
      requestTls: tls,
      httpProxy: settings.proxy?.http ?? "",
      httpsProxy: settings.proxy?.https ?? "",
      noProxy: settings.proxy?.noProxy ?? "",
    });
  }
  return new Agent(common);
}

/** Whether two settings would build an equivalent dispatcher (so a derived client can share it). */
export function sameDispatcherSettings(a: DispatcherSettings, b: DispatcherSettings): boolean {
  return (
    a.kind === b.kind &&
    a.headersTimeout === b.headersTimeout &&
    a.bodyTimeout === b.bodyTimeout &&
    a.connect.rejectUnauthorized === b.connect.rejectUnauthorized &&
    a.connect.ca === b.connect.ca &&
    JSON.stringify(a.proxy) === JSON.stringify(b.proxy)
  );
}
