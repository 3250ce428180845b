/**
 * Errors of the emulated KFP API server.
 *
 * The real server builds a gRPC status from a `UserError`: `code` is the gRPC code, `message` is the
 * whole internal chain (every wrap prefix joined by ": "), and `details[0]` is a `google.rpc.Status`
 * carrying the short, user-facing message (FACTS.md §3.1). The plain upload handlers write a different
 * shape, `{error_message, error_details}` (FACTS.md §3.4). Both writers live here.
 */
import type { ServerResponse } from "node:http";

export const GrpcCode = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

const HTTP_FROM_GRPC: Record<number, number> = {
  0: 200,
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

/** grpc-gateway v2 `HTTPStatusFromCode`. */
export function httpStatusFromGrpc(code: number): number {
  return HTTP_FROM_GRPC[code] ?? 500;
}

/**
 * A KFP `UserError`: gRPC code, the short external message and the internal chain.
 * `wrap()` prepends a context prefix to the chain only, like `util.Wrap` upstream.
 */
export class ApiError extends Error {
  readonly code: number;
  readonly external: string;
  /** Set for the plain (upload/artifact) handlers: HTTP status and content type decided by the handler. */
  httpStatus?: number;
  /**
   * A gateway-level error (request decoding, query parsing, body limits): the body is a bare
   * `{code, message}` without `details`, as grpc-gateway writes for errors it raises itself.
   */
  bare = false;

  constructor(code: number, external: string, internal?: string) {
    super(internal ?? external);
    this.name = "ApiError";
    this.code = code;
    this.external = external;
  }

  /** Add a context prefix to the internal chain, as `util.Wrap(err, prefix)` does. */
  wrap(prefix: string): this {
    this.message = `${prefix}: ${this.message}`;
    return this;
  }

  get status(): number {
    return this.httpStatus ?? httpStatusFromGrpc(this.code);
  }
}

/** `util.NewInvalidInputError` → 3 (400); the internal chain starts with "Invalid input error: ". */
export function invalidInput(msg: string): ApiError {
  return new ApiError(GrpcCode.InvalidArgument, msg, `Invalid input error: ${msg}`);
}

/** `util.NewResourceNotFoundError(type, id)` → 5 (404) with external message "<Type> <id> not found". */
export function notFound(type: string, id: string): ApiError {
  const ext = `${type} ${id} not found`;
  return new ApiError(GrpcCode.NotFound, ext, `ResourceNotFoundError: ${ext}`);
}

/** `util.NewAlreadyExistError` → 6 (409). */
export function alreadyExists(msg: string): ApiError {
  return new ApiError(GrpcCode.AlreadyExists, msg, `Already exist error: ${msg}`);
}

/** `util.NewBadRequestError` → 10 Aborted (409!). */
export function badRequest(msg: string): ApiError {
  return new ApiError(GrpcCode.Aborted, msg, `BadRequestError: ${msg}`);
}

/** `util.NewFailedPreconditionError` → 9 (400). */
export function failedPrecondition(msg: string): ApiError {
  return new ApiError(GrpcCode.FailedPrecondition, msg, `FailedPreconditionError: ${msg}`);
}

/** `util.NewUnauthenticatedError` → 16 (401). */
export function unauthenticated(msg: string): ApiError {
  return new ApiError(GrpcCode.Unauthenticated, msg, `Unauthenticated: ${msg}`);
}

/** `util.NewUnavailableServerError` → 14 (503). */
export function unavailable(msg: string): ApiError {
  return new ApiError(GrpcCode.Unavailable, msg, `ServiceUnavailable: ${msg}`);
}

/**
 * An error raised by grpc-gateway itself before the handler runs (bad JSON body, unknown body field,
 * unparsable typed query value): HTTP 400, body `{"code":3,"message":...}` without details.
 */
export function gatewayInvalid(msg: string): ApiError {
  const e = new ApiError(GrpcCode.InvalidArgument, msg, msg);
  e.bare = true;
  return e;
}

/** `util.NewPermissionDeniedError` → 7 (403). */
export function permissionDenied(msg: string): ApiError {
  return new ApiError(GrpcCode.PermissionDenied, msg, `PermissionDenied: ${msg}`);
}

/**
 * `util.NewInternalServerError(err, ...)` → 13 (500): the external message is always
 * "Internal Server Error"; the cause's text only survives in the internal chain.
 */
export function internal(msg: string, cause?: ApiError | Error): ApiError {
  const chain = cause ? `${msg}: ${cause.message}` : msg;
  return new ApiError(GrpcCode.Internal, "Internal Server Error", `InternalServerError: ${chain}`);
}

/**
 * A failure the real server reports as a plain (non-UserError) error: code 13 with its text,
 * "Internal error: <chain>". `wrap()` prefixes the chain like `util.Wrap`.
 */
export class ServerError extends Error {
  wrap(prefix: string): this {
    this.message = `${prefix}: ${this.message}`;
    return this;
  }
}

/** The message of an unexpected exception (a bug): the details go to the log, never to the client. */
export const UNEXPECTED_ERROR_TEXT =
  "the emulator failed unexpectedly while handling the request (details are in its log)";

/**
 * Any thrown value as an ApiError: a ServerError becomes "Internal error: <its text>" with code 13;
 * anything else (a bug: TypeError, RangeError, ...) the same with a generic text, so no internal detail
 * is echoed.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const text = err instanceof ServerError ? err.message : UNEXPECTED_ERROR_TEXT;
  // A non-UserError: the interceptor's status carries the same "Internal error: ..." text in
  // `message` and in the detail (whose code is Unknown, see gatewayErrorBody).
  return new ApiError(GrpcCode.Internal, `Internal error: ${text}`, `Internal error: ${text}`);
}

/** The gateway body: a marshalled google.rpc.Status with one detail carrying the short message. */
export function gatewayErrorBody(err: ApiError): Record<string, unknown> {
  if (err.bare) return { code: err.code, message: err.message };
  const isUserError = !err.message.startsWith("Internal error: ");
  return {
    code: err.code,
    message: err.message,
    details: [
      {
        "@type": "type.googleapis.com/google.rpc.Status",
        code: isUserError ? err.code : GrpcCode.Unknown,
        message: err.external,
      },
    ],
  };
}

/** Write a grpc-gateway style error (JSON, status from the gRPC code; 401 also gets WWW-Authenticate). */
export function writeGatewayError(res: ServerResponse, err: ApiError): void {
  const body = JSON.stringify(gatewayErrorBody(err));
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  };
  if (err.code === GrpcCode.Unauthenticated) headers["www-authenticate"] = sanitizeHeader(err.message);
  res.writeHead(err.httpStatus ?? httpStatusFromGrpc(err.code), headers);
  res.end(body);
}

/** A routing error from the gateway itself: 404 `{"code":5,"message":"Not Found"}` or 501 for a wrong method. */
export function writeRoutingError(res: ServerResponse, kind: "not-found" | "method-not-allowed"): void {
  const payload =
    kind === "not-found"
      ? { code: GrpcCode.NotFound, message: "Not Found" }
      : { code: GrpcCode.Unimplemented, message: "Method Not Allowed" };
  const body = JSON.stringify(payload);
  res.writeHead(kind === "not-found" ? 404 : 501, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * The plain upload handlers' `writeErrorToResponse`: `{error_message, error_details}` where
 * error_details is the message followed by a Go-style stack trace. `jsonContentType` is false for
 * errors raised before the handler set `Content-Type: application/json`: Go then sniffs the body and
 * sends `text/plain; charset=utf-8` although the body is JSON (FACTS.md §3.4, §4.5).
 */
export function writeUploadError(
  res: ServerResponse,
  status: number,
  message: string,
  jsonContentType: boolean,
  cause?: string,
): void {
  const details = `${cause ? `${message}: ${cause}` : message}\n${FAKE_STACK}`;
  const body = JSON.stringify({ error_message: message, error_details: details });
  res.writeHead(status, {
    "content-type": jsonContentType ? "application/json" : "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Go `http.Error`: text/plain, nosniff, the text plus "\n". */
export function writePlainTextError(res: ServerResponse, status: number, text: string): void {
  const body = `${text}\n`;
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "x-content-type-options": "nosniff",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

const FAKE_STACK = [
  "github.com/kubeflow/pipelines/backend/src/apiserver/server.(*PipelineUploadServer).uploadPipeline",
  "\t/go/src/github.com/kubeflow/pipelines/backend/src/apiserver/server/pipeline_upload_server.go",
  "net/http.HandlerFunc.ServeHTTP",
  "\t/usr/local/go/src/net/http/server.go",
].join("\n");

function sanitizeHeader(v: string): string {
  return v.replace(/[\r\n]+/g, " ");
}
