/**
 * Servers before 2.14.0 know pipelines and versions by `display_name` only and reject a `name` field in
 * a JSON body with 400 (FACTS.md §2.2, §5). No emulator mode reproduces that server, so a recorder
 * stands in for it: the create is sent again without `name` (the name becomes the display name), and
 * the client leaves the field out from then on. Other 400s are not retried.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Kfp } from "../../packages/kfp-ts/src/client.js";
import { BadRequestError } from "../../packages/kfp-ts/src/core/errors.js";
import { type RecordedRequest, type Recorder, startRecorder } from "../helpers/recorder.js";

let rec: Recorder;
const clients: Kfp[] = [];
const client = () => {
  const c = new Kfp({
    host: rec.url,
    apiVersion: "v2beta1",
    logLevel: "off",
    env: {},
    retry: { baseDelay: 1, maxDelay: 5 },
  });
  clients.push(c);
  return c;
};
const json = (r: RecordedRequest) => JSON.parse(r.body.toString("utf8")) as Record<string, unknown>;
/** grpc-gateway v1's error body for a decoding failure (KFP before 2.14.0). */
const unknownField = (field: string, type: string) => {
  const message = `unknown field "${field}" in v2beta1.${type}`;
  return { status: 400, body: { error: message, code: 3, message, details: [] } };
};

/** A pre-2.14 server: `name` is an unknown field of Pipeline and PipelineVersion. */
function oldServer(r: Recorder): void {
  r.route("POST /apis/v2beta1/pipelines", (req) => {
    const b = json(req);
    if ("name" in b) return unknownField("name", "Pipeline");
    if ("flavour" in b) return unknownField("flavour", "Pipeline");
    return { body: { pipeline_id: "p1", display_name: b.display_name, created_at: "2026-01-01T00:00:00Z" } };
  });
  r.route("POST /apis/v2beta1/pipelines/p1/versions", (req) => {
    const b = json(req);
    if ("name" in b) return unknownField("name", "PipelineVersion");
    return {
      body: {
        pipeline_id: "p1",
        pipeline_version_id: "v1",
        display_name: b.display_name,
        created_at: "2026-01-01T00:00:00Z",
      },
    };
  });
}

beforeEach(async () => {
  rec = await startRecorder();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await rec.close();
});

describe("servers before 2.14.0 (no `name` on pipelines and versions)", () => {
  it("pipelines.create: sent again without name, the name kept as display_name; later creates skip the field", async () => {
    oldServer(rec);
    const kfp = client();
    const p = await kfp.pipelines.create({ name: "etl", display_name: "ETL pipeline", description: "d" });
    expect(p.display_name).toBe("etl");
    expect(rec.requests.map(json)).toEqual([
      { name: "etl", display_name: "ETL pipeline", description: "d" },
      { display_name: "etl", description: "d" },
    ]);
    await kfp.pipelines.create({ name: "etl-2" });
    expect(rec.requests).toHaveLength(3);
    expect(json(rec.requests[2]!)).toEqual({ display_name: "etl-2" });
  });

  it("versions.create falls back the same way", async () => {
    oldServer(rec);
    const kfp = client();
    const v = await kfp.pipelines.versions.create("p1", {
      name: "v-1",
      package_url: { pipeline_url: "https://example.invalid/p.yaml" },
    });
    expect(v.display_name).toBe("v-1");
    expect(rec.requests.map(json)).toEqual([
      { name: "v-1", package_url: { pipeline_url: "https://example.invalid/p.yaml" }, pipeline_id: "p1" },
      {
        display_name: "v-1",
        package_url: { pipeline_url: "https://example.invalid/p.yaml" },
        pipeline_id: "p1",
      },
    ]);
  });

  it("pipelines.createWithVersion drops name from both messages", async () => {
    rec.route("POST /apis/v2beta1/pipelines/create", (req) => {
      const b = json(req) as { pipeline: Record<string, unknown>; pipeline_version: Record<string, unknown> };
      if ("name" in b.pipeline) return unknownField("name", "Pipeline");
      if ("name" in b.pipeline_version) return unknownField("name", "PipelineVersion");
      return {
        body: {
          pipeline_id: "p2",
          display_name: b.pipeline.display_name,
          created_at: "2026-01-01T00:00:00Z",
        },
      };
    });
    const kfp = client();
    const url = { pipeline_url: "https://example.invalid/p.yaml" };
    const p = await kfp.pipelines.createWithVersion({ name: "etl" }, { name: "v1", package_url: url });
    expect(p.display_name).toBe("etl");
    expect(rec.requests.map(json)).toEqual([
      { pipeline: { name: "etl" }, pipeline_version: { name: "v1", package_url: url } },
      { pipeline: { display_name: "etl" }, pipeline_version: { display_name: "v1", package_url: url } },
    ]);
  });

  it("other 400s are not retried, and a body without name is sent once", async () => {
    oldServer(rec);
    const kfp = client();
    const err = await kfp.pipelines
      .create({ display_name: "x", flavour: "y" } as unknown as { display_name: string })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(rec.requests).toHaveLength(1);
    await kfp.pipelines.create({ display_name: "only-display" });
    expect(rec.requests).toHaveLength(2);
    expect(json(rec.requests[1]!)).toEqual({ display_name: "only-display" });
  });

  it("a current server gets name and display_name, once", async () => {
    rec.route("POST /apis/v2beta1/pipelines", (req) => ({
      body: { pipeline_id: "p9", ...json(req), created_at: "2026-01-01T00:00:00Z" },
    }));
    const kfp = client();
    const p = await kfp.pipelines.create({ name: "etl", display_name: "ETL pipeline" });
    expect(p).toMatchObject({ name: "etl", display_name: "ETL pipeline" });
    expect(rec.requests.map(json)).toEqual([{ name: "etl", display_name: "ETL pipeline" }]);
  });
});
