/**
 * Errors thrown by the client.
 *
 * `ApiError` and its subclasses stand for an HTTP answer of the server: they keep the status, the gRPC
 * code, the short message (`details[0].message` of a gateway error, `error_message` of an upload error,
 * or the text of a plain-text error), the method and the URL (credentials redacted). The other classes
 * are failures without an HTTP answer (connection, timeout, abort) or bad input found on the client.
 */
import { isRecord } from "../internal/values.js";

/** gRPC status code names, by number (google.rpc.Code). */
export const GRPC_CODE_NAMES: Readonly<Record<number, string>> = {
  0: "OK",
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  6: "ALREADY_EXISTS",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  9: "FAILED_PRECONDITION",
  10: "ABORTED",
  11: "OUT_OF_RANGE",
  12: "UNIMPLEMENTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  15: "DATA_LOSS",
  16: "UNAUTHENTICATED",
};

/** Base class of every error thrown by kfp-ts. */
export class KfpError extends Error {
  override name = "KfpError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface ApiErrorInit {
  status: number;
  grpcCode?: number | undefined;
  shortMessage: string;
  /** The long message of a gateway error (the internal error chain), when different from `shortMessage`. */
  serverMessage?: string | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  method: string;
  /** The request URL, already redacted. */
  url: string;
  /** Extra sentence appended to the message (a likely cause). */
  hint?: string | undefined;
  cause?: unknown;
}

const STATUS_TEXT: Record<number, string> = {
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  499: "Client Closed Request",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The reason phrase for an HTTP status (`""` when unknown). */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? "";
}

/** An HTTP error answer of the server. Use the subclasses to tell the families apart. */
export class ApiError extends KfpError {
  override name = "ApiError";
  /** HTTP status code. */
  readonly status: number;
  /** gRPC status code of a gateway error body (`code`), when present. */
  readonly grpcCode: number | undefined;
  /** The short, user-facing message: `details[0].message`, `error_message`, or the plain-text body. */
  readonly shortMessage: string;
  /** The server's long message (the internal error chain of a gateway error), when it says more. */
  readonly serverMessage: string | undefined;
  /** The parsed body (JSON when it parsed, else the text, truncated). */
  readonly body: unknown;
  /** Response headers (lower-case names; `set-cookie` removed). */
  readonly headers: Record<string, string>;
  /** The request method. */
  readonly method: string;
  /** The request URL with credentials redacted. */
  readonly url: string;

  constructor(init: ApiErrorInit) {
    super(formatApiMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.grpcCode = init.grpcCode;
    this.shortMessage = init.shortMessage;
    this.serverMessage = init.serverMessage;
    this.body = init.body;
    this.headers = init.headers ?? {};
    this.method = init.method;
    this.url = init.url;
  }

  /** Name of the gRPC code (`NOT_FOUND`...), when known. */
  get grpcCodeName(): string | undefined {
    return this.grpcCode === undefined ? undefined : GRPC_CODE_NAMES[this.grpcCode];
  }
}

function formatApiMessage(init: ApiErrorInit): string {
  const reason = statusText(init.status);
  const head = reason ? `${init.status} ${reason}` : String(init.status);
  const msg = init.shortMessage ? `${head}: ${init.shortMessage}` : head;
  const hint = init.hint ? ` ${init.hint}` : "";
  return `${msg} (${init.method} ${init.url})${hint}`;
}

/** 400 (and other 4xx without a family of their own): the request was invalid. */
export class BadRequestError extends ApiError {
  override name = "BadRequestError";
}
/** 401, or an HTML page where JSON was expected (an auth proxy's login page). */
export class AuthenticationError extends ApiError {
  override name = "AuthenticationError";
}
/** 403: authenticated but not allowed (multi-user SubjectAccessReview denial). */
export class PermissionDeniedError extends ApiError {
  override name = "PermissionDeniedError";
}
/** 404: the resource (or the route) does not exist. */
export class NotFoundError extends ApiError {
  override name = "NotFoundError";
}
/** 409: already exists (duplicate name), or an aborted operation. Never retried. */
export class ConflictError extends ApiError {
  override name = "ConflictError";
}
/** 429: too many requests. */
export class RateLimitError extends ApiError {
  override name = "RateLimitError";
}
/** 5xx other than 501. */
export class ServerError extends ApiError {
  override name = "ServerError";
}
/** 501 (route exists but not the method), or a feature the resolved API version lacks. */
export class UnsupportedError extends ApiError {
  override name = "UnsupportedError";
}

/** The error class for an HTTP status. */
export function errorClassForStatus(status: number): typeof ApiError {
  if (status === 401) return AuthenticationError;
  if (status === 403) return PermissionDeniedError;
  if (status === 404) return NotFoundError;
  if (status === 409) return ConflictError;
  if (status === 429) return RateLimitError;
  if (status === 501) return UnsupportedError;
  if (status >= 500) return ServerError;
  if (status >= 300 && status < 400) return AuthenticationError;
  return BadRequestError;
}

export interface ConnectionErrorInit {
  method: string;
  url: string;
  cause?: unknown;
  /** True when the request may have reached the server (the connection died after it was sent). */
  outcomeUnknown?: boolean;
  /** Extra sentence appended to the message. */
  note?: string;
}

/** The request did not get an HTTP answer (refused, reset, DNS, TLS...). */
export class ConnectionError extends KfpError {
  override name = "ConnectionError";
  readonly method: string;
  readonly url: string;
  /** True when the server may have processed the request although no answer arrived. */
  readonly outcomeUnknown: boolean;
  /** Low-level error code (`ECONNREFUSED`, `UND_ERR_SOCKET`...), when known. */
  readonly code: string | undefined;

  constructor(message: string, init: ConnectionErrorInit) {
    const full = `${message} (${init.method} ${init.url})${init.note ? ` ${init.note}` : ""}`;
    super(full, init.cause === undefined ? undefined : { cause: init.cause });
    this.method = init.method;
    this.url = init.url;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    const code = (init.cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === "string" ? code : undefined;
  }
}

/** No answer within the timeout. A subclass of ConnectionError. */
export class TimeoutError extends ConnectionError {
  override name = "TimeoutError";
  /** The timeout that expired, in milliseconds. */
  readonly timeout: number;
  constructor(message: string, init: ConnectionErrorInit & { timeout: number }) {
    super(message, init);
    this.timeout = init.timeout;
  }
}

/** The caller's AbortSignal fired. `cause` holds the signal's reason. */
export class AbortError extends KfpError {
  override name = "AbortError";
  constructor(message = "The request was aborted", options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad input found on the client, before anything was sent. */
export class ValidationError extends KfpError {
  override name = "ValidationError";
  /** The option or field at fault, when there is one. */
  readonly field: string | undefined;
  constructor(message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.field = options?.field;
  }
}

/** What a parsed error body says. */
export interface ParsedErrorBody {
  shortMessage: string;
  serverMessage?: string | undefined;
  grpcCode?: number | undefined;
  body: unknown;
  /** The body was an HTML page. */
  html: boolean;
}

const MAX_TEXT = 2000;

/** Whether a text starts (after white space and a BOM) with `<`: an HTML (or XML) page. */
export function looksLikeHtml(text: string): boolean {
  for (let i = 0; i < text.length && i < 512; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xfeff) continue;
    return c === 0x3c;
  }
  return false;
}

/**
 * Read an error body of any of the server's shapes (FACTS.md §3):
 * gateway `{code, message, details:[{message}]}`, pre-2.14 gateway `{error, code, message, details}`,
 * upload handlers `{error_message, error_details}` (often sent as text/plain), a plain-text body, or an
 * HTML page.
 */
export function parseErrorBody(text: string): ParsedErrorBody {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      json = undefined;
    }
    if (isRecord(json)) {
      const details = Array.isArray(json.details) ? json.details : [];
      const first = details.find((d) => isRecord(d)) as Record<string, unknown> | undefined;
      const detailMessage =
        first && typeof first.message === "string" && first.message
          ? first.message
          : first && typeof first.error_message === "string" && first.error_message
            ? first.error_message
            : undefined;
      const message = typeof json.message === "string" && json.message ? json.message : undefined;
      const legacy = typeof json.error === "string" && json.error ? json.error : undefined;
      const uploadMessage =
        typeof json.error_message === "string" && json.error_message ? json.error_message : undefined;
      const shortMessage = detailMessage ?? uploadMessage ?? message ?? legacy ?? "";
      const long = message ?? legacy;
      const grpcCode = typeof json.code === "number" ? json.code : undefined;
      return {
        shortMessage,
        serverMessage: long && long !== shortMessage ? long : undefined,
        grpcCode,
        body: json,
        html: false,
      };
    }
  }
  if (looksLikeHtml(text)) {
    const title = /<title[^>]*>([^<]{0,200})<\/title>/i.exec(text)?.[1]?.trim();
    return {
      shortMessage: title ? `HTML page "${title}"` : "HTML page",
      body: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text,
      html: true,
    };
  }
  const firstLine = trimmed.split("\n", 1)[0] ?? "";
  return {
    shortMessage: firstLine.length > 500 ? `${firstLine.slice(0, 500)}…` : firstLine,
    body: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text,
    html: false,
  };
}

/** Hint for the server's 400 "... cannot have an empty namespace in multi-user mode". */
export const MULTI_USER_NAMESPACE_HINT =
  'The server runs in multi-user mode: pass a namespace (the Kubeflow profile namespace, e.g. { namespace: "kubeflow-user-example-com" }) per call, or create the client with one (new Kfp({ namespace }) / kfp.withNamespace(ns)).';

/** Hint attached to an AuthenticationError made from an HTML page. */
export const HTML_LOGIN_HINT =
  "The server answered with an HTML page where JSON was expected (likely an auth proxy's login page): check the token or cookies, or point `host` at the KFP API itself.";

/**
 * Build the error for an HTTP error answer.
 * `text` is the raw body; `headers` lower-case; `url` already redacted.
 */
export function makeApiError(init: {
  status: number;
  text: string;
  headers: Record<string, string>;
  method: string;
  url: string;
}): ApiError {
  const parsed = parseErrorBody(init.text);
  const { status } = init;
  let Cls = errorClassForStatus(status);
  let hint: string | undefined;
  if (parsed.html && status !== 404 && status < 500) {
    Cls = AuthenticationError;
    hint = HTML_LOGIN_HINT;
  } else if (status >= 300 && status < 400) {
    hint = `The server redirected${init.headers.location ? " elsewhere" : ""} (likely an auth proxy's login flow): check the token or cookies.`;
  } else if (status === 401) {
    hint = "Check the token, token file or cookies.";
  } else if (status === 400 && /empty namespace in multi-user mode/i.test(parsed.shortMessage)) {
    hint = MULTI_USER_NAMESPACE_HINT;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers)) {
    if (k !== "set-cookie") headers[k] = v;
  }
  return new Cls({
    status,
    grpcCode: parsed.grpcCode,
    shortMessage: parsed.shortMessage,
    serverMessage: parsed.serverMessage,
    body: parsed.body,
    headers,
    method: init.method,
    url: init.url,
    hint,
  });
}
