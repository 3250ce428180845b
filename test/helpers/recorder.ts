/**
 * A small HTTP server on 127.0.0.1:0 that keeps every byte it receives and answers as scripted.
 *
 *     const rec = await startRecorder();
 *     rec.enqueue({ status: 503, headers: { "retry-after": "0" } });   // next request
 *     rec.route("GET /apis/v2/healthz", { body: { multi_user: false } }); // every matching request
 *     ... rec.requests[0].body (Buffer) ...
 *     await rec.close();
 *
 * A script step may delay its answer, or destroy the socket before reading the body ("before-body"),
 * after reading all of it ("after-body"), or after sending the response headers ("after-headers").
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** Set when the body could not be read completely (socket destroyed by the script). */
  complete: boolean;
}

export interface Step {
  status?: number;
  headers?: Record<string, string>;
  /** Object → JSON (content-type application/json unless given), string/Buffer as is. */
  body?: unknown;
  /** Wait this long (ms) after reading the body before answering. */
  delayMs?: number;
  destroy?: "before-body" | "after-body" | "after-headers";
}

export type Handler = (req: RecordedRequest) => Step | Promise<Step>;

export interface Recorder {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Answer the next request (FIFO) with this step. */
  enqueue(...steps: Step[]): void;
  /** Answer every request matching `"METHOD /path"` (path without query; `*` matches any method). */
  route(match: string, step: Step | Handler): void;
  /** Default answer when nothing matches (default 200 `{}`). */
  fallback(step: Step | Handler): void;
  /** Resolve once `n` requests were received (bounded by `timeoutMs`). */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  /** Number of TCP connections accepted. */
  connections(): number;
  close(): Promise<void>;
}

export async function startRecorder(): Promise<Recorder> {
  const requests: RecordedRequest[] = [];
  const queue: Step[] = [];
  const routes: { method: string; path: string; step: Step | Handler }[] = [];
  let fallback: Step | Handler = { status: 200, body: {} };
  const sockets = new Set<Socket>();
  let connectionCount = 0;
  const waiters: { n: number; resolve: () => void }[] = [];

  const notify = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w && requests.length >= w.n) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };

  const pick = (req: RecordedRequest): Step | Handler => {
    const next = queue.shift();
    if (next) return next;
    const p = req.url.split("?", 1)[0];
    const r = routes.find((x) => (x.method === "*" || x.method === req.method) && x.path === p);
    return r ? r.step : fallback;
  };

  const answer = async (res: ServerResponse, rec: RecordedRequest, stepOrHandler: Step | Handler) => {
    const step = typeof stepOrHandler === "function" ? await stepOrHandler(rec) : stepOrHandler;
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (res.destroyed) return;
    if (step.destroy === "after-body") {
      res.socket?.destroy();
      return;
    }
    const headers: Record<string, string> = { ...(step.headers ?? {}) };
    let payload: Buffer;
    if (step.body === undefined) payload = Buffer.alloc(0);
    else if (Buffer.isBuffer(step.body)) payload = step.body;
    else if (typeof step.body === "string") payload = Buffer.from(step.body);
    else {
      payload = Buffer.from(JSON.stringify(step.body));
      if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
        headers["content-type"] = "application/json";
      }
    }
    if (step.destroy === "after-headers") {
      res.writeHead(step.status ?? 200, { ...headers, "content-length": String(payload.length + 100) });
      res.flushHeaders();
      res.write(payload.subarray(0, Math.floor(payload.length / 2)));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    res.writeHead(step.status ?? 200, { ...headers, "content-length": String(payload.length) });
    res.end(payload);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const rec: RecordedRequest = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.alloc(0),
      complete: false,
    };
    const step = pick(rec);
    if (typeof step !== "function" && step.destroy === "before-body") {
      requests.push(rec);
      notify();
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => {
      rec.body = Buffer.concat(chunks);
    });
    req.on("end", () => {
      rec.body = Buffer.concat(chunks);
      rec.complete = true;
      requests.push(rec);
      notify();
      answer(res, rec, step).catch((err) => {
        res.destroy(err as Error);
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (s: Socket) => {
    connectionCount++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue: (...steps) => {
      queue.push(...steps);
    },
    route: (match, step) => {
      const [method, path] = match.split(" ", 2);
      routes.unshift({ method: method ?? "*", path: path ?? "/", step });
    },
    fallback: (step) => {
      fallback = step;
    },
    waitForRequests: (n, timeoutMs = 5_000) =>
      new Promise<void>((resolve, reject) => {
        if (requests.length >= n) {
          resolve();
          return;
        }
        const t = setTimeout(
          () => reject(new Error(`only ${requests.length} of ${n} requests arrived`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      }),
    connections: () => connectionCount,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 with nothing listening (bound then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Collect log lines (for redaction checks). */
export function captureLogger(): {
  lines: string[];
  logger: {
    debug: (m: string) => void;
    info: (m: string) => void;
    warn: (m: string) => void;
    error: (m: string) => void;
  };
} {
  const lines: string[] = [];
  const push = (m: string) => {
    lines.push(m);
  };
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}
