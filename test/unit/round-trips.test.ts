/**
 * Round trips of one call with `apiVersion: "auto"`, counted by a recording server: one against a 2.x
 * server (the call goes to /apis/v2beta1 first; /apis/v2 is never asked), two against a 1.x server
 * (a 404 for an unknown route, then the call again on /apis/v1beta1), and what was learned is kept by
 * the client and the clients derived from it.
 */
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Kfp, type KfpOptions } from "../../packages/kfp-ts/src/client.js";
import { KfpError, NotFoundError } from "../../packages/kfp-ts/src/core/errors.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { specYaml } from "../helpers/specs.js";

let rec: Recorder;
const clients: Kfp[] = [];

function client(opts: Partial<KfpOptions> = {}): Kfp {
  const c = new Kfp({
    host: rec.url,
    retry: { baseDelay: 1, maxDelay: 5 },
    logLevel: "off",
    env: {},
    ...opts,
  });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  rec = await startRecorder();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await rec.close();
});

const paths = () => rec.requests.map((r) => `${r.method} ${r.url.split("?", 1)[0]}`);
const GATEWAY_404 = { status: 404, body: { code: 5, message: "Not Found" } };

/** A 2.x server: v2beta1 routes; anything else is the gateway's unknown-route 404. */
function serve2x(): void {
  rec.route("GET /apis/v2beta1/runs/r1", { body: { run_id: "r1", display_name: "one", state: "SUCCEEDED" } });
  rec.route("POST /apis/v2beta1/pipelines/upload", {
    body: { pipeline_id: "p1", name: "up", display_name: "up", created_at: "2026-01-01T00:00:00Z" },
  });
  rec.route("GET /apis/v2beta1/experiments", {
    body: { experiments: [{ experiment_id: "e1" }], total_size: 1 },
  });
  rec.route("GET /apis/v2beta1/runs/missing", {
    status: 404,
    body: { code: 5, message: "Run missing not found", details: [] },
  });
  rec.fallback(GATEWAY_404);
}

/** A 1.x server: v1beta1 routes only; unknown routes get Go's plain-text 404. */
function serve1x(): void {
  rec.route("GET /apis/v1beta1/runs/r1", {
    body: { run: { id: "r1", name: "one", status: "Succeeded", created_at: "2026-01-01T00:00:00Z" } },
  });
  rec.route("POST /apis/v1beta1/pipelines/upload", {
    body: { id: "p1", name: "up", created_at: "2026-01-01T00:00:00Z" },
  });
  rec.route("GET /apis/v1beta1/experiments", {
    body: { experiments: [{ id: "e1", name: "x" }], total_size: 1 },
  });
  rec.fallback({ status: 404, headers: { "content-type": "text/plain" }, body: "404 page not found\n" });
}

describe("a 2.x server: one round trip per one-shot call", () => {
  it.each([
    ["runs.get", (k: Kfp) => k.runs.get("r1"), "GET /apis/v2beta1/runs/r1"],
    [
      "pipelines.upload",
      (k: Kfp) => k.pipelines.upload(specYaml(), { name: "up" }),
      "POST /apis/v2beta1/pipelines/upload",
    ],
    ["experiments.list", (k: Kfp) => k.experiments.list(), "GET /apis/v2beta1/experiments"],
  ] as const)("%s", async (_name, call, expected) => {
    serve2x();
    await call(client());
    expect(paths()).toEqual([expected]);
  });

  it("a 404 for a missing resource is the API's answer: NotFoundError, no fallback, version kept", async () => {
    serve2x();
    const kfp = client();
    const err = await kfp.runs.get("missing").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).shortMessage).toBe("Run missing not found");
    expect(await kfp.apiVersion()).toBe("v2beta1");
    expect(paths()).toEqual(["GET /apis/v2beta1/runs/missing"]);
  });
});

describe("a 1.x server: two round trips, then one", () => {
  it("runs.get: v2beta1 (unknown route), then v1beta1, converted; the next call goes straight to v1beta1", async () => {
    serve1x();
    const kfp = client();
    const run = await kfp.runs.get("r1");
    expect(run.run_id).toBe("r1");
    expect(run.display_name).toBe("one");
    expect(paths()).toEqual(["GET /apis/v2beta1/runs/r1", "GET /apis/v1beta1/runs/r1"]);
    await kfp.runs.get("r1");
    expect(paths()).toHaveLength(3);
    expect(paths()[2]).toBe("GET /apis/v1beta1/runs/r1");
    expect(await kfp.apiVersion()).toBe("v1beta1");
    expect(paths()).toHaveLength(3);
  });

  it("pipelines.upload is sent again on v1beta1 (nothing was created by the 404)", async () => {
    serve1x();
    const p = await client().pipelines.upload(specYaml(), { name: "up" });
    expect(p.pipeline_id).toBe("p1");
    expect(paths()).toEqual(["POST /apis/v2beta1/pipelines/upload", "POST /apis/v1beta1/pipelines/upload"]);
  });

  it("a list page is fetched again on v1beta1", async () => {
    serve1x();
    const page = await client().experiments.list();
    expect(page.items.map((e) => e.experiment_id)).toEqual(["e1"]);
    expect(paths()).toEqual(["GET /apis/v2beta1/experiments", "GET /apis/v1beta1/experiments"]);
  });

  it("a one-shot stream is never sent twice: the version is asked from healthz first", async () => {
    serve1x();
    rec.route("GET /apis/v1beta1/healthz", { body: { multi_user: false } });
    const p = await client().pipelines.upload(Readable.from([specYaml()]), { name: "up" });
    expect(p.pipeline_id).toBe("p1");
    expect(paths()).toEqual([
      "GET /apis/v2beta1/healthz",
      "GET /apis/v1beta1/healthz",
      "POST /apis/v1beta1/pipelines/upload",
    ]);
  });

  it("calls sent at once before the first answer all end on v1beta1", async () => {
    serve1x();
    const kfp = client();
    const runs = await Promise.all([kfp.runs.get("r1"), kfp.runs.get("r1"), kfp.runs.get("r1")]);
    expect(runs.map((r) => r.run_id)).toEqual(["r1", "r1", "r1"]);
    expect(paths().filter((p) => p.includes("/v2beta1/"))).toHaveLength(3);
    expect(paths().filter((p) => p.includes("/v1beta1/"))).toHaveLength(3);
  });

  it("a derived client keeps what its parent learned", async () => {
    serve1x();
    const root = client();
    await root.runs.get("r1");
    await root.withNamespace("ns").runs.get("r1");
    expect(paths()).toEqual([
      "GET /apis/v2beta1/runs/r1",
      "GET /apis/v1beta1/runs/r1",
      "GET /apis/v1beta1/runs/r1",
    ]);
  });
});

describe("no KFP API at the host", () => {
  it("unknown routes on v2beta1 and v1beta1: a KfpError that names both and says what to check", async () => {
    rec.fallback(GATEWAY_404);
    const err = await client()
      .runs.get("r1")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KfpError);
    expect((err as Error).message).toMatch(
      /^no KFP API found at http:\/\/127\.0\.0\.1:\d+: \/apis\/v2beta1 and \/apis\/v1beta1 both answered 404 for an unknown route; check the host/,
    );
    expect(paths()).toEqual(["GET /apis/v2beta1/runs/r1", "GET /apis/v1beta1/runs/r1"]);
  });
});
