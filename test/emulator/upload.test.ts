/**
 * The plain multipart upload handlers, row by row against FACTS.md §4.5, and every real package.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { writeTarGz, writeZip } from "./helpers/archive-writer.js";
import { call, MINIMAL_SPEC, type Reply, upload } from "./helpers/http.js";
import { hasShared, listFiles, sharedPipelines } from "./helpers/shared.js";

const UP = "/apis/v2beta1/pipelines/upload";
const UPV = "/apis/v2beta1/pipelines/upload_version";
const TEXT = "text/plain; charset=utf-8";
const JSON_CT = "application/json";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.close();
});

let seq = 0;
const uniq = (p = "p") => `${p}-${++seq}`;

function expectUploadError(r: Reply, status: number, message: string, contentType: string) {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toBe(contentType);
  expect(r.body.error_message).toBe(message);
  expect(typeof r.body.error_details).toBe("string");
  expect(r.body.error_details.startsWith(message)).toBe(true);
}

function expectPlainText(r: Reply, text: string) {
  expect(r.status).toBe(400);
  expect(r.headers.get("content-type")).toBe(TEXT);
  expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  expect(r.text).toBe(`${text}\n`);
}

async function newPipeline(): Promise<string> {
  const r = await upload(emu.url, UP, { filename: "p.yaml", data: MINIMAL_SPEC() }, { name: uniq() });
  expect(r.status).toBe(200);
  return r.body.pipeline_id;
}

describe("POST /pipelines/upload", () => {
  it("creates a pipeline and its first version", async () => {
    const name = uniq("upl");
    const r = await upload(
      emu.url,
      UP,
      { filename: "p.yaml", data: MINIMAL_SPEC() },
      { name, description: "desc", tags: JSON.stringify({ team: "ml" }), code_source_url: "https://x/y" },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe(JSON_CT);
    expect(r.body).toEqual({
      pipeline_id: expect.any(String),
      name,
      display_name: name,
      description: "desc",
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      tags: { team: "ml" },
    });
    const versions = await call(emu.url, "GET", `/apis/v2beta1/pipelines/${r.body.pipeline_id}/versions`);
    expect(versions.body.total_size).toBe(1);
    const v = versions.body.pipeline_versions[0];
    expect(v).toMatchObject({
      name,
      display_name: name,
      description: "desc",
      code_source_url: "https://x/y",
    });
    expect(v.tags).toBeUndefined();
    expect(v.package_url).toBeUndefined();
    expect(v.pipeline_spec.pipelineInfo).toEqual({ name: "my-pipe" });
    expect(v.pipeline_spec.schemaVersion).toBe("2.1.0");
  });

  it("name falls back to display_name, then to the base file name", async () => {
    const dn = uniq("Display Name");
    const a = await upload(emu.url, UP, { filename: "p.yaml", data: MINIMAL_SPEC() }, { display_name: dn });
    expect(a.body).toMatchObject({ name: dn, display_name: dn });
    const file = `${uniq("file")}.yaml`;
    const b = await upload(emu.url, UP, { filename: `dir/sub/${file}`, data: MINIMAL_SPEC() });
    expect(b.body).toMatchObject({ name: file, display_name: file });
    // Go's filepath.Base on Linux: only "/" separates; a backslash is part of the name.
    const win = `${uniq("win")}\\sub\\p.yaml`;
    const w = await upload(emu.url, UP, { filename: `C:/x/${win}`, data: MINIMAL_SPEC() });
    expect(w.body).toMatchObject({ name: win, display_name: win });
    const n = uniq("n");
    const c = await upload(
      emu.url,
      UP,
      { filename: "p.yaml", data: MINIMAL_SPEC() },
      { name: n, display_name: "Nice" },
    );
    expect(c.body).toMatchObject({ name: n, display_name: "Nice" });
  });

  it("answers any method (plain handler)", async () => {
    const { multipart } = await import("./helpers/http.js");
    const { body, contentType } = multipart([
      { name: "uploadfile", filename: "x.yaml", data: MINIMAL_SPEC() },
    ]);
    const res = await fetch(`${emu.url}${UP}?name=${uniq("put")}`, {
      method: "PUT",
      body,
      headers: { "content-type": contentType },
    });
    expect(res.status).toBe(200);
  });

  it("400 Failed to read pipeline from file: not multipart, no uploadfile part, part without filename", async () => {
    const notMultipart = await call(emu.url, "POST", UP, { a: 1 });
    expectUploadError(notMultipart, 400, "Failed to read pipeline from file", TEXT);
    const otherPart = await upload(emu.url, UP, [{ name: "file", filename: "a.yaml", data: MINIMAL_SPEC() }]);
    expectUploadError(otherPart, 400, "Failed to read pipeline from file", TEXT);
    const noFilename = await upload(emu.url, UP, [{ name: "uploadfile", data: MINIMAL_SPEC() }]);
    expectUploadError(noFilename, 400, "Failed to read pipeline from file", TEXT);
  });

  it("400 Failed to read a pipeline spec file: unknown format, bad archives, no yaml inside", async () => {
    for (const file of [
      { filename: "a.txt", data: "hello" },
      { filename: "a.zip", data: Buffer.from([0x50, 0x4b, 3, 4, 0, 0]) },
      { filename: "a.tgz", data: Buffer.from([0x1f, 0x8b, 8, 0, 0]) },
      { filename: "a.zip", data: writeZip([{ name: "notes.txt", data: "x" }]) },
      { filename: "a.zip", data: writeZip([]) },
      { filename: "a.tar.gz", data: writeTarGz([{ name: "notes.txt", data: "x" }]) },
    ]) {
      const r = await upload(emu.url, UP, file, { name: uniq() });
      expectUploadError(r, 400, "Failed to read a pipeline spec file", TEXT);
    }
  });

  it("400 for a file over 32 MiB; a file of exactly 32 MiB is accepted", async () => {
    const max = 32 * 1024 * 1024;
    const big = Buffer.alloc(max + 1, 0x20);
    const r = await upload(emu.url, UP, { filename: "big.yaml", data: big }, { name: uniq() });
    expectUploadError(r, 400, "Failed to read a pipeline spec file", TEXT);
    // A valid spec padded with a comment line to exactly the limit ("longer than 32 MiB" is rejected).
    const head = Buffer.from(`${MINIMAL_SPEC(uniq("exact"))}\n#`);
    const exact = Buffer.concat([head, Buffer.alloc(max - head.length, 0x61)]);
    expect(exact.length).toBe(max);
    const ok = await upload(emu.url, UP, { filename: "exact.yaml", data: exact }, { name: uniq() });
    expect(ok.status, ok.text.slice(0, 300)).toBe(200);
    const pipelineId = ok.body.pipeline_id as string;
    const v = await upload(
      emu.url,
      UPV,
      { filename: "exact.yaml", data: exact },
      { name: uniq(), pipelineid: pipelineId },
    );
    expect(v.status, v.text.slice(0, 300)).toBe(200);
    const over = await upload(
      emu.url,
      UPV,
      { filename: "big.yaml", data: Buffer.concat([exact, Buffer.from("a")]) },
      { name: uniq(), pipelineid: pipelineId },
    );
    expectUploadError(over, 400, "Failed to create a pipeline version", TEXT);
  });

  it("400 text/plain for namespace > 63 and name > 128 (http.Error)", async () => {
    expectPlainText(
      await upload(emu.url, UP, { filename: "p.yaml", data: MINIMAL_SPEC() }, { namespace: "n".repeat(64) }),
      "Invalid input error: Pipeline.Namespace length cannot exceed 63",
    );
    expectPlainText(
      await upload(emu.url, UP, { filename: "p.yaml", data: MINIMAL_SPEC() }, { name: "n".repeat(129) }),
      "Invalid input error: Pipeline.Name length cannot exceed 128",
    );
  });

  it("400 when tags is not a JSON string→string object", async () => {
    for (const tags of ["{bad", '["a"]', '{"a":1}']) {
      const r = await upload(
        emu.url,
        UP,
        { filename: "p.yaml", data: MINIMAL_SPEC() },
        { name: uniq(), tags },
      );
      expectUploadError(
        r,
        400,
        "Failed to parse tags query parameter. Expected JSON object with string keys and values",
        TEXT,
      );
    }
  });

  it("409 application/json for a duplicate name", async () => {
    const name = uniq("dup");
    expect((await upload(emu.url, UP, { filename: "p.yaml", data: MINIMAL_SPEC() }, { name })).status).toBe(
      200,
    );
    const r = await upload(emu.url, UP, { filename: "p.yaml", data: MINIMAL_SPEC() }, { name });
    expectUploadError(r, 409, "Failed to create a pipeline and a pipeline version", JSON_CT);
  });

  it("400 application/json with the external message for invalid specs and tags", async () => {
    const cases: [string, string, Record<string, string>?][] = [
      ["", "unknown template format"],
      ["foo: bar\n", "unknown template format"],
      [
        MINIMAL_SPEC().replace("2.1.0", "2.0.0"),
        "KFP only supports schema version 2.1.0, but the pipeline spec has version 2.0.0",
      ],
      [
        MINIMAL_SPEC("my_pipe"),
        "pipeline's name must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters",
      ],
      [
        MINIMAL_SPEC(),
        "tag key \"a.b\" must not contain '.' character",
        { tags: JSON.stringify({ "a.b": "x" }) },
      ],
      [
        MINIMAL_SPEC(),
        "number of tags (21) exceeds maximum of 20 per entity",
        { tags: JSON.stringify(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]))) },
      ],
      [
        MINIMAL_SPEC(),
        `tag value "${"v".repeat(64)}" for key "k" exceeds maximum length of 63 characters`,
        { tags: JSON.stringify({ k: "v".repeat(64) }) },
      ],
    ];
    for (const [data, message, extra] of cases) {
      const r = await upload(emu.url, UP, { filename: "p.yaml", data }, { name: uniq(), ...extra });
      expectUploadError(r, 400, message, JSON_CT);
    }
  });

  it("accepts .json, .zip and .tar.gz packages (magic bytes decide for archives)", async () => {
    const spec = MINIMAL_SPEC();
    const json = JSON.stringify((await import("yaml")).parse(spec));
    for (const file of [
      { filename: "p.json", data: json },
      { filename: "p.bin", data: writeZip([{ name: "other.yaml", data: spec }]) },
      {
        filename: "p.zip",
        data: writeZip([
          { name: "x.txt", data: "x" },
          { name: "pipeline.yaml", data: spec },
        ]),
      },
      { filename: "p.tar.gz", data: writeTarGz([{ name: "pipeline.yaml", data: spec }]) },
    ]) {
      const r = await upload(emu.url, UP, file, { name: uniq() });
      expect(r.status, file.filename).toBe(200);
    }
  });
});

describe("POST /pipelines/upload_version", () => {
  it("creates a version and answers with the PipelineVersion", async () => {
    const pid = await newPipeline();
    const r = await upload(
      emu.url,
      UPV,
      { filename: "v.yaml", data: MINIMAL_SPEC() },
      {
        pipelineid: pid,
        name: "v2",
        description: "d",
        tags: '{"stage":"prod"}',
        code_source_url: "https://c",
      },
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      pipeline_id: pid,
      pipeline_version_id: expect.any(String),
      name: "v2",
      display_name: "v2",
      description: "d",
      tags: { stage: "prod" },
      code_source_url: "https://c",
    });
    expect(r.body.pipeline_spec.root).toBeTruthy();
    expect(r.body.package_url).toBeUndefined();
  });

  it("returns pipeline_spec and platform_spec when a platform document exists", async () => {
    const pid = await newPipeline();
    const spec = `${MINIMAL_SPEC()}---\nplatforms:\n  kubernetes:\n    deploymentSpec:\n      executors:\n        exec-echo:\n          nodeSelector:\n            labels: {disk: ssd}\n`;
    const r = await upload(emu.url, UPV, { filename: "v.yaml", data: spec }, { pipelineid: pid });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.pipeline_spec).sort()).toEqual(["pipeline_spec", "platform_spec"]);
    expect(
      r.body.pipeline_spec.platform_spec.platforms.kubernetes.deploymentSpec.executors["exec-echo"],
    ).toEqual({
      nodeSelector: { labels: { disk: "ssd" } },
    });
    expect(r.body.name).toBe("v.yaml");
  });

  it("400 text/plain (JSON body) when the file is missing, pipelineid is missing or unknown", async () => {
    expectUploadError(
      await call(emu.url, "POST", UPV, "x"),
      400,
      "Failed to create a pipeline version",
      TEXT,
    );
    expectUploadError(
      await upload(emu.url, UPV, { filename: "v.yaml", data: MINIMAL_SPEC() }),
      400,
      "Failed to create a pipeline version",
      TEXT,
    );
    expectUploadError(
      await upload(emu.url, UPV, { filename: "v.yaml", data: MINIMAL_SPEC() }, { pipelineid: "nope" }),
      400,
      "Failed to create a pipeline version",
      TEXT,
    );
    expectUploadError(
      await upload(emu.url, UPV, { filename: "v.txt", data: "x" }, { pipelineid: "nope" }),
      400,
      "Failed to create a pipeline version",
      TEXT,
    );
  });

  it("400 text/plain for a version name over 127", async () => {
    const pid = await newPipeline();
    expectPlainText(
      await upload(
        emu.url,
        UPV,
        { filename: "v.yaml", data: MINIMAL_SPEC() },
        { pipelineid: pid, name: "v".repeat(128) },
      ),
      "Invalid input error: PipelineVersion.Name length cannot exceed 127",
    );
  });

  it("409 for a duplicate version name; 400 JSON for a bad spec", async () => {
    const pid = await newPipeline();
    const first = await upload(
      emu.url,
      UPV,
      { filename: "v.yaml", data: MINIMAL_SPEC() },
      { pipelineid: pid, name: "same" },
    );
    expect(first.status).toBe(200);
    expectUploadError(
      await upload(
        emu.url,
        UPV,
        { filename: "v.yaml", data: MINIMAL_SPEC() },
        { pipelineid: pid, name: "same" },
      ),
      409,
      "Failed to create a pipeline version",
      JSON_CT,
    );
    expectUploadError(
      await upload(emu.url, UPV, { filename: "v.yaml", data: "nope: 1" }, { pipelineid: pid, name: "x" }),
      400,
      "unknown template format",
      JSON_CT,
    );
  });
});

describe("v1beta1 upload shapes", () => {
  it("upload returns a v1 Pipeline with default_version; upload_version a v1 PipelineVersion", async () => {
    const name = uniq("v1");
    const r = await upload(
      emu.url,
      "/apis/v1beta1/pipelines/upload",
      { filename: "p.yaml", data: MINIMAL_SPEC() },
      { name, description: "d" },
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: expect.any(String),
      created_at: expect.any(String),
      name,
      description: "d",
      default_version: {
        id: expect.any(String),
        name,
        created_at: expect.any(String),
        description: "d",
        resource_references: [{ key: { type: "PIPELINE", id: r.body.id }, relationship: "OWNER" }],
      },
    });
    const v = await upload(
      emu.url,
      "/apis/v1beta1/pipelines/upload_version",
      { filename: "v.yaml", data: MINIMAL_SPEC() },
      { pipelineid: r.body.id, name: "v1-b", code_source_url: "https://src" },
    );
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({
      id: expect.any(String),
      name: "v1-b",
      code_source_url: "https://src",
      package_url: { pipeline_url: "https://src" },
      resource_references: [{ key: { type: "PIPELINE", id: r.body.id }, relationship: "OWNER" }],
    });
  });
});

describe.skipIf(!hasShared)("real packages over HTTP", () => {
  const valid = listFiles(join(sharedPipelines, "valid"));

  it("accepts every valid package, also packed as .zip and .tar.gz", async () => {
    const failures: string[] = [];
    for (const rel of valid) {
      const data = readFileSync(join(sharedPipelines, "valid", rel));
      const variants: { filename: string; data: Buffer }[] = [{ filename: basename(rel), data }];
      if (/\.ya?ml$/.test(rel)) {
        variants.push({ filename: "package.zip", data: writeZip([{ name: basename(rel), data }]) });
        variants.push({ filename: "package.tar.gz", data: writeTarGz([{ name: "pipeline.yaml", data }]) });
      }
      for (const v of variants) {
        const r = await upload(emu.url, UP, v, { name: uniq("valid") });
        if (r.status !== 200) failures.push(`${rel} as ${v.filename}: ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("rejects every invalid package with the real status and message", async () => {
    const expected: Record<string, [number, string, string]> = {
      "empty_file.yaml": [400, "unknown template format", JSON_CT],
      "invalid_yaml.yaml": [400, "unknown template format", JSON_CT],
      "no_name.yaml": [400, "unknown template format", JSON_CT],
      "empty_zip.zip": [400, "Failed to read a pipeline spec file", TEXT],
      // A valid zip whose only member is invalid_yaml.yaml.
      "invalid-zip.zip": [400, "unknown template format", JSON_CT],
      "wrong_format.png": [400, "Failed to read a pipeline spec file", TEXT],
    };
    const files = listFiles(join(sharedPipelines, "invalid"));
    expect(files.length).toBeGreaterThan(0);
    for (const rel of files) {
      const r = await upload(
        emu.url,
        UP,
        { filename: rel, data: readFileSync(join(sharedPipelines, "invalid", rel)) },
        { name: uniq() },
      );
      const want = expected[rel];
      if (want) expectUploadError(r, want[0], want[1], want[2]);
      else expect(r.status, rel).toBe(400);
    }
  });

  it("accepts Argo workflows as v1 templates and returns the workflow as pipeline_spec", async () => {
    for (const rel of listFiles(join(sharedPipelines, "argo-workflow"))) {
      const r = await upload(
        emu.url,
        UP,
        { filename: rel, data: readFileSync(join(sharedPipelines, "argo-workflow", rel)) },
        { name: uniq("argo") },
      );
      expect(r.status, rel).toBe(200);
      const vs = await call(emu.url, "GET", `/apis/v2beta1/pipelines/${r.body.pipeline_id}/versions`);
      expect(vs.body.pipeline_versions[0].pipeline_spec.kind).toBe("Workflow");
    }
  });
});
