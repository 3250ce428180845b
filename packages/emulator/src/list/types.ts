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

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 200;
export const KEY_FIELD_NAME = "UUID";

export const OP_NAMES_BY_NUMBER: Record<number, FilterOp> = {
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
export const OP_NUMBERS_BY_NAME = Object.fromEntries(
  Object.entries(OP_NAMES_BY_NUMBER).map(([n, name]) => [name, Number(n)]),
) as Record<FilterOp, number>;
export const V2_ENUM: Record<string, number> = { OPERATION_UNSPECIFIED: 0, ...OP_NUMBERS_BY_NAME };
export const V1_ENUM: Record<string, number> = { UNKNOWN: 0, ...OP_NUMBERS_BY_NAME };

/** Group names of the serialized `filter.Filter` (its JSON form inside a page token). */
export const GROUPS = ["EQ", "NEQ", "GT", "GTE", "LT", "LTE", "IN", "SUBSTRING"] as const;
export type Group = (typeof GROUPS)[number];
export const GROUP_OF: Record<FilterOp, Group> = {
  EQUALS: "EQ",
  NOT_EQUALS: "NEQ",
  GREATER_THAN: "GT",
  GREATER_THAN_EQUALS: "GTE",
  LESS_THAN: "LT",
  LESS_THAN_EQUALS: "LTE",
  IN: "IN",
  IS_SUBSTRING: "SUBSTRING",
};

export const TYPE_NAMES: Record<string, string> = {
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
