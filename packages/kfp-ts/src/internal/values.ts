/**
 * Small value helpers used across the library (one copy each): plain-object checks and dropping
 * absent keys from wire bodies.
 */

/** Whether `v` is a plain JSON-like object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A copy of `obj` without its absent keys: `undefined` always, and `null` and `""` too with
 * `{ empty: true }` (v1beta1 objects, where the server omits zero values). Keeps wire bodies tidy;
 * never changes a present value.
 */
export function compact<T extends object>(obj: T, opts?: { empty?: boolean }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (opts?.empty && (v === null || v === "")) continue;
    out[k] = v;
  }
  return out as T;
}
