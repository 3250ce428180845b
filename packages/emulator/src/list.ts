/**
 * Listing rules of the emulated KFP API server: page size, keyset page tokens, `sort_by` and the
 * `filter` query parameter (FACTS.md §6, §6.1). Pure module: callers hand in rows that are already
 * scoped (namespace / experiment / pipeline); this module filters, sorts and paginates them.
 *
 * Behaviour follows upstream `server/list_request_util.go` (`validatedListOptions`, `parseAPIFilter`),
 * `list/list.go` (`NewOptions`, `NewOptionsFromToken`, `Matches`, `validatePageSize`, the keyset WHERE
 * clause), `filter/filter.go` (`toPredicate`, `checkPredicate`, `ReplaceKeys`) and, for pipelines and
 * pipeline versions, `extractTagFiltersFromFilterSpec` in `server/pipeline_server.go`. The order in
 * which problems are detected is the upstream order, so the first error reported is the same.
 *
 * Assumptions and deliberate simplifications (see the report in the module tests too):
 * - String comparisons (EQUALS, ordering, keyset cursor) are binary (UTF-16 code units); MySQL's
 *   default collation would be case-insensitive. IS_SUBSTRING is a case-insensitive SQL `LIKE '%v%'`
 *   (`%` and `_` inside the value are wildcards, `\` escapes, as in MySQL).
 * - Mixed comparisons follow MySQL coercion: a number column against a string value (or the reverse)
 *   compares both as numbers (leading numeric prefix, else 0).
 * - Callers usually pass rows in insertion order. That order is checked in one pass and used as is when
 *   it already matches the requested order (or its reverse); otherwise the first page is selected with a
 *   bounded heap, so the cost stays O(n log pageSize). Ties are always broken by the primary key in the
 *   sort direction, so a list is stable whatever order the rows come in. A frozen array (the store's
 *   `find`/`snapshot` lists, replaced rather than changed) listed a second time in the same order is
 *   sorted once (and filtered once per filter) and kept: later pages are a binary search for the
 *   cursor and a slice.
 * - Aliases (`id`/`pipeline_id`, `name`/`display_name` on experiments...) are the same column when they
 *   share the same `FieldSpec` object or the same `column` name; page tokens and the token/criteria
 *   match check compare columns, as upstream compares model field names.
 */
import { ApiError, GrpcCode, gatewayInvalid, invalidInput } from "./errors.js";
import { goQuote } from "./go-text.js";
import { scanJsonText } from "./http/limits.js";

// ---------------------------------------------------------------------------------------------------
// Public types

export interface FieldSpec<Row> {
  get: (row: Row) => string | number | undefined;
  kind: "string" | "timestamp" | "int";
  /** Optional column name (as in the model); fields with the same column are aliases of each other. */
  column?: string;
}

export interface ListSpec<Row> {
  /** e.g. "pipelines", "runs" (goes into the token). */
  model: string;
  /** API key (incl. aliases like "id"/"name") -> column getter. */
  fields: Record<string, FieldSpec<Row>>;
  /** Primary key (tie-break). */
  id: (row: Row) => string;
  /** Unix seconds (default sort). */
  createdAt: (row: Row) => number;
  /** Enables `tags.<key>` filters (pipelines, versions; v2beta1/v2 only). */
  tags?: (row: Row) => Record<string, string> | undefined;
  /** Go type name used in "Invalid sorting field" errors; derived from `model` when absent. */
  typeName?: string;
  /**
   * Runs only: the number value of a row's metric `name` (`sort_by=metric:<name>`), undefined when the
   * row has none. `exact`: compare names as Go does (the next page token); otherwise as the SQL join
   * does (MySQL's case-insensitive collation, `name` already lowercased).
   */
  metric?: (row: Row, name: string, exact: boolean) => number | undefined;
}

export interface ListQuery {
  page_token?: string | null;
  page_size?: string | null;
  sort_by?: string | null;
  filter?: string | null;
}

export type ListApi = "v1beta1" | "v2beta1" | "v2";

export type FilterOp =
  | "EQUALS"
  | "NOT_EQUALS"
  | "GREATER_THAN"
  | "GREATER_THAN_EQUALS"
  | "LESS_THAN"
  | "LESS_THAN_EQUALS"
  | "IN"
  | "IS_SUBSTRING";

/** The Go type a predicate value had after `filter.toValue` (drives the upstream error texts). */
export type FilterValueType = "int32" | "int64" | "string" | "[]int32" | "[]int64" | "[]string";

export interface FilterPredicate {
  key: string;
  op: FilterOp;
  /** Scalars for every operator but IN; timestamps are already Unix seconds. */
  value: string | number | Array<string | number>;
  valueType: FilterValueType;
}

export interface ParsedFilter {
  /** Non-tag predicates, validated like `filter.New` (keys not yet checked against a model). */
  predicates: FilterPredicate[];
  /** `tags.<key>` EQUALS predicates (only when parsed with `{ tags: true }`): tag key → value. */
  tags?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------
// Constants

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 200;
const KEY_FIELD_NAME = "UUID";

const OP_NAMES_BY_NUMBER: Record<number, FilterOp> = {
  1: "EQUALS",
  2: "NOT_EQUALS",
  3: "GREATER_THAN",
  5: "GREATER_THAN_EQUALS",
  6: "LESS_THAN",
  7: "LESS_THAN_EQUALS",
  8: "IN",
  9: "IS_SUBSTRING",
};

/** The Filter enum by name (`filter.proto`): v2beta1 `Operation`, v1beta1 `Op` (only the zero differs). */
const OP_NUMBERS_BY_NAME = Object.fromEntries(
  Object.entries(OP_NAMES_BY_NUMBER).map(([n, name]) => [name, Number(n)]),
) as Record<FilterOp, number>;
const V2_ENUM: Record<string, number> = { OPERATION_UNSPECIFIED: 0, ...OP_NUMBERS_BY_NAME };
const V1_ENUM: Record<string, number> = { UNKNOWN: 0, ...OP_NUMBERS_BY_NAME };

/** Group names of the serialized `filter.Filter` (its JSON form inside a page token). */
const GROUPS = ["EQ", "NEQ", "GT", "GTE", "LT", "LTE", "IN", "SUBSTRING"] as const;
type Group = (typeof GROUPS)[number];
const GROUP_OF: Record<FilterOp, Group> = {
  EQUALS: "EQ",
  NOT_EQUALS: "NEQ",
  GREATER_THAN: "GT",
  GREATER_THAN_EQUALS: "GTE",
  LESS_THAN: "LT",
  LESS_THAN_EQUALS: "LTE",
  IN: "IN",
  IS_SUBSTRING: "SUBSTRING",
};

const TYPE_NAMES: Record<string, string> = {
  pipelines: "Pipeline",
  pipeline_versions: "PipelineVersion",
  versions: "PipelineVersion",
  experiments: "Experiment",
  runs: "Run",
  run_details: "Run",
  jobs: "Job",
  recurring_runs: "Job",
  recurringruns: "Job",
  tasks: "Task",
};

// ---------------------------------------------------------------------------------------------------
// Small Go-compatible helpers

function quoteBytes(bytes: Uint8Array): string {
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

const HEX = /^[0-9A-Fa-f]$/;
const utf8 = new TextEncoder();

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
function goParseInt32(s: string): { ok: true; value: number } | { ok: false; error: string } {
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

function fmtGo(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(fmtGo).join(" ")}]`;
  return String(v);
}

// ---------------------------------------------------------------------------------------------------
// Page size

/** `list.validatePageSize`: 0 → 20, > 200 → 200, < 0 → 400. */
function validatePageSize(n: number): number {
  if (n < 0) throw invalidInput(`The page size should be greater than 0. Got ${n}`);
  if (n === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(n, MAX_PAGE_SIZE);
}

/** The gateway's int32 parse of `page_size` (bare 400 on bad syntax / range); absent → 0. */
function gatewayPageSize(v: string | null | undefined): number {
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

// ---------------------------------------------------------------------------------------------------
// protojson-like decoding of the Filter message

class ProtoError extends Error {}

interface Tok {
  kind: "{" | "}" | "[" | "]" | "," | ":" | "str" | "num" | "true" | "false" | "null" | "eof";
  pos: number;
  raw: string;
  str?: string;
}

class JsonReader {
  private i = 0;
  private peeked: Tok | undefined;
  constructor(private readonly s: string) {}

  position(pos: number): string {
    const before = this.s.slice(0, pos);
    const nl = before.lastIndexOf("\n");
    const line = before.split("\n").length;
    const col = Array.from(before.slice(nl + 1)).length + 1;
    return `(line ${line}:${col})`;
  }
  err(pos: number, msg: string): ProtoError {
    return new ProtoError(`proto: ${this.position(pos)}: ${msg}`);
  }
  syntax(pos: number, msg: string): ProtoError {
    return new ProtoError(`proto: syntax error ${this.position(pos)}: ${msg}`);
  }
  unexpected(t: Tok): ProtoError {
    if (t.kind === "eof") return new ProtoError("proto: unexpected EOF");
    return this.syntax(t.pos, `unexpected token ${t.raw}`);
  }

  peek(): Tok {
    if (!this.peeked) this.peeked = this.scan();
    return this.peeked;
  }
  read(): Tok {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  private invalidValue(pos: number): ProtoError {
    const m = /^([-+._a-zA-Z0-9/]+|[\s\S])/.exec(this.s.slice(pos));
    return this.syntax(pos, `invalid value ${m ? m[0] : ""}`);
  }

  private delimited(end: number): boolean {
    if (end >= this.s.length) return true;
    return /[\s,\]}:]/.test(this.s[end]!);
  }

  private scan(): Tok {
    const s = this.s;
    while (
      this.i < s.length &&
      (s[this.i] === " " || s[this.i] === "\t" || s[this.i] === "\n" || s[this.i] === "\r")
    )
      this.i++;
    const pos = this.i;
    if (pos >= s.length) return { kind: "eof", pos, raw: "" };
    const c = s[pos]!;
    if (c === "{" || c === "}" || c === "[" || c === "]" || c === "," || c === ":") {
      this.i++;
      return { kind: c, pos, raw: c };
    }
    if (c === '"') return this.scanString(pos);
    if (c === "-" || (c >= "0" && c <= "9")) {
      const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(s.slice(pos));
      if (!m || !this.delimited(pos + m[0].length)) throw this.invalidValue(pos);
      this.i = pos + m[0].length;
      return { kind: "num", pos, raw: m[0] };
    }
    for (const lit of ["true", "false", "null"] as const) {
      if (s.startsWith(lit, pos) && this.delimited(pos + lit.length)) {
        this.i = pos + lit.length;
        return { kind: lit, pos, raw: lit };
      }
    }
    throw this.invalidValue(pos);
  }

  private scanString(pos: number): Tok {
    const s = this.s;
    let i = pos + 1;
    let out = "";
    for (;;) {
      if (i >= s.length) throw new ProtoError("proto: unexpected EOF");
      const c = s[i]!;
      if (c === '"') {
        i++;
        break;
      }
      if (c.charCodeAt(0) < 0x20) throw this.syntax(pos, `invalid character ${goQuote(c)} in string`);
      if (c !== "\\") {
        out += c;
        i++;
        continue;
      }
      const e = s[i + 1];
      const simple: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      if (e !== undefined && simple[e] !== undefined) {
        out += simple[e];
        i += 2;
      } else if (e === "u" && /^[0-9A-Fa-f]{4}$/.test(s.slice(i + 2, i + 6))) {
        out += String.fromCharCode(Number.parseInt(s.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        throw this.syntax(pos, `invalid escape code ${goQuote(s.slice(i, i + 2))} in string`);
      }
    }
    this.i = i;
    return { kind: "str", pos, raw: s.slice(pos, i), str: wellFormed(out) };
  }
}

/** Lone surrogates (from `\uD800` escapes) become U+FFFD, as Go's JSON decoder does. */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

type RawValue =
  | { kind: "int_value"; v: number }
  | { kind: "long_value"; v: number }
  | { kind: "string_value"; v: string }
  | { kind: "timestamp_value"; v: number }
  | { kind: "int_values"; v: number[] }
  | { kind: "long_values"; v: number[] }
  | { kind: "string_values"; v: string[] };

interface RawPredicate {
  op: number;
  key: string;
  value?: RawValue;
}

const VALUE_FIELDS: Record<string, RawValue["kind"]> = {
  int_value: "int_value",
  intValue: "int_value",
  long_value: "long_value",
  longValue: "long_value",
  string_value: "string_value",
  stringValue: "string_value",
  timestamp_value: "timestamp_value",
  timestampValue: "timestamp_value",
  int_values: "int_values",
  intValues: "int_values",
  long_values: "long_values",
  longValues: "long_values",
  string_values: "string_values",
  stringValues: "string_values",
};
const JSON_NAMES: Record<RawValue["kind"], string> = {
  int_value: "intValue",
  long_value: "longValue",
  string_value: "stringValue",
  timestamp_value: "timestampValue",
  int_values: "intValues",
  long_values: "longValues",
  string_values: "stringValues",
};

/** protojson integer decoding of a JSON number literal (integral value required, exponent allowed). */
function integerFromNumberLiteral(raw: string, bits: 32 | 64): number | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(raw);
  if (!m) return undefined;
  let digits = (m[2] ?? "") + (m[3] ?? "");
  let exp = Number(m[4] ?? "0") - (m[3] ?? "").length;
  if (exp < 0) {
    const cut = digits.length + exp;
    const tail = cut > 0 ? digits.slice(cut) : digits;
    if (!/^0*$/.test(tail)) return undefined;
    digits = cut > 0 ? digits.slice(0, cut) : "0";
    exp = 0;
  }
  if (exp > 40) return /^0*$/.test(digits) ? 0 : undefined;
  const big = BigInt((m[1] ?? "") + digits + "0".repeat(exp));
  const lim = bits === 32 ? 2n ** 31n : 2n ** 63n;
  if (big < -lim || big >= lim) return undefined;
  return Number(big);
}

/** `time.Parse(time.RFC3339Nano, s)` plus protojson's range and fraction checks → Unix seconds (floor). */
function parseRfc3339(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, min, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if ((m[7] ?? "").length > 9) return undefined;
  if (month < 1 || month > 12 || hour > 23 || min > 59 || sec > 59) return undefined;
  const dim = new Date(Date.UTC(2000, month, 0)).getUTCDate();
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const maxDay = month === 2 ? (leap ? 29 : 28) : dim;
  if (day < 1 || day > maxDay) return undefined;
  let offset = 0;
  if (m[8] !== "Z") {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (oh * 3600 + om * 60) * (m[9] === "-" ? -1 : 1);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  const secs = Math.floor(d.getTime() / 1000) - offset;
  if (secs < -62135596800 || secs > 253402300799) return undefined;
  return secs;
}

interface DecodeCtx {
  api: ListApi;
  r: JsonReader;
}

function oneofName(api: ListApi): string {
  if (api === "v1beta1") return "api.Predicate.value";
  return `kubeflow.pipelines.backend.api.${api}.Predicate.value`;
}

/** Decode a whole `Filter` message the way protojson.Unmarshal does (DiscardUnknown: false). */
function decodeFilterJson(text: string, api: ListApi): RawPredicate[] {
  const r = new JsonReader(text);
  const ctx: DecodeCtx = { api, r };
  const preds: RawPredicate[] = [];
  readObject(ctx, (nameTok, name) => {
    if (name !== "predicates") throw r.err(nameTok.pos, `unknown field ${nameTok.raw}`);
    return () => readArray(r, preds, () => decodePredicate(ctx));
  });
  const end = r.read();
  if (end.kind !== "eof") throw r.unexpected(end);
  return preds;
}

/**
 * Read a JSON object: for each member, `field` resolves the name (throwing for unknown names) and
 * returns the value reader. Duplicate fields (same resolved id) are rejected like protojson.
 */
function readObject(
  ctx: DecodeCtx,
  field: (nameTok: Tok, name: string) => (() => void) | { id: string; read: () => void },
) {
  const { r } = ctx;
  const open = r.read();
  if (open.kind !== "{") throw r.unexpected(open);
  const seen = new Set<string>();
  let first = true;
  for (;;) {
    const t = r.read();
    if (t.kind === "}" && first) return;
    if (t.kind !== "str") throw r.unexpected(t);
    const colon = r.read();
    if (colon.kind !== ":")
      throw colon.kind === "eof" ? r.unexpected(colon) : r.syntax(colon.pos, `unexpected token ${colon.raw}`);
    const res = field(t, t.str ?? "");
    const { id, read } = typeof res === "function" ? { id: t.str ?? "", read: res } : res;
    if (seen.has(id)) throw r.err(t.pos, `duplicate field ${t.raw}`);
    seen.add(id);
    read();
    first = false;
    const sep = r.read();
    if (sep.kind === "}") return;
    if (sep.kind !== ",") throw r.unexpected(sep);
  }
}

function decodePredicate(ctx: DecodeCtx): RawPredicate {
  const { r, api } = ctx;
  const pred: RawPredicate = { op: 0, key: "" };
  const opField = api === "v1beta1" ? "op" : "operation";
  const enumNames = api === "v1beta1" ? V1_ENUM : V2_ENUM;
  readObject(ctx, (nameTok, name) => {
    if (name === opField) {
      return {
        id: "op",
        read: () => {
          const t = r.read();
          if (t.kind === "null") return;
          if (t.kind === "str" && t.str !== undefined && enumNames[t.str] !== undefined) {
            pred.op = enumNames[t.str]!;
            return;
          }
          if (t.kind === "num") {
            const n = integerFromNumberLiteral(t.raw, 32);
            if (n !== undefined) {
              pred.op = n;
              return;
            }
          }
          if (t.kind === "str" || t.kind === "num")
            throw r.err(t.pos, `invalid value for enum field ${opField}: ${t.raw}`);
          throw r.unexpected(t);
        },
      };
    }
    if (name === "key") {
      return {
        id: "key",
        read: () => {
          const t = r.read();
          if (t.kind === "null") return;
          if (t.kind !== "str") throw scalarError(r, t, "string", "key");
          pred.key = t.str ?? "";
        },
      };
    }
    const kind = VALUE_FIELDS[name];
    if (!kind) throw r.err(nameTok.pos, `unknown field ${nameTok.raw}`);
    return {
      id: kind,
      read: () => {
        if (r.peek().kind === "null") {
          r.read();
          return;
        }
        if (pred.value)
          throw r.err(nameTok.pos, `error parsing ${nameTok.raw}, oneof ${oneofName(api)} is already set`);
        pred.value = decodeValue(ctx, kind);
      },
    };
  });
  return pred;
}

function scalarError(r: JsonReader, t: Tok, kind: string, jsonName: string): ProtoError {
  if (
    t.kind === "{" ||
    t.kind === "[" ||
    t.kind === "}" ||
    t.kind === "]" ||
    t.kind === "," ||
    t.kind === ":" ||
    t.kind === "eof"
  )
    return r.unexpected(t);
  return r.err(t.pos, `invalid value for ${kind} field ${jsonName}: ${t.raw}`);
}

function readInt(r: JsonReader, bits: 32 | 64, jsonName: string): number {
  const t = r.read();
  let n: number | undefined;
  if (t.kind === "num") n = integerFromNumberLiteral(t.raw, bits);
  else if (t.kind === "str" && t.str !== undefined && t.str.trim() === t.str)
    n = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(t.str)
      ? integerFromNumberLiteral(t.str, bits)
      : undefined;
  if (n === undefined) throw scalarError(r, t, bits === 32 ? "int32" : "int64", jsonName);
  return n;
}

/** A JSON array (or `null`, read as empty) whose elements `item` reads, appended to `out`. */
function readArray<T>(r: JsonReader, out: T[], item: () => T): void {
  if (r.peek().kind === "null") {
    r.read();
    return;
  }
  const open = r.read();
  if (open.kind !== "[") throw r.unexpected(open);
  if (r.peek().kind === "]") {
    r.read();
    return;
  }
  for (;;) {
    out.push(item());
    const t = r.read();
    if (t.kind === "]") break;
    if (t.kind !== ",") throw r.unexpected(t);
  }
}

function readList<T>(ctx: DecodeCtx, item: () => T): T[] {
  const out: T[] = [];
  readObject(ctx, (nameTok, name) => {
    if (name !== "values") throw ctx.r.err(nameTok.pos, `unknown field ${nameTok.raw}`);
    return () => readArray(ctx.r, out, item);
  });
  return out;
}

function decodeValue(ctx: DecodeCtx, kind: RawValue["kind"]): RawValue {
  const { r } = ctx;
  const jsonName = JSON_NAMES[kind];
  switch (kind) {
    case "int_value":
      return { kind, v: readInt(r, 32, jsonName) };
    case "long_value":
      return { kind, v: readInt(r, 64, jsonName) };
    case "string_value": {
      const t = r.read();
      if (t.kind !== "str") throw scalarError(r, t, "string", jsonName);
      return { kind, v: t.str ?? "" };
    }
    case "timestamp_value": {
      const t = r.read();
      if (t.kind !== "str") throw r.unexpected(t);
      const secs = parseRfc3339(t.str ?? "");
      if (secs === undefined) throw r.err(t.pos, `invalid google.protobuf.Timestamp value ${t.raw}`);
      return { kind, v: secs };
    }
    case "int_values":
      return { kind, v: readList(ctx, () => readInt(r, 32, "values")) };
    case "long_values":
      return { kind, v: readList(ctx, () => readInt(r, 64, "values")) };
    case "string_values":
      return {
        kind,
        v: readList(ctx, () => {
          const t = r.read();
          if (t.kind !== "str") throw scalarError(r, t, "string", "values");
          return t.str ?? "";
        }),
      };
  }
}

/** `transformJSONForBackwardCompatibility`: a plain text replacement of camelCase value keys. */
function camelToSnakeValueKeys(json: string): string {
  return json.replace(
    /"(intValue|longValue|stringValue|timestampValue|intValues|longValues|stringValues)":/g,
    (_m, k: string) => `"${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}":`,
  );
}

function unknownApiVersion(what: string, type: string): ApiError {
  const ext = `Error using ${what} with ${type}`;
  return new ApiError(GrpcCode.InvalidArgument, ext, `UnknownApiVersionError: ${ext}`);
}

/** `filter.toPredicate` for every predicate, then `checkPredicate` for every predicate. */
function toPredicates(raw: RawPredicate[], api: ListApi): FilterPredicate[] {
  const enumType = api === "v1beta1" ? "go_client.Predicate_Op" : "go_client.Predicate_Operation";
  const converted: FilterPredicate[] = raw.map((p) => {
    const op = OP_NAMES_BY_NUMBER[p.op];
    if (!op) throw unknownApiVersion("Filter.Predicate.Operation", enumType);
    if (!p.value) throw unknownApiVersion("Filter.Predicate.Value", "<nil>");
    const { value, valueType } = typedValue(p.value);
    if (p.key === "")
      throw invalidInput(`Predicate key cannot be empty for operation ${op} and value ${fmtGo(value)}`);
    return { key: p.key, op, value, valueType };
  });
  for (const p of converted) {
    const isList = p.valueType.startsWith("[]");
    if (p.op === "IN") {
      if (!isList) throw invalidInput(`cannot use IN operator with scalar type ${p.valueType}`);
    } else if (p.op === "IS_SUBSTRING") {
      // Upstream passes the arguments in swapped order, so the text names "string" and the value.
      if (p.valueType !== "string")
        throw invalidInput(`cannot use non string value type string with operator ${fmtGo(p.value)}`);
    } else if (isList) {
      throw invalidInput(`cannot use scalar operator ${p.op} on array type ${p.valueType}`);
    }
  }
  return converted;
}

function typedValue(v: RawValue): { value: FilterPredicate["value"]; valueType: FilterValueType } {
  switch (v.kind) {
    case "int_value":
      return { value: v.v, valueType: "int32" };
    case "long_value":
    case "timestamp_value":
      return { value: v.v, valueType: "int64" };
    case "string_value":
      return { value: v.v, valueType: "string" };
    case "int_values":
      return { value: v.v, valueType: "[]int32" };
    case "long_values":
      return { value: v.v, valueType: "[]int64" };
    case "string_values":
      return { value: v.v, valueType: "[]string" };
  }
}

/** `parseAPIFilter` (extra unescape, camelCase rewrite, protojson) → raw predicates; "" → none. */
function parseApiFilterRaw(encoded: string, api: ListApi): RawPredicate[] | undefined {
  if (encoded === "") return undefined;
  const fail = (why: string) => invalidInput(`failed to parse valid filter from ${goQuote(encoded)}: ${why}`);
  const dec = goQueryUnescape(encoded);
  if (!dec.ok) throw fail(dec.error);
  try {
    return decodeFilterJson(camelToSnakeValueKeys(dec.value), api);
  } catch (e) {
    if (e instanceof ProtoError) throw fail(e.message);
    throw e;
  }
}

interface TagExtraction {
  /** The filter spec left for `validatedListOptions`: undefined = "" (nothing left). */
  remaining?: { raw: RawPredicate[] } | { spec: string };
  tags?: Map<string, string>;
}

/** `extractTagFiltersFromFilterSpec` (v2beta1/v2 pipelines and pipeline versions). */
function extractTags(spec: string, api: ListApi): TagExtraction {
  if (spec === "") return {};
  const dec = goQueryUnescape(spec);
  if (!dec.ok) throw invalidInput(`failed to decode filter spec: ${dec.error}`);
  let raw: RawPredicate[];
  try {
    raw = decodeFilterJson(dec.value, api);
  } catch (e) {
    if (e instanceof ProtoError) throw invalidInput(`failed to parse filter spec: ${e.message}`);
    throw e;
  }
  const tags = new Map<string, string>();
  const rest: RawPredicate[] = [];
  for (const p of raw) {
    if (p.key.startsWith("tags.")) {
      if (p.op !== 1)
        throw invalidInput(
          `only EQUALS operation is supported for tag filtering, got ${p.op === 0 ? "OPERATION_UNSPECIFIED" : (OP_NAMES_BY_NUMBER[p.op] ?? String(p.op))} for key ${goQuote(p.key)}`,
        );
      if (p.value?.kind !== "string_value")
        throw invalidInput(`tag filter value must be a string for key ${goQuote(p.key)}`);
      tags.set(p.key.slice("tags.".length), p.value.v);
    } else {
      rest.push(p);
    }
  }
  if (tags.size === 0) return { remaining: { spec } };
  return rest.length === 0 ? { tags } : { tags, remaining: { raw: rest } };
}

/**
 * Parse a `filter` query value as the server does: one extra URL-unescape, then the Filter message
 * (v1beta1: `op`, v2beta1/v2: `operation`), then the predicate checks of `filter.New`. With
 * `{ tags: true }` (v2beta1/v2 pipelines and versions) the `tags.<key>` predicates are extracted first,
 * with the texts of `extractTagFiltersFromFilterSpec`. Returns null for an absent/empty filter.
 * Throws ApiError (InvalidArgument) with the server's message.
 */
export function parseFilter(
  raw: string | null | undefined,
  api: ListApi,
  options: { tags?: boolean } = {},
): ParsedFilter | null {
  if (raw === undefined || raw === null || raw === "") return null;
  let rawPreds: RawPredicate[] | undefined;
  let tags: Map<string, string> | undefined;
  if (options.tags && api !== "v1beta1") {
    const ex = extractTags(raw, api);
    tags = ex.tags;
    if (ex.remaining && "raw" in ex.remaining) rawPreds = ex.remaining.raw;
    else if (ex.remaining) rawPreds = parseApiFilterRaw(ex.remaining.spec, api);
  } else {
    rawPreds = parseApiFilterRaw(raw, api);
  }
  const out: ParsedFilter = { predicates: rawPreds ? toPredicates(rawPreds, api) : [] };
  if (tags) out.tags = Object.fromEntries(tags);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Columns, canonical filter, options

interface Column<Row> {
  name: string;
  spec: FieldSpec<Row>;
}

type Scalar = string | number;
type GroupValue = Scalar | Scalar[];
/** `filter.Filter` in its serialized shape: group → model-qualified key → values (predicate order). */
type CanonFilter = Record<Group, Record<string, GroupValue[]>>;

interface Options {
  sortColumn: string;
  isDesc: boolean;
  filter: CanonFilter | null;
  /** Whether any value is not a string (numbers, lists): such a filter never equals a token's filter. */
  hasNonString: boolean;
  cursor?: { sortValue: Scalar; key: string };
  /** `sort_by=metric:<name>` (runs): `sortColumn` is the metric name. */
  metric?: boolean;
}

/** The SQL alias a metric sort orders by (the token's `SortBySQLColumn`). */
const METRIC_SQL_COLUMN = "sort_metric_value";

class Columns<Row> {
  private readonly byKey = new Map<string, Column<Row>>();
  private readonly byName = new Map<string, Column<Row>>();
  constructor(readonly spec: ListSpec<Row>) {
    const seen = new Map<FieldSpec<Row> | string, Column<Row>>();
    for (const [key, fs] of Object.entries(spec.fields)) {
      const ident = fs.column ?? fs;
      let col = seen.get(ident);
      if (!col) {
        col = { name: fs.column ?? key, spec: fs };
        seen.set(ident, col);
        this.byName.set(col.name, col);
      }
      this.byKey.set(key, col);
    }
  }
  key(apiKey: string): Column<Row> | undefined {
    return Object.hasOwn(this.spec.fields, apiKey) ? this.byKey.get(apiKey) : undefined;
  }
  named(name: string): Column<Row> | undefined {
    return this.byName.get(name);
  }
  /** The column behind the default sort (created_at), or a synthetic one over `spec.createdAt`. */
  defaultSort(): Column<Row> {
    return (
      this.key("created_at") ?? {
        name: "created_at",
        spec: { get: this.spec.createdAt, kind: "timestamp" },
      }
    );
  }
  prefix(): string {
    return `${this.spec.model}.`;
  }
  typeName(): string {
    if (this.spec.typeName) return this.spec.typeName;
    const m = this.spec.model;
    if (TYPE_NAMES[m]) return TYPE_NAMES[m];
    const single = m.endsWith("s") ? m.slice(0, -1) : m;
    return single.replace(/(^|_)([a-z])/g, (_x, _u, c: string) => c.toUpperCase());
  }
  /** Column for a name from a token (default sort column included). */
  fromToken(name: string): Column<Row> | undefined {
    const d = this.defaultSort();
    return name === d.name ? d : this.named(name);
  }
}

/** The columns of a list spec (specs are module constants: built once per spec). */
const COLUMNS = new WeakMap<object, Columns<unknown>>();
function columnsOf<Row>(spec: ListSpec<Row>): Columns<Row> {
  let cols = COLUMNS.get(spec) as Columns<Row> | undefined;
  if (!cols) {
    cols = new Columns(spec);
    COLUMNS.set(spec, cols as Columns<unknown>);
  }
  return cols;
}

function emptyCanon(): CanonFilter {
  return { EQ: {}, NEQ: {}, GT: {}, GTE: {}, LT: {}, LTE: {}, IN: {}, SUBSTRING: {} };
}

/** Go json.Marshal of the canonical filter: groups in struct order, map keys sorted. */
function canonJson(f: CanonFilter | null): string {
  if (!f) return "null";
  const parts = GROUPS.map((g) => {
    const m = f[g];
    const keys = Object.keys(m).sort();
    return `${JSON.stringify(g)}:{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`).join(",")}}`;
  });
  return `{${parts.join(",")}}`;
}

const SORT_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** `list.NewOptions`: page size, sort_by, then filter key mapping (in that order). */
function newOptions<Row>(
  cols: Columns<Row>,
  pageSize: number,
  sortBy: string,
  preds: FilterPredicate[] | undefined,
) {
  validatePageSize(pageSize);
  const words = sortBy
    .toLowerCase()
    .split(SORT_SPACE)
    .filter((w) => w !== "");
  if (words.length > 2 || (words.length === 2 && words[1] !== "desc" && words[1] !== "asc")) {
    throw invalidInput(
      `Received invalid sort by format ${goQuote(sortBy)}. Supported format: "field_name", "field_name desc", or "field_name asc"`,
    );
  }
  let sortCol = cols.defaultSort();
  let metric: string | undefined;
  if (words.length > 0) {
    const c = cols.key(words[0]!);
    // `Run.GetField`: any other "metric:<name>" sorts by that run metric.
    if (!c && cols.spec.metric && words[0]!.startsWith("metric:")) metric = words[0]!.slice("metric:".length);
    else if (!c)
      throw invalidInput(`Invalid sorting field: ${goQuote(words[0]!)} on listable type ${cols.typeName()}`);
    else sortCol = c;
  }
  const isDesc = words.length === 2 && words[1] === "desc";
  let filter: CanonFilter | null = null;
  let hasNonString = false;
  if (preds && preds.length > 0) {
    filter = emptyCanon();
    for (const p of preds) {
      const g = GROUP_OF[p.op];
      const list = filter[g][p.key];
      if (list) list.push(p.value);
      else filter[g][p.key] = [p.value];
      if (p.valueType !== "string") hasNonString = true;
    }
    // `filter.ReplaceKeys`: groups in order, keys of a group in first-seen order.
    const mapped = emptyCanon();
    for (const g of GROUPS) {
      for (const [k, vals] of Object.entries(filter[g])) {
        const c = cols.key(k);
        if (!c) throw invalidInput(`no support for filtering on unrecognized field ${goQuote(k)}`);
        const mk = cols.prefix() + c.name;
        // Two API aliases of one column in the same group: Go's map assignment keeps the last one seen.
        mapped[g][mk] = vals;
      }
    }
    filter = mapped;
  }
  const opts: Options = { sortColumn: metric ?? sortCol.name, isDesc, filter, hasNonString };
  if (metric !== undefined) opts.metric = true;
  return opts;
}

// ---------------------------------------------------------------------------------------------------
// Page tokens

interface TokenJson {
  SortByFieldName: string;
  SortBySQLColumn: string;
  SortByFieldValue: Scalar;
  SortByFieldPrefix: string;
  KeyFieldName: string;
  KeyFieldValue: string;
  KeyFieldPrefix: string;
  IsDesc: boolean;
  ModelName: string;
  Filter: unknown;
}

function goJsonEscapeHtml(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function encodeToken<Row>(cols: Columns<Row>, o: Options, sortValue: Scalar, key: string): string {
  const prefix = cols.prefix();
  // A metric is not a column of the model: no prefix, and the SQL side orders by a fixed alias.
  const sqlColumn = o.metric ? METRIC_SQL_COLUMN : o.sortColumn;
  const sortPrefix = o.metric ? "" : prefix;
  const body =
    `{"SortByFieldName":${JSON.stringify(o.sortColumn)},"SortBySQLColumn":${JSON.stringify(sqlColumn)},` +
    `"SortByFieldValue":${JSON.stringify(sortValue)},"SortByFieldPrefix":${JSON.stringify(sortPrefix)},` +
    `"KeyFieldName":"${KEY_FIELD_NAME}","KeyFieldValue":${JSON.stringify(key)},"KeyFieldPrefix":${JSON.stringify(prefix)},` +
    `"IsDesc":${o.isDesc},"ModelName":${JSON.stringify(cols.spec.model)},"Filter":${canonJson(o.filter)}}`;
  return Buffer.from(goJsonEscapeHtml(body), "utf8").toString("base64");
}

function invalidToken(cause: string): ApiError {
  return new ApiError(
    GrpcCode.InvalidArgument,
    "Invalid page token",
    `InvalidInputError: Invalid page token: ${cause}`,
  );
}

const IDENT = /^[a-zA-Z][a-zA-Z0-9_]{0,127}$/;

/** `list.NewOptionsFromToken` + `token.unmarshal`, plus checks that the token belongs to this listing. */
function decodeToken<Row>(cols: Columns<Row>, token: string): Options {
  const b64 = token.replace(/[\r\n]/g, "");
  const bad = /[^A-Za-z0-9+/=]/.exec(b64);
  if (bad) throw invalidToken(`illegal base64 data at input byte ${bad.index}`);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) {
    const eq = b64.indexOf("=");
    throw invalidToken(`illegal base64 data at input byte ${eq >= 0 ? eq : b64.length - (b64.length % 4)}`);
  }
  let parsed: unknown;
  try {
    const json = Buffer.from(b64, "base64").toString("utf8");
    if (scanJsonText(json)) throw new Error("page token is nested too deep or repeats a key");
    parsed = JSON.parse(json);
  } catch (e) {
    throw invalidToken((e as Error).message);
  }
  if (parsed === null) parsed = {};
  if (typeof parsed !== "object" || Array.isArray(parsed))
    throw invalidToken("json: cannot unmarshal into Go value of type list.token");
  const t = parsed as Partial<Record<keyof TokenJson, unknown>>;
  const str = (k: keyof TokenJson): string => {
    const v = t[k];
    if (v === undefined || v === null) return "";
    if (typeof v !== "string")
      throw invalidToken(`json: cannot unmarshal ${typeof v} into Go struct field token.${k} of type string`);
    return v;
  };
  const sortName = str("SortByFieldName");
  const sqlCol = str("SortBySQLColumn");
  const keyName = str("KeyFieldName");
  const model = str("ModelName");
  const sortPrefix = str("SortByFieldPrefix");
  const keyPrefix = str("KeyFieldPrefix");
  if (t.IsDesc !== undefined && t.IsDesc !== null && typeof t.IsDesc !== "boolean")
    throw invalidToken(
      `json: cannot unmarshal ${typeof t.IsDesc} into Go struct field token.IsDesc of type bool`,
    );
  // The identifier checks of `token.unmarshal` (their texts are plain InvalidInput errors).
  const ident: Array<[string, string]> = [
    [keyName, "key field name"],
    [sortName, "sort field name"],
    [sqlCol, "sort SQL column"],
    [model, "model name"],
    [keyPrefix.replace(/\.$/, ""), "key field prefix"],
    [sortPrefix.replace(/\.$/, ""), "sort field prefix"],
  ];
  for (const [v, what] of ident) {
    if (v !== "" && !IDENT.test(v))
      throw invalidInput(
        `Invalid ${what}: ${goQuote(v)}. Field names must start with a letter and contain only letters, numbers, and underscores (max 128 characters)`,
      );
  }
  // Beyond upstream: a token must come from this kind of listing (upstream would run a broken query).
  if (model !== cols.spec.model) throw invalidToken(`page token is for model ${goQuote(model)}`);
  if (keyName !== KEY_FIELD_NAME) throw invalidToken(`unexpected key field ${goQuote(keyName)}`);
  const isMetric = cols.spec.metric !== undefined && sqlCol === METRIC_SQL_COLUMN;
  const col = isMetric ? undefined : cols.fromToken(sortName);
  if (!isMetric && !col) throw invalidToken(`unknown sort field ${goQuote(sortName)}`);
  const filter = decodeTokenFilter(cols, t.Filter);
  const o: Options = {
    sortColumn: col ? col.name : sortName,
    isDesc: t.IsDesc === true,
    filter,
    hasNonString: false,
  };
  if (isMetric) o.metric = true;
  const sv = t.SortByFieldValue;
  const kv = t.KeyFieldValue;
  if (sv !== undefined && sv !== null && kv !== undefined && kv !== null) {
    if ((typeof sv !== "string" && typeof sv !== "number") || typeof kv !== "string")
      throw invalidToken("malformed cursor values");
    o.cursor = { sortValue: sv, key: kv };
  }
  return o;
}

function decodeTokenFilter<Row>(cols: Columns<Row>, f: unknown): CanonFilter | null {
  if (f === undefined || f === null) return null;
  if (typeof f !== "object" || Array.isArray(f)) throw invalidToken("malformed filter");
  const src = f as Record<string, unknown>;
  const out = emptyCanon();
  for (const g of GROUPS) {
    const m = src[g];
    if (m === undefined || m === null) continue;
    if (typeof m !== "object" || Array.isArray(m)) throw invalidToken("malformed filter");
    for (const [k, vals] of Object.entries(m as Record<string, unknown>)) {
      const prefix = cols.prefix();
      const c = k.startsWith(prefix) ? cols.named(k.slice(prefix.length)) : undefined;
      if (!c) throw invalidToken(`unknown filter key ${goQuote(k)}`);
      if (!Array.isArray(vals)) throw invalidToken("malformed filter");
      for (const v of vals) {
        const ok =
          g === "IN"
            ? Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number")
            : typeof v === "string" || typeof v === "number";
        if (!ok) throw invalidToken("malformed filter");
      }
      out[g][k] = vals as GroupValue[];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

const NUM_PREFIX = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;

/** MySQL's string → number coercion: the leading numeric prefix, else 0. */
function toNum(v: Scalar | undefined): number {
  if (typeof v === "number") return v;
  if (v === undefined) return 0;
  const m = NUM_PREFIX.exec(v);
  return m ? Number(m[0]) : 0;
}

/** Compare a column value with a constant: strings binary when both are strings, else as numbers. */
function makeCmp(kind: FieldSpec<unknown>["kind"]): (a: Scalar | undefined, b: Scalar) => number {
  if (kind === "string") {
    return (a, b) => {
      if (typeof b === "string") {
        const x = a === undefined ? "" : typeof a === "string" ? a : String(a);
        return x < b ? -1 : x > b ? 1 : 0;
      }
      const x = toNum(a);
      return x < b ? -1 : x > b ? 1 : 0;
    };
  }
  return (a, b) => {
    const x = typeof a === "number" ? a : toNum(a);
    const y = typeof b === "number" ? b : toNum(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

/** SQL `LIKE '%v%'` as a case-insensitive regular expression (`%`, `_` wildcards, `\` escapes). */
function likeRegex(v: string): RegExp {
  let re = "";
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === "\\" && i + 1 < v.length) {
      re += v[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (c === "%") re += "[\\s\\S]*";
    else if (c === "_") re += "[\\s\\S]";
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(re, "iu");
}

type RowPred<Row> = (row: Row) => boolean;

function compileFilter<Row>(cols: Columns<Row>, f: CanonFilter | null): RowPred<Row>[] {
  if (!f) return [];
  const preds: RowPred<Row>[] = [];
  const prefix = cols.prefix();
  for (const g of GROUPS) {
    for (const [k, vals] of Object.entries(f[g])) {
      const col = cols.named(k.slice(prefix.length));
      if (!col) continue; // cannot happen: keys were mapped or validated
      const get = col.spec.get;
      const cmp = makeCmp(col.spec.kind);
      for (const v of vals) {
        if (g === "IN") {
          const list = (Array.isArray(v) ? v : [v]) as Scalar[];
          if (col.spec.kind === "string" && list.every((x) => typeof x === "string")) {
            const set = new Set(list as string[]);
            preds.push((r) => {
              const x = get(r);
              return set.has(x === undefined ? "" : String(x));
            });
          } else {
            preds.push((r) => {
              const x = get(r);
              return list.some((y) => cmp(x, y) === 0);
            });
          }
          continue;
        }
        const s = v as Scalar;
        switch (g) {
          case "EQ":
            preds.push((r) => cmp(get(r), s) === 0);
            break;
          case "NEQ":
            preds.push((r) => cmp(get(r), s) !== 0);
            break;
          case "GT":
            preds.push((r) => cmp(get(r), s) > 0);
            break;
          case "GTE":
            preds.push((r) => cmp(get(r), s) >= 0);
            break;
          case "LT":
            preds.push((r) => cmp(get(r), s) < 0);
            break;
          case "LTE":
            preds.push((r) => cmp(get(r), s) <= 0);
            break;
          case "SUBSTRING": {
            const re = likeRegex(String(s));
            preds.push((r) => {
              const x = get(r);
              return re.test(x === undefined ? "" : String(x));
            });
            break;
          }
        }
      }
    }
  }
  return preds;
}

/** A bounded max-heap keeping the `k` smallest rows under `cmp` (the first page, in any input order). */
function smallestK<T>(items: T[], k: number, cmp: (a: T, b: T) => number): T[] {
  if (k <= 0) return [];
  if (items.length <= k) return items.slice().sort(cmp);
  const heap: T[] = [];
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (cmp(heap[i]!, heap[p]!) <= 0) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const down = (i: number) => {
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && cmp(heap[l]!, heap[m]!) > 0) m = l;
      if (r < n && cmp(heap[r]!, heap[m]!) > 0) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (const it of items) {
    if (heap.length < k) {
      heap.push(it);
      up(heap.length - 1);
    } else if (cmp(it, heap[0]!) < 0) {
      heap[0] = it;
      down(0);
    }
  }
  return heap.sort(cmp);
}

// ---------------------------------------------------------------------------------------------------
// listRows

/**
 * `validatedListOptions`: checks the list options up front by listing no rows; an ApiError is
 * wrapped with `wrap`, anything else is rethrown as is.
 */
export function checkListOptions<Row>(
  q: ListQuery,
  spec: ListSpec<Row>,
  api: ListApi,
  wrap: string,
): ListOptions {
  try {
    return listOptions(q, spec, api);
  } catch (err) {
    throw err instanceof ApiError ? err.wrap(wrap) : err;
  }
}

/** A list request's options, validated (`validatedListOptions`): pass them to `listRows` of the same spec. */
export interface ListOptions {
  readonly opts: Options;
  readonly pageSize: number;
  readonly tags: Map<string, string> | undefined;
}

/**
 * Parse and check the page size, page token, sort and filter of a list request like the server does
 * before listing. Throws ApiError (InvalidArgument, 400) with the server's messages.
 */
export function listOptions<Row>(q: ListQuery, spec: ListSpec<Row>, api: ListApi): ListOptions {
  const cols = columnsOf(spec);
  // 1. The gateway parses page_size before the handler runs.
  const pageSizeRaw = gatewayPageSize(q.page_size);
  const pageToken = q.page_token ?? "";
  const sortBy = q.sort_by ?? "";
  let filterSpec = q.filter ?? "";

  // 2. Pipelines / versions (v2beta1, v2): tag predicates are pulled out first.
  let tags: Map<string, string> | undefined;
  let preParsed: RawPredicate[] | undefined;
  if (spec.tags && api !== "v1beta1") {
    const ex = extractTags(filterSpec, api);
    tags = ex.tags;
    if (!ex.remaining) filterSpec = "";
    else if ("raw" in ex.remaining) {
      preParsed = ex.remaining.raw;
      filterSpec = "<remaining predicates>"; // non-empty: takes part in the token match check
    }
  }

  // 3. validatedListOptions.
  const defaultOpts = (): Options => {
    const raw = preParsed ?? parseApiFilterRaw(filterSpec, api);
    const preds = raw ? toPredicates(raw, api) : undefined;
    return newOptions(cols, pageSizeRaw, sortBy, preds);
  };
  let opts: Options;
  if (pageToken === "") {
    opts = defaultOpts();
  } else {
    validatePageSize(pageSizeRaw);
    opts = decodeToken(cols, pageToken);
    if (sortBy !== "" || filterSpec !== "") {
      const fresh = defaultOpts();
      // `Options.Matches`: same sort field and direction, and reflect.DeepEqual of the filters. The
      // token's filter went through a JSON round trip, so upstream it holds float64 numbers and
      // []interface{} lists: a filter with any number, timestamp or list value never equals it.
      const same =
        fresh.sortColumn === opts.sortColumn &&
        (fresh.metric === true) === (opts.metric === true) && // SortByFieldPrefix differs
        fresh.isDesc === opts.isDesc &&
        canonJson(fresh.filter) === canonJson(opts.filter) &&
        !fresh.hasNonString;
      if (!same)
        throw invalidInput(
          "page token does not match the supplied sort by and/or filtering criteria. Either specify the same criteria or leave the latter empty if page token is specified",
        );
    }
  }
  return { opts, pageSize: validatePageSize(pageSizeRaw), tags };
}

/**
 * Filter, sort and paginate `rows` like a KFP list endpoint. Throws ApiError (InvalidArgument, 400)
 * with the server's messages for every bad input. `total_size` counts every row matching the filter
 * (not only the page); `next_page_token` is present only when more rows follow. `options`: the
 * request's options already checked with `checkListOptions` (parsed here otherwise).
 */
export function listRows<Row>(
  rows: Iterable<Row>,
  q: ListQuery,
  spec: ListSpec<Row>,
  api: ListApi,
  options: ListOptions = listOptions(q, spec, api),
): { items: Row[]; total_size: number; next_page_token?: string } {
  const cols = columnsOf(spec);
  const { opts, pageSize, tags } = options;

  // 4. Filter (count), cursor, order, page.
  const preds = compileFilter(cols, opts.filter);
  if (tags && tags.size > 0) {
    const want = [...tags];
    const getTags = spec.tags!;
    preds.push((r) => {
      const t = getTags(r);
      if (!t) return false;
      for (const [k, v] of want) if (!Object.hasOwn(t, k) || t[k] !== v) return false;
      return true;
    });
  }
  const metricName = opts.metric ? opts.sortColumn : undefined;
  const metricOf = spec.metric;
  const sortCol: Column<Row> =
    metricName !== undefined && metricOf
      ? { name: metricName, spec: { get: (r) => metricOf(r, metricName, false), kind: "int" } }
      : (cols.fromToken(opts.sortColumn) ?? cols.defaultSort());
  const sget = sortCol.spec.get;
  const scmp = makeCmp(sortCol.spec.kind);
  const idOf = spec.id;
  const dir = opts.isDesc ? -1 : 1;
  // A missing column value reads as its zero value; a missing metric is SQL NULL (the LEFT JOIN of
  // run_metrics), which MySQL orders before every number.
  const missing = sortCol.spec.kind === "string" ? "" : 0;
  const cmpSort: (a: Scalar | undefined, b: Scalar | undefined) => number =
    metricName !== undefined
      ? (a, b) => (a === undefined ? (b === undefined ? 0 : -1) : b === undefined ? 1 : scmp(a, b))
      : (a, b) => scmp(a, b === undefined ? missing : b);
  const cmpRows = (a: Row, b: Row): number => {
    const c = cmpSort(sget(a), sget(b));
    if (c !== 0) return c * dir;
    const ia = idOf(a);
    const ib = idOf(b);
    return (ia < ib ? -1 : ia > ib ? 1 : 0) * dir;
  };
  const cursor = opts.cursor;
  const afterCursor = cursor
    ? (r: Row): boolean => {
        const v = sget(r);
        // `metric > v OR (metric = v AND id >= key)`: NULL compares as neither.
        if (v === undefined && metricName !== undefined) return false;
        const c = scmp(v, cursor.sortValue) * dir;
        if (c !== 0) return c > 0;
        const id = idOf(r);
        return opts.isDesc ? id <= cursor.key : id >= cursor.key;
      }
    : undefined;

  // Sort values only (no tie-break), in the requested direction.
  const cmpValues = (a: Row, b: Row): number => cmpSort(sget(a), sget(b)) * dir;

  const want = pageSize + 1;
  const nPreds = preds.length;
  const finish = (page: Row[], total: number) => {
    const out: { items: Row[]; total_size: number; next_page_token?: string } = {
      items: page,
      total_size: total,
    };
    if (page.length > pageSize) {
      const next = page[pageSize]!;
      // `nextPageToken` reads the row's value the Go way: a metric the row lacks (or spelled in
      // another case) cannot make a token, and the whole list call fails.
      const sv = metricName !== undefined ? metricOf?.(next, metricName, true) : sget(next);
      if (sv === undefined && metricName !== undefined)
        throw invalidInput(`cannot sort by field ${goQuote(metricName)} on type ${goQuote(cols.typeName())}`);
      out.items = page.slice(0, pageSize);
      out.next_page_token = encodeToken(
        cols,
        opts,
        sv === undefined ? (sortCol.spec.kind === "string" ? "" : 0) : sv,
        idOf(next),
      );
    }
    return out;
  };

  // A frozen list from the store that is listed again in the same order: keep it sorted once, then
  // a page is a binary search for the cursor plus a slice (plus one filter pass for total_size).
  // (Metric sorts take the linear path: rows without the metric leave the keyset order non-monotonic.)
  const sorted =
    metricName !== undefined
      ? undefined
      : sortedOnce(rows, `${spec.model}\u0000${sortCol.name}\u0000${opts.isDesc}`, cmpRows);
  const cursorFits = !cursor || (typeof cursor.sortValue === "string") === (sortCol.spec.kind === "string");
  if (sorted && cursorFits) {
    // The matching rows, in order (kept per filter for the same sorted list).
    const matching =
      nPreds === 0
        ? sorted
        : filteredOnce(
            sorted,
            `${canonJson(opts.filter)}\u0000${JSON.stringify([...(tags ?? [])])}`,
            (row) => {
              for (let k = 0; k < nPreds; k++) if (!preds[k]!(row)) return false;
              return true;
            },
          );
    const n = matching.length;
    let start = 0;
    if (afterCursor) {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (afterCursor(matching[mid]!)) hi = mid;
        else lo = mid + 1;
      }
      start = lo;
    }
    return finish(matching.slice(start, start + want), n);
  }

  let total = 0;
  const candidates: Row[] = [];
  let ascending = true; // candidates already in the requested order
  let descending = true; // candidates in the exact reverse order
  // The same, by sort value only: rows created in the same second come in insertion order, not in
  // the primary key order that breaks the tie, so a list by creation time is usually only this sorted.
  let valuesAscending = true;
  let valuesDescending = true;
  let prev: Row | undefined;
  outer: for (const row of rows) {
    for (let i = 0; i < nPreds; i++) if (!preds[i]!(row)) continue outer;
    total++;
    if (afterCursor && !afterCursor(row)) continue;
    if (prev !== undefined && (valuesAscending || valuesDescending)) {
      const v = cmpValues(prev, row);
      if (v > 0) valuesAscending = false;
      if (v < 0) valuesDescending = false;
      const c = v !== 0 ? v : cmpRows(prev, row);
      if (c > 0) ascending = false;
      if (c < 0) descending = false;
    }
    candidates.push(row);
    prev = row;
  }

  let page: Row[];
  if (ascending) page = candidates.slice(0, want);
  else if (descending) page = candidates.slice(Math.max(0, candidates.length - want)).reverse();
  else if (valuesAscending || valuesDescending) {
    // The first `want` rows by sort value, extended by the rows tied with the last of them; only the
    // order inside ties is left to settle.
    const n = candidates.length;
    let subset: Row[];
    if (valuesAscending) {
      let end = Math.min(want, n);
      while (end < n && cmpValues(candidates[end - 1]!, candidates[end]!) === 0) end++;
      subset = candidates.slice(0, end);
    } else {
      let start = Math.max(0, n - want);
      while (start > 0 && cmpValues(candidates[start]!, candidates[start - 1]!) === 0) start--;
      subset = candidates.slice(start);
    }
    page = smallestK(subset, want, cmpRows);
  } else page = smallestK(candidates, want, cmpRows);
  return finish(page, total);
}

/** Filtered views of the sorted lists of `sortedOnce`, per filter (a few per list). */
const FILTERED = new WeakMap<object, Map<string, readonly unknown[]>>();
const FILTERED_PER_LIST = 16;

function filteredOnce<Row>(sorted: readonly Row[], key: string, keep: (row: Row) => boolean): readonly Row[] {
  let byKey = FILTERED.get(sorted);
  if (!byKey) {
    byKey = new Map();
    FILTERED.set(sorted, byKey);
  }
  const hit = byKey.get(key);
  if (hit) return hit as readonly Row[];
  const rows = sorted.filter(keep);
  if (byKey.size >= FILTERED_PER_LIST) byKey.delete(byKey.keys().next().value as string);
  byKey.set(key, rows);
  return rows;
}

/** Sorted copies of frozen row lists, per list order (see `sortedOnce`). */
const SORTED = new WeakMap<object, Map<string, readonly unknown[] | null>>();
const SORT_CACHE_MIN_ROWS = 64;

/**
 * `rows` sorted by `cmp`, for frozen arrays (the store's lists, which are replaced rather than
 * changed) listed a second time in the same order (`key`); undefined otherwise. The first listing
 * only remembers the list, so data that changes between every request never pays for a sort.
 */
function sortedOnce<Row>(
  rows: Iterable<Row>,
  key: string,
  cmp: (a: Row, b: Row) => number,
): readonly Row[] | undefined {
  if (!Array.isArray(rows) || rows.length < SORT_CACHE_MIN_ROWS || !Object.isFrozen(rows)) return undefined;
  let byKey = SORTED.get(rows);
  if (!byKey) {
    byKey = new Map();
    SORTED.set(rows, byKey);
  }
  const hit = byKey.get(key);
  if (hit) return hit as readonly Row[];
  if (hit === undefined) {
    byKey.set(key, null);
    return undefined;
  }
  const sorted = (rows as Row[]).slice().sort(cmp);
  byKey.set(key, sorted);
  return sorted;
}
