/**
 * Safe URL building: every interpolated path value is percent-encoded (so `/`, `?`, `#` and `%` in an id
 * cannot add a segment or a parameter), and empty, `.` and `..` values are refused.
 */
import { ValidationError } from "../core/errors.js";

/** Percent-encode one path segment value; throw a ValidationError for values that cannot be one. */
export function encodePathSegment(value: unknown, label = "path parameter"): string {
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "bigint") {
    throw new ValidationError(`${label} must be a string, got ${value === null ? "null" : typeof value}`, {
      field: label,
    });
  }
  const s = String(value);
  if (s.length === 0) throw new ValidationError(`${label} must not be empty`, { field: label });
  if (s === "." || s === "..") {
    throw new ValidationError(`${label} must not be "${s}"`, { field: label });
  }
  // encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) unescaped; none of them can change the path's
  // structure. Also escape the sub-delimiters that some routers treat specially.
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Tagged template for request paths: `` path`/runs/${id}:terminate` ``. Each value is encoded with
 * `encodePathSegment`; the literal parts are kept as written.
 */
export function path(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) {
    out += encodePathSegment(values[i], `path parameter ${i + 1}`);
    out += strings[i + 1] ?? "";
  }
  return out;
}

export type QueryValue = string | number | boolean | undefined | null;
export type Query = Record<string, QueryValue>;

/**
 * Encode query parameters: names and values with `encodeURIComponent`; `undefined` and `null` are left
 * out; booleans become `true`/`false`. Returns `""` or a string starting with `?`.
 */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return "";
  let out = "";
  for (const key in query) {
    const v = query[key];
    if (v === undefined || v === null) continue;
    out += `${out ? "&" : "?"}${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`;
  }
  return out;
}
