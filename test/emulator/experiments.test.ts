/**
 * Experiments over real HTTP (FACTS.md §7.2, §8): CRUD, the default experiment, archive cascade,
 * error statuses and messages, multi-user isolation, persistence of the default experiment.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { hasShared } from "./helpers/shared.js";
import { api, detail, specText, uploadPipeline, waitFinished } from "./runs-fixtures.js";

const EPOCH = "1970-01-01T00:00:00Z";
const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe("experiments (single-user)", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ lifecycle: { tickMs: 1 } });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("a Default experiment exists from start-up", async () => {
    const r = await api(emu).get("/apis/v2beta1/experiments");
    expect(r.status).toBe(200);
    expect(r.body.total_size).toBe(1);
    const def = r.body.experiments[0];
    expect(def).toEqual({
      experiment_id: expect.any(String),
      display_name: "Default",
      description: "All runs created without specifying an experiment will be grouped here.",
      created_at: expect.stringMatching(TS),
      storage_state: "AVAILABLE",
      last_run_created_at: EPOCH,
    });
    expect(r.body.next_page_token).toBeUndefined();
  });

  it("create: response shape; namespace ignored in single-user mode", async () => {
    const r = await api(emu).post("/apis/v2beta1/experiments", {
      display_name: "exp-a",
      description: "d",
      namespace: "ignored",
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      experiment_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      display_name: "exp-a",
      description: "d",
      created_at: expect.stringMatching(TS),
      storage_state: "AVAILABLE",
      last_run_created_at: EPOCH,
    });
    const got = await api(emu).get(`/apis/v2beta1/experiments/${r.body.experiment_id}`);
    expect(got.body).toEqual(r.body);
    // also under the stable /apis/v2 prefix
    const v2 = await api(emu).get(`/apis/v2/experiments/${r.body.experiment_id}`);
    expect(v2.body).toEqual(r.body);
  });

  it("create errors: empty name → 500, long name → 500, duplicate → 409, unknown field → 400", async () => {
    const empty = await api(emu).post("/apis/v2beta1/experiments", { description: "x" });
    expect(empty.status).toBe(500);
    expect(empty.body.code).toBe(13);
    expect(detail(empty)).toBe("Internal Server Error");
    expect(empty.body.message).toContain("Experiment must have a non-empty name");
    const long = await api(emu).post("/apis/v2beta1/experiments", { display_name: "x".repeat(129) });
    expect(long.status).toBe(500);
    expect(long.body.message).toContain("Experiment.Name length cannot exceed 128");
    await api(emu).post("/apis/v2beta1/experiments", { display_name: "dup" });
    const dup = await api(emu).post("/apis/v2beta1/experiments", { display_name: "dup" });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe(6);
    expect(detail(dup)).toBe(
      "Failed to create a new experiment. The name dup already exists. Please specify a new name",
    );
    const unknown = await api(emu).post("/apis/v2beta1/experiments", { display_name: "u", bogus: 1 });
    expect(unknown.status).toBe(400);
  });

  it("get/delete unknown → 404 with the server's messages", async () => {
    const g = await api(emu).get("/apis/v2beta1/experiments/nope");
    expect(g.status).toBe(404);
    expect(detail(g)).toBe("Experiment nope not found");
    expect(g.body.message).toBe(
      "Failed to fetch experiment: ResourceNotFoundError: Experiment nope not found",
    );
    const d = await api(emu).del("/apis/v2beta1/experiments/nope");
    expect(d.status).toBe(404);
  });

  it("list: SDK-style filter by display_name, empty result is {}", async () => {
    const filter = JSON.stringify({
      predicates: [{ operation: 1, key: "display_name", stringValue: "exp-a" }],
    });
    const r = await api(emu).get(
      `/apis/v2beta1/experiments?filter=${encodeURIComponent(filter)}&page_size=10`,
    );
    expect(r.status, r.text).toBe(200);
    expect(r.body.experiments.map((e: { display_name: string }) => e.display_name)).toEqual(["exp-a"]);
    const none = JSON.stringify({
      predicates: [{ operation: "EQUALS", key: "display_name", string_value: "zzz" }],
    });
    const e = await api(emu).get(`/apis/v2beta1/experiments?filter=${encodeURIComponent(none)}`);
    expect(e.status).toBe(200);
    expect(e.body).toEqual({});
    const bad = await api(emu).get("/apis/v2beta1/experiments?sort_by=nope");
    expect(bad.status).toBe(400);
  });

  it("deleting the default experiment → 409; deleting another keeps its runs", async () => {
    const list = await api(emu).get("/apis/v2beta1/experiments");
    const def = list.body.experiments.find((e: { display_name: string }) => e.display_name === "Default");
    const d = await api(emu).del(`/apis/v2beta1/experiments/${def.experiment_id}`);
    expect(d.status).toBe(409);
    expect(d.body.code).toBe(10);
    expect(detail(d)).toBe(
      `Failed to delete experiment ${def.experiment_id}. The default experiment cannot be deleted`,
    );
  });

  it.skipIf(!hasShared)(
    "runs update last_run_created_at; archive cascades; unarchive restores only the experiment",
    async () => {
      const p = await uploadPipeline(emu, specText("two_step_pipeline.yaml"), "two-step-exp");
      const exp = (await api(emu).post("/apis/v2beta1/experiments", { display_name: "cascade" })).body;
      const run = await api(emu).post("/apis/v2beta1/runs", {
        display_name: "r",
        experiment_id: exp.experiment_id,
        pipeline_version_reference: { pipeline_id: p.pipelineId },
      });
      expect(run.status, run.text).toBe(200);
      const rr = await api(emu).post("/apis/v2beta1/recurringruns", {
        display_name: "rr",
        experiment_id: exp.experiment_id,
        max_concurrency: "1",
        mode: "ENABLE",
        trigger: { periodic_schedule: { interval_second: "86400" } },
        pipeline_version_reference: { pipeline_id: p.pipelineId },
      });
      expect(rr.status, rr.text).toBe(200);
      expect(rr.body.status).toBe("ENABLED");
      const after = (await api(emu).get(`/apis/v2beta1/experiments/${exp.experiment_id}`)).body;
      expect(after.last_run_created_at).toBe(run.body.created_at);
      await waitFinished(emu, run.body.run_id);

      expect((await api(emu).post(`/apis/v2beta1/experiments/${exp.experiment_id}:archive`)).body).toEqual(
        {},
      );
      expect((await api(emu).get(`/apis/v2beta1/experiments/${exp.experiment_id}`)).body.storage_state).toBe(
        "ARCHIVED",
      );
      expect((await api(emu).get(`/apis/v2beta1/runs/${run.body.run_id}`)).body.storage_state).toBe(
        "ARCHIVED",
      );
      const rrAfter = (await api(emu).get(`/apis/v2beta1/recurringruns/${rr.body.recurring_run_id}`)).body;
      expect(rrAfter.status).toBe("DISABLED");
      expect(rrAfter.mode).toBe("DISABLE");

      // a run of an archived experiment cannot be unarchived
      const un = await api(emu).post(`/apis/v2beta1/runs/${run.body.run_id}:unarchive`);
      expect(un.status).toBe(400);
      expect(un.body.code).toBe(9);
      expect(detail(un)).toBe(
        `Failed to unarchive run ${run.body.run_id} as experiment ${exp.experiment_id} must be un-archived first`,
      );

      await api(emu).post(`/apis/v2beta1/experiments/${exp.experiment_id}:unarchive`);
      expect((await api(emu).get(`/apis/v2beta1/experiments/${exp.experiment_id}`)).body.storage_state).toBe(
        "AVAILABLE",
      );
      expect((await api(emu).get(`/apis/v2beta1/runs/${run.body.run_id}`)).body.storage_state).toBe(
        "ARCHIVED",
      );
      expect((await api(emu).post(`/apis/v2beta1/runs/${run.body.run_id}:unarchive`)).status).toBe(200);
      expect((await api(emu).get(`/apis/v2beta1/runs/${run.body.run_id}`)).body.storage_state).toBe(
        "AVAILABLE",
      );

      // delete keeps runs and recurring runs
      expect((await api(emu).del(`/apis/v2beta1/experiments/${exp.experiment_id}`)).status).toBe(200);
      expect((await api(emu).get(`/apis/v2beta1/experiments/${exp.experiment_id}`)).status).toBe(404);
      expect((await api(emu).get(`/apis/v2beta1/runs/${run.body.run_id}`)).status).toBe(200);
      expect((await api(emu).get(`/apis/v2beta1/recurringruns/${rr.body.recurring_run_id}`)).status).toBe(
        200,
      );
    },
  );

  it("archive/unarchive of an unknown id succeed in single-user mode (an UPDATE of no rows)", async () => {
    expect((await api(emu).post("/apis/v2beta1/experiments/nope:archive")).status).toBe(200);
    expect((await api(emu).post("/apis/v2beta1/experiments/nope:unarchive")).status).toBe(200);
  });
});

describe("experiments (multi-user)", () => {
  let emu: Emulator;
  const alice = { "kubeflow-userid": "alice@example.com" };
  const bob = { "kubeflow-userid": "bob@example.com" };
  beforeAll(async () => {
    emu = await startEmulator({
      multiUser: {
        users: { "alice@example.com": { namespaces: ["ns-a"] }, "bob@example.com": { namespaces: ["ns-b"] } },
      },
    });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it("no default experiment; namespace required; isolation both ways", async () => {
    expect((await api(emu).get("/apis/v2beta1/experiments?namespace=ns-a", alice)).body).toEqual({});
    const noNs = await api(emu).post("/apis/v2beta1/experiments", { display_name: "e" }, alice);
    expect(noNs.status).toBe(400);
    expect(detail(noNs)).toBe("An experiment cannot have an empty namespace in multi-user mode");
    const a = await api(emu).post(
      "/apis/v2beta1/experiments",
      { display_name: "e", namespace: "ns-a" },
      alice,
    );
    expect(a.status, a.text).toBe(200);
    expect(a.body.namespace).toBe("ns-a");
    const b = await api(emu).post("/apis/v2beta1/experiments", { display_name: "e", namespace: "ns-b" }, bob);
    expect(b.status).toBe(200); // same name, other namespace

    expect(
      (await api(emu).post("/apis/v2beta1/experiments", { display_name: "x", namespace: "ns-a" }, bob))
        .status,
    ).toBe(403);
    expect((await api(emu).get(`/apis/v2beta1/experiments/${a.body.experiment_id}`, bob)).status).toBe(403);
    expect((await api(emu).get(`/apis/v2beta1/experiments/${b.body.experiment_id}`, alice)).status).toBe(403);
    expect((await api(emu).get("/apis/v2beta1/experiments?namespace=ns-b", alice)).status).toBe(403);
    expect((await api(emu).del(`/apis/v2beta1/experiments/${a.body.experiment_id}`, bob)).status).toBe(403);
    const listA = await api(emu).get("/apis/v2beta1/experiments?namespace=ns-a", alice);
    expect(listA.body.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual([
      a.body.experiment_id,
    ]);
    const listNoNs = await api(emu).get("/apis/v2beta1/experiments", alice);
    expect(listNoNs.status).toBe(400);
    const anon = await api(emu).get("/apis/v2beta1/experiments?namespace=ns-a");
    expect(anon.status).toBe(401);
    const unknown = await api(emu).get("/apis/v2beta1/experiments/nope", alice);
    expect(unknown.status).toBe(404);
    expect((await api(emu).post("/apis/v2beta1/experiments/nope:archive", undefined, alice)).status).toBe(
      404,
    );
  });
});

describe("the default experiment survives a restart (SQLite)", () => {
  it("is created once and reused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kfp-ts-exp-"));
    const db = join(dir, "emu.db");
    try {
      const first = await startEmulator({ db });
      const id1 = (await api(first).get("/apis/v2beta1/experiments")).body.experiments[0].experiment_id;
      await first.close();
      const second = await startEmulator({ db });
      const list = (await api(second).get("/apis/v2beta1/experiments")).body;
      await second.close();
      expect(list.total_size).toBe(1);
      expect(list.experiments[0].experiment_id).toBe(id1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
