/**
 * Helpers shared by the contract tests: a recording HTTP proxy (every request a client makes and every
 * response it gets, bodies included) and a tiny raw caller that records the same way.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Exchange {
  method: string;
  path: string;
  query: URLSearchParams;
  requestHeaders: IncomingHttpHeaders;
  requestBody: Buffer;
  status: number;
  responseContentType: string;
  responseBody: string;
}

/** A reverse proxy in front of `target` that records every exchange in `exchanges`. */
export class RecordingProxy {
  readonly exchanges: Exchange[] = [];
  private server: Server | undefined;
  url = "";

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url ?? "/", "http://proxy.invalid");
        const headers = { ...req.headers, host: target.host };
        const upstream = httpRequest(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
          (up) => {
            const out: Buffer[] = [];
            up.on("data", (c: Buffer) => out.push(c));
            up.on("end", () => {
              const responseBody = Buffer.concat(out);
              this.exchanges.push({
                method: (req.method ?? "GET").toUpperCase(),
                path: url.pathname,
                query: url.searchParams,
                requestHeaders: req.headers,
                requestBody: body,
                status: up.statusCode ?? 0,
                responseContentType: String(up.headers["content-type"] ?? ""),
                responseBody: responseBody.toString("utf8"),
              });
              const h = { ...up.headers };
              delete h["transfer-encoding"];
              h["content-length"] = String(responseBody.length);
              res.writeHead(up.statusCode ?? 502, h);
              res.end(responseBody);
            });
            up.on("error", () => res.destroy());
          },
        );
        upstream.on("error", (err) => {
          res.writeHead(502, { "content-type": "text/plain" });
          res.end(`proxy: ${err.message}`);
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

export interface CallOptions {
  query?: Record<string, string | number | boolean>;
  json?: unknown;
  rawBody?: string;
  multipart?: { filename: string; content: string; field?: string };
  headers?: Record<string, string>;
}

/** Raw calls against a server; every exchange is kept for the contract check. */
export class RawCaller {
  readonly exchanges: Exchange[] = [];

  constructor(private readonly base: string) {}

  async call(method: string, path: string, opts: CallOptions = {}): Promise<{ status: number; body: any }> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: "application/json", ...(opts.headers ?? {}) };
    let body: Buffer | undefined;
    if (opts.json !== undefined) {
      body = Buffer.from(JSON.stringify(opts.json));
      headers["content-type"] = "application/json";
    } else if (opts.rawBody !== undefined) {
      body = Buffer.from(opts.rawBody);
      headers["content-type"] = "application/json";
    } else if (opts.multipart) {
      const boundary = `contract${Math.random().toString(16).slice(2)}`;
      body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${opts.multipart.field ?? "uploadfile"}"; filename="${opts.multipart.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        ),
        Buffer.from(opts.multipart.content),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      headers["content-type"] = `multipart/form-data; boundary=${boundary}`;
    }
    const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    this.exchanges.push({
      method,
      path: url.pathname,
      query: url.searchParams,
      requestHeaders: headers,
      requestBody: body ?? Buffer.alloc(0),
      status: res.status,
      responseContentType: res.headers.get("content-type") ?? "",
      responseBody: text,
    });
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // plain text error bodies stay text
    }
    return { status: res.status, body: parsed };
  }
}
