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

import { goQuote } from "../go-text.js";
import { ApiError, invalidInput } from "../http/errors.js";
import { extractTags, parseApiFilterRaw, type RawPredicate, toPredicates } from "./filter.js";
import { gatewayPageSize, validatePageSize } from "./go.js";
import {
  type CanonFilter,
  type Column,
  type Columns,
  canonJson,
  columnsOf,
  decodeToken,
  encodeToken,
  newOptions,
  type Options,
  type Scalar,
} from "./options.js";
import { type FieldSpec, GROUPS, type ListApi, type ListQuery, type ListSpec } from "./types.js";

export { parseFilter } from "./filter.js";
export { goQueryUnescape, parsePageSize } from "./go.js";
// The list layer's entry: the modules under list/ hold the parts (types, Go text rules, the filter
// language, options and page tokens); other layers import from here.
export type {
  FieldSpec,
  FilterOp,
  FilterPredicate,
  ListApi,
  ListQuery,
  ListSpec,
  ParsedFilter,
} from "./types.js";

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
