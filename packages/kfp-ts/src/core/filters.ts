import { ValidationError } from "./errors.js";
import {
  type ExperimentFilterKeys,
  type FilterResource,
  filterableKeys,
  type PipelineFilterKeys,
  type PipelineVersionFilterKeys,
  RESOURCE_KEYS,
  type RecurringRunFilterKeys,
  type RunFilterKeys,
  type TimestampValue,
} from "./filter-keys.js";

export {
  type ExperimentFilterKeys,
  type FilterResource,
  filterableKeys,
  type PipelineFilterKeys,
  type PipelineVersionFilterKeys,
  type RecurringRunFilterKeys,
  type RunFilterKeys,
  type TimestampValue,
};

/** API versions a filter can be serialized for (same union as `ApiVersion` in client.ts). */
export type FilterApiVersion = "v2beta1" | "v1beta1" | "v2";

/** A predicate operation of the KFP filter language (`EQUALS`, `GREATER_THAN`, `IN`, `IS_SUBSTRING`, ...). */
export type FilterOperation =
  | "EQUALS"
  | "NOT_EQUALS"
  | "GREATER_THAN"
  | "GREATER_THAN_EQUALS"
  | "LESS_THAN"
  | "LESS_THAN_EQUALS"
  | "IN"
  | "IS_SUBSTRING";

const OPERATIONS: readonly FilterOperation[] = [
  "EQUALS",
  "NOT_EQUALS",
  "GREATER_THAN",
  "GREATER_THAN_EQUALS",
  "LESS_THAN",
  "LESS_THAN_EQUALS",
  "IN",
  "IS_SUBSTRING",
];

/** Numeric enum values accepted by the server in place of operation names. */
const OPERATION_NUMBERS: Record<number, FilterOperation> = {
  1: "EQUALS",
  2: "NOT_EQUALS",
  3: "GREATER_THAN",
  5: "GREATER_THAN_EQUALS",
  6: "LESS_THAN",
  7: "LESS_THAN_EQUALS",
  8: "IN",
  9: "IS_SUBSTRING",
};

/** One predicate, wire shape (v2beta1/v2 spelling; v1beta1 uses `op` instead of `operation`). */
export interface Predicate {
  key: string;
  operation: FilterOperation;
  int_value?: number;
  long_value?: string;
  string_value?: string;
  timestamp_value?: string;
  int_values?: { values: number[] };
  long_values?: { values: string[] };
  string_values?: { values: string[] };
}

/** Wire shape of a filter: predicates are AND-ed. */
export interface Filter {
  predicates: Predicate[];
}

/** A value usable in a predicate. `Date` → `timestamp_value`; `bigint` → `long_value`. */
export type ScalarValue = string | number | bigint | Date;
/** Explicit value kind, to override the automatic choice. */
export type ValueKind = "string" | "int" | "long" | "timestamp";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TAG_MAX = 63;

function fail(message: string, field = "filter"): never {
  throw new ValidationError(message, { field });
}

function isTimestampKey(resource: FilterResource | undefined, key: string): boolean {
  if (resource) return RESOURCE_KEYS[resource].timestamps.includes(key);
  return /_at$/.test(key);
}

function formatTimestamp(key: string, v: Date | string): string {
  const d = typeof v === "string" ? new Date(v) : v;
  if (typeof v === "string" && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(v)) {
    fail(
      `filter value for "${key}" must be an RFC 3339 timestamp (e.g. 2026-01-01T00:00:00Z), got ${JSON.stringify(v)}`,
    );
  }
  if (Number.isNaN(d.getTime())) fail(`filter value for "${key}" is an invalid date`);
  // The server converts to Unix seconds; send whole seconds in UTC (RFC 3339).
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

function integerString(key: string, v: number | bigint | string): string {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) fail(`filter value for "${key}" must be an integer, got ${v}`);
    return String(v);
  }
  if (!/^-?\d+$/.test(v)) fail(`filter value for "${key}" must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

function int32(key: string, v: number | bigint | string): number {
  const n = Number(integerString(key, v));
  if (n < INT32_MIN || n > INT32_MAX) fail(`filter value for "${key}" does not fit in int32: ${n}`);
  return n;
}

function chooseKind(resource: FilterResource | undefined, key: string, v: ScalarValue): ValueKind {
  if (v instanceof Date) return "timestamp";
  if (typeof v === "bigint") return "long";
  if (typeof v === "number") {
    if (!Number.isInteger(v))
      fail(`filter value for "${key}" must be an integer (the server has no float values), got ${v}`);
    // Timestamp columns are int64 Unix seconds; other integers go as int32 when they fit.
    if (isTimestampKey(resource, key) || v < INT32_MIN || v > INT32_MAX) return "long";
    return "int";
  }
  if (typeof v === "string") return isTimestampKey(resource, key) ? "timestamp" : "string";
  return fail(`filter value for "${key}" must be a string, number, bigint or Date, got ${typeof v}`);
}

function setScalar(p: Predicate, key: string, kind: ValueKind, v: ScalarValue): void {
  switch (kind) {
    case "string":
      if (typeof v !== "string") fail(`filter value for "${key}" must be a string`);
      p.string_value = v;
      return;
    case "int":
      if (v instanceof Date) fail(`filter value for "${key}" must be an integer, got a Date`);
      p.int_value = int32(key, v);
      return;
    case "long":
      if (v instanceof Date) {
        p.long_value = String(Math.floor(v.getTime() / 1000));
        return;
      }
      p.long_value = integerString(key, v);
      return;
    case "timestamp":
      if (typeof v === "number" || typeof v === "bigint") {
        p.timestamp_value = formatTimestamp(key, new Date(Number(v) * 1000));
        return;
      }
      p.timestamp_value = formatTimestamp(key, v);
      return;
  }
}

function setList(p: Predicate, key: string, kind: ValueKind, values: readonly ScalarValue[]): void {
  switch (kind) {
    case "string":
      p.string_values = {
        values: values.map((v) => {
          if (typeof v !== "string") fail(`every IN value for "${key}" must be a string`);
          return v;
        }),
      };
      return;
    case "int":
      p.int_values = {
        values: values.map((v) => {
          if (v instanceof Date) fail(`IN values for "${key}" must be integers`);
          return int32(key, v);
        }),
      };
      return;
    case "long":
      p.long_values = {
        values: values.map((v) => {
          if (v instanceof Date) return String(Math.floor(v.getTime() / 1000));
          return integerString(key, v);
        }),
      };
      return;
    case "timestamp":
      fail(`IN is not supported with timestamp values for "${key}" (the server has no timestamp list)`);
  }
}

function checkKey(resource: FilterResource | undefined, key: string): void {
  if (typeof key !== "string" || key === "") fail("filter key must be a non-empty string");
  if (key.startsWith("tags.")) {
    if (resource && !RESOURCE_KEYS[resource].tags) {
      fail(`tag filters ("${key}") are only supported for pipelines and pipeline versions, not ${resource}`);
    }
    const tag = key.slice(5);
    if (tag === "" || tag.includes("."))
      fail(`tag key in "${key}" must be non-empty and must not contain "."`);
    if (tag.length > TAG_MAX) fail(`tag key in "${key}" is longer than ${TAG_MAX} characters`);
    return;
  }
  if (resource && !RESOURCE_KEYS[resource].keys.includes(key)) {
    fail(
      `"${key}" is not a filterable key for ${resource}; use one of: ${RESOURCE_KEYS[resource].keys.join(", ")}` +
        (RESOURCE_KEYS[resource].tags ? ", tags.<key>" : ""),
    );
  }
}

/** Build one predicate, checking it the way the server would. */
export function makePredicate(
  resource: FilterResource | undefined,
  key: string,
  operation: FilterOperation,
  value: ScalarValue | readonly ScalarValue[],
  kind?: ValueKind,
): Predicate {
  checkKey(resource, key);
  if (!OPERATIONS.includes(operation)) {
    fail(`unknown filter operation ${JSON.stringify(operation)}; use one of ${OPERATIONS.join(", ")}`);
  }
  const p: Predicate = { key, operation };
  if (operation === "IN") {
    if (!Array.isArray(value)) fail(`IN on "${key}" needs a list of values`);
    const list = value as readonly ScalarValue[];
    if (list.length === 0) fail(`IN on "${key}" needs at least one value`);
    const k = kind ?? chooseKindForList(resource, key, list);
    setList(p, key, k, list);
  } else {
    if (Array.isArray(value)) fail(`${operation} on "${key}" takes a single value; use IN for a list`);
    const v = value as ScalarValue;
    if (v === undefined || v === null) fail(`filter value for "${key}" is missing`);
    const k = kind ?? chooseKind(resource, key, v);
    if (operation === "IS_SUBSTRING" && k !== "string") fail(`IS_SUBSTRING on "${key}" needs a string value`);
    setScalar(p, key, k, v);
  }
  if (key.startsWith("tags.") && (operation !== "EQUALS" || p.string_value === undefined)) {
    fail(`tag filter "${key}" supports only EQUALS with a string value`);
  }
  if (key.startsWith("tags.") && (p.string_value?.length ?? 0) > TAG_MAX) {
    fail(`tag value for "${key}" is longer than ${TAG_MAX} characters`);
  }
  return p;
}

function chooseKindForList(
  resource: FilterResource | undefined,
  key: string,
  list: readonly ScalarValue[],
): ValueKind {
  const kinds = new Set(list.map((v) => chooseKind(resource, key, v)));
  if (kinds.has("string")) {
    if (kinds.size > 1) fail(`IN values for "${key}" mix strings and numbers`);
    return "string";
  }
  if (kinds.has("timestamp")) {
    if (kinds.size > 1) fail(`IN values for "${key}" mix timestamps and other values`);
    return "timestamp";
  }
  return kinds.has("long") ? "long" : "int";
}

type KeyOf<M> = keyof M & string;
type ListValue<M, K extends KeyOf<M>> = M[K] extends infer V ? V & ScalarValue : never;

/**
 * Immutable, typed filter builder. Each method returns a new builder with one more predicate (AND).
 * `M` maps the resource's filterable keys to their value types.
 */
export class FilterBuilder<M = Record<string, ScalarValue>> {
  readonly resource: FilterResource | undefined;
  readonly predicates: readonly Predicate[];

  constructor(resource?: FilterResource, predicates: readonly Predicate[] = []) {
    this.resource = resource;
    this.predicates = predicates;
  }

  /** Add a predicate with an explicit operation (and optionally an explicit value kind). */
  where<K extends KeyOf<M>>(
    key: K,
    operation: FilterOperation,
    value: ListValue<M, K> | readonly ListValue<M, K>[],
    kind?: ValueKind,
  ): FilterBuilder<M> {
    const p = makePredicate(
      this.resource,
      key,
      operation,
      value as ScalarValue | readonly ScalarValue[],
      kind,
    );
    return new FilterBuilder<M>(this.resource, [...this.predicates, p]);
  }
  /** And: `key` equals `value`. */
  eq<K extends KeyOf<M>>(key: K, value: ListValue<M, K>, kind?: ValueKind): FilterBuilder<M> {
    return this.where(key, "EQUALS", value, kind);
  }
  /** And: `key` is not equal to `value`. */
  neq<K extends KeyOf<M>>(key: K, value: ListValue<M, K>, kind?: ValueKind): FilterBuilder<M> {
    return this.where(key, "NOT_EQUALS", value, kind);
  }
  /** And: `key` is greater than `value`. */
  gt<K extends KeyOf<M>>(key: K, value: ListValue<M, K>, kind?: ValueKind): FilterBuilder<M> {
    return this.where(key, "GREATER_THAN", value, kind);
  }
  /** And: `key` is greater than or equal to `value`. */
  gte<K extends KeyOf<M>>(key: K, value: ListValue<M, K>, kind?: ValueKind): FilterBuilder<M> {
    return this.where(key, "GREATER_THAN_EQUALS", value, kind);
  }
  /** And: `key` is less than `value`. */
  lt<K extends KeyOf<M>>(key: K, value: ListValue<M, K>, kind?: ValueKind): FilterBuilder<M> {
    return this.where(key, "LESS_THAN", value, kind);
  }
  /** And: `key` is less than or equal to `value`. */
  lte<K extends KeyOf<M>>(key: K, value: ListValue<M, K>, kind?: ValueKind): FilterBuilder<M> {
    return this.where(key, "LESS_THAN_EQUALS", value, kind);
  }
  /** And: `key` is one of `value`. */
  in<K extends KeyOf<M>>(key: K, values: readonly ListValue<M, K>[], kind?: ValueKind): FilterBuilder<M> {
    return this.where(key, "IN", values, kind);
  }
  /** `IS_SUBSTRING`: SQL `LIKE %value%` on the server (case sensitivity depends on the DB collation). */
  substring<K extends KeyOf<M>>(key: K, value: string): FilterBuilder<M> {
    return this.where(key, "IS_SUBSTRING", value as ListValue<M, K>, "string");
  }
  /** `tags.<key> = value` (pipelines and pipeline versions only). */
  tag(key: string, value: string): FilterBuilder<M> {
    const p = makePredicate(this.resource, `tags.${key}`, "EQUALS", value, "string");
    return new FilterBuilder<M>(this.resource, [...this.predicates, p]);
  }
  /** The wire filter (v2beta1 spelling). */
  toJSON(): Filter {
    return { predicates: this.predicates.map((p) => ({ ...p })) };
  }
  /** The filter as the JSON the server reads. */
  toString(): string {
    return JSON.stringify(this.toJSON());
  }
}

/** An untyped builder: any key, checked only by the server. */
export function filter(): FilterBuilder {
  return new FilterBuilder();
}
/** A typed filter builder for `pipelines.list()`. */
export function pipelineFilter(): FilterBuilder<PipelineFilterKeys> {
  return new FilterBuilder<PipelineFilterKeys>("pipelines");
}
/** A typed filter builder for `pipelines.versions.list()`. */
export function pipelineVersionFilter(): FilterBuilder<PipelineVersionFilterKeys> {
  return new FilterBuilder<PipelineVersionFilterKeys>("pipeline_versions");
}
/** A typed filter builder for `experiments.list()`. */
export function experimentFilter(): FilterBuilder<ExperimentFilterKeys> {
  return new FilterBuilder<ExperimentFilterKeys>("experiments");
}
/** A typed filter builder for `runs.list()`: `runFilter().eq("state", "SUCCEEDED").gte("created_at", date)`. */
export function runFilter(): FilterBuilder<RunFilterKeys> {
  return new FilterBuilder<RunFilterKeys>("runs");
}
/** A typed filter builder for `recurringRuns.list()`. */
export function recurringRunFilter(): FilterBuilder<RecurringRunFilterKeys> {
  return new FilterBuilder<RecurringRunFilterKeys>("recurring_runs");
}

/** Condition on one key in the plain-object form. */
export interface FilterCondition<V> {
  eq?: V;
  neq?: V;
  gt?: V;
  gte?: V;
  lt?: V;
  lte?: V;
  in?: readonly V[];
  substring?: string;
}

/**
 * Plain-object form: `{ state: "RUNNING", created_at: { gt: new Date(...) }, "tags.team": "ml" }`.
 * A bare value means EQUALS; an object lists operations (all AND-ed).
 */
export type FilterObject<M = Record<string, ScalarValue>> = {
  [K in keyof M]?: M[K] | FilterCondition<M[K]>;
};

const CONDITION_OPS: Record<keyof FilterCondition<unknown>, FilterOperation> = {
  eq: "EQUALS",
  neq: "NOT_EQUALS",
  gt: "GREATER_THAN",
  gte: "GREATER_THAN_EQUALS",
  lt: "LESS_THAN",
  lte: "LESS_THAN_EQUALS",
  in: "IN",
  substring: "IS_SUBSTRING",
};

/** Convert the plain-object form into wire predicates. */
export function filterFromObject(obj: FilterObject<any>, resource?: FilterResource): Filter {
  const predicates: Predicate[] = [];
  for (const [key, cond] of Object.entries(obj as Record<string, unknown>)) {
    if (cond === undefined) continue;
    if (cond !== null && typeof cond === "object" && !(cond instanceof Date) && !Array.isArray(cond)) {
      const entries = Object.entries(cond as Record<string, unknown>).filter(([, v]) => v !== undefined);
      if (entries.length === 0) fail(`filter condition for "${key}" is empty`);
      for (const [op, v] of entries) {
        const operation = CONDITION_OPS[op as keyof FilterCondition<unknown>];
        if (!operation) {
          fail(
            `unknown filter condition "${op}" for "${key}"; use one of ${Object.keys(CONDITION_OPS).join(", ")}`,
          );
        }
        predicates.push(
          makePredicate(
            resource,
            key,
            operation,
            v as ScalarValue | ScalarValue[],
            operation === "IS_SUBSTRING" ? "string" : undefined,
          ),
        );
      }
    } else if (Array.isArray(cond)) {
      predicates.push(makePredicate(resource, key, "IN", cond as ScalarValue[]));
    } else {
      predicates.push(makePredicate(resource, key, "EQUALS", cond as ScalarValue));
    }
  }
  return { predicates };
}

/** Anything a list method accepts as `filter`. */
export type FilterLike = string | Filter | FilterBuilder<any> | FilterObject<any>;

function isWireFilter(f: object): f is Filter {
  return Array.isArray((f as { predicates?: unknown }).predicates);
}

/** Normalize a raw predicate object: accept `op`/`operation` (name or number); keep other fields as is. */
function normalizeRawPredicate(raw: unknown, i: number): Record<string, unknown> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    fail(`filter predicate #${i + 1} must be an object`);
  const { op, operation, ...rest } = raw as Record<string, unknown>;
  const given = operation ?? op;
  let name: FilterOperation | undefined;
  if (typeof given === "number") name = OPERATION_NUMBERS[given];
  else if (typeof given === "string") name = OPERATIONS.find((o) => o === given.toUpperCase());
  if (!name) {
    fail(
      `filter predicate #${i + 1} has no valid operation (got ${JSON.stringify(given)}); use one of ${OPERATIONS.join(", ")}`,
    );
  }
  if (typeof rest.key !== "string" || rest.key === "")
    fail(`filter predicate #${i + 1} needs a non-empty "key"`);
  return { key: rest.key, operation: name, ...rest };
}

/** Normalize any FilterLike into wire predicates (v2beta1 spelling). */
export function toFilter(
  f: FilterLike,
  resource?: FilterResource,
): { predicates: Record<string, unknown>[] } {
  if (f instanceof FilterBuilder) {
    if (resource && f.resource && f.resource !== resource) {
      fail(`this filter was built for ${f.resource} but is used to list ${resource}`);
    }
    return f.toJSON() as unknown as { predicates: Record<string, unknown>[] };
  }
  let obj: unknown = f;
  if (typeof f === "string") {
    try {
      obj = JSON.parse(f);
    } catch {
      fail(`filter string is not valid JSON: ${f.length > 80 ? `${f.slice(0, 80)}...` : f}`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) fail("filter JSON must be an object");
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    fail(
      "filter must be a JSON string, a {predicates: [...]} object, a plain-object filter or a filter builder",
    );
  }
  if (isWireFilter(obj)) {
    return { predicates: obj.predicates.map((p, i) => normalizeRawPredicate(p, i)) };
  }
  return filterFromObject(obj as FilterObject<any>, resource) as unknown as {
    predicates: Record<string, unknown>[];
  };
}

/**
 * Serialize a filter for the `filter` query parameter of `api`. Returns `encodeURIComponent(JSON)`;
 * the transport encodes query values again, giving the double encoding the server expects (FACTS §6).
 * For v1beta1 the operation field is spelled `op`. An empty filter returns "" (callers omit the param).
 */
export function serializeFilter(f: FilterLike, api: FilterApiVersion, resource?: FilterResource): string {
  const { predicates } = toFilter(f, resource);
  if (predicates.length === 0) return "";
  const wire = predicates.map((p) => {
    if (api !== "v1beta1") return p;
    const { operation, ...rest } = p;
    return { key: rest.key, op: operation, ...rest };
  });
  return encodeURIComponent(JSON.stringify({ predicates: wire }));
}
