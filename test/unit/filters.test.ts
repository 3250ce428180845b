import { describe, expect, it } from "vitest";
import { ValidationError } from "../../packages/kfp-ts/src/core/errors.js";
import {
  experimentFilter,
  FilterBuilder,
  filter,
  filterableKeys,
  pipelineFilter,
  pipelineVersionFilter,
  recurringRunFilter,
  runFilter,
  serializeFilter,
  toFilter,
} from "../../packages/kfp-ts/src/core/filters.js";
import { encodeQuery } from "../../packages/kfp-ts/src/internal/path.js";

/** Go's url.QueryUnescape: `+` becomes a space, `%xx` is decoded, a bad escape is an error. */
function goQueryUnescape(s: string): string {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) throw new Error(`invalid URL escape in ${s}`);
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "%") {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === "+") {
      bytes.push(0x20);
    } else {
      for (const b of Buffer.from(c, "utf8")) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** What the real server sees: the gateway decodes the query string, then parseAPIFilter unescapes once more. */
function serverReads(serialized: string): unknown {
  const url = new URL(`http://x/apis/v2beta1/runs${encodeQuery({ filter: serialized })}`);
  const gatewayValue = url.searchParams.get("filter")!;
  return JSON.parse(goQueryUnescape(gatewayValue));
}

describe("serializeFilter", () => {
  it("encodes a typed run filter exactly as the server reads it", () => {
    const f = runFilter().eq("state", "RUNNING").gt("created_at", new Date("2026-01-02T03:04:05.678Z"));
    const s = serializeFilter(f, "v2beta1");
    expect(s).toBe(encodeURIComponent(JSON.stringify(JSON.parse(decodeURIComponent(s)))));
    expect(serverReads(s)).toEqual({
      predicates: [
        { key: "state", operation: "EQUALS", string_value: "RUNNING" },
        { key: "created_at", operation: "GREATER_THAN", timestamp_value: "2026-01-02T03:04:05Z" },
      ],
    });
  });

  it("survives the server's extra unescape for +, % and non-ASCII values (double encoding)", () => {
    const tricky = "a+b 50% c%20d &x=1 é/?#";
    const s = serializeFilter(filter().eq("display_name", tricky), "v2beta1");
    expect(serverReads(s)).toEqual({
      predicates: [{ key: "display_name", operation: "EQUALS", string_value: tricky }],
    });
    // Single encoding (what the Python SDK does) would corrupt the value: show the difference is real.
    const single = JSON.stringify({
      predicates: [{ key: "display_name", operation: "EQUALS", string_value: tricky }],
    });
    expect(() => serverReads(single)).toThrow(/^invalid URL escape in /); // "50% c" fails the extra unescape
  });

  it("spells the operation `op` for v1beta1", () => {
    const s = serializeFilter(experimentFilter().substring("name", "exp"), "v1beta1");
    expect(serverReads(s)).toEqual({
      predicates: [{ key: "name", op: "IS_SUBSTRING", string_value: "exp" }],
    });
    const v2 = serializeFilter(experimentFilter().substring("name", "exp"), "v2");
    expect(serverReads(v2)).toEqual({
      predicates: [{ key: "name", operation: "IS_SUBSTRING", string_value: "exp" }],
    });
  });

  it("returns an empty string for an empty filter", () => {
    expect(serializeFilter(runFilter(), "v2beta1")).toBe("");
    expect(serializeFilter({ predicates: [] }, "v2beta1")).toBe("");
    expect(serializeFilter({}, "v2beta1")).toBe("");
  });

  it("normalizes raw JSON strings and wire objects (numeric operations, op/operation)", () => {
    const raw = JSON.stringify({ predicates: [{ key: "display_name", operation: 1, stringValue: "x" }] });
    expect(serverReads(serializeFilter(raw, "v2beta1"))).toEqual({
      predicates: [{ key: "display_name", operation: "EQUALS", stringValue: "x" }],
    });
    expect(serverReads(serializeFilter(raw, "v1beta1"))).toEqual({
      predicates: [{ key: "display_name", op: "EQUALS", stringValue: "x" }],
    });
    const wire = { predicates: [{ key: "name", op: "not_equals", string_value: "y" }] };
    expect(serverReads(serializeFilter(wire as never, "v2"))).toEqual({
      predicates: [{ key: "name", operation: "NOT_EQUALS", string_value: "y" }],
    });
  });

  it("rejects malformed raw filters with a ValidationError", () => {
    expect(() => serializeFilter("{not json", "v2beta1")).toThrow(ValidationError);
    expect(() => serializeFilter("[1]", "v2beta1")).toThrow(/must be an object/);
    expect(() => serializeFilter({ predicates: [{ key: "a", operation: 4 }] } as never, "v2beta1")).toThrow(
      /no valid operation/,
    );
    expect(() => serializeFilter({ predicates: [{ operation: "EQUALS" }] } as never, "v2beta1")).toThrow(
      /needs a non-empty "key"/,
    );
  });

  it("refuses a builder made for another resource when the resource is known", () => {
    expect(() => serializeFilter(runFilter().eq("state", "FAILED"), "v2beta1", "experiments")).toThrow(
      /built for runs but is used to list experiments/,
    );
    expect(serializeFilter(filter().eq("display_name", "x"), "v2beta1", "experiments")).not.toBe("");
  });
});

describe("value kinds", () => {
  it("chooses int_value, long_value, string_value and timestamp_value", () => {
    const f = filter()
      .eq("small", 5)
      .eq("big", 2 ** 40)
      .eq("explicit_long", 7, "long")
      .eq("bigint", 12345678901234567890n)
      .eq("s", "text");
    expect(f.toJSON().predicates).toEqual([
      { key: "small", operation: "EQUALS", int_value: 5 },
      { key: "big", operation: "EQUALS", long_value: String(2 ** 40) },
      { key: "explicit_long", operation: "EQUALS", long_value: "7" },
      { key: "bigint", operation: "EQUALS", long_value: "12345678901234567890" },
      { key: "s", operation: "EQUALS", string_value: "text" },
    ]);
  });

  it("treats timestamp keys specially: Date/RFC 3339 → timestamp_value, numbers → long_value (Unix s)", () => {
    const f = runFilter()
      .gte("created_at", "2026-03-01T10:00:00+02:00")
      .lt("finished_at", 1_700_000_000)
      .lte("scheduled_at", new Date(Date.UTC(2026, 0, 1)));
    expect(f.toJSON().predicates).toEqual([
      { key: "created_at", operation: "GREATER_THAN_EQUALS", timestamp_value: "2026-03-01T08:00:00Z" },
      { key: "finished_at", operation: "LESS_THAN", long_value: "1700000000" },
      { key: "scheduled_at", operation: "LESS_THAN_EQUALS", timestamp_value: "2026-01-01T00:00:00Z" },
    ]);
    expect(() => runFilter().gt("created_at", "yesterday")).toThrow(/RFC 3339/);
    expect(() => runFilter().gt("created_at", new Date("nope"))).toThrow(/invalid date/);
  });

  it("builds IN lists of every kind", () => {
    const f = filter()
      .in("state", ["RUNNING", "PENDING"])
      .in("n", [1, 2])
      .in("l", [1, 2 ** 40]);
    expect(f.toJSON().predicates).toEqual([
      { key: "state", operation: "IN", string_values: { values: ["RUNNING", "PENDING"] } },
      { key: "n", operation: "IN", int_values: { values: [1, 2] } },
      { key: "l", operation: "IN", long_values: { values: ["1", String(2 ** 40)] } },
    ]);
    expect(() => filter().in("x", [])).toThrow(/at least one value/);
    expect(() => filter().in("x", ["a", 1])).toThrow(/mix strings and numbers/);
    expect(() => filter().where("x", "IN", "a")).toThrow(/needs a list/);
    expect(() => filter().where("x", "EQUALS", ["a"])).toThrow(/use IN/);
  });

  it("rejects values the server cannot compare", () => {
    expect(() => filter().eq("x", 1.5)).toThrow(/must be an integer/);
    expect(() => filter().eq("x", 2 ** 40, "int")).toThrow(/int32/);
    expect(() => filter().eq("x", "12a", "long")).toThrow(/integer/);
    expect(() => filter().eq("x", undefined as never)).toThrow(/missing/);
    expect(() => filter().where("x", "IS_SUBSTRING", 3)).toThrow(/needs a string/);
    expect(() => filter().where("x", "LIKE" as never, "a")).toThrow(/unknown filter operation/);
  });
});

describe("per-resource keys", () => {
  it("checks keys per resource and lists the allowed ones", () => {
    expect(() => (runFilter() as unknown as FilterBuilder).eq("bogus", "x")).toThrow(
      /not a filterable key for runs; use one of: run_id/,
    );
    expect(() => (experimentFilter() as unknown as FilterBuilder).eq("state", "x")).toThrow(ValidationError);
    expect(() => recurringRunFilter().eq("updated_at", new Date(0))).not.toThrow();
    expect(filterableKeys("experiments")).toContain("last_run_created_at");
  });

  it("supports tags.<key> only for pipelines and versions, EQUALS with a string", () => {
    expect(pipelineFilter().tag("team", "ml").eq("tags.env", "prod").toJSON().predicates).toEqual([
      { key: "tags.team", operation: "EQUALS", string_value: "ml" },
      { key: "tags.env", operation: "EQUALS", string_value: "prod" },
    ]);
    expect(() => pipelineVersionFilter().neq("tags.env", "prod")).toThrow(/only EQUALS/);
    expect(() => runFilter().tag("team", "ml")).toThrow(/only supported for pipelines and pipeline versions/);
    expect(() => pipelineFilter().tag("a.b", "x")).toThrow(/must not contain/);
    expect(() => pipelineFilter().tag("", "x")).toThrow(/non-empty/);
    expect(() => pipelineFilter().tag("k", "v".repeat(64))).toThrow(/longer than 63/);
  });

  it("type-checks keys and values at compile time", () => {
    // @ts-expect-error unknown key for runs
    expect(() => runFilter().eq("nope", "x")).toThrow(
      /^"nope" is not a filterable key for runs; use one of: run_id, /,
    );
    // @ts-expect-error not a RuntimeState
    runFilter().eq("state", "DONE");
    // @ts-expect-error no tags on experiments
    expect(() => experimentFilter().eq("tags.x", "y")).toThrow(
      'tag filters ("tags.x") are only supported for pipelines and pipeline versions, not experiments',
    );
    expect(runFilter().in("state", ["FAILED", "CANCELED"])).toBeInstanceOf(FilterBuilder);
  });

  it("is immutable: each call returns a new builder", () => {
    const a = runFilter().eq("state", "RUNNING");
    const b = a.eq("experiment_id", "e1");
    expect(a.predicates).toHaveLength(1);
    expect(b.predicates).toHaveLength(2);
    expect(String(b)).toBe(JSON.stringify(b.toJSON()));
  });
});

describe("plain-object form", () => {
  it("maps values and conditions to predicates", () => {
    const f = toFilter(
      {
        state: ["RUNNING", "PENDING"],
        display_name: { substring: "nightly" },
        created_at: { gt: new Date(Date.UTC(2026, 0, 1)), lt: "2026-02-01T00:00:00Z" },
        experiment_id: "e1",
        description: undefined,
      },
      "runs",
    );
    expect(f.predicates).toEqual([
      { key: "state", operation: "IN", string_values: { values: ["RUNNING", "PENDING"] } },
      { key: "display_name", operation: "IS_SUBSTRING", string_value: "nightly" },
      { key: "created_at", operation: "GREATER_THAN", timestamp_value: "2026-01-01T00:00:00Z" },
      { key: "created_at", operation: "LESS_THAN", timestamp_value: "2026-02-01T00:00:00Z" },
      { key: "experiment_id", operation: "EQUALS", string_value: "e1" },
    ]);
  });

  it("rejects unknown conditions and keys", () => {
    expect(() => toFilter({ state: { like: "x" } } as never, "runs")).toThrow(
      /unknown filter condition "like"/,
    );
    expect(() => toFilter({ colour: "red" }, "runs")).toThrow(/not a filterable key/);
    expect(() => toFilter({ state: {} }, "runs")).toThrow(/empty/);
  });
});
