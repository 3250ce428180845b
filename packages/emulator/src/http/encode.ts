/**
 * JSON conventions of the real server's marshaller (FACTS.md §2.1): proto (snake_case) field names,
 * zero values omitted, int64 as strings, timestamps as whole-second RFC 3339 (`1970-01-01T00:00:00Z`
 * when unset), enums by name, and an empty list response is `{}`.
 *
 * Handlers build response objects with these helpers; `omitZero` is applied to messages only, never
 * inside Struct/Value content (a pipeline spec or run parameters keep their falsy values).
 */

/** Whole-second RFC 3339 UTC for unix seconds; 0/undefined gives the epoch, like `timestamppb.New(time.Unix(0, 0))`. */
export function timestamp(unixSeconds: number | undefined | null): string {
  const s = Number.isFinite(unixSeconds) ? Math.trunc(unixSeconds as number) : 0;
  if (s === lastStampSec && lastStamp !== "") return lastStamp;
  const iso = new Date(s * 1000).toISOString();
  // Years 0000–9999 format as `YYYY-MM-DDTHH:MM:SS.sssZ`; others carry a sign and six year digits.
  const out = iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, "Z");
  lastStampSec = s;
  lastStamp = out;
  return out;
}
let lastStampSec = 0;
let lastStamp = "";

/** int64 as a JSON string; the zero value is omitted (undefined). */
export function int64(v: number | bigint | string | undefined | null): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const s = typeof v === "string" ? v : String(v);
  return s === "0" ? undefined : s;
}

/** True for a proto3 zero value that protojson omits with `EmitUnpopulated: false`. */
export function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.keys(v as object).length === 0;
  }
  return false;
}

/**
 * Drop zero-valued fields of one message (shallow). Nested messages must be built with `omitZero`
 * themselves; an empty nested object is dropped (an unset message and a map with no entries are absent).
 */
export function omitZero<T extends Record<string, unknown>>(msg: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    if (!isZero(v)) out[k] = v;
  }
  return out as Partial<T>;
}

/**
 * A list response: `{ [key]: items, total_size, next_page_token }` with zero values omitted, so a
 * list with no items is `{}`.
 */
export function listResponse(
  key: string,
  items: unknown[],
  totalSize: number,
  nextPageToken?: string,
): Record<string, unknown> {
  return omitZero({ [key]: items, total_size: totalSize, next_page_token: nextPageToken ?? "" });
}

/**
 * A JSON list response from pre-serialised items: `head`, then the items joined by commas, then
 * `tail`; `byteLength` is the whole. Kept as parts so that a page is copied once, into its output
 * buffer (`RequestContext.sendJson`), instead of being concatenated first.
 */
export interface JsonListParts {
  readonly head: Buffer;
  readonly items: readonly Buffer[];
  readonly tail: Buffer;
  readonly byteLength: number;
}

/**
 * `JSON.stringify(listResponse(key, items, totalSize, nextPageToken))` as parts (see JsonListParts),
 * for items that are already serialised (see `JsonCache`).
 */
export function listResponseJson(
  key: string,
  itemsJson: readonly Buffer[],
  totalSize: number,
  nextPageToken?: string,
): JsonListParts {
  let tail = "";
  if (totalSize !== 0) tail = `"total_size":${JSON.stringify(totalSize)}`;
  if (nextPageToken) tail += `${tail ? "," : ""}"next_page_token":${JSON.stringify(nextPageToken)}`;
  if (itemsJson.length === 0) {
    const only = Buffer.from(`{${tail}}`);
    return { head: only, items: itemsJson, tail: Buffer.alloc(0), byteLength: only.length };
  }
  const head = Buffer.from(`{${JSON.stringify(key)}:[`);
  const end = Buffer.from(tail ? `],${tail}}` : "]}");
  let byteLength = head.length + end.length + itemsJson.length - 1;
  for (let i = 0; i < itemsJson.length; i++) byteLength += itemsJson[i]!.length;
  return { head, items: itemsJson, tail: end, byteLength };
}

const COMMA = 0x2c;

/** Copy `parts` into `out` (at least `parts.byteLength` long); returns the bytes written. */
export function writeJsonListParts(parts: JsonListParts, out: Buffer): number {
  let at = parts.head.copy(out, 0);
  const items = parts.items;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out[at++] = COMMA;
    at += items[i]!.copy(out, at);
  }
  at += parts.tail.copy(out, at);
  return at;
}

/** `parts` as one new buffer. */
export function jsonListPartsToBuffer(parts: JsonListParts): Buffer {
  const out = Buffer.allocUnsafe(parts.byteLength);
  writeJsonListParts(parts, out);
  return out;
}

/**
 * Bytes of cached JSON one `JsonCache` keeps at most: a memory/latency trade-off. A list walked page by
 * page over more runs than fit is rendered again on every walk (about 6,000 runs of `two_step_pipeline.yaml`
 * at ~5 KiB each fit; the run-list benchmark's 5,000 runs of ~2 KiB fit easily).
 */
export const JSON_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * UTF-8 JSON of response messages rendered from immutable records (store records are never changed
 * in place: a change `put`s a new object), per variant (API version, view...). The cache holds at
 * most `budget` bytes: the oldest entries go first, and a document larger than an eighth of the
 * budget is rendered but not kept. An entry of a replaced or deleted record is never hit again and
 * ages out like any other.
 */
export class JsonCache<K extends object> {
  private readonly byVariant = new Map<string, Map<K, Buffer>>();
  private readonly queue: { map: Map<K, Buffer>; key: K; bytes: Buffer }[] = [];
  private head = 0;
  private held = 0;

  constructor(private readonly budget = JSON_CACHE_BYTES) {}

  /** A cache for one variant, to look many records up with (one map lookup per record). */
  variant(variant: string): Map<K, Buffer> {
    let map = this.byVariant.get(variant);
    if (!map) {
      map = new Map();
      this.byVariant.set(variant, map);
    }
    return map;
  }

  /** The cached JSON of `record` in `map` (from `variant`), rendered on a miss. */
  lookup(map: Map<K, Buffer>, record: K, render: (record: K) => unknown): Buffer {
    const hit = map.get(record);
    if (hit !== undefined) return hit;
    const bytes = Buffer.from(JSON.stringify(render(record)));
    if (bytes.length <= this.budget / 8) {
      map.set(record, bytes);
      this.queue.push({ map, key: record, bytes });
      this.held += bytes.length;
      this.evict();
    }
    return bytes;
  }

  /** The cached JSON of each record (one render function for all: no closure per record). */
  lookupAll(map: Map<K, Buffer>, records: readonly K[], render: (record: K) => unknown): Buffer[] {
    const out = new Array<Buffer>(records.length);
    for (let i = 0; i < records.length; i++) out[i] = this.lookup(map, records[i]!, render);
    return out;
  }

  /** Bytes held now (tests, benchmarks). */
  get size(): number {
    return this.held;
  }

  private evict(): void {
    while (this.held > this.budget && this.head < this.queue.length) {
      const old = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      this.held -= old.bytes.length;
      if (old.map.get(old.key) === old.bytes) old.map.delete(old.key);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** `lowerCamelCase` → `snake_case` (protojson JSON name → proto field name). */
export function toSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `snake_case` → `lowerCamelCase` (proto field name → protojson JSON name). */
export function toCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Parse an RFC 3339 timestamp as protojson does (offset or Z, optional fractions) to unix seconds
 * (fractions truncated). Returns undefined for anything else.
 */
export function parseTimestamp(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/.exec(v);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8] === "z" ? "Z" : m[8]}`);
  if (Number.isNaN(ms)) return undefined;
  return Math.floor(ms / 1000);
}
