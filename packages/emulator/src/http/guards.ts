/**
 * Guards that keep one request from ending or stalling the server: Go-like answers to requests node's
 * HTTP parser refuses (head too large, malformed, too slow), a time budget per handler, and an optional
 * process-wide safety net for stray asynchronous errors.
 */
import type { Duplex } from "node:stream";
import type { EmulatorLogger } from "./context.js";
import { ApiError, GrpcCode } from "./errors.js";

/** What Go's net/http writes for a request it cannot read: status line, text/plain body, close. */
function goClientErrorResponse(status: number, text: string): string {
  const body = `${status} ${text}`;
  return `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * `server.on("clientError")`: a head over MAX_HEADER_BYTES → 431 "Request Header Fields Too Large",
 * a request not received within the receive timeout → 408, anything else node cannot parse → 400
 * "Bad Request" (Go's answers, with a body that says which).
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  socket.on("error", () => {});
  if (!socket.writable || err.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const response =
    err.code === "HPE_HEADER_OVERFLOW"
      ? goClientErrorResponse(431, "Request Header Fields Too Large")
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? goClientErrorResponse(408, "Request Timeout")
        : goClientErrorResponse(400, "Bad Request");
  socket.end(response);
}

/** `work`, or a 504 DEADLINE_EXCEEDED ApiError once `budgetMs` has passed (the work is abandoned). */
export function withTimeBudget<T>(work: T | Promise<T>, budgetMs: number): Promise<T> {
  if (!(work instanceof Promise)) return Promise.resolve(work);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new ApiError(
          GrpcCode.DeadlineExceeded,
          `the request took longer than the emulator's time budget of ${budgetMs} ms`,
        ),
      );
    }, budgetMs);
    timer.unref();
  });
  // An abandoned handler that fails later must not become an unhandled rejection.
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Log stray `uncaughtException`/`unhandledRejection` instead of exiting (only when asked: an
 * embedding program owns its process). Returns the function that removes the handlers.
 */
export function installSafetyNet(log: EmulatorLogger): () => void {
  const onError = (err: unknown) => {
    log.error(`emulator: stray error kept the server running: ${(err as Error)?.stack ?? String(err)}`);
  };
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  return () => {
    process.off("uncaughtException", onError);
    process.off("unhandledRejection", onError);
  };
}
