/**
 * Runs over real HTTP (FACTS.md §7.3, §7.4, §8, §11; PIPELINE-SPEC.md §4, §5.2): creation from every
 * source, error statuses, the simulated lifecycle awaited by event, list scoping, archive, delete,
 * terminate, retry, artifacts and multi-user isolation.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { call } from "./helpers/http.js";
import { hasShared } from "./helpers/shared.js";
import {
  api,
  detail,
  engineOf,
  specObject,
  specText,
  uploadPipeline,
  waitFinished,
  waitState,
} from "./runs-fixtures.js";

const EPOCH = "1970-01-01T00:00:00Z";
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.skipIf(!hasShared)("runs (single-user)", () => {
  let emu: Emulator;
  let two: { pipelineId: string; versionId: string };
  let defaultExp: string;
  beforeAll(async () => {
    emu = await startEmulator({ lifecycle: { tickMs: 1 } });
    two = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step");
    defaultExp = (await api(emu).get("/apis/v2beta1/experiments")).body.experiments[0].experiment_id;
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("create from a version reference: PENDING, one history entry, defaults", async () => {
    const r = await api(emu).post("/apis/v2beta1/runs", {
      display_name: "r1",
      description: "first",
      pipeline_version_reference: { pipeline_id: two.pipelineId, pipeline_version_id: two.versionId },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      experiment_id: defaultExp,
      run_id: expect.stringMatching(UUID),
      display_name: "r1",
      storage_state: "AVAILABLE",
      description: "first",
      pipeline_version_reference: { pipeline_id: two.pipelineId, pipeline_version_id: two.versionId },
      service_account: "pipeline-runner",
      created_at: expect.stringMatching(TS),
      scheduled_at: r.body.created_at,
      finished_at: EPOCH,
      state: "PENDING",
      state_history: [{ update_time: r.body.created_at, state: "PENDING" }],
    });
    expect(r.body.runtime_config).toBeUndefined();
    expect(r.body.run_details).toBeUndefined();
  });

  it("the lifecycle runs to SUCCEEDED (awaited by event) with the Argo-derived task details", async () => {
    const r = await api(emu).post("/apis/v2beta1/runs", {
      display_name: "life",
      pipeline_version_reference: { pipeline_id: two.pipelineId, pipeline_version_id: two.versionId },
    });
    const rec = await waitFinished(emu, r.body.run_id);
    expect(rec.state).toBe("SUCCEEDED");
    const got = (await api(emu).get(`/apis/v2beta1/runs/${r.body.run_id}`)).body;
    expect(got.state).toBe("SUCCEEDED");
    expect(got.state_history.map((h: { state: string }) => h.state)).toEqual([
      "PENDING",
      "RUNNING",
      "SUCCEEDED",
    ]);
    expect(got.finished_at).toMatch(TS);
    expect(got.finished_at).not.toBe(EPOCH);
    const tasks = got.run_details.task_details as Record<string, unknown>[];
    expect(tasks.map((t) => t.display_name).slice(1)).toEqual([
      "root-driver",
      "root",
      "write-to-gcs-driver",
      "write-to-gcs",
      "executor",
      "read-from-gcs-driver",
      "read-from-gcs",
      "executor",
    ]);
    expect(tasks[0]!.display_name).toMatch(/^simple-two-step-pipeline-[a-z0-9]{5}$/);
    for (const t of tasks) {
      expect(t).toMatchObject({ run_id: r.body.run_id, state: "SUCCEEDED", create_time: got.created_at });
      expect(t.task_id).toMatch(UUID);
      expect(t.start_time).toMatch(TS);
      expect(t.execution_id).toBeUndefined();
      expect(t.pod_name).toBeUndefined();
    }
    const driver = tasks.find((t) => t.display_name === "root-driver")!;
    expect(driver.child_tasks).toEqual([
      { pod_name: expect.stringMatching(/^simple-two-step-pipeline-[a-z0-9]{5}-\d+$/) },
    ]);
    // the stable /apis/v2 schema has no task_details but a pipeline_reference
    const v2 = (await api(emu).get(`/apis/v2/runs/${r.body.run_id}`)).body;
    expect(v2.run_details).toBeUndefined();
    expect(v2.pipeline_reference).toEqual(got.pipeline_version_reference);
  });

  it("create from a pipeline id resolves the latest version", async () => {
    const up = await call(
      emu.url,
      "GET",
      `/apis/v2beta1/pipelines/${two.pipelineId}/versions?sort_by=created_at%20desc`,
    );
    const latest = up.body.pipeline_versions[0].pipeline_version_id;
    const r = await api(emu).post("/apis/v2beta1/runs", {
      display_name: "latest",
      pipeline_version_reference: { pipeline_id: two.pipelineId },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.pipeline_version_reference).toEqual({
      pipeline_id: two.pipelineId,
      pipeline_version_id: latest,
    });
  });

  it("create from an inline spec echoes it, also in the {pipeline_spec, platform_spec} form", async () => {
    const spec = specObject("two_step_pipeline.yaml");
    const r = await api(emu).post("/apis/v2beta1/runs", { display_name: "inline", pipeline_spec: spec });
    expect(r.status, r.text).toBe(200);
    expect(r.body.pipeline_spec).toEqual(spec);
    expect(r.body.pipeline_version_reference).toBeUndefined();
    const platform = { platforms: { kubernetes: { deploymentSpec: { executors: {} } } } };
    const both = await api(emu).post("/apis/v2beta1/runs", {
      display_name: "inline-platform",
      pipeline_spec: { pipeline_spec: spec, platform_spec: platform },
    });
    expect(both.status, both.text).toBe(200);
    expect(both.body.pipeline_spec).toEqual({ pipeline_spec: spec, platform_spec: platform });
    await waitFinished(emu, both.body.run_id);
  });

  it("source failures are 500s; the deprecated pipeline_version_id is ignored", async () => {
    const cases = [
      { pipeline_version_reference: { pipeline_version_id: "nope" } },
      { pipeline_version_reference: { pipeline_id: "nope" } },
      { pipeline_version_reference: { pipeline_id: defaultExp, pipeline_version_id: two.versionId } },
      { pipeline_version_id: two.versionId },
      {},
      { pipeline_spec: { pipelineInfo: { name: "x" } } },
    ];
    for (const c of cases) {
      const r = await api(emu).post("/apis/v2beta1/runs", { display_name: "bad", ...c });
      expect(r.status, JSON.stringify(c)).toBe(500);
      expect(r.body.code).toBe(13);
      expect(detail(r)).toBe("Internal Server Error");
      expect(r.body.message).toContain("Failed to create a run due to error fetching manifest");
    }
  });

  it("other create errors: empty name 500, unknown experiment 404, plugins_output 409, two sources 400, compile 500", async () => {
    const ref = { pipeline_version_reference: { pipeline_id: two.pipelineId } };
    const noName = await api(emu).post("/apis/v2beta1/runs", ref);
    expect(noName.status).toBe(500);
    expect(noName.body.message).toContain("Run name cannot be empty");
    const exp = await api(emu).post("/apis/v2beta1/runs", {
      display_name: "x",
      experiment_id: "nope",
      ...ref,
    });
    expect(exp.status).toBe(404);
    expect(detail(exp)).toBe("Experiment nope not found");
    const plug = await api(emu).post("/apis/v2beta1/runs", { display_name: "x", plugins_output: {}, ...ref });
    expect(plug.status).toBe(409);
    expect(detail(plug)).toBe(
      "plugins_output is server-owned and populated exclusively via plugin lifecycle hooks",
    );
    const two_ = await api(emu).post("/apis/v2beta1/runs", {
      display_name: "x",
      pipeline_spec: specObject("two_step_pipeline.yaml"),
      ...ref,
    });
    expect(two_.status).toBe(400);
    expect(two_.body.message).toContain("oneof");
    const broken = specObject("two_step_pipeline.yaml") as {
      root: { dag: { tasks: Record<string, { componentRef: { name: string } }> } };
    };
    broken.root.dag.tasks["read-from-gcs"]!.componentRef.name = "comp-missing";
    const comp = await api(emu).post("/apis/v2beta1/runs", { display_name: "x", pipeline_spec: broken });
    expect(comp.status).toBe(500);
    expect(comp.body.message).toMatch(/^Internal error: /);
    expect(comp.body.message).toContain('cannot find component ref name="comp-missing"');
  });

  it("list: experiment scoping, namespace ignored, pagination, filters and sorting", async () => {
    const e1 = (await api(emu).post("/apis/v2beta1/experiments", { display_name: "list-a" })).body
      .experiment_id;
    const e2 = (await api(emu).post("/apis/v2beta1/experiments", { display_name: "list-b" })).body
      .experiment_id;
    const ids: string[] = [];
    for (const [name, exp] of [
      ["a1", e1],
      ["a2", e1],
      ["b1", e2],
    ] as const) {
      const r = await api(emu).post("/apis/v2beta1/runs", {
        display_name: name,
        experiment_id: exp,
        pipeline_version_reference: { pipeline_id: two.pipelineId },
      });
      ids.push(r.body.run_id);
    }
    const a = await api(emu).get(`/apis/v2beta1/runs?experiment_id=${e1}&namespace=whatever`);
    expect(a.body.total_size).toBe(2);
    expect(a.body.runs.map((r: { display_name: string }) => r.display_name).sort()).toEqual(["a1", "a2"]);
    const p1 = await api(emu).get(
      `/apis/v2beta1/runs?experiment_id=${e1}&page_size=1&sort_by=display_name%20desc`,
    );
    expect(p1.body.runs.map((r: { display_name: string }) => r.display_name)).toEqual(["a2"]);
    expect(p1.body.total_size).toBe(2);
    const p2 = await api(emu).get(
      `/apis/v2beta1/runs?experiment_id=${e1}&page_size=1&page_token=${encodeURIComponent(p1.body.next_page_token)}`,
    );
    expect(p2.body.runs.map((r: { display_name: string }) => r.display_name)).toEqual(["a1"]);
    expect(p2.body.next_page_token).toBeUndefined();
    const all = await api(emu).get("/apis/v2beta1/runs?namespace=anything&page_size=200");
    expect(all.body.runs.length).toBe(all.body.total_size);
    expect(all.body.total_size).toBeGreaterThanOrEqual(3);
    const filter = JSON.stringify({
      predicates: [{ key: "display_name", operation: "IN", string_values: { values: ["a1", "b1"] } }],
    });
    const f = await api(emu).get(`/apis/v2beta1/runs?filter=${encodeURIComponent(filter)}`);
    expect(f.body.runs.map((r: { display_name: string }) => r.display_name).sort()).toEqual(["a1", "b1"]);
    const unknown = await api(emu).get("/apis/v2beta1/runs?experiment_id=nope");
    expect(unknown.status).toBe(404);
    for (const id of ids) await waitFinished(emu, id);
    const byState = JSON.stringify({
      predicates: [{ key: "state", operation: "EQUALS", string_value: "SUCCEEDED" }],
    });
    const s = await api(emu).get(
      `/apis/v2beta1/runs?experiment_id=${e2}&filter=${encodeURIComponent(byState)}`,
    );
    expect(s.body.total_size).toBe(1);
  });

  it("archive, unarchive, delete; unknown ids → 404", async () => {
    const r = (
      await api(emu).post("/apis/v2beta1/runs", {
        display_name: "arch",
        pipeline_version_reference: { pipeline_id: two.pipelineId },
      })
    ).body;
    expect((await api(emu).post(`/apis/v2beta1/runs/${r.run_id}:archive`)).body).toEqual({});
    expect((await api(emu).get(`/apis/v2beta1/runs/${r.run_id}`)).body.storage_state).toBe("ARCHIVED");
    expect((await api(emu).post(`/apis/v2beta1/runs/${r.run_id}:unarchive`)).status).toBe(200);
    expect((await api(emu).get(`/apis/v2beta1/runs/${r.run_id}`)).body.storage_state).toBe("AVAILABLE");
    expect((await api(emu).del(`/apis/v2beta1/runs/${r.run_id}`)).status).toBe(200);
    const gone = await api(emu).get(`/apis/v2beta1/runs/${r.run_id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe(
      `Failed to get a run: Failed to fetch run ${r.run_id}: ResourceNotFoundError: Run ${r.run_id} not found`,
    );
    for (const verb of [":archive", ":unarchive", ":terminate", ":retry"]) {
      expect((await api(emu).post(`/apis/v2beta1/runs/nope${verb}`)).status).toBe(404);
    }
    expect((await api(emu).del("/apis/v2beta1/runs/nope")).status).toBe(404);
  });

  it("terminate/retry of a finished successful run are refused (400 / 409)", async () => {
    const r = (
      await api(emu).post("/apis/v2beta1/runs", {
        display_name: "done",
        pipeline_version_reference: { pipeline_id: two.pipelineId },
      })
    ).body;
    await waitFinished(emu, r.run_id);
    const t = await api(emu).post(`/apis/v2beta1/runs/${r.run_id}:terminate`);
    expect(t.status).toBe(400);
    expect(detail(t)).toBe(`Failed to terminate a run ${r.run_id}. Row not found`);
    const rt = await api(emu).post(`/apis/v2beta1/runs/${r.run_id}:retry`);
    expect(rt.status).toBe(409);
    expect(detail(rt)).toBe("Workflow must be Failed/Error to retry");
  });

  it("artifacts: output artifacts of succeeded executors read as base64; others 404", async () => {
    const r = (
      await api(emu).post("/apis/v2beta1/runs", {
        display_name: "art",
        pipeline_version_reference: { pipeline_id: two.pipelineId },
      })
    ).body;
    await waitFinished(emu, r.run_id);
    const got = (await api(emu).get(`/apis/v2beta1/runs/${r.run_id}`)).body;
    const tasks = got.run_details.task_details as {
      display_name: string;
      child_tasks?: { pod_name: string }[];
    }[];
    const producer = tasks.find((t) => t.display_name === "write-to-gcs")!;
    const node = producer.child_tasks![0]!.pod_name;
    const ok = await api(emu).get(
      `/apis/v2beta1/runs/${r.run_id}/nodes/${node}/artifacts/output_gcs_path:read`,
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/json");
    expect(Buffer.from(ok.body.data, "base64").toString()).toBe(
      `write-to-gcs/output_gcs_path of run ${r.run_id}\n`,
    );
    const v1 = await api(emu).get(
      `/apis/v1beta1/runs/${r.run_id}/nodes/${node}/artifacts/output_gcs_path:read`,
    );
    expect(v1.body).toEqual(ok.body);
    const logs = await api(emu).get(`/apis/v2beta1/runs/${r.run_id}/nodes/${node}/artifacts/main-logs:read`);
    expect(logs.status).toBe(200);
    const missing = await api(emu).get(`/apis/v2beta1/runs/${r.run_id}/nodes/${node}/artifacts/nope:read`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(missing.text).toBe(
      '{"error_message":"artifact not found: \\u003cnil\\u003e","error_details":"artifact not found: \\u003cnil\\u003e"}',
    );
    expect((await api(emu).get(`/apis/v2beta1/runs/nope/nodes/${node}/artifacts/x:read`)).status).toBe(404);
    // pod logs (v1alpha1 and the newer /apis/v2 path); failures are 200 with a JSON error body upstream
    const log = await api(emu).get(`/apis/v1alpha1/runs/${r.run_id}/nodes/${node}/log`);
    expect(log.status).toBe(200);
    expect(log.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(log.text).toContain(`of run ${r.run_id}: succeeded`);
    expect((await api(emu).get(`/apis/v2/runs/${r.run_id}/nodes/${node}/log`)).text).toBe(log.text);
    const noPod = await api(emu).get(`/apis/v1alpha1/runs/${r.run_id}/nodes/nope/log`);
    expect(noPod.status).toBe(200);
    expect(JSON.parse(noPod.text).error_message).toContain('pods "nope" not found');
    const noRun = await api(emu).get("/apis/v1alpha1/runs/nope/nodes/x/log");
    expect(JSON.parse(noRun.text).error_message).toContain("Run nope not found");
    const post = await api(emu).post(
      `/apis/v2beta1/runs/${r.run_id}/nodes/${node}/artifacts/output_gcs_path:read`,
    );
    expect(post.status).toBe(404);
    expect(post.body).toEqual({ code: 5, message: "Not Found" });
  });

  it("the /apis/v2 pod log is GET only (FACTS.md §S.1 item 5); the v1alpha1 one answers any method", async () => {
    const r = (
      await api(emu).post("/apis/v2beta1/runs", {
        display_name: "log-methods",
        pipeline_version_reference: { pipeline_id: two.pipelineId },
      })
    ).body;
    await waitFinished(emu, r.run_id);
    const rows = (await api(emu).get(`/apis/v2beta1/runs/${r.run_id}`)).body.run_details.task_details as {
      display_name: string;
      child_tasks?: { pod_name: string }[];
    }[];
    const node = rows.find((t) => t.display_name === "write-to-gcs")!.child_tasks![0]!.pod_name;
    const path = `/apis/v2/runs/${r.run_id}/nodes/${node}/log`;
    const get = await call(emu.url, "GET", path);
    expect(get.status).toBe(200);
    expect(get.text).toContain(`of run ${r.run_id}: succeeded`);
    emu.clearRequests();
    // Other methods fall through to the gateway, which has no such path.
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]) {
      const res = await call(emu.url, method, path, method === "POST" || method === "PUT" ? {} : undefined);
      expect(res.status, method).toBe(404);
      if (method !== "HEAD") expect(res.body, method).toEqual({ code: 5, message: "Not Found" });
    }
    // ... and are not recorded against the log route.
    const seen = emu.requests().filter((x) => x.path === path);
    expect(seen).toHaveLength(6);
    expect(seen.every((x) => x.route === undefined && x.status === 404)).toBe(true);
    const routes = (await call(emu.url, "GET", "/_emulator/routes")).body.routes as string[];
    expect(routes).toContain("GET /apis/v2/runs/{run_id}/nodes/{node_id}/log");
    expect(routes).toContain("* /apis/v1alpha1/runs/{run_id}/nodes/{node_id}/log");
    expect(routes).toContain("GET /apis/v2/runs/{run_id}/nodes/{node_id}/artifacts/{artifact_name}:read");
    const v1alpha1 = await call(emu.url, "POST", `/apis/v1alpha1/runs/${r.run_id}/nodes/${node}/log`, {});
    expect(v1alpha1.status).toBe(200);
    expect(v1alpha1.text).toBe(get.text);
  });
});

describe.skipIf(!hasShared)("terminate and retry", () => {
  let slow: Emulator;
  let failing: Emulator;
  beforeAll(async () => {
    slow = await startEmulator({ lifecycle: { tickMs: 2, podTicks: 100_000 } });
    failing = await startEmulator({ lifecycle: { tickMs: 1, failTasks: ["read-from-gcs"] } });
  });
  afterAll(async () => {
    await slow?.close();
    await failing?.close();
  });

  it("terminate: CANCELING at once (no history entry), then FAILED", async () => {
    const p = await uploadPipeline(slow, specText("two_step_pipeline.yaml"), "two-step");
    const r = (
      await api(slow).post("/apis/v2beta1/runs", {
        display_name: "t",
        pipeline_version_reference: { pipeline_id: p.pipelineId },
      })
    ).body;
    await waitState(slow, r.run_id, "RUNNING");
    expect((await api(slow).post(`/apis/v2beta1/runs/${r.run_id}:terminate`)).body).toEqual({});
    const now = (await api(slow).get(`/apis/v2beta1/runs/${r.run_id}`)).body;
    expect(["CANCELING", "FAILED"]).toContain(now.state);
    const done = await waitFinished(slow, r.run_id);
    expect(done.state).toBe("FAILED");
    const got = (await api(slow).get(`/apis/v2beta1/runs/${r.run_id}`)).body;
    expect(got.state_history.map((h: { state: string }) => h.state)).toEqual([
      "PENDING",
      "RUNNING",
      "CANCELING",
      "FAILED",
    ]);
    expect(got.finished_at).not.toBe(EPOCH);
    expect(got.error).toBeUndefined();
    const again = await api(slow).post(`/apis/v2beta1/runs/${r.run_id}:terminate`);
    expect(again.status).toBe(400);
    // a terminated (failed) run can be retried
    expect((await api(slow).post(`/apis/v2beta1/runs/${r.run_id}:retry`)).status).toBe(200);
    await waitState(slow, r.run_id, "RUNNING");
    await api(slow).post(`/apis/v2beta1/runs/${r.run_id}:terminate`);
    await waitFinished(slow, r.run_id);
  });

  it("terminate from PENDING works too", async () => {
    const p = await uploadPipeline(slow, specText("two_step_pipeline.yaml"), "two-step-p");
    const r = (
      await api(slow).post("/apis/v2beta1/runs", {
        display_name: "tp",
        pipeline_version_reference: { pipeline_id: p.pipelineId },
      })
    ).body;
    expect((await api(slow).post(`/apis/v2beta1/runs/${r.run_id}:terminate`)).status).toBe(200);
    const done = await waitFinished(slow, r.run_id);
    expect(done.state).toBe("FAILED");
  });

  it("a run can't be retried before its workflow is reported (409)", async () => {
    // The workflow is never reported here (startTicks is out of reach), so the run stays PENDING
    // with no workflow whatever the machine's speed.
    const unreported = await startEmulator({ lifecycle: { tickMs: 1_000, startTicks: 1_000_000 } });
    try {
      const p = await uploadPipeline(unreported, specText("two_step_pipeline.yaml"), "two-step-r");
      const r = (
        await api(unreported).post("/apis/v2beta1/runs", {
          display_name: "early",
          pipeline_version_reference: { pipeline_id: p.pipelineId },
        })
      ).body;
      const rt = await api(unreported).post(`/apis/v2beta1/runs/${r.run_id}:retry`);
      expect(rt.status).toBe(409);
      expect(detail(rt)).toBe(`Failed to retry run ${r.run_id} due to error fetching workflow manifest`);
      expect((await api(unreported).get(`/apis/v2beta1/runs/${r.run_id}`)).body.state).toBe("PENDING");
    } finally {
      await unreported.close();
    }
  });

  it("failure injection then retry: FAILED → RUNNING → SUCCEEDED, succeeded tasks kept", async () => {
    const p = await uploadPipeline(failing, specText("two_step_pipeline.yaml"), "two-step");
    const r = (
      await api(failing).post("/apis/v2beta1/runs", {
        display_name: "f",
        pipeline_version_reference: { pipeline_id: p.pipelineId },
      })
    ).body;
    const failed = await waitFinished(failing, r.run_id);
    expect(failed.state).toBe("FAILED");
    const before = (await api(failing).get(`/apis/v2beta1/runs/${r.run_id}`)).body;
    expect(
      before.run_details.task_details.filter((t: { state?: string }) => t.state === "FAILED").length,
    ).toBeGreaterThan(0);
    expect((await api(failing).post(`/apis/v2beta1/runs/${r.run_id}:retry`)).body).toEqual({});
    const retried = (await api(failing).get(`/apis/v2beta1/runs/${r.run_id}`)).body;
    expect(["RUNNING", "SUCCEEDED"]).toContain(retried.state);
    expect(retried.finished_at === EPOCH || retried.state === "SUCCEEDED").toBe(true);
    const ok = await waitFinished(failing, r.run_id);
    expect(ok.state).toBe("SUCCEEDED");
    const after = (await api(failing).get(`/apis/v2beta1/runs/${r.run_id}`)).body;
    expect(after.state_history.map((h: { state: string }) => h.state)).toEqual([
      "PENDING",
      "RUNNING",
      "FAILED",
      "RUNNING",
      "SUCCEEDED",
    ]);
    const ids = (x: { run_details: { task_details: { task_id: string }[] } }) =>
      x.run_details.task_details.map((t) => t.task_id);
    expect(ids(after)).toEqual(ids(before));
  });

  it("failRate with a seed fails runs deterministically", async () => {
    const emu = await startEmulator({ lifecycle: { tickMs: 1, failRate: 1, seed: 7 } });
    try {
      const p = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step");
      const r = (
        await api(emu).post("/apis/v2beta1/runs", {
          display_name: "x",
          pipeline_version_reference: { pipeline_id: p.pipelineId },
        })
      ).body;
      expect((await waitFinished(emu, r.run_id)).state).toBe("FAILED");
      expect(engineOf(emu).options.failRate).toBe(1);
    } finally {
      await emu.close();
    }
  });
});

describe.skipIf(!hasShared)("runs (multi-user)", () => {
  let emu: Emulator;
  const alice = { "kubeflow-userid": "alice@example.com" };
  const bob = { "kubeflow-userid": "bob@example.com" };
  beforeAll(async () => {
    emu = await startEmulator({
      lifecycle: { tickMs: 1 },
      multiUser: {
        users: { "alice@example.com": { namespaces: ["ns-a"] }, "bob@example.com": { namespaces: ["ns-b"] } },
      },
    });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("experiment required; the experiment's namespace wins; isolation both ways", async () => {
    const p = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step", alice, {
      namespace: "ns-a",
    });
    const expA = (
      await api(emu).post("/apis/v2beta1/experiments", { display_name: "a", namespace: "ns-a" }, alice)
    ).body;
    const expB = (
      await api(emu).post("/apis/v2beta1/experiments", { display_name: "b", namespace: "ns-b" }, bob)
    ).body;
    const src = { pipeline_version_reference: { pipeline_id: p.pipelineId } };

    const noExp = await api(emu).post("/apis/v2beta1/runs", { display_name: "r", ...src }, alice);
    expect(noExp.status).toBe(400);
    expect(detail(noExp)).toBe("Experiment id can not be empty in multi-user mode");
    const run = await api(emu).post(
      "/apis/v2beta1/runs",
      { display_name: "r", experiment_id: expA.experiment_id, ...src },
      alice,
    );
    expect(run.status, run.text).toBe(200);
    expect(run.body.namespace).toBeUndefined(); // runs have no namespace field
    const denied = await api(emu).post(
      "/apis/v2beta1/runs",
      { display_name: "r", experiment_id: expA.experiment_id, ...src },
      bob,
    );
    expect(denied.status).toBe(403);
    // Alice's private pipeline is not bob's to run (resource/access.ts), a shared one is.
    const foreign = await api(emu).post(
      "/apis/v2beta1/runs",
      { display_name: "rb", experiment_id: expB.experiment_id, ...src },
      bob,
    );
    expect(foreign.status, foreign.text).toBe(403);
    const shared = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step-shared", alice);
    const bobRun = await api(emu).post(
      "/apis/v2beta1/runs",
      {
        display_name: "rb",
        experiment_id: expB.experiment_id,
        pipeline_version_reference: { pipeline_id: shared.pipelineId },
      },
      bob,
    );
    expect(bobRun.status, bobRun.text).toBe(200);

    expect((await api(emu).get(`/apis/v2beta1/runs/${run.body.run_id}`, bob)).status).toBe(403);
    expect((await api(emu).get(`/apis/v2beta1/runs/${bobRun.body.run_id}`, alice)).status).toBe(403);
    expect(
      (await api(emu).post(`/apis/v2beta1/runs/${run.body.run_id}:archive`, undefined, bob)).status,
    ).toBe(403);
    expect((await api(emu).get(`/apis/v2beta1/runs/${run.body.run_id}`)).status).toBe(401);

    const noScope = await api(emu).get("/apis/v2beta1/runs", alice);
    expect(noScope.status).toBe(400);
    expect(detail(noScope)).toBe("A run cannot have an empty namespace in multi-user mode");
    const listA = await api(emu).get("/apis/v2beta1/runs?namespace=ns-a", alice);
    expect(listA.body.runs.map((r: { run_id: string }) => r.run_id)).toEqual([run.body.run_id]);
    expect((await api(emu).get("/apis/v2beta1/runs?namespace=ns-b", alice)).status).toBe(403);
    // experiment_id wins over a mismatching namespace
    const byExp = await api(emu).get(
      `/apis/v2beta1/runs?namespace=ns-b&experiment_id=${expA.experiment_id}`,
      alice,
    );
    expect(byExp.status, byExp.text).toBe(200);
    expect(byExp.body.total_size).toBe(1);
    expect((await api(emu).get(`/apis/v2beta1/runs?experiment_id=${expA.experiment_id}`, bob)).status).toBe(
      403,
    );
    expect((await api(emu).get("/apis/v2beta1/runs?experiment_id=nope", alice)).status).toBe(404);
    expect((await api(emu).get("/apis/v2beta1/runs/nope", alice)).status).toBe(404);
    await waitFinished(emu, run.body.run_id);
    await waitFinished(emu, bobRun.body.run_id);
  });
});

describe.skipIf(!hasShared)("runs survive a restart (SQLite)", () => {
  it("an unfinished run resumes and finishes; its task rows keep their ids", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kfp-ts-runs-"));
    const db = join(dir, "emu.db");
    try {
      const first = await startEmulator({ db, lifecycle: { tickMs: 2, podTicks: 100_000 } });
      const p = await uploadPipeline(first, specText("two_step_pipeline.yaml"), "two-step");
      const r = (
        await api(first).post("/apis/v2beta1/runs", {
          display_name: "resume",
          pipeline_version_reference: { pipeline_id: p.pipelineId },
        })
      ).body;
      await engineOf(first).waitFor(r.run_id, (x) => x.state === "RUNNING" && x.tasks.length >= 2);
      const before = (await api(first).get(`/apis/v2beta1/runs/${r.run_id}`)).body.run_details
        .task_details as {
        task_id: string;
        display_name: string;
      }[];
      await first.close();
      const second = await startEmulator({ db, lifecycle: { tickMs: 1 } });
      try {
        const done = await waitFinished(second, r.run_id);
        expect(done.state).toBe("SUCCEEDED");
        const after = (await api(second).get(`/apis/v2beta1/runs/${r.run_id}`)).body;
        const afterIds = new Map(
          (after.run_details.task_details as { task_id: string; display_name: string }[]).map((t) => [
            t.task_id,
            t,
          ]),
        );
        for (const t of before) expect(afterIds.get(t.task_id)?.display_name).toBe(t.display_name);
        expect(after.run_details.task_details).toHaveLength(9);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
