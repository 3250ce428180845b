/**
 * Fuzz: every gateway route of the route table (v2beta1, v2, v1beta1; every resource kind) with
 * random path parameters and JSON bodies: random values, known field names with random values,
 * deep nesting, duplicate keys, invalid UTF-8 and non-JSON. Each answer is a success or a 4xx in the
 * gateway's `{code, message}` shape; afterwards every list still serves and every pipeline reads back.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import {
  count,
  expectClientOutcome,
  expectServing,
  params,
  report,
  routeTable,
  segment,
  send,
} from "./harness.js";

let emu: Emulator;
let routes: { method: string; pattern: string }[];
beforeAll(async () => {
  emu = await startEmulator();
  routes = (await routeTable(emu)).filter((r) => r.method !== "*" && !r.pattern.includes("upload"));
});
afterAll(async () => {
  await emu?.close();
  report();
});

/** Field names the API knows, so random bodies get past "unknown field" often enough to go deeper. */
const FIELDS = [
  "display_name",
  "name",
  "description",
  "namespace",
  "pipeline_id",
  "pipeline_version_id",
  "experiment_id",
  "pipeline_spec",
  "runtime_config",
  "parameters",
  "plugins_input",
  "pipeline_version_reference",
  "service_account",
  "trigger",
  "cron_schedule",
  "cron",
  "periodic_schedule",
  "interval_second",
  "max_concurrency",
  "mode",
  "no_catchup",
  "tags",
  "resource_references",
  "key",
  "type",
  "id",
  "relationship",
  "pipeline_spec_manifest",
  "workflow_manifest",
  "storage_state",
  "state",
  "scheduled_at",
  "created_at",
  "metrics",
  "node_id",
  "number_value",
  "format",
  "package_url",
  "pipeline_url",
  "code_source_url",
  "pipelineInfo",
  "root",
  "dag",
  "tasks",
  "schemaVersion",
];

const leaf = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    "",
    "2.1.0",
    "0 * * * * *",
    "RUNNING",
    "ENABLE",
    "ARCHIVED",
    "-1",
    "1e400",
    "9223372036854775808",
  ),
);
const known: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    tie("obj"),
    fc.array(tie("value"), { maxLength: 4 }),
  ),
  obj: fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 8 })), tie("value"), {
    maxKeys: 6,
  }),
})).obj;

const deep = fc
  .record({
    depth: fc.integer({ min: 200, max: 20_000 }),
    open: fc.constantFrom('{"a":', "[", '{"plugins_input":'),
    field: fc.constantFrom("display_name", "plugins_input", "runtime_config", "pipeline_spec"),
  })
  .map(({ depth, open, field }) => {
    const close = open === "[" ? "]" : "}";
    return `{"${field}":${open.repeat(depth)}1${close.repeat(depth)}}`;
  });

const duplicated = fc
  .tuple(fc.constantFrom(...FIELDS), fc.json({ maxDepth: 2 }), fc.json({ maxDepth: 2 }))
  .map(([k, a, b]) => `{"display_name":"d","${k}":${a},"${k}":${b}}`);

const body = fc.oneof(
  known.map((v) => JSON.stringify(v)),
  fc.json({ maxDepth: 5 }),
  deep,
  duplicated,
  fc.string({ maxLength: 60 }),
  fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a).toString("latin1")),
  fc.constant(""),
);

const query = fc.dictionary(
  fc.constantFrom(
    "namespace",
    "experiment_id",
    "filter",
    "page_size",
    "sort_by",
    "page_token",
    "resource_reference_key.type",
    "resource_reference_key.id",
    "view",
    "tags",
  ),
  fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.constantFrom("-1", "0", "201", "NAMESPACE", "EXPERIMENT", "name desc", "%ZZ"),
  ),
  { maxKeys: 3 },
);

describe("fuzz: JSON endpoints", () => {
  it(
    "every route, every body: success or a gateway-shaped 4xx; the store stays readable",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(),
          fc.array(segment, { minLength: 3, maxLength: 3 }),
          body,
          query,
          async (pick, segs, text, q) => {
            count("json-bodies");
            const route = routes[pick % routes.length]!;
            let i = 0;
            const path = route.pattern.replace(/\{[^}]+\}/g, () => segs[i++ % segs.length]!);
            const qs = new URLSearchParams(q).toString();
            const sendBody = route.method === "GET" || route.method === "DELETE" ? undefined : text;
            const r = await send(emu, route.method, `${path}${qs ? `?${qs}` : ""}`, sendBody, {
              "content-type": "application/json",
            });
            expectClientOutcome(r, `${route.method} ${path}`);
          },
        ),
        params("json-bodies", 10_000),
      );
      await expectServing(emu);
    },
    120_000 + (process.env.FUZZ_LONG === "1" ? Number(process.env.FUZZ_TIME_MS ?? 300_000) : 0),
  );
});
