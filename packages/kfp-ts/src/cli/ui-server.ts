/**
 * The server behind `kfp-ts ui`: the built web UI as static files (unknown paths get index.html, the
 * single-page app's router takes them), and the API paths — `/apis/**`, `/_emulator/**`, `/healthz` —
 * forwarded to the KFP server with the client's credentials added here, so the browser never holds them.
 *
 * Forwarding streams both bodies (an upload is never buffered), passes status codes and headers
 * through except hop-by-hop ones and `set-cookie` (a session cookie is a credential too), and answers
 * a server it cannot reach with a 502 in the KFP error shape. The browser's own cookies (for the local
 * origin) are not forwarded, and a header the client's credentials set replaces the browser's.
 *
 * Because it adds credentials, it checks that a request is meant for it: the Host header must name this
 * server (a DNS-rebinding page cannot use it) and a request with an Origin header must come from this
 * server's own page (another site cannot make the browser upload through it).
 */
import { createReadStream, statSync } from "node:fs";
import {
  createServer,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

export interface UiServerOptions {
  /** Directory of the built UI (holds index.html). */
  assets: string;
  /** The KFP server: `scheme://host[:port][/base-path]`. */
  target: string;
  /** The headers that carry the user's identity (authorization, cookie, identity header), per request. */
  credentials: () => Promise<Record<string, string>>;
  /** Address to listen on (default 127.0.0.1). */
  listen?: string | undefined;
  /** Port (default 0: any free one). */
  port?: number | undefined;
  /** TLS for an https target. */
  ca?: string | Buffer | undefined;
  insecure?: boolean | undefined;
  /** Longest wait for the KFP server's answer or any pause in it (default 5 min). */
  timeoutMs?: number | undefined;
  /** One line per forwarded request (method, path without query, status, time); never headers. */
  log?: ((line: string) => void) | undefined;
}

export interface UiServer {
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
};

/** Connection-level headers (RFC 9110 §7.6.1): never forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Whether a path is forwarded to the KFP server. */
export function isApiPath(pathname: string): boolean {
  return (
    pathname.startsWith("/apis/") ||
    pathname.startsWith("/_emulator/") ||
    pathname === "/healthz" ||
    pathname.startsWith("/healthz/")
  );
}

/** Headers without hop-by-hop ones (and those the Connection header names) and without `drop`. */
export function forwardable(headers: IncomingHttpHeaders, drop: ReadonlySet<string>): OutgoingHttpHeaders {
  const named = String(headers.connection ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.includes(k) || drop.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** `scheme://host[:port]/base` without credentials in it, for messages. */
function display(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, "")}`;
}

function sendJson(res: ServerResponse, status: number, message: string, code: number): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message, code, message, details: [] });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export async function startUiServer(o: UiServerOptions): Promise<UiServer> {
  const target = new URL(o.target);
  const basePath = target.pathname.replace(/\/+$/, "");
  const secure = target.protocol === "https:";
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, ca: o.ca, rejectUnauthorized: !o.insecure })
    : new HttpAgent({ keepAlive: true });
  const timeoutMs = o.timeoutMs ?? 300_000;
  const listen = o.listen ?? "127.0.0.1";
  const assets = normalize(o.assets);
  const indexHtml = join(assets, "index.html");
  let allowedHosts: Set<string> | undefined;

  const serveFile = (req: IncomingMessage, res: ServerResponse, pathname: string) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    let file = join(assets, normalize(pathname));
    if (!(file === assets || file.startsWith(assets + sep))) file = indexHtml;
    let size: number | undefined;
    try {
      const st = statSync(file);
      if (st.isFile()) size = st.size;
    } catch {
      // Not a file: the app's own route.
    }
    if (size === undefined) {
      file = indexHtml;
      size = statSync(file).size;
    }
    const hashed = file.startsWith(join(assets, "assets") + sep);
    res.writeHead(200, {
      "content-type": TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
      "content-length": size,
      "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    createReadStream(file)
      .on("error", () => res.destroy())
      .pipe(res);
  };

  const forward = async (req: IncomingMessage, res: ServerResponse, started: number) => {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) {
      sendJson(res, 403, `kfp-ts ui: requests from ${origin} are not forwarded (only from this page)`, 7);
      return;
    }
    let creds: Record<string, string>;
    try {
      creds = await o.credentials();
    } catch (err) {
      sendJson(res, 502, `kfp-ts ui: no credentials for the KFP server: ${(err as Error).message}`, 16);
      return;
    }
    const drop = new Set(["host", "cookie", "origin", "referer", ...Object.keys(creds)]);
    const headers: OutgoingHttpHeaders = { ...forwardable(req.headers, drop), ...creds };
    const up = (secure ? httpsRequest : httpRequest)({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port || undefined,
      path: basePath + (req.url ?? "/"),
      method: req.method,
      headers,
      agent,
    });
    const path = (req.url ?? "/").split("?")[0];
    up.setTimeout(timeoutMs, () => up.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    up.on("response", (upRes) => {
      const out = forwardable(upRes.headers, new Set(["set-cookie"]));
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
      upRes.on("end", () =>
        o.log?.(`${req.method} ${path} ${upRes.statusCode} (${Date.now() - started} ms)`),
      );
      upRes.on("error", () => res.destroy());
    });
    up.on("error", (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      o.log?.(`${req.method} ${path} failed: ${code}`);
      const timedOut = code === "ETIMEDOUT";
      sendJson(
        res,
        timedOut ? 504 : 502,
        timedOut
          ? `kfp-ts ui: the KFP server at ${display(target)} did not answer within ${timeoutMs} ms`
          : `kfp-ts ui: cannot reach the KFP server at ${display(target)} (${code}); is it running, and is --host right?`,
        timedOut ? 4 : 14,
      );
    });
    // The browser went away: stop the forwarded request too.
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  };

  const server = createServer((req, res) => {
    const started = Date.now();
    if (allowedHosts && !allowedHosts.has(String(req.headers.host ?? "").toLowerCase())) {
      sendJson(res, 403, "kfp-ts ui: unexpected Host header (open the address kfp-ts ui printed)", 7);
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      sendJson(res, 400, "kfp-ts ui: malformed path", 3);
      return;
    }
    if (isApiPath(pathname)) {
      forward(req, res, started).catch(() => res.destroy());
      return;
    }
    serveFile(req, res, pathname);
  });
  // Request bodies are streamed through: no server-side limit or timeout on reading them here.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, listen, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const wildcard = listen === "0.0.0.0" || listen === "::";
  if (!wildcard) {
    const h = listen.includes(":") ? `[${listen}]` : listen;
    allowedHosts = new Set([`${h}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  }
  const shown = wildcard ? "127.0.0.1" : listen.includes(":") ? `[${listen}]` : listen;
  return {
    url: `http://${shown}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
