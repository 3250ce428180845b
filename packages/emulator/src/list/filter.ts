/** The `filter` query parameter: the protojson decoder, predicate checks and the pipeline tag filters (see list.ts). */

import { goQuote } from "../go-text.js";
import { ApiError, GrpcCode, invalidInput } from "../http/errors.js";
import { fmtGo, goQueryUnescape } from "./go.js";
import {
  type FilterPredicate,
  type FilterValueType,
  type ListApi,
  OP_NAMES_BY_NUMBER,
  type ParsedFilter,
  V1_ENUM,
  V2_ENUM,
} from "./types.js";

// ---------------------------------------------------------------------------------------------------
// protojson-like decoding of the Filter message

export class ProtoError extends Error {}

export interface Tok {
  kind: "{" | "}" | "[" | "]" | "," | ":" | "str" | "num" | "true" | "false" | "null" | "eof";
  pos: number;
  raw: string;
  str?: string;
}

export class JsonReader {
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
export function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

export type RawValue =
  | { kind: "int_value"; v: number }
  | { kind: "long_value"; v: number }
  | { kind: "string_value"; v: string }
  | { kind: "timestamp_value"; v: number }
  | { kind: "int_values"; v: number[] }
  | { kind: "long_values"; v: number[] }
  | { kind: "string_values"; v: string[] };

export interface RawPredicate {
  op: number;
  key: string;
  value?: RawValue;
}

export const VALUE_FIELDS: Record<string, RawValue["kind"]> = {
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
export const JSON_NAMES: Record<RawValue["kind"], string> = {
  int_value: "intValue",
  long_value: "longValue",
  string_value: "stringValue",
  timestamp_value: "timestampValue",
  int_values: "intValues",
  long_values: "longValues",
  string_values: "stringValues",
};

/** protojson integer decoding of a JSON number literal (integral value required, exponent allowed). */
export function integerFromNumberLiteral(raw: string, bits: 32 | 64): number | undefined {
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
export function parseRfc3339(s: string): number | undefined {
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

export interface DecodeCtx {
  api: ListApi;
  r: JsonReader;
}

export function oneofName(api: ListApi): string {
  if (api === "v1beta1") return "api.Predicate.value";
  return `kubeflow.pipelines.backend.api.${api}.Predicate.value`;
}

/** Decode a whole `Filter` message the way protojson.Unmarshal does (DiscardUnknown: false). */
export function decodeFilterJson(text: string, api: ListApi): RawPredicate[] {
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
export function readObject(
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

export function decodePredicate(ctx: DecodeCtx): RawPredicate {
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

export function scalarError(r: JsonReader, t: Tok, kind: string, jsonName: string): ProtoError {
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

export function readInt(r: JsonReader, bits: 32 | 64, jsonName: string): number {
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
export function readArray<T>(r: JsonReader, out: T[], item: () => T): void {
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

export function readList<T>(ctx: DecodeCtx, item: () => T): T[] {
  const out: T[] = [];
  readObject(ctx, (nameTok, name) => {
    if (name !== "values") throw ctx.r.err(nameTok.pos, `unknown field ${nameTok.raw}`);
    return () => readArray(ctx.r, out, item);
  });
  return out;
}

export function decodeValue(ctx: DecodeCtx, kind: RawValue["kind"]): RawValue {
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
export function camelToSnakeValueKeys(json: string): string {
  return json.replace(
    /"(intValue|longValue|stringValue|timestampValue|intValues|longValues|stringValues)":/g,
    (_m, k: string) => `"${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}":`,
  );
}

export function unknownApiVersion(what: string, type: string): ApiError {
  const ext = `Error using ${what} with ${type}`;
  return new ApiError(GrpcCode.InvalidArgument, ext, `UnknownApiVersionError: ${ext}`);
}

/** `filter.toPredicate` for every predicate, then `checkPredicate` for every predicate. */
export function toPredicates(raw: RawPredicate[], api: ListApi): FilterPredicate[] {
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

export function typedValue(v: RawValue): { value: FilterPredicate["value"]; valueType: FilterValueType } {
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
export function parseApiFilterRaw(encoded: string, api: ListApi): RawPredicate[] | undefined {
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

export interface TagExtraction {
  /** The filter spec left for `validatedListOptions`: undefined = "" (nothing left). */
  remaining?: { raw: RawPredicate[] } | { spec: string };
  tags?: Map<string, string>;
}

/** `extractTagFiltersFromFilterSpec` (v2beta1/v2 pipelines and pipeline versions). */
export function extractTags(spec: string, api: ListApi): TagExtraction {
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
