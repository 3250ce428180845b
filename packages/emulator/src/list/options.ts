/** List options: columns, sort and filter canonicalisation, and keyset page tokens (see list.ts). */

import { goQuote } from "../go-text.js";
import { ApiError, GrpcCode, invalidInput } from "../http/errors.js";
import { scanJsonText } from "../http/limits.js";
import { validatePageSize } from "./go.js";
import {
  type FieldSpec,
  type FilterPredicate,
  GROUP_OF,
  GROUPS,
  type Group,
  KEY_FIELD_NAME,
  type ListSpec,
  TYPE_NAMES,
} from "./types.js";

// ---------------------------------------------------------------------------------------------------
// Columns, canonical filter, options

export interface Column<Row> {
  name: string;
  spec: FieldSpec<Row>;
}

export type Scalar = string | number;
export type GroupValue = Scalar | Scalar[];
/** `filter.Filter` in its serialized shape: group → model-qualified key → values (predicate order). */
export type CanonFilter = Record<Group, Record<string, GroupValue[]>>;

export interface Options {
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
export const METRIC_SQL_COLUMN = "sort_metric_value";

export class Columns<Row> {
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
export const COLUMNS = new WeakMap<object, Columns<unknown>>();
export function columnsOf<Row>(spec: ListSpec<Row>): Columns<Row> {
  let cols = COLUMNS.get(spec) as Columns<Row> | undefined;
  if (!cols) {
    cols = new Columns(spec);
    COLUMNS.set(spec, cols as Columns<unknown>);
  }
  return cols;
}

export function emptyCanon(): CanonFilter {
  return { EQ: {}, NEQ: {}, GT: {}, GTE: {}, LT: {}, LTE: {}, IN: {}, SUBSTRING: {} };
}

/** Go json.Marshal of the canonical filter: groups in struct order, map keys sorted. */
export function canonJson(f: CanonFilter | null): string {
  if (!f) return "null";
  const parts = GROUPS.map((g) => {
    const m = f[g];
    const keys = Object.keys(m).sort();
    return `${JSON.stringify(g)}:{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`).join(",")}}`;
  });
  return `{${parts.join(",")}}`;
}

export const SORT_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** `list.NewOptions`: page size, sort_by, then filter key mapping (in that order). */
export function newOptions<Row>(
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

export interface TokenJson {
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

export function goJsonEscapeHtml(s: string): string {
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function encodeToken<Row>(cols: Columns<Row>, o: Options, sortValue: Scalar, key: string): string {
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

export function invalidToken(cause: string): ApiError {
  return new ApiError(
    GrpcCode.InvalidArgument,
    "Invalid page token",
    `InvalidInputError: Invalid page token: ${cause}`,
  );
}

export const IDENT = /^[a-zA-Z][a-zA-Z0-9_]{0,127}$/;

/** `list.NewOptionsFromToken` + `token.unmarshal`, plus checks that the token belongs to this listing. */
export function decodeToken<Row>(cols: Columns<Row>, token: string): Options {
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

export function decodeTokenFilter<Row>(cols: Columns<Row>, f: unknown): CanonFilter | null {
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
