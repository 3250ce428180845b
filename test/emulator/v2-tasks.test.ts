/**
 * The stable /apis/v2 run tasks (FACTS.md §S.2, §S.5): `view=FULL` fills `Run.tasks`, `task_count`,
 * `skip_count`, the task API (`GET /runs/{id}/tasks`, `GET /runs/{id}/tasks/{task_id}`), the
 * not-emulated task/artifact writes (501), and /apis/v2beta1 left unchanged. Every v2 run and task
 * body is validated against the v2 swagger.
 */
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import type { RunRecord } from "../../packages/emulator/src/model/run.js";
import { v2TasksOf } from "../../packages/emulator/src/resource/run-reads.js";
import { specAvailable, swaggers } from "../contract/swagger.js";
import { call, type Reply } from "./helpers/http.js";
import { hasShared, listFiles, sharedPipelines } from "./helpers/shared.js";
import {
  api,
  detail,
  engineOf,
  specObject,
  specText,
  uploadPipeline,
  waitFinished,
} from "./runs-fixtures.js";

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Task = Record<string, any>;

/** GET a /apis/v2 path and check the 200 body against the swagger. */
async function getV2(emu: Emulator, path: string): Promise<Reply> {
  const r = await call(emu.url, "GET", path);
  const url = new URL(path, "http://x");
  const check = swaggers().v2.checkResponse(
    "GET",
    url.pathname,
    r.status,
    r.headers.get("content-type") ?? "",
    r.text,
  );
  expect(check.op, `no swagger operation for ${path}`).toBeDefined();
  expect(check.problems, `${path}: ${check.problems.join("; ")}`).toEqual([]);
  return r;
}

async function createRun(emu: Emulator, name: string, body: Record<string, unknown>): Promise<string> {
  const r = await api(emu).post("/apis/v2/runs", { display_name: name, ...body });
  expect(r.status, r.text).toBe(200);
  return r.body.run_id as string;
}

async function fullTasks(emu: Emulator, runId: string): Promise<Task[]> {
  const r = await getV2(emu, `/apis/v2/runs/${runId}?view=FULL`);
  expect(r.status, r.text).toBe(200);
  return (r.body.tasks ?? []) as Task[];
}

/** Every pod node the simulation ran is a pod of exactly one task (node naming agrees). */
function expectPodsCovered(rec: RunRecord, tasks: Task[]): void {
  const pods = tasks.flatMap((t) => (t.pods ?? []).map((p: { name: string }) => p.name));
  expect(new Set(pods).size).toBe(pods.length);
  const podNodes = rec.tasks.filter((n) => n.node_type === "Pod" && n.state !== "RUNTIME_STATE_UNSPECIFIED");
  expect(podNodes.length).toBeGreaterThan(0);
  expect([...pods].sort()).toEqual(podNodes.map((n) => n.pod_name).sort());
}

function byName(tasks: Task[], name: string): Task[] {
  return tasks.filter((t) => t.name === name);
}

describe.skipIf(!hasShared || !specAvailable)("/apis/v2 run tasks", () => {
  let emu: Emulator;
  let two: { pipelineId: string; versionId: string };
  let runId: string;
  let rec: RunRecord;
  beforeAll(async () => {
    emu = await startEmulator({ lifecycle: { tickMs: 1 } });
    two = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step");
    runId = await createRun(emu, "two", {
      pipeline_version_reference: { pipeline_id: two.pipelineId, pipeline_version_id: two.versionId },
      runtime_config: { parameters: { text: "hi" } },
    });
    rec = await waitFinished(emu, runId);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("a run followed to SUCCEEDED: FULL fills tasks (ROOT + one RUNTIME task per container task)", async () => {
    expect(rec.state).toBe("SUCCEEDED");
    const r = await getV2(emu, `/apis/v2/runs/${runId}?view=FULL`);
    const run = r.body;
    expect(run.task_count).toBe(3);
    expect(run.run_details).toBeUndefined();
    const tasks = run.tasks as Task[];
    expect(tasks).toHaveLength(3);
    const [root] = byName(tasks, "ROOT");
    const [producer] = byName(tasks, "write-to-gcs");
    const [consumer] = byName(tasks, "read-from-gcs");
    expect(root).toMatchObject({
      run_id: runId,
      display_name: "simple-two-step-pipeline",
      type: "ROOT",
      state: "SUCCEEDED",
      scope_path: "root",
      inputs: { parameters: [{ value: "hi", type: "COMPONENT_INPUT", parameter_key: "text" }] },
      outputs: {},
    });
    expect(root!.parent_task_id).toBeUndefined();
    expect(root!.pods).toEqual([
      { name: expect.any(String), uid: expect.stringMatching(UUID), type: "DRIVER" },
    ]);
    expect(root!.child_tasks).toEqual(
      expect.arrayContaining([
        { task_id: producer!.task_id, name: "write-to-gcs" },
        { task_id: consumer!.task_id, name: "read-from-gcs" },
      ]),
    );
    expect(root!.child_tasks).toHaveLength(2);
    for (const t of [producer!, consumer!]) {
      expect(t.type).toBe("RUNTIME");
      expect(t.task_id).toMatch(UUID);
      expect(t.parent_task_id).toBe(root!.task_id);
      expect(t.state).toBe("SUCCEEDED");
      expect(t.create_time).toMatch(TS);
      expect(t.end_time).toMatch(TS);
      expect(t.state_history.map((h: Task) => h.state)).toEqual(["RUNNING", "SUCCEEDED"]);
      expect(t.state_history[0].update_time).toBe(t.create_time);
      expect(t.pods.map((p: Task) => p.type)).toEqual(["DRIVER", "EXECUTOR"]);
      expect(t.status_metadata).toBeUndefined();
      expect(t.child_tasks).toBeUndefined();
    }
    expect(producer!.display_name).toBe("Producer");
    expect(consumer!.display_name).toBe("Consumer");
    expect(producer!.scope_path).toBe("root.write-to-gcs");
    // the consumer starts after the producer finished
    expect(Date.parse(consumer!.create_time)).toBeGreaterThanOrEqual(Date.parse(producer!.end_time));
    expectPodsCovered(rec, tasks);
    // the executor pod is the node the log endpoint knows
    const exec = consumer!.pods.find((p: Task) => p.type === "EXECUTOR").name;
    const log = await call(emu.url, "GET", `/apis/v2/runs/${runId}/nodes/${exec}/log`);
    expect(log.text).toContain("read-from-gcs");
  });

  it("FULL GetRun embeds the stored pipeline spec instead of the version reference; DEFAULT does not", async () => {
    const full = (await getV2(emu, `/apis/v2/runs/${runId}?view=FULL`)).body;
    expect(full.pipeline_spec.pipelineInfo.name).toBe("simple-two-step-pipeline");
    expect(full.pipeline_version_reference).toBeUndefined();
    expect(full.pipeline_reference).toEqual({
      pipeline_id: two.pipelineId,
      pipeline_version_id: two.versionId,
    });
    const def = (await getV2(emu, `/apis/v2/runs/${runId}`)).body;
    expect(def.pipeline_spec).toBeUndefined();
    expect(def.pipeline_version_reference).toEqual(full.pipeline_reference);
  });

  it("DEFAULT (absent or explicit) omits tasks but keeps task_count; a bad view is a gateway 400", async () => {
    for (const q of ["", "?view=DEFAULT", "?view=0"]) {
      const r = await getV2(emu, `/apis/v2/runs/${runId}${q}`);
      expect(r.body.tasks, q).toBeUndefined();
      expect(r.body.task_count, q).toBe(3);
    }
    expect((await getV2(emu, `/apis/v2/runs/${runId}?view=1`)).body.tasks).toHaveLength(3);
    for (const path of [`/apis/v2/runs/${runId}?view=full`, "/apis/v2/runs?view=ALL"]) {
      const bad = await call(emu.url, "GET", path);
      expect(bad.status, path).toBe(400);
      expect(bad.body).toEqual({ code: 3, message: expect.stringContaining('parsing field "view"') });
    }
  });

  it("v2beta1 is unchanged: task_details, no tasks/task_count, view and skip_count ignored", async () => {
    const r = await api(emu).get(`/apis/v2beta1/runs/${runId}?view=FULL`);
    expect(r.status).toBe(200);
    expect(r.body.run_details.task_details.length).toBeGreaterThan(3);
    expect(r.body.tasks).toBeUndefined();
    expect(r.body.task_count).toBeUndefined();
    expect(r.body.pipeline_version_reference).toBeDefined();
    expect((await api(emu).get("/apis/v2beta1/runs?view=bogus")).status).toBe(200);
    const list = await api(emu).get("/apis/v2beta1/runs?skip_count=true");
    expect(list.body.total_size).toBeGreaterThan(0);
  });

  it("list runs: FULL fills tasks, DEFAULT only counts them, skip_count gives total_size -1", async () => {
    const full = (await getV2(emu, "/apis/v2/runs?view=FULL")).body;
    const mine = full.runs.find((x: Task) => x.run_id === runId);
    expect(mine.tasks).toHaveLength(3);
    expect(mine.pipeline_version_reference).toBeDefined(); // no spec preference on list
    const def = (await getV2(emu, "/apis/v2/runs")).body;
    expect(def.runs.find((x: Task) => x.run_id === runId).tasks).toBeUndefined();
    expect(def.total_size).toBe(def.runs.length);
    const skipped = (await getV2(emu, "/apis/v2/runs?skip_count=true&page_size=1")).body;
    expect(skipped.total_size).toBe(-1);
    expect(skipped.runs).toHaveLength(1);
    expect((await call(emu.url, "GET", "/apis/v2/runs?skip_count=maybe")).status).toBe(400);
  });

  it("GET /runs/{id}/tasks: all tasks, parent_id scoping, paging, order_by, filter", async () => {
    const all = (await getV2(emu, `/apis/v2/runs/${runId}/tasks`)).body;
    expect(all.total_size).toBe(3);
    expect(all.next_page_token).toBeUndefined();
    const tasks = all.tasks as Task[];
    // default order: create_time ascending, then task_id (ties are common: whole seconds)
    const key = (t: Task) => `${t.create_time} ${t.task_id}`;
    expect(tasks.map(key)).toEqual(tasks.map(key).sort());
    const sortById = (ts: Task[]) => [...ts].sort((a, b) => (a.task_id < b.task_id ? -1 : 1));
    expect(sortById(tasks)).toEqual(sortById(await fullTasks(emu, runId)));
    const root = tasks.find((t) => t.type === "ROOT")!;

    const children = (await getV2(emu, `/apis/v2/runs/${runId}/tasks?parent_id=${root.task_id}`)).body;
    expect(children.total_size).toBe(2);
    expect(children.tasks.map((t: Task) => t.name).sort()).toEqual(["read-from-gcs", "write-to-gcs"]);

    const seen: string[] = [];
    let token = "";
    for (let i = 0; i < 5; i++) {
      const q = `page_size=1${token ? `&page_token=${encodeURIComponent(token)}` : ""}`;
      const page = (await getV2(emu, `/apis/v2/runs/${runId}/tasks?${q}`)).body;
      expect(page.tasks).toHaveLength(1);
      expect(page.total_size).toBe(3);
      seen.push(page.tasks[0].task_id);
      if (!page.next_page_token) break;
      token = page.next_page_token;
    }
    expect(seen).toEqual(tasks.map((t) => t.task_id));

    const desc = (
      await getV2(emu, `/apis/v2/runs/${runId}/tasks?order_by=${encodeURIComponent("name desc")}`)
    ).body;
    expect(desc.tasks.map((t: Task) => t.name)).toEqual(["write-to-gcs", "read-from-gcs", "ROOT"]);
    // sort_by is not a ListTasks parameter: ignored like any unknown query parameter
    const ignored = (await getV2(emu, `/apis/v2/runs/${runId}/tasks?sort_by=nope`)).body;
    expect(ignored.total_size).toBe(3);

    const filter = encodeURIComponent(
      JSON.stringify({ predicates: [{ key: "name", operation: "EQUALS", string_value: "read-from-gcs" }] }),
    );
    const one = (await getV2(emu, `/apis/v2/runs/${runId}/tasks?filter=${filter}`)).body;
    expect(one.tasks.map((t: Task) => t.name)).toEqual(["read-from-gcs"]);
    // state is the enum number in the tasks table (RUNTIME=2 is the type; SUCCEEDED=2 the state)
    const byType = encodeURIComponent(
      JSON.stringify({ predicates: [{ key: "type", operation: "EQUALS", int_value: 2 }] }),
    );
    expect((await getV2(emu, `/apis/v2/runs/${runId}/tasks?filter=${byType}`)).body.total_size).toBe(2);

    const badSort = await call(emu.url, "GET", `/apis/v2/runs/${runId}/tasks?order_by=bogus`);
    expect(badSort.status).toBe(400);
    expect(badSort.body.message).toMatch(/^Failed to create list options: .*Invalid sorting field/);
    expect((await call(emu.url, "GET", `/apis/v2/runs/${runId}/tasks?page_size=-1`)).status).toBe(400);
  });

  it("GET /runs/{id}/tasks/{task_id}; unknown task 404, parent 404, another run's task 400", async () => {
    const tasks = await fullTasks(emu, runId);
    for (const t of tasks) {
      const got = await getV2(emu, `/apis/v2/runs/${runId}/tasks/${t.task_id}`);
      expect(got.body).toEqual(t);
    }
    const missing = await call(emu.url, "GET", `/apis/v2/runs/${runId}/tasks/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe(5);
    expect(missing.body.message).toBe("Failed to get task: ResourceNotFoundError: task nope not found");
    expect(detail(missing)).toBe("task nope not found");
    const parent = await call(emu.url, "GET", `/apis/v2/runs/${runId}/tasks?parent_id=nope`);
    expect(parent.status).toBe(404);
    expect(parent.body.message).toMatch(
      /^Failed to get parent task for authorization: .*task nope not found/,
    );

    const other = await createRun(emu, "other", { pipeline_spec: specObject("two_step_pipeline.yaml") });
    await waitFinished(emu, other);
    const foreign = await call(emu.url, "GET", `/apis/v2/runs/${other}/tasks/${tasks[0]!.task_id}`);
    expect(foreign.status).toBe(400);
    expect(detail(foreign)).toBe("Task run_id in path parameter does not match the existing task run_id");
    const foreignParent = await call(
      emu.url,
      "GET",
      `/apis/v2/runs/${other}/tasks?parent_id=${tasks[0]!.task_id}`,
    );
    expect(foreignParent.status).toBe(400);
    // a run that does not exist has no tasks (single-user mode: no authorization lookup)
    expect((await getV2(emu, "/apis/v2/runs/nope/tasks")).body).toEqual({});
    // ids differ between runs and are stable between reads
    const otherIds = (await fullTasks(emu, other)).map((t) => t.task_id);
    expect(otherIds.some((id) => tasks.some((t) => t.task_id === id))).toBe(false);
    expect((await fullTasks(emu, other)).map((t) => t.task_id)).toEqual(otherIds);
  });

  it("the task routes exist only under /apis/v2; task writes and artifacts answer 501", async () => {
    const task = (await fullTasks(emu, runId))[0]!.task_id;
    for (const path of [
      `/apis/v2beta1/runs/${runId}/tasks`,
      `/apis/v2beta1/runs/${runId}/tasks/${task}`,
      "/apis/v2beta1/artifacts",
    ]) {
      const r = await call(emu.url, "GET", path);
      expect(r.status, path).toBe(404);
      expect(r.body).toEqual({ code: 5, message: "Not Found" });
    }
    const writes: [string, string][] = [
      ["POST", `/apis/v2/runs/${runId}/tasks`],
      ["PATCH", `/apis/v2/runs/${runId}/tasks/${task}`],
      ["POST", `/apis/v2/runs/${runId}/tasks:batchUpdate`],
      ["POST", "/apis/v2/tasks:findCached"],
      ["GET", "/apis/v2/artifacts"],
      ["POST", "/apis/v2/artifacts"],
      ["GET", "/apis/v2/artifacts/a1"],
      ["POST", "/apis/v2/artifacts:batchCreate"],
      ["GET", "/apis/v2/artifact_tasks?run_ids=x"],
      ["POST", "/apis/v2/artifact_tasks"],
      ["POST", "/apis/v2/artifact_tasks:batchCreate"],
    ];
    for (const [method, path] of writes) {
      const r = await call(emu.url, method, path, method === "GET" ? undefined : {});
      expect(r.status, `${method} ${path}`).toBe(501);
      expect(r.body.code).toBe(12);
      expect(r.body.message).toContain("is not implemented by the kfp-ts emulator");
    }
    // a wrong method on a task route is the gateway's 501 Method Not Allowed
    const del = await call(emu.url, "DELETE", `/apis/v2/runs/${runId}/tasks/${task}`);
    expect(del.status).toBe(501);
    expect(del.body).toEqual({ code: 12, message: "Method Not Allowed" });
  });

  it("loops: LOOP tasks with iteration_count, one LOOP iteration task per item with iteration_index", async () => {
    const id = await createRun(emu, "loops", {
      pipeline_spec: specObject("pipeline_with_parallelfor_pipeline_param.yaml"),
      runtime_config: { parameters: { loop_parameter: ["a", "b", "c"], prefix: "p" } },
    });
    const done = await waitFinished(emu, id);
    expect(done.state).toBe("SUCCEEDED");
    const tasks = await fullTasks(emu, id);
    expectPodsCovered(done, tasks);
    const root = byName(tasks, "ROOT")[0]!;
    const loops = byName(tasks, "for-loop-1");
    const loop = loops.find((t) => t.parent_task_id === root.task_id)!;
    expect(loop).toMatchObject({
      type: "LOOP",
      type_attributes: { iteration_count: "3" },
      state: "SUCCEEDED",
    });
    expect(loop.inputs.parameters).toContainEqual({
      value: ["a", "b", "c"],
      type: "ITERATOR_INPUT",
      parameter_key: "pipelinechannel--loop_parameter",
    });
    const iterations = loops.filter((t) => t.parent_task_id === loop.task_id);
    expect(iterations.map((t) => t.type_attributes.iteration_index).sort()).toEqual(["0", "1", "2"]);
    expect(loop.child_tasks).toHaveLength(3);
    const second = iterations.find((t) => t.type_attributes.iteration_index === "1")!;
    expect(second.inputs.parameters).toEqual([
      { value: "b", type: "ITERATOR_INPUT", parameter_key: "pipelinechannel--loop_parameter-loop-item" },
    ]);
    const inner = byName(tasks, "print-with-prefix").filter((t) => t.parent_task_id === second.task_id);
    expect(inner).toHaveLength(1);
    expect(inner[0]!.scope_path).toBe("root.for-loop-1.print-with-prefix");
    expect(inner[0]!.inputs.parameters).toEqual([
      { value: "b", type: "COMPONENT_INPUT", parameter_key: "item" },
      { value: "p", type: "COMPONENT_INPUT", parameter_key: "prefix" },
    ]);
    // raw items, nested loop inside
    const raw = byName(tasks, "for-loop-4")[0]!;
    expect(raw.type_attributes.iteration_count).toBe("2");
    expect(raw.inputs.parameters).toContainEqual({
      value: ["x", "y"],
      type: "ITERATOR_INPUT_RAW",
      parameter_key: "pipelinechannel--loop-item-param-3",
    });
    expect(byName(tasks, "print-with-prefix-3")).toHaveLength(6);
    // the list endpoint scopes to one parent
    const kids = (await getV2(emu, `/apis/v2/runs/${id}/tasks?parent_id=${loop.task_id}`)).body;
    expect(kids.total_size).toBe(3);
  });

  it("conditions, exit handlers and importers get their task types", async () => {
    const ids = await Promise.all([
      createRun(emu, "branches", { pipeline_spec: specObject("if_elif_else_complex.yaml") }),
      createRun(emu, "exit", { pipeline_spec: specObject("pipeline_with_task_final_status.yaml") }),
      createRun(emu, "importer", { pipeline_spec: specObject("pipeline_with_importer.yaml") }),
    ]);
    const recs = await Promise.all(ids.map((id) => waitFinished(emu, id)));
    const [branches, exit, importer] = await Promise.all(ids.map((id) => fullTasks(emu, id)));
    recs.forEach((r, i) => {
      expect(r.state).toBe("SUCCEEDED");
      expectPodsCovered(r, [branches, exit, importer][i]!);
    });
    expect(byName(branches!, "condition-branches-4")[0]!.type).toBe("CONDITION_BRANCH");
    expect(byName(branches!, "condition-2")[0]!.type).toBe("CONDITION");
    expect(byName(branches!, "for-loop-16").some((t) => t.type === "LOOP")).toBe(true);

    const handler = byName(exit!, "exit-handler-1")[0]!;
    expect(handler).toMatchObject({ type: "EXIT_HANDLER", display_name: "my-pipeline", state: "SUCCEEDED" });
    expect(handler.child_tasks.map((c: Task) => c.name).sort()).toEqual(["fail-op", "print-op"]);
    const exitOp = byName(exit!, "exit-op")[0]!;
    expect(exitOp.parent_task_id).toBe(byName(exit!, "ROOT")[0]!.task_id);
    expect(Date.parse(exitOp.create_time)).toBeGreaterThanOrEqual(Date.parse(handler.end_time));

    const imp = byName(importer!, "importer")[0]!;
    expect(imp).toMatchObject({ type: "IMPORTER", state: "SUCCEEDED" });
    expect(imp.pods.map((p: Task) => p.type)).toEqual(["EXECUTOR"]);
    expect(byName(importer!, "condition-1")[0]!.type).toBe("CONDITION");
  });
});

describe.skipIf(!hasShared || !specAvailable)("/apis/v2 run tasks: failures, retry, terminate", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ lifecycle: { tickMs: 1, failTasks: ["read-from-gcs"] } });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("a failed task: FAILED with a status message; its DAG ancestors fail; retry clears it", async () => {
    const id = await createRun(emu, "fails", { pipeline_spec: specObject("two_step_pipeline.yaml") });
    const done = await waitFinished(emu, id);
    expect(done.state).toBe("FAILED");
    let tasks = await fullTasks(emu, id);
    expectPodsCovered(done, tasks);
    const failed = byName(tasks, "read-from-gcs")[0]!;
    expect(failed.state).toBe("FAILED");
    expect(failed.end_time).toMatch(TS);
    expect(failed.status_metadata.message).toMatch(/^executor pod \S+ failed: Error \(exit code 1\)$/);
    expect(failed.status_metadata.message).toContain(failed.pods[1].name);
    expect(failed.state_history.map((h: Task) => h.state)).toEqual(["RUNNING", "FAILED"]);
    expect(byName(tasks, "write-to-gcs")[0]!.state).toBe("SUCCEEDED");
    const root = byName(tasks, "ROOT")[0]!;
    expect(root.state).toBe("FAILED");
    expect(root.status_metadata).toBeUndefined();
    const failedOnly = encodeURIComponent(
      JSON.stringify({ predicates: [{ key: "state", operation: "EQUALS", int_value: 4 }] }),
    );
    expect((await getV2(emu, `/apis/v2/runs/${id}/tasks?filter=${failedOnly}`)).body.total_size).toBe(2);

    expect((await api(emu).post(`/apis/v2/runs/${id}:retry`)).status).toBe(200);
    const retried = await engineOf(emu).waitFor(id, (r) => r.state === "SUCCEEDED");
    tasks = await fullTasks(emu, id);
    expectPodsCovered(retried, tasks);
    const again = byName(tasks, "read-from-gcs")[0]!;
    expect(again.task_id).toBe(failed.task_id);
    expect(again.state).toBe("SUCCEEDED");
    expect(again.status_metadata).toBeUndefined();
    expect(again.state_history.map((h: Task) => h.state)).toEqual([
      "RUNNING",
      "FAILED",
      "RUNNING",
      "SUCCEEDED",
    ]);
  });

  it("a terminated run: the running task ends FAILED with the terminate message", async () => {
    // Pods never finish on their own: the root driver runs until the run is terminated.
    const slow = await startEmulator({ lifecycle: { tickMs: 2, podTicks: 1_000_000 } });
    try {
      const id = await createRun(slow, "stop", { pipeline_spec: specObject("two_step_pipeline.yaml") });
      await engineOf(slow).waitFor(id, (r) =>
        r.tasks.some((t) => t.display_name === "root-driver" && t.state === "RUNNING"),
      );
      const running = await fullTasks(slow, id);
      expect(running.map((t) => [t.name, t.state])).toEqual([["ROOT", "RUNNING"]]);
      expect(running[0]!.end_time).toBeUndefined();
      expect((await api(slow).post(`/apis/v2/runs/${id}:terminate`)).status).toBe(200);
      expect((await waitFinished(slow, id)).state).toBe("FAILED");
      const tasks = await fullTasks(slow, id);
      expect(tasks).toHaveLength(1); // the container tasks never started: no task
      expect(tasks[0]!.state).toBe("FAILED");
      expect(tasks[0]!.end_time).toMatch(TS);
      expect(tasks[0]!.status_metadata.message).toMatch(
        /^driver pod \S+ failed: Stopped with strategy 'Terminate'$/,
      );
    } finally {
      await slow.close();
    }
  });
});

describe.skipIf(!hasShared || !specAvailable)("/apis/v2 list runs with view=FULL", () => {
  let emu: Emulator;
  beforeAll(async () => {
    // Runs stay PENDING (the first report is far away): 101 of them cost no simulation.
    emu = await startEmulator({ lifecycle: { tickMs: 1000, startTicks: 1_000_000 } });
    const spec = specObject("hello_world.yaml");
    for (let i = 0; i < 101; i++) await createRun(emu, `r${i}`, { pipeline_spec: spec });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("caps the page size at 100 with FULL (not with DEFAULT); no tasks before the first report", async () => {
    const full = (await getV2(emu, "/apis/v2/runs?view=FULL&page_size=150")).body;
    expect(full.runs).toHaveLength(100);
    expect(full.next_page_token).toBeDefined();
    expect(full.total_size).toBe(101);
    expect(full.runs[0].tasks).toBeUndefined();
    expect(full.runs[0].task_count).toBeUndefined();
    const def = (await getV2(emu, "/apis/v2/runs?page_size=150")).body;
    expect(def.runs).toHaveLength(101);
    expect((await getV2(emu, "/apis/v2/runs?view=FULL")).body.runs).toHaveLength(20);
    expect((await call(emu.url, "GET", "/apis/v2/runs?view=FULL&page_size=-1")).status).toBe(400);
  });
});

describe.skipIf(!hasShared || !specAvailable)("/apis/v2 run tasks (multi-user)", () => {
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

  it("tasks inherit the run's authorization; an unknown task is 404 before any check", async () => {
    const exp = (await api(emu).post("/apis/v2/experiments", { display_name: "a", namespace: "ns-a" }, alice))
      .body;
    const run = await api(emu).post(
      "/apis/v2/runs",
      {
        display_name: "r",
        experiment_id: exp.experiment_id,
        pipeline_spec: specObject("two_step_pipeline.yaml"),
      },
      alice,
    );
    expect(run.status, run.text).toBe(200);
    const id = run.body.run_id as string;
    await waitFinished(emu, id);
    const list = await api(emu).get(`/apis/v2/runs/${id}/tasks`, alice);
    expect(list.status, list.text).toBe(200);
    expect(list.body.total_size).toBe(3);
    const task = list.body.tasks[0].task_id as string;
    expect((await api(emu).get(`/apis/v2/runs/${id}/tasks/${task}`, alice)).status).toBe(200);

    const denied = await api(emu).get(`/apis/v2/runs/${id}/tasks`, bob);
    expect(denied.status).toBe(403);
    expect(denied.body.message).toMatch(/^Failed to authorize task listing: /);
    const deniedGet = await api(emu).get(`/apis/v2/runs/${id}/tasks/${task}`, bob);
    expect(deniedGet.status).toBe(403);
    expect(deniedGet.body.message).toMatch(/^Failed to authorize task access: /);
    expect((await api(emu).get(`/apis/v2/runs/${id}/tasks`)).status).toBe(401);
    expect((await api(emu).get(`/apis/v2/runs/${id}/tasks/nope`)).status).toBe(404);
    const noRun = await api(emu).get("/apis/v2/runs/nope/tasks", alice);
    expect(noRun.status).toBe(404);
    expect(noRun.body.message).toMatch(/^Failed to authorize task listing: .*Run nope not found/);
  });
});

describe.skipIf(!hasShared || !specAvailable)("/apis/v2 run tasks for every valid pipeline", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ lifecycle: { tickMs: 1 } });
  });
  afterAll(async () => {
    await emu?.close();
  });

  const SAMPLE: Record<string, unknown> = {
    STRING: "x",
    NUMBER_INTEGER: 1,
    NUMBER_DOUBLE: 1.5,
    BOOLEAN: true,
    LIST: ["a", "b"],
    STRUCT: { a: 1 },
  };

  it("each pod the simulation ran belongs to exactly one task; every FULL run validates", async () => {
    const files = listFiles(resolve(sharedPipelines, "valid")).filter((f) => /^[^/]+\.yaml$/.test(f));
    let checked = 0;
    for (const f of files) {
      const docs = YAML.parseAllDocuments(specText(f)).map((d) => d.toJS() as Record<string, any>);
      const spec = docs.length > 1 ? { pipeline_spec: docs[0], platform_spec: docs[1] } : docs[0];
      const params: Record<string, unknown> = {};
      const defs = (docs[0]?.root?.inputDefinitions?.parameters ?? {}) as Record<string, Record<string, any>>;
      for (const [k, d] of Object.entries(defs)) {
        if (!("defaultValue" in d) && !d.isOptional) params[k] = SAMPLE[d.parameterType as string];
      }
      const r = await api(emu).post("/apis/v2/runs", {
        display_name: f,
        pipeline_spec: spec,
        runtime_config: { parameters: params },
      });
      if (r.status !== 200) {
        // the one package the Argo compiler rejects (artifact iterator, PIPELINE-SPEC.md §3.4)
        expect(f, r.text).toMatch(/parallelfor_list_artifacts/);
        continue;
      }
      const done = await waitFinished(emu, r.body.run_id);
      const tasks = await fullTasks(emu, r.body.run_id);
      expectPodsCovered(done, tasks);
      const root = byName(tasks, "ROOT")[0]!;
      expect(root.state, f).toBe(done.state);
      if (done.state === "FAILED") {
        // e.g. a loop over items the driver cannot resolve: the failing pod's task says why
        expect(
          tasks.some((t) => t.state === "FAILED" && t.status_metadata?.message),
          f,
        ).toBe(true);
      } else {
        expect(done.state, f).toBe("SUCCEEDED");
        expect(
          tasks.every((t) => t.state === "SUCCEEDED" || t.state === "SKIPPED"),
          f,
        ).toBe(true);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe.skipIf(!hasShared || !specAvailable)("/apis/v2 run tasks at every lifecycle report", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ lifecycle: { tickMs: 1, podTicks: 2, failTasks: ["fail-op"] } });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("tasks only own pods that exist; every pod past Pending has its task; history only grows", async () => {
    const engine = engineOf(emu);
    const problems: string[] = [];
    const lastHistory = new Map<string, number>();
    let reports = 0;
    const onRun = (rec: RunRecord) => {
      reports++;
      const tasks = v2TasksOf(emu, rec, engine.options.loopCount);
      const owned = tasks.flatMap((t) => t.pods.map((p) => p.name));
      const rows = new Map(rec.tasks.map((r) => [r.pod_name, r]));
      for (const name of owned) if (!rows.has(name)) problems.push(`${rec.display_name}: ${name} not a node`);
      for (const r of rec.tasks) {
        const started = r.node_type === "Pod" && !["PENDING", "RUNTIME_STATE_UNSPECIFIED"].includes(r.state);
        if (started && !owned.includes(r.pod_name)) {
          problems.push(`${rec.display_name}: pod ${r.display_name} (${r.state}) has no task`);
        }
      }
      for (const t of tasks) {
        const before = lastHistory.get(t.task_id) ?? 0;
        if (t.state_history.length < before) problems.push(`${rec.display_name}: ${t.name} history shrank`);
        lastHistory.set(t.task_id, t.state_history.length);
        if (t.parent_task_id && !tasks.some((p) => p.task_id === t.parent_task_id)) {
          problems.push(`${rec.display_name}: ${t.name} has no parent task`);
        }
      }
    };
    engine.on("run", onRun);
    try {
      const ids = await Promise.all([
        createRun(emu, "parallelism", {
          pipeline_spec: specObject("pipeline_with_parallelfor_parallelism.yaml"),
          runtime_config: { parameters: { loop_parameter: ["a", "b", "c"] } },
        }),
        createRun(emu, "exit", { pipeline_spec: specObject("pipeline_with_task_final_status.yaml") }),
        createRun(emu, "nested", { pipeline_spec: specObject("pipeline_with_nested_loops.yaml") }),
      ]);
      const done = await Promise.all(ids.map((id) => waitFinished(emu, id)));
      // (the simulation ignores `parameterExpressionSelector`, so the inner loop over an item's
      // sub-field gets the whole item and its driver fails: the nested-loops run ends FAILED)
      expect(done.map((r) => r.state).slice(0, 2)).toEqual(["SUCCEEDED", "FAILED"]);
    } finally {
      engine.off("run", onRun);
    }
    expect(reports).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });
});
