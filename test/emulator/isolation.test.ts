/**
 * Multi-user isolation rules of the resource layer (resource/access.ts): lookups by name with an
 * empty namespace see shared pipelines only, and a run or recurring run can reference by id only a
 * pipeline (or version) that is shared or in its own namespace. Each rule is checked for the owner,
 * for the other user, and for a user who may act in both namespaces; a denied create stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { call, MINIMAL_SPEC, upload } from "./helpers/http.js";

const alice = { "kubeflow-userid": "alice@example.com" };
const bob = { "kubeflow-userid": "bob@example.com" };
const admin = { "kubeflow-userid": "admin@example.com" };

interface Uploaded {
  pipelineId: string;
  versionId: string;
}

describe("multi-user isolation in the resource layer", () => {
  let emu: Emulator;
  let priv: Uploaded; // alice's, in team-a
  let shared: Uploaded; // shared (no namespace)
  let expA: string;
  let expB: string;

  const up = async (name: string, headers: Record<string, string>, namespace?: string) => {
    const r = await upload(
      emu.url,
      "/apis/v2beta1/pipelines/upload",
      { filename: "p.yaml", data: MINIMAL_SPEC(name) },
      namespace ? { name, namespace } : { name },
      headers,
    );
    expect(r.status, r.text).toBe(200);
    const versions = await call(
      emu.url,
      "GET",
      `/apis/v2beta1/pipelines/${r.body.pipeline_id}/versions`,
      undefined,
      headers,
    );
    expect(versions.status, versions.text).toBe(200);
    return {
      pipelineId: r.body.pipeline_id as string,
      versionId: versions.body.pipeline_versions[0].pipeline_version_id as string,
    };
  };
  const experiment = async (namespace: string, headers: Record<string, string>) => {
    const r = await call(
      emu.url,
      "POST",
      "/apis/v2beta1/experiments",
      { display_name: `exp-${namespace}`, namespace },
      headers,
    );
    expect(r.status, r.text).toBe(200);
    return r.body.experiment_id as string;
  };
  const runCount = async (namespace: string, headers: Record<string, string>) => {
    const r = await call(emu.url, "GET", `/apis/v2beta1/runs?namespace=${namespace}`, undefined, headers);
    expect(r.status, r.text).toBe(200);
    return Number(r.body.total_size ?? 0);
  };
  const recurringCount = async (namespace: string, headers: Record<string, string>) => {
    const r = await call(
      emu.url,
      "GET",
      `/apis/v2beta1/recurringruns?namespace=${namespace}`,
      undefined,
      headers,
    );
    expect(r.status, r.text).toBe(200);
    return Number(r.body.total_size ?? 0);
  };

  beforeAll(async () => {
    emu = await startEmulator({
      lifecycle: { tickMs: 1 },
      multiUser: {
        users: {
          "alice@example.com": { namespaces: ["team-a"] },
          "bob@example.com": { namespaces: ["team-b"] },
          "admin@example.com": { namespaces: ["*"] },
        },
      },
    });
    priv = await up("secret-pipe", alice, "team-a");
    shared = await up("shared-pipe", admin);
    expA = await experiment("team-a", alice);
    expB = await experiment("team-b", bob);
  });
  afterAll(async () => {
    await emu?.close();
  });

  describe("lookup by name: an empty namespace means shared pipelines only", () => {
    const byName = [
      [
        "v2beta1",
        (name: string, ns?: string) => `/apis/v2beta1/pipelines/names/${name}${ns ? `?namespace=${ns}` : ""}`,
      ],
      [
        "v2",
        (name: string, ns?: string) => `/apis/v2/pipelines/names/${name}${ns ? `?namespace=${ns}` : ""}`,
      ],
      ["v1beta1", (name: string, ns?: string) => `/apis/v1beta1/namespaces/${ns ?? "-"}/pipelines/${name}`],
    ] as const;

    for (const [api, path] of byName) {
      it(`${api}: another user's private pipeline is not found without a namespace`, async () => {
        for (const who of [bob, alice, admin]) {
          const r = await call(emu.url, "GET", path("secret-pipe"), undefined, who);
          expect(r.status, r.text).toBe(404);
          expect(r.body.code).toBe(5);
          expect(r.text).not.toContain(priv.pipelineId);
          expect(r.text).toContain("Failed to get a pipeline named secret-pipe in namespace ");
        }
      });

      it(`${api}: the owner finds it in its namespace; the other user is denied there`, async () => {
        const own = await call(emu.url, "GET", path("secret-pipe", "team-a"), undefined, alice);
        expect(own.status, own.text).toBe(200);
        expect(own.text).toContain(priv.pipelineId);
        const other = await call(emu.url, "GET", path("secret-pipe", "team-a"), undefined, bob);
        expect(other.status, other.text).toBe(403);
        expect(other.body.code).toBe(7);
        expect(other.text).not.toContain(priv.pipelineId);
      });

      it(`${api}: a shared pipeline is found by everyone without a namespace`, async () => {
        for (const who of [alice, bob]) {
          const r = await call(emu.url, "GET", path("shared-pipe"), undefined, who);
          expect(r.status, r.text).toBe(200);
          expect(r.text).toContain(shared.pipelineId);
        }
      });
    }
  });

  describe("pipelines referenced by id in a run create", () => {
    const createRun = (headers: Record<string, string>, experimentId: string, ref: Record<string, string>) =>
      call(
        emu.url,
        "POST",
        "/apis/v2beta1/runs",
        { display_name: "r", experiment_id: experimentId, pipeline_version_reference: ref },
        headers,
      );

    it("the other user cannot run a private pipeline by pipeline_id or pipeline_version_id (403, nothing stored)", async () => {
      const before = await runCount("team-b", bob);
      for (const ref of <Record<string, string>[]>[
        { pipeline_id: priv.pipelineId },
        { pipeline_id: priv.pipelineId, pipeline_version_id: priv.versionId },
        { pipeline_version_id: priv.versionId },
      ]) {
        const r = await createRun(bob, expB, ref);
        expect(r.status, r.text).toBe(403);
        expect(r.body.code).toBe(7);
        expect(r.body.message).toContain(
          "Failed to create a run due to an inaccessible pipeline reference: Failed to access pipeline",
        );
        expect(r.text).not.toContain("pipeline_spec");
      }
      expect(await runCount("team-b", bob)).toBe(before);
    });

    it("a user of both namespaces cannot copy one namespace's pipeline into another's run (400)", async () => {
      const r = await createRun(admin, expB, { pipeline_id: priv.pipelineId });
      expect(r.status, r.text).toBe(400);
      expect(r.body.code).toBe(3);
      expect(r.body.message).toContain(
        `Pipeline ${priv.pipelineId} belongs to namespace 'team-a': a run in namespace 'team-b' can only use pipelines of its own namespace or shared pipelines`,
      );
      expect(await runCount("team-b", admin)).toBe(0);
    });

    it("the owner runs its own pipeline; everyone runs a shared one", async () => {
      const own = await createRun(alice, expA, { pipeline_id: priv.pipelineId });
      expect(own.status, own.text).toBe(200);
      expect(own.body.pipeline_version_reference.pipeline_id).toBe(priv.pipelineId);
      const sharedRun = await createRun(bob, expB, { pipeline_version_id: shared.versionId });
      expect(sharedRun.status, sharedRun.text).toBe(200);
      expect(sharedRun.body.pipeline_version_reference.pipeline_id).toBe(shared.pipelineId);
    });

    it("v1beta1: a PIPELINE_VERSION reference to another namespace is denied the same way", async () => {
      const r = await call(
        emu.url,
        "POST",
        "/apis/v1beta1/runs",
        {
          name: "v1-r",
          resource_references: [
            { key: { type: "EXPERIMENT", id: expB }, relationship: "OWNER" },
            { key: { type: "PIPELINE_VERSION", id: priv.versionId }, relationship: "CREATOR" },
          ],
        },
        bob,
      );
      expect(r.status, r.text).toBe(403);
      expect(r.body.code).toBe(7);
      expect(r.text).not.toContain("pipeline_manifest");
    });

    it("an experiment of another namespace is denied (403) before any pipeline is read", async () => {
      const r = await createRun(bob, expA, { pipeline_id: shared.pipelineId });
      expect(r.status, r.text).toBe(403);
      expect(r.body.message).toContain("Failed to create a run due to authorization error");
    });
  });

  describe("pipelines referenced by id in a recurring run create", () => {
    const createRecurring = (
      headers: Record<string, string>,
      experimentId: string,
      ref: Record<string, string>,
    ) =>
      call(
        emu.url,
        "POST",
        "/apis/v2beta1/recurringruns",
        {
          display_name: "rr",
          experiment_id: experimentId,
          max_concurrency: "1",
          mode: "DISABLE",
          pipeline_version_reference: ref,
        },
        headers,
      );

    it("the other user is denied for pinned and unpinned references (403, nothing stored)", async () => {
      for (const ref of <Record<string, string>[]>[
        { pipeline_id: priv.pipelineId },
        { pipeline_id: priv.pipelineId, pipeline_version_id: priv.versionId },
      ]) {
        const r = await createRecurring(bob, expB, ref);
        expect(r.status, r.text).toBe(403);
        expect(r.body.message).toContain(
          "Failed to create a recurring run due to an inaccessible pipeline reference",
        );
      }
      expect(await recurringCount("team-b", bob)).toBe(0);
    });

    it("a cross-namespace reference by a user of both namespaces is 400; own and shared pipelines work", async () => {
      const cross = await createRecurring(admin, expB, { pipeline_id: priv.pipelineId });
      expect(cross.status, cross.text).toBe(400);
      expect(cross.body.message).toContain("a recurring run in namespace 'team-b' can only use");
      expect(await recurringCount("team-b", admin)).toBe(0);
      const own = await createRecurring(alice, expA, { pipeline_id: priv.pipelineId });
      expect(own.status, own.text).toBe(200);
      const sharedRr = await createRecurring(bob, expB, { pipeline_id: shared.pipelineId });
      expect(sharedRr.status, sharedRr.text).toBe(200);
    });
  });
});

describe("single-user mode: names and references are not restricted", () => {
  it("a lookup by name without a namespace finds the pipeline; a run uses it by id", async () => {
    const emu = await startEmulator({ lifecycle: { tickMs: 1 } });
    try {
      const up = await upload(
        emu.url,
        "/apis/v2beta1/pipelines/upload",
        { filename: "p.yaml", data: MINIMAL_SPEC("solo") },
        { name: "solo", namespace: "ignored" },
      );
      expect(up.status, up.text).toBe(200);
      const got = await call(emu.url, "GET", "/apis/v2beta1/pipelines/names/solo");
      expect(got.status, got.text).toBe(200);
      expect(got.body.pipeline_id).toBe(up.body.pipeline_id);
      const run = await call(emu.url, "POST", "/apis/v2beta1/runs", {
        display_name: "r",
        pipeline_version_reference: { pipeline_id: up.body.pipeline_id },
      });
      expect(run.status, run.text).toBe(200);
    } finally {
      await emu.close();
    }
  });
});
