/** Go-compatible text helpers and the page size rules of the list modules (see list.ts). */

import { goQuote } from "../go-text.js";
import { gatewayInvalid, invalidInput } from "../http/errors.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./types.js";

// ---------------------------------------------------------------------------------------------------
// Small Go-compatible helpers

export function quoteBytes(bytes: Uint8Array): string {
  try {
    return goQuote(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    let out = '"';
    for (const b of bytes) {
      if (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c) out += String.fromCharCode(b);
      else out += `\\x${b.toString(16).padStart(2, "0")}`;
    }
    return `${out}"`;
  }
}

export const HEX = /^[0-9A-Fa-f]$/;
export const utf8 = new TextEncoder();

/**
 * Go `url.QueryUnescape`: `+` → space, `%XX` decoded; a `%` not followed by two hex digits fails with
 * `invalid URL escape "%.."`. Returns the decoded string, or the Go error text.
 */
export function goQueryUnescape(s: string): { ok: true; value: string } | { ok: false; error: string } {
  if (!s.includes("%") && !s.includes("+")) return { ok: true, value: s };
  const bytes = utf8.encode(s);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25) {
      const h1 = bytes[i + 1];
      const h2 = bytes[i + 2];
      if (
        h1 === undefined ||
        h2 === undefined ||
        !HEX.test(String.fromCharCode(h1)) ||
        !HEX.test(String.fromCharCode(h2))
      ) {
        return { ok: false, error: `invalid URL escape ${quoteBytes(bytes.subarray(i, i + 3))}` };
      }
      out[n++] = Number.parseInt(String.fromCharCode(h1, h2), 16);
      i += 2;
    } else if (b === 0x2b) {
      out[n++] = 0x20;
    } else {
      out[n++] = b;
    }
  }
  // Go keeps invalid UTF-8 bytes; protojson then rejects them. U+FFFD keeps the JSON parse going and the
  // difference only shows in an error text.
  return { ok: true, value: new TextDecoder().decode(out.subarray(0, n)) };
}

/** Go `strconv.ParseInt(s, 10, 32)`: returns the value or the NumError text. */
export function goParseInt32(s: string): { ok: true; value: number } | { ok: false; error: string } {
  const fail = (why: string) => ({
    ok: false as const,
    error: `strconv.ParseInt: parsing ${goQuote(s)}: ${why}`,
  });
  let i = 0;
  let neg = false;
  if (s[0] === "+" || s[0] === "-") {
    neg = s[0] === "-";
    i = 1;
  }
  if (i >= s.length) return fail("invalid syntax");
  const maxUnsigned = 0xffffffff; // ParseUint(s, 10, 32) inside ParseInt
  let n = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return fail("invalid syntax");
    n = n * 10 + (c - 48);
    if (n > maxUnsigned) return fail("value out of range");
  }
  if (!neg && n > 0x7fffffff) return fail("value out of range");
  if (neg && n > 0x80000000) return fail("value out of range");
  return { ok: true, value: neg ? -n : n };
}

export function fmtGo(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(fmtGo).join(" ")}]`;
  return String(v);
}

// ---------------------------------------------------------------------------------------------------
// Page size

/** `list.validatePageSize`: 0 → 20, > 200 → 200, < 0 → 400. */
export function validatePageSize(n: number): number {
  if (n < 0) throw invalidInput(`The page size should be greater than 0. Got ${n}`);
  if (n === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(n, MAX_PAGE_SIZE);
}

/** The gateway's int32 parse of `page_size` (bare 400 on bad syntax / range); absent → 0. */
export function gatewayPageSize(v: string | null | undefined): number {
  if (v === undefined || v === null) return 0;
  const r = goParseInt32(v);
  if (!r.ok) throw gatewayInvalid(`parsing field "page_size": ${r.error}`);
  return r.value;
}

/**
 * Effective page size: absent/0 → 20, > 200 → 200, negative → 400 ("The page size should be greater
 * than 0. Got -1"), not an int32 → 400 from the gateway (`parsing field "page_size": strconv.ParseInt: ...`).
 * Pass `null`/`undefined` when the parameter is absent; an empty string is a parse error, as upstream.
 */
export function parsePageSize(v: string | null | undefined): number {
  return validatePageSize(gatewayPageSize(v));
}
