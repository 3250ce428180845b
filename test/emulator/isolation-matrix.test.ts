/**
 * The multi-user isolation matrix (issue 14 §4), generated from ONE table: every endpoint of every
 * resource kind on v2beta1, v2 and v1beta1, each tried by two users against their own resources,
 * the other user's and shared ones. A cell asserts allow (2xx) or deny (400/403/404, in the
 * gateway's or the upload handler's shape), and that the answer carries none of the other
 * namespace's data: its secret markers (names, descriptions) and resource ids, except what the
 * caller itself sent. Destructive operations act on resources made fresh for the cell.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { call, MINIMAL_SPEC, type Reply, upload } from "./helpers/http.js";

import {
  type Api,
  type Outcome,
  type Owner,
  type Request,
  type Res,
  type Row,
  recurringBody,
  TABLE,
  type UserKey,
} from "./helpers/isolation-table.js";

const HEADERS: Record<UserKey | "admin", Record<string, string>> = {
  alice: { "kubeflow-userid": "alice@example.com" },
  bob: { "kubeflow-userid": "bob@example.com" },
  admin: { "kubeflow-userid": "admin@example.com" },
};
const NAMESPACE: Record<UserKey, string> = { alice: "team-a", bob: "team-b" };
const OTHER: Record<UserKey, UserKey> = { alice: "bob", bob: "alice" };
/** Every secret marker of a namespace starts with this (names, descriptions). */
const marker = (ns: string) => `secret-${ns}`;

let emu: Emulator;
const res: Record<UserKey | "shared", Res> = {} as never;
/** Every id ever created per namespace (the fresh ones too), for the leak check. */
const idsOf: Record<string, Set<string>> = { "team-a": new Set(), "team-b": new Set() };

async function ok(r: Reply, what: string): Promise<Reply> {
  expect(r.status, `${what}: ${r.text}`).toBe(200);
  return r;
}

async function newVersion(owner: UserKey | "shared", pipelineId: string): Promise<string> {
  const headers = owner === "shared" ? HEADERS.admin : HEADERS[owner];
  const ns = owner === "shared" ? "" : NAMESPACE[owner];
  const r = await ok(
    await upload(
      emu.url,
      "/apis/v2beta1/pipelines/upload_version",
      { filename: "v.yaml", data: MINIMAL_SPEC(`${marker(ns || "shared")}-v`) },
      { pipelineid: pipelineId, name: `${marker(ns || "shared")}-v-${Math.random().toString(36).slice(2)}` },
      headers,
    ),
    "upload version",
  );
  if (ns) idsOf[ns]!.add(r.body.pipeline_version_id);
  return r.body.pipeline_version_id;
}

async function newExperiment(user: UserKey): Promise<string> {
  const ns = NAMESPACE[user];
  const r = await ok(
    await call(
      emu.url,
      "POST",
      "/apis/v2beta1/experiments",
      {
        display_name: `${marker(ns)}-exp-${Math.random().toString(36).slice(2)}`,
        description: marker(ns),
        namespace: ns,
      },
      HEADERS[user],
    ),
    "create experiment",
  );
  idsOf[ns]!.add(r.body.experiment_id);
  return r.body.experiment_id;
}

async function newRun(user: UserKey, experimentId: string, pipelineId: string): Promise<string> {
  const ns = NAMESPACE[user];
  const r = await ok(
    await call(
      emu.url,
      "POST",
      "/apis/v2beta1/runs",
      {
        display_name: `${marker(ns)}-run`,
        description: marker(ns),
        experiment_id: experimentId,
        pipeline_version_reference: { pipeline_id: pipelineId },
      },
      HEADERS[user],
    ),
    "create run",
  );
  idsOf[ns]!.add(r.body.run_id);
  return r.body.run_id;
}

async function newJob(user: UserKey, experimentId: string, pipelineId: string): Promise<string> {
  const ns = NAMESPACE[user];
  const r = await ok(
    await call(
      emu.url,
      "POST",
      "/apis/v2beta1/recurringruns",
      {
        ...recurringBody(experimentId, { pipeline_id: pipelineId }),
        display_name: `${marker(ns)}-job`,
        description: marker(ns),
      },
      HEADERS[user],
    ),
    "create recurring run",
  );
  idsOf[ns]!.add(r.body.recurring_run_id);
  return r.body.recurring_run_id;
}

async function newPipeline(
  owner: UserKey | "shared",
): Promise<{ pipelineId: string; versionId: string; name: string }> {
  const ns = owner === "shared" ? "" : NAMESPACE[owner];
  const name = `${marker(ns || "shared")}-pipe`;
  const r = await ok(
    await upload(
      emu.url,
      "/apis/v2beta1/pipelines/upload",
      { filename: "p.yaml", data: MINIMAL_SPEC(name) },
      ns ? { name, namespace: ns, description: marker(ns) } : { name },
      owner === "shared" ? HEADERS.admin : HEADERS[owner],
    ),
    "upload pipeline",
  );
  const versions = await ok(
    await call(
      emu.url,
      "GET",
      `/apis/v2beta1/pipelines/${r.body.pipeline_id}/versions`,
      undefined,
      owner === "shared" ? HEADERS.admin : HEADERS[owner],
    ),
    "list versions",
  );
  const versionId = versions.body.pipeline_versions[0].pipeline_version_id as string;
  if (ns) idsOf[ns]!.add(r.body.pipeline_id).add(versionId);
  return { pipelineId: r.body.pipeline_id, versionId, name };
}

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
  for (const user of ["alice", "bob"] as const) {
    const p = await newPipeline(user);
    const experimentId = await newExperiment(user);
    res[user] = {
      ns: NAMESPACE[user],
      pipelineId: p.pipelineId,
      versionId: p.versionId,
      pipelineName: p.name,
      experimentId,
      runId: await newRun(user, experimentId, p.pipelineId),
      jobId: await newJob(user, experimentId, p.pipelineId),
    };
  }
  const s = await newPipeline("shared");
  res.shared = {
    ns: "",
    pipelineId: s.pipelineId,
    versionId: s.versionId,
    pipelineName: s.name,
    experimentId: "",
    runId: "",
    jobId: "",
  };
});
afterAll(async () => {
  await emu?.close();
});

/** The target's resources for a cell, with a fresh one for destructive rows. */
async function target(row: Row, owner: Owner, user: UserKey): Promise<Res> {
  const who: UserKey | "shared" = owner === "own" ? user : owner === "other" ? OTHER[user] : "shared";
  const base = res[who];
  if (!row.fresh) return base;
  if (row.fresh === "version") return { ...base, versionId: await newVersion(who, base.pipelineId) };
  if (who === "shared") throw new Error(`row ${row.op}: no shared ${row.fresh}`);
  if (row.fresh === "experiment") return { ...base, experimentId: await newExperiment(who) };
  if (row.fresh === "run") return { ...base, runId: await newRun(who, base.experimentId, base.pipelineId) };
  return { ...base, jobId: await newJob(who, base.experimentId, base.pipelineId) };
}

async function send(req: Request, user: UserKey): Promise<Reply> {
  if (req.upload) {
    return upload(
      emu.url,
      req.path,
      { filename: "v.yaml", data: MINIMAL_SPEC("matrix-v") },
      req.upload.query,
      HEADERS[user],
    );
  }
  return call(emu.url, req.method, req.path, req.body, HEADERS[user]);
}

/** Nothing of the other namespace that the caller did not send itself. */
function expectNoLeak(r: Reply, sent: string, otherNs: string, label: string): void {
  const forbidden = [marker(otherNs), ...idsOf[otherNs]!].filter((s) => !sent.includes(s));
  for (const s of forbidden)
    expect(r.text.includes(s), `${label}: the answer carries ${s}: ${r.text.slice(0, 400)}`).toBe(false);
}

interface Cell {
  label: string;
  row: Row;
  api: Api;
  owner: Owner;
  user: UserKey;
  outcome: Outcome;
}

const CELLS: Cell[] = TABLE.flatMap((row) =>
  row.apis.flatMap((api) =>
    (Object.entries(row.expect) as [Owner, Outcome][]).flatMap(([owner, outcome]) =>
      (["alice", "bob"] as const).map((user) => ({
        label: `${api} ${row.kind} ${row.op} — ${user} on ${owner === "shared" ? "a shared" : owner === "own" ? "own" : "the other's"} → ${outcome}`,
        row,
        api,
        owner,
        user,
        outcome,
      })),
    ),
  ),
);

describe("isolation matrix (two users × every endpoint × own / other's / shared)", () => {
  it("the table covers every kind on every API version", () => {
    for (const kind of ["pipeline", "version", "experiment", "run", "recurring-run"]) {
      for (const api of ["v2beta1", "v2", "v1beta1"]) {
        expect(
          CELLS.some((c) => c.row.kind === kind && c.api === api),
          `${kind} on ${api}`,
        ).toBe(true);
      }
    }
    expect(CELLS.length).toBeGreaterThan(250);
  });

  for (const cell of CELLS) {
    it(cell.label, async () => {
      const t = await target(cell.row, cell.owner, cell.user);
      const req = cell.row.req(`/apis/${cell.api}`, t, res[cell.user]);
      const r = await send(req, cell.user);
      const sent = `${req.path} ${JSON.stringify(req.body ?? "")} ${JSON.stringify(req.upload ?? "")}`;
      if (cell.outcome === "allow") {
        expect(r.status, `${cell.label}: ${r.text.slice(0, 400)}`).toBe(200);
      } else {
        expect([400, 403, 404], `${cell.label}: ${r.status} ${r.text.slice(0, 400)}`).toContain(r.status);
        const shaped =
          (typeof r.body?.code === "number" && typeof r.body?.message === "string") ||
          typeof r.body?.error_message === "string";
        expect(shaped, `${cell.label}: error shape ${r.text.slice(0, 200)}`).toBe(true);
      }
      expectNoLeak(r, sent, NAMESPACE[OTHER[cell.user]], cell.label);
    });
  }

  it("after the matrix, every owner still reads its own resources", async () => {
    for (const user of ["alice", "bob"] as const) {
      const r = res[user];
      for (const path of [
        `/apis/v2beta1/pipelines/${r.pipelineId}`,
        `/apis/v2beta1/pipelines/${r.pipelineId}/versions/${r.versionId}`,
        `/apis/v2beta1/experiments/${r.experimentId}`,
        `/apis/v2beta1/runs/${r.runId}`,
        `/apis/v2beta1/recurringruns/${r.jobId}`,
      ]) {
        await ok(await call(emu.url, "GET", path, undefined, HEADERS[user]), `${user} ${path}`);
      }
    }
  });
});
