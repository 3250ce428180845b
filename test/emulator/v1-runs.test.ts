/**
 * The legacy v1beta1 experiment, run and job routes (FACTS.md §14): v1 shapes (`id`/`name`,
 * `resource_references`, `STORAGESTATE_*`, run `status` strings, `{run, pipeline_runtime}`), `op`
 * filters, `resource_reference_key` scoping, and that both API versions see the same objects.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { MINIMAL_SPEC } from "./helpers/http.js";
import { hasShared } from "./helpers/shared.js";
import { api, detail, specObject, specText, uploadPipeline, waitFinished } from "./runs-fixtures.js";

const EPOCH = "1970-01-01T00:00:00Z";
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe.skipIf(!hasShared)("v1beta1 experiments, runs and jobs", () => {
  let emu: Emulator;
  let p: { pipelineId: string; versionId: string };
  beforeAll(async () => {
    emu = await startEmulator({ lifecycle: { tickMs: 1 } });
    p = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step");
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("experiments: v1 shape, op filters, archive state names, reference key checks", async () => {
    const created = await api(emu).post("/apis/v1beta1/experiments", {
      name: "v1-exp",
      description: "d",
      resource_references: [{ key: { type: "NAMESPACE", id: "ignored" }, relationship: "OWNER" }],
    });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: "v1-exp",
      description: "d",
      created_at: expect.stringMatching(TS),
      resource_references: [{ key: { type: "NAMESPACE" }, relationship: "OWNER" }],
      storage_state: "STORAGESTATE_AVAILABLE",
    });
    const id = created.body.id as string;
    const v2 = await api(emu).get(`/apis/v2beta1/experiments/${id}`);
    expect(v2.body.display_name).toBe("v1-exp");
    const filter = JSON.stringify({ predicates: [{ key: "name", op: "EQUALS", string_value: "v1-exp" }] });
    const list = await api(emu).get(`/apis/v1beta1/experiments?filter=${encodeURIComponent(filter)}`);
    expect(list.body.experiments.map((e: { id: string }) => e.id)).toEqual([id]);
    // a v2 `operation` key is an unknown field in a v1 filter
    const v2filter = JSON.stringify({
      predicates: [{ key: "name", operation: "EQUALS", string_value: "x" }],
    });
    expect(
      (await api(emu).get(`/apis/v1beta1/experiments?filter=${encodeURIComponent(v2filter)}`)).status,
    ).toBe(400);
    const wrongKey = await api(emu).get(
      `/apis/v1beta1/experiments?resource_reference_key.type=EXPERIMENT&resource_reference_key.id=${id}`,
    );
    expect(wrongKey.status).toBe(400);
    expect(detail(wrongKey)).toContain("It must be of type 'Namespace'");
    expect((await api(emu).post(`/apis/v1beta1/experiments/${id}:archive`)).body).toEqual({});
    expect((await api(emu).get(`/apis/v1beta1/experiments/${id}`)).body.storage_state).toBe(
      "STORAGESTATE_ARCHIVED",
    );
    await api(emu).post(`/apis/v1beta1/experiments/${id}:unarchive`);
    expect((await api(emu).del(`/apis/v1beta1/experiments/${id}`)).status).toBe(200);
    expect((await api(emu).get(`/apis/v1beta1/experiments/${id}`)).status).toBe(404);
    const noName = await api(emu).post("/apis/v1beta1/experiments", { description: "x" });
    expect(noName.status).toBe(500);
  });

  it("runs: create with resource references → {run, pipeline_runtime}; status strings; v2 sees the same run", async () => {
    const exp = (await api(emu).post("/apis/v2beta1/experiments", { display_name: "v1-runs" })).body
      .experiment_id;
    const r = await api(emu).post("/apis/v1beta1/runs", {
      name: "v1-run",
      resource_references: [
        { key: { type: "EXPERIMENT", id: exp }, relationship: "OWNER" },
        { key: { type: "PIPELINE_VERSION", id: p.versionId }, relationship: "CREATOR" },
      ],
      pipeline_spec: { parameters: [{ name: "text", value: "hi" }] },
    });
    expect(r.status, r.text).toBe(200);
    const run = r.body.run;
    expect(run).toMatchObject({
      id: expect.any(String),
      name: "v1-run",
      pipeline_spec: { pipeline_id: p.pipelineId, parameters: [{ name: "text", value: "hi" }] },
      resource_references: [
        { key: { type: "EXPERIMENT", id: exp }, relationship: "OWNER" },
        { key: { type: "PIPELINE_VERSION", id: p.versionId }, relationship: "CREATOR" },
      ],
      service_account: "pipeline-runner",
      created_at: expect.stringMatching(TS),
      finished_at: EPOCH,
      status: "Pending",
    });
    expect(run.storage_state).toBeUndefined(); // STORAGESTATE_AVAILABLE is the enum's zero value
    expect(run.pipeline_spec.pipeline_manifest).toContain("simple-two-step-pipeline");
    expect(Object.keys(r.body.pipeline_runtime)).toEqual(["pipeline_manifest"]);
    await waitFinished(emu, run.id);
    const got = (await api(emu).get(`/apis/v1beta1/runs/${run.id}`)).body;
    expect(got.run.status).toBe("Succeeded");
    const wf = JSON.parse(got.pipeline_runtime.workflow_manifest);
    expect(wf.status.phase).toBe("Succeeded");
    expect(
      Object.values(wf.status.nodes as Record<string, { displayName: string }>).map((n) => n.displayName),
    ).toContain("write-to-gcs-driver");
    const v2 = (await api(emu).get(`/apis/v2beta1/runs/${run.id}`)).body;
    expect(v2.experiment_id).toBe(exp);
    expect(v2.state).toBe("SUCCEEDED");

    // list scoped by experiment; v1 `op` filter on the v1 status column
    const byExp = await api(emu).get(
      `/apis/v1beta1/runs?resource_reference_key.type=EXPERIMENT&resource_reference_key.id=${exp}`,
    );
    expect(byExp.body.runs.map((x: { id: string }) => x.id)).toEqual([run.id]);
    const f = JSON.stringify({ predicates: [{ key: "status", op: "EQUALS", string_value: "Succeeded" }] });
    const filtered = await api(emu).get(
      `/apis/v1beta1/runs?resource_reference_key.type=EXPERIMENT&resource_reference_key.id=${exp}&filter=${encodeURIComponent(f)}`,
    );
    expect(filtered.body.total_size).toBe(1);

    // v1 run metrics
    const metric = { name: "accuracy", node_id: "node-1", number_value: 0.9, format: "PERCENTAGE" };
    const rep = await api(emu).post(`/apis/v1beta1/runs/${run.id}:reportMetrics`, {
      metrics: [metric, { ...metric, name: "9bad" }, metric],
    });
    expect(rep.status, rep.text).toBe(200);
    expect(rep.body.results).toEqual([
      { metric_name: "accuracy", metric_node_id: "node-1", status: "OK" },
      { metric_name: "9bad", metric_node_id: "node-1", status: "INVALID_ARGUMENT" },
      {
        metric_name: "accuracy",
        metric_node_id: "node-1",
        status: "DUPLICATE_REPORTING",
        message: "Failed to create a run metric. Same metric has been reported before: node-1/accuracy",
      },
    ]);
    expect((await api(emu).get(`/apis/v1beta1/runs/${run.id}`)).body.run.metrics).toEqual([metric]);
    expect((await api(emu).post("/apis/v1beta1/runs/nope:reportMetrics", { metrics: [] })).status).toBe(404);

    // archive shows the v1 name; terminate of a finished run is refused; retry of a succeeded one too
    await api(emu).post(`/apis/v1beta1/runs/${run.id}:archive`);
    expect((await api(emu).get(`/apis/v1beta1/runs/${run.id}`)).body.run.storage_state).toBe(
      "STORAGESTATE_ARCHIVED",
    );
    expect((await api(emu).post(`/apis/v1beta1/runs/${run.id}/terminate`)).status).toBe(400);
    expect((await api(emu).post(`/apis/v1beta1/runs/${run.id}/retry`)).status).toBe(409);
    expect((await api(emu).del(`/apis/v1beta1/runs/${run.id}`)).status).toBe(200);
    expect((await api(emu).get(`/apis/v1beta1/runs/${run.id}`)).status).toBe(404);
  });

  it("runs: an inline pipeline_manifest and the name fallback to pipeline_name", async () => {
    const r = await api(emu).post("/apis/v1beta1/runs", {
      pipeline_spec: {
        pipeline_name: "from-manifest",
        pipeline_manifest: JSON.stringify(specObject("two_step_pipeline.yaml")),
      },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.run.name).toBe("from-manifest");
    expect(r.body.run.resource_references).toEqual([
      { key: { type: "EXPERIMENT", id: expect.any(String) }, relationship: "OWNER" },
    ]);
    await waitFinished(emu, r.body.run.id);
    const v2 = (await api(emu).get(`/apis/v2beta1/runs/${r.body.run.id}`)).body;
    expect(v2.pipeline_spec.pipelineInfo.name).toBe("simple-two-step-pipeline");
    const noName = await api(emu).post("/apis/v1beta1/runs", {
      pipeline_spec: { pipeline_id: p.pipelineId },
    });
    expect(noName.status).toBe(500);
    expect(noName.body.message).toContain("Run name cannot be empty");
  });

  it("jobs: a pipeline id pins its latest version; v1 shape; enable/disable; list key jobs", async () => {
    const created = await api(emu).post("/apis/v1beta1/jobs", {
      name: "v1-job",
      enabled: true,
      max_concurrency: "2",
      pipeline_spec: { pipeline_id: p.pipelineId },
      trigger: { cron_schedule: { cron: "0 0 0 1 1 *", start_time: "2030-01-01T00:00:00Z" } },
    });
    expect(created.status, created.text).toBe(200);
    const job = created.body;
    expect(job).toEqual({
      id: expect.any(String),
      name: "v1-job",
      pipeline_spec: { pipeline_id: p.pipelineId, pipeline_name: "two-step" },
      resource_references: [
        { key: { type: "NAMESPACE", id: "kubeflow" }, relationship: "OWNER" },
        { key: { type: "EXPERIMENT", id: expect.any(String) }, relationship: "OWNER" },
        { key: { type: "PIPELINE", id: p.pipelineId }, relationship: "CREATOR" },
        { key: { type: "PIPELINE_VERSION", id: p.versionId }, relationship: "CREATOR" },
      ],
      service_account: "pipeline-runner",
      max_concurrency: "2",
      trigger: { cron_schedule: { start_time: "2030-01-01T00:00:00Z", cron: "0 0 0 1 1 *" } },
      created_at: expect.stringMatching(TS),
      updated_at: expect.stringMatching(TS),
      status: "ENABLED",
      enabled: true,
    });
    const v2 = (await api(emu).get(`/apis/v2beta1/recurringruns/${job.id}`)).body;
    expect(v2).toMatchObject({ mode: "ENABLE", status: "ENABLED" });
    const list = await api(emu).get("/apis/v1beta1/jobs");
    expect(list.body.jobs.map((j: { id: string }) => j.id)).toContain(job.id);
    expect((await api(emu).post(`/apis/v1beta1/jobs/${job.id}/disable`)).body).toEqual({});
    const disabled = (await api(emu).get(`/apis/v1beta1/jobs/${job.id}`)).body;
    expect(disabled.status).toBe("DISABLED");
    expect(disabled.enabled).toBeUndefined();
    await api(emu).post(`/apis/v1beta1/jobs/${job.id}/enable`);
    expect((await api(emu).get(`/apis/v1beta1/jobs/${job.id}`)).body.enabled).toBe(true);
    const bad = await api(emu).post("/apis/v1beta1/jobs", {
      name: "bad",
      max_concurrency: "1",
      pipeline_spec: { pipeline_id: p.pipelineId },
      trigger: { cron_schedule: { cron: "bad" } },
    });
    expect(bad.status).toBe(400);
    expect(detail(bad)).toBe(
      "Schedule cron is not a supported format(https://godoc.org/github.com/robfig/cron). Error: Expected 5 to 6 fields, found 1: bad",
    );
    expect((await api(emu).del(`/apis/v1beta1/jobs/${job.id}`)).status).toBe(200);
    expect((await api(emu).get(`/apis/v1beta1/jobs/${job.id}`)).status).toBe(404);
  });
});

describe("runs sorted by a v1 run metric (sort_by=metric:<name>)", () => {
  let emu: Emulator;
  let exp: string;
  // run index → its metrics (name, value); index 3 has none, index 5 spells the name in capitals.
  const metrics: Array<[string, number] | undefined> = [
    ["accuracy", 0.5],
    ["accuracy", 0.9],
    ["accuracy", 0.7],
    undefined,
    ["accuracy", 0.7],
    ["Accuracy", 0.1],
  ];
  const ids: string[] = [];
  beforeAll(async () => {
    emu = await startEmulator({ lifecycle: { tickMs: 1 } });
    exp = (await api(emu).post("/apis/v2beta1/experiments", { display_name: "metric-sort" })).body
      .experiment_id as string;
    const pipe = await uploadPipeline(emu, MINIMAL_SPEC("metric-sort"), "metric-sort");
    for (let i = 0; i < metrics.length; i++) {
      const r = await api(emu).post("/apis/v2beta1/runs", {
        display_name: `m${i}`,
        experiment_id: exp,
        pipeline_version_reference: { pipeline_id: pipe.pipelineId, pipeline_version_id: pipe.versionId },
      });
      expect(r.status, r.text).toBe(200);
      ids.push(r.body.run_id as string);
      await waitFinished(emu, r.body.run_id as string);
      const m = metrics[i];
      if (m) {
        const rep = await api(emu).post(`/apis/v1beta1/runs/${r.body.run_id}:reportMetrics`, {
          metrics: [{ name: m[0], node_id: "node-1", number_value: m[1], format: "RAW" }],
        });
        expect(rep.body.results[0].status, rep.text).toBe("OK");
      }
    }
  });
  afterAll(async () => {
    await emu?.close();
  });

  const list = (query: string) => api(emu).get(`/apis/v1beta1/runs?${query}`);
  const names = (r: { body: { runs?: { name: string }[] } }) => (r.body.runs ?? []).map((x) => x.name);
  /** The two runs tied at 0.7, in primary-key order. */
  const tied = () => [`m2`, `m4`].sort((a, b) => (ids[Number(a[1])]! < ids[Number(b[1])]! ? -1 : 1));

  it("orders by the metric (no metric = SQL NULL, first ascending, last descending), ties by id", async () => {
    const asc = await list("sort_by=metric:accuracy&page_size=10");
    expect(asc.status, asc.text).toBe(200);
    // The SQL join matches names case-insensitively, so m5's "Accuracy" counts here.
    expect(names(asc)).toEqual(["m3", "m5", "m0", ...tied(), "m1"]);
    expect(asc.body.total_size).toBe(6);
    const desc = await list("sort_by=METRIC:Accuracy%20desc&page_size=10");
    expect(names(desc)).toEqual(["m1", ...tied().reverse(), "m0", "m5", "m3"]);
    // v2beta1 and v2 runs accept it too.
    const v2 = await api(emu).get("/apis/v2beta1/runs?sort_by=metric:accuracy&page_size=10");
    expect(v2.body.runs.map((x: { display_name: string }) => x.display_name)).toEqual(names(asc));
  });

  it("pages with tokens; rows without the metric drop out after a cursor, as in the SQL keyset query", async () => {
    const p1 = await list("sort_by=metric:accuracy%20desc&page_size=3");
    expect(names(p1)).toEqual(["m1", ...tied().reverse()]);
    const token = p1.body.next_page_token as string;
    const decoded = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
    expect(decoded).toMatchObject({
      SortByFieldName: "accuracy",
      SortBySQLColumn: "sort_metric_value",
      SortByFieldValue: 0.5,
      SortByFieldPrefix: "",
      IsDesc: true,
    });
    const p2 = await list(`page_size=3&page_token=${encodeURIComponent(token)}`);
    expect(p2.status, p2.text).toBe(200);
    // `metric < 0.5 OR (metric = 0.5 AND id <= …)`: m3 (NULL) never comes back.
    expect(names(p2)).toEqual(["m0", "m5"]);
    expect(p2.body.next_page_token).toBeUndefined();
    expect(p2.body.total_size).toBe(6);
    // The token must be used with the same criteria.
    const same = await list(`sort_by=metric:accuracy%20desc&page_token=${encodeURIComponent(token)}`);
    expect(same.status, same.text).toBe(200);
    const other = await list(`sort_by=created_at%20desc&page_token=${encodeURIComponent(token)}`);
    expect(other.status).toBe(400);
    expect(other.text).toContain("page token does not match");
  });

  it("fails the list when the first row of the next page has no such metric (Go's exact name lookup)", async () => {
    // Ascending, page 1 = [m3]; the next row is m5, whose metric is "Accuracy", not "accuracy".
    const r = await list("sort_by=metric:accuracy&page_size=1");
    expect(r.status).toBe(400);
    expect(r.text).toContain('cannot sort by field \\"accuracy\\" on type \\"Run\\"');
    // Descending, the row after m5 is m3 (no metric at all).
    expect((await list("sort_by=metric:accuracy%20desc&page_size=5")).status).toBe(400);
    // A metric nobody reported: every row is NULL; one page is fine, a second cannot be made.
    expect(names(await list("sort_by=metric:loss&page_size=10"))).toEqual(
      [...ids].sort().map((id) => `m${ids.indexOf(id)}`),
    );
    expect((await list("sort_by=metric:loss&page_size=2")).status).toBe(400);
  });

  it("is a run-only sort", async () => {
    const r = await api(emu).get("/apis/v1beta1/experiments?sort_by=metric:accuracy");
    expect(r.status).toBe(400);
    expect(r.text).toContain("Invalid sorting field");
    expect((await api(emu).get("/apis/v2beta1/pipelines?sort_by=metric:accuracy")).status).toBe(400);
  });
});
