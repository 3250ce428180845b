// A raw-undici load generator for the server-side figures (bare busboy server vs the emulator). One
// scenario per fresh process; the client is the same for both servers, so the ratio is the server's.
//
//   node bench/clients/load.mjs --scenario healthz|upload|list-pipelines|list-runs|seed-runs
//     --base http://127.0.0.1:PORT --concurrency 1 --warmup 500 --warmup-ms 10000
//     [--file pipeline.yaml] [--runs 10000] [--page-size 200] [--expect N] [--client undici|lean]
// --client lean (healthz, list-runs): timed calls go through bench/lib/lean-http.mjs, which reads
// into one reused buffer per connection instead of undici's fresh buffer per read (see that file).
// seed-runs runs once and reports; the others warm up, report ready, then measure windows on command
// (drive.mjs commandLoop).
import { readFileSync } from "node:fs";
import { PerformanceObserver, constants as perfConstants } from "node:perf_hooks";
import { Agent, request } from "undici";
import { AGENT_SETTINGS, makePipelineYaml, multipartParts, num, parseArgs, report } from "../lib/common.mjs";
import { leanPool } from "../lib/lean-http.mjs";
import { commandLoop, drive } from "./drive.mjs";

const args = parseArgs(process.argv.slice(2));
const scenario = String(args.scenario);
const base = String(args.base);
const concurrency = num(args.concurrency, 1);
const warmup = num(args.warmup, 500);
const warmupMs = num(args["warmup-ms"], 10_000);
const pageSize = num(args["page-size"], 200);
const dispatcher = new Agent({ ...AGENT_SETTINGS, connections: Math.max(concurrency, 16) });
const tag = process.pid;
const clientKind = String(args.client ?? "undici");
if (clientKind !== "undici" && clientKind !== "lean")
  throw new Error(`--client undici|lean, not ${clientKind}`);
if (clientKind === "lean" && scenario !== "healthz" && scenario !== "list-runs") {
  throw new Error(`--client lean serves the healthz and list-runs scenarios only, not ${scenario}`);
}
const lean = clientKind === "lean" ? leanPool(base) : undefined;

// This process's own major (mark-compact) GCs, reported with each measured window: a pause here is
// the load generator's, not the server's.
const gcSince = { major: 0, majorMs: 0, majorMaxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
      gcSince.major++;
      gcSince.majorMs += e.duration;
      gcSince.majorMaxMs = Math.max(gcSince.majorMaxMs, e.duration);
    }
  }
}).observe({ entryTypes: ["gc"] });
function takeGc() {
  const r = {
    gcMajor: gcSince.major,
    gcMajorMs: Math.round(gcSince.majorMs * 1000) / 1000,
    gcMajorMaxMs: Math.round(gcSince.majorMaxMs * 1000) / 1000,
  };
  gcSince.major = 0;
  gcSince.majorMs = 0;
  gcSince.majorMaxMs = 0;
  return r;
}

/** Filter used by the run-list figure: display_name contains "-even" (half of the seeded runs). */
export const RUN_FILTER = {
  predicates: [{ key: "display_name", operation: "IS_SUBSTRING", string_value: "-even" }],
};
export const RUN_SORT = "created_at desc";

async function call(method, path, { body, headers, expect = 200 } = {}) {
  const res = await request(`${base}${path}`, { method, body, headers, dispatcher });
  const text = await res.body.text();
  if (res.statusCode !== expect) {
    throw new Error(`${method} ${path.slice(0, 120)}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
  }
  return text;
}
const getJson = async (path) => JSON.parse(await call("GET", path));

/**
 * GET a list page for the timed round trip: the whole body is received, but only its first and last
 * bytes are kept (no 400 KB copy or text decoding per call: that would be the load generator's own
 * garbage, not the server's time).
 */
async function getPageEnds(path) {
  if (lean) {
    // The lean client's head/tail are views of per-connection buffers: copy the few bytes kept.
    return lean.get(path, (r) => {
      if (r.status !== 200)
        throw new Error(`GET ${path.slice(0, 120)}: HTTP ${r.status} ${r.tail.subarray(0, 300)}`);
      return { head: Buffer.from(r.head), tail: Buffer.from(r.tail) };
    });
  }
  const res = await request(`${base}${path}`, { method: "GET", dispatcher });
  let head;
  let prev;
  let last;
  for await (const chunk of res.body) {
    if (!head) head = Buffer.from(chunk.subarray(0, 64));
    prev = last;
    last = chunk;
  }
  const tail = prev
    ? Buffer.concat([prev.subarray(Math.max(0, prev.length - 1024)), last])
    : (last ?? Buffer.alloc(0));
  if (res.statusCode !== 200)
    throw new Error(`GET ${path.slice(0, 120)}: HTTP ${res.statusCode} ${tail.subarray(0, 300)}`);
  return { head: head ?? Buffer.alloc(0), tail };
}
const postJson = async (path, obj) =>
  JSON.parse(
    await call("POST", path, { body: JSON.stringify(obj), headers: { "content-type": "application/json" } }),
  );

function uploadBody(yaml) {
  const boundary = `----kfpbench${Date.now().toString(16)}`;
  const { head, tail } = multipartParts(boundary, "pipeline.yaml");
  return {
    body: Buffer.concat([head, Buffer.from(yaml), tail]),
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  };
}

/** Run-list query string for the first page (filter double-encoded as the real server expects). */
function runListQuery(token) {
  if (token) return `/apis/v2beta1/runs?page_size=${pageSize}&page_token=${encodeURIComponent(token)}`;
  const f = encodeURIComponent(encodeURIComponent(JSON.stringify(RUN_FILTER)));
  return `/apis/v2beta1/runs?page_size=${pageSize}&sort_by=${encodeURIComponent(RUN_SORT)}&filter=${f}`;
}

async function seedRuns(n) {
  const t0 = performance.now();
  const exp = await postJson("/apis/v2beta1/experiments", { display_name: `bench-exp-${tag}` });
  const tiny = makePipelineYaml(500, `bench-run-pipeline`);
  const { body, headers } = uploadBody(tiny);
  const pipe = JSON.parse(
    await call("POST", `/apis/v2beta1/pipelines/upload?name=bench-run-pipeline-${tag}`, { body, headers }),
  );
  const versions = await getJson(`/apis/v2beta1/pipelines/${pipe.pipeline_id}/versions`);
  const version = versions.pipeline_versions?.[0];
  if (!version?.pipeline_version_id) throw new Error(`no version for ${pipe.pipeline_id}`);
  const r = await drive(
    (i) =>
      postJson("/apis/v2beta1/runs", {
        display_name: `bench-run-${String(i).padStart(5, "0")}-${i % 2 === 0 ? "even" : "odd"}`,
        experiment_id: exp.experiment_id,
        pipeline_version_reference: {
          pipeline_id: pipe.pipeline_id,
          pipeline_version_id: version.pipeline_version_id,
        },
      }),
    { concurrency: 16, max: n, ms: 10 * 60_000 },
  );
  if (r.count !== n) throw new Error(`seeded ${r.count} of ${n} runs`);
  const seedMs = performance.now() - t0;
  // Let the simulated lifecycles finish (bounded poll), so the list figure measures a settled server.
  const t1 = performance.now();
  const active = encodeURIComponent(
    encodeURIComponent(
      JSON.stringify({
        predicates: [{ key: "state", operation: "IN", string_values: { values: ["PENDING", "RUNNING"] } }],
      }),
    ),
  );
  let left = -1;
  for (let i = 0; i < 1200 && left !== 0; i++) {
    if (i > 0) await new Promise((res) => setTimeout(res, 100));
    const page = await getJson(`/apis/v2beta1/runs?page_size=1&filter=${active}`);
    left = page.total_size ?? 0;
  }
  return {
    created: r.count,
    seedMs,
    settleMs: performance.now() - t1,
    stillActive: left,
    experimentId: exp.experiment_id,
  };
}

const TOKEN_KEY = Buffer.from('"next_page_token":"');
const RUN_PAGE_START = Buffer.from('{"runs":[{');

/** The `next_page_token` of a list response body, found by a byte search (undefined on the last page). */
function nextPageToken(buf) {
  const at = buf.lastIndexOf(TOKEN_KEY);
  if (at < 0) return undefined;
  const start = at + TOKEN_KEY.length;
  return buf.toString("latin1", start, buf.indexOf(0x22, start));
}

/** Walk every page of the filtered, sorted run list once and check it is complete and ordered. */
async function verifyRunWalk(expected) {
  const seen = new Set();
  let token;
  let pages = 0;
  let prev;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await getJson(runListQuery(token));
    pages++;
    for (const run of page.runs ?? []) {
      if (seen.has(run.run_id)) throw new Error(`run ${run.run_id} listed twice`);
      if (!run.display_name.includes("-even")) throw new Error(`filter leak: ${run.display_name}`);
      if (prev !== undefined && run.created_at > prev) throw new Error("runs not sorted by created_at desc");
      prev = run.created_at;
      seen.add(run.run_id);
    }
    if (page.total_size !== undefined && expected !== undefined && page.total_size !== expected) {
      throw new Error(`total_size ${page.total_size}, expected ${expected}`);
    }
    token = page.next_page_token;
    if (!token) break;
  }
  if (expected !== undefined && seen.size !== expected)
    throw new Error(`walk saw ${seen.size} of ${expected}`);
  return { matched: seen.size, pages };
}

let fn;
let extra = {};
if (scenario === "healthz") {
  fn = lean
    ? () =>
        lean.get("/apis/v2beta1/healthz", (r) => {
          if (r.status !== 200 || r.bodyBytes === 0) throw new Error(`healthz: HTTP ${r.status}`);
        })
    : () => call("GET", "/apis/v2beta1/healthz");
} else if (scenario === "upload") {
  const yaml = args.file ? readFileSync(String(args.file), "utf8") : makePipelineYaml(20_000);
  const { body, headers } = uploadBody(yaml);
  fn = (i) => call("POST", `/apis/v2beta1/pipelines/upload?name=bench-${tag}-${i}`, { body, headers });
} else if (scenario === "list-pipelines") {
  fn = () => call("GET", `/apis/v2beta1/pipelines?page_size=20`);
} else if (scenario === "list-runs") {
  // Each worker walks the filtered, sorted list page by page and starts over at the end.
  const expected = args.expect === undefined ? undefined : num(args.expect);
  extra = await verifyRunWalk(expected);
  // Cursor slots: at concurrency 1 this is one sequential walk; above it, slots may be shared
  // between workers now and then, which only repeats a (valid) page request.
  const cursors = new Map();
  // A timed call is one round trip: the request, and the whole response body received. The body is
  // parsed and checked in full by verifyRunWalk above; here only the next page token is looked up (it
  // is the last key the server writes), so neither the client's text decoding nor its JSON.parse of a ~400 KB page is
  // counted as server time.
  fn = async (i) => {
    const slot = i % concurrency;
    const token = cursors.get(slot);
    const { head, tail } = await getPageEnds(runListQuery(token));
    if (head.compare(RUN_PAGE_START, 0, RUN_PAGE_START.length, 0, RUN_PAGE_START.length) !== 0) {
      throw new Error(`not a run page: ${head}`);
    }
    cursors.set(slot, nextPageToken(tail));
  };
} else if (scenario === "seed-runs") {
  const result = await seedRuns(num(args.runs, 10_000));
  await dispatcher.close();
  report({ scenario, ...result });
  process.exit(0);
} else {
  throw new Error(`unknown scenario ${scenario}`);
}

const wu = await drive(fn, { concurrency, max: warmup, ms: warmupMs });
await commandLoop(fn, {
  concurrency,
  start: wu.count,
  close: async () => {
    lean?.close();
    await dispatcher.close();
  },
  report,
  beforeWindow: takeGc,
  extra: takeGc,
  ready: { scenario, concurrency, warmupCount: wu.count, ...extra },
});
