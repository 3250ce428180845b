/**
 * Fuzz: list endpoints of every kind and API version with random filters (structured predicates with
 * random keys, operations and values; random and deeply nested JSON; broken encodings), page tokens
 * (base64 of random or deep JSON, tokens of another listing, garbage), sort orders and page sizes.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { MINIMAL_SPEC, upload } from "../emulator/helpers/http.js";
import { count, expectClientOutcome, expectServing, params, report, send } from "./harness.js";

let emu: Emulator;
const realTokens: string[] = [];
beforeAll(async () => {
  emu = await startEmulator();
  for (let i = 0; i < 5; i++) {
    await upload(
      emu.url,
      "/apis/v2beta1/pipelines/upload",
      { filename: "p.yaml", data: MINIMAL_SPEC(`p${i}`) },
      { name: `p${i}` },
    );
  }
  for (const path of ["/apis/v2beta1/pipelines", "/apis/v1beta1/pipelines"]) {
    const r = await send(emu, "GET", `${path}?page_size=1`);
    if (r.json?.next_page_token) realTokens.push(r.json.next_page_token);
  }
});
afterAll(async () => {
  await emu?.close();
  report();
});

const LISTS = ["v2beta1", "v2", "v1beta1"].flatMap((v) =>
  [
    "pipelines",
    "experiments",
    "runs",
    v === "v1beta1" ? "jobs" : "recurringruns",
    v === "v1beta1" ? "pipeline_versions" : "pipelines/x/versions",
  ].map((k) => `/apis/${v}/${k}`),
);

const KEYS = [
  "name",
  "display_name",
  "created_at",
  "id",
  "pipeline_id",
  "run_id",
  "state",
  "storage_state",
  "description",
  "tags.team",
  "namespace",
  "experiment_id",
  "x",
];
const OPS = [
  "EQUALS",
  "NOT_EQUALS",
  "GREATER_THAN",
  "GREATER_THAN_EQUALS",
  "LESS_THAN",
  "LESS_THAN_EQUALS",
  "IN",
  "IS_SUBSTRING",
  "BOGUS",
  1,
  7,
  99,
  -1,
];

const predicate = fc.record(
  {
    key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 10 })),
    operation: fc.constantFrom(...OPS),
    op: fc.constantFrom(...OPS),
    string_value: fc.string({ maxLength: 12 }),
    stringValue: fc.string({ maxLength: 12 }),
    int_value: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
    long_value: fc.oneof(fc.integer(), fc.constant("9223372036854775808")),
    timestamp_value: fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string({ maxLength: 10 }),
    ),
    int_values: fc.record({ values: fc.array(fc.integer(), { maxLength: 3 }) }),
    string_values: fc.record({ values: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }) }),
  },
  { requiredKeys: ["key"] },
);

const filter = fc.oneof(
  fc.array(predicate, { maxLength: 4 }).map((predicates) => JSON.stringify({ predicates })),
  fc.json({ maxDepth: 4 }),
  fc.integer({ min: 100, max: 20_000 }).map((d) => `{"predicates":${"[".repeat(d)}${"]".repeat(d)}}`),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "%",
    "%ZZ",
    '{"predicates":[{"key":"name","op":"EQUALS","string_value":"a","string_value":"b"}]}',
    "null",
    "[]",
  ),
);

const token = fc.oneof(
  fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j).toString("base64")),
  fc
    .integer({ min: 100, max: 20_000 })
    .map((d) => Buffer.from(`${"[".repeat(d)}${"]".repeat(d)}`).toString("base64")),
  fc.string({ maxLength: 40 }),
  fc.constant(null).map(() => realTokens[0] ?? ""),
  fc.constant(null).map(() => realTokens[1] ?? ""),
  fc
    .record({
      SortByFieldName: fc.constantFrom("Name", "CreatedAtInSec", "UUID", "x"),
      SortByFieldValue: fc.jsonValue(),
      KeyFieldName: fc.constantFrom("UUID", "Name"),
      KeyFieldValue: fc.jsonValue(),
      IsDesc: fc.jsonValue(),
      ModelName: fc.constantFrom("pipelines", "runs", "x"),
      Filter: fc.jsonValue(),
    })
    .map((t) => Buffer.from(JSON.stringify(t)).toString("base64")),
);

describe("fuzz: lists (filters, page tokens, sort, page size)", () => {
  it(
    "every list query: 200 or a gateway-shaped 400",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...LISTS),
          fc.option(filter, { nil: undefined }),
          fc.option(token, { nil: undefined }),
          fc.option(
            fc.oneof(
              fc.constantFrom("name", "name desc", "created_at asc", "id desc", "x y z"),
              fc.string({ maxLength: 20 }),
            ),
            { nil: undefined },
          ),
          fc.option(fc.oneof(fc.integer({ min: -5, max: 500 }).map(String), fc.string({ maxLength: 6 })), {
            nil: undefined,
          }),
          fc.option(fc.constantFrom("team-a", "", "NAMESPACE", "../x"), { nil: undefined }),
          fc.boolean(),
          async (path, f, t, sort, size, ns, camel) => {
            count("lists");
            const q = new URLSearchParams();
            if (f !== undefined) q.set("filter", f);
            if (t !== undefined) q.set("page_token", t);
            if (sort !== undefined) q.set(camel ? "sortBy" : "sort_by", sort);
            if (size !== undefined) q.set("page_size", size);
            if (ns !== undefined) q.set("namespace", ns);
            const r = await send(emu, "GET", `${path}?${q.toString()}`);
            expectClientOutcome(r, `GET ${path}?${q.toString().slice(0, 200)}`);
          },
        ),
        params("lists", 7_000),
      );
      await expectServing(emu);
    },
    120_000 + (process.env.FUZZ_LONG === "1" ? Number(process.env.FUZZ_TIME_MS ?? 300_000) : 0),
  );
});
