import { createReadStream, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Kfp, type KfpOptions } from "../../packages/kfp-ts/src/client.js";
import {
  ConflictError,
  ConnectionError,
  NotFoundError,
  ValidationError,
} from "../../packages/kfp-ts/src/core/errors.js";
import { SpecValidationError } from "../../packages/kfp-ts/src/core/spec.js";
import { fromPath, MAX_UPLOAD_BYTES } from "../../packages/kfp-ts/src/core/uploads.js";
import { checkFraming, parseMultipart } from "../helpers/multipart.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { hasShared, makeTar, sharedPipelines, specObject, specYaml } from "../helpers/specs.js";

let rec: Recorder;
let dir: string;
const clients: Kfp[] = [];

function client(opts: Partial<KfpOptions> = {}): Kfp {
  const c = new Kfp({
    host: rec.url,
    apiVersion: "v2beta1",
    retry: { baseDelay: 1, maxDelay: 5 },
    logLevel: "off",
    env: {},
    ...opts,
  });
  clients.push(c);
  return c;
}

const PIPELINE = {
  pipeline_id: "pid-1",
  name: "echo",
  display_name: "echo",
  created_at: "2026-01-01T00:00:00Z",
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "kfp-ts-upload-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  rec = await startRecorder();
  rec.route("POST /apis/v2beta1/pipelines/upload", { body: PIPELINE });
  rec.route("POST /apis/v2beta1/pipelines/upload_version", {
    body: { pipeline_id: "pid-1", pipeline_version_id: "vid-1", name: "v1" },
  });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await rec.close();
});

/** The current second as the server writes timestamps (whole seconds, truncated). */
const nowStamp = () => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(".000Z", "Z");

async function lastUpload() {
  const r = rec.requests.filter((x) => x.method === "POST").at(-1);
  if (!r) throw new Error("no upload received");
  const ct = String(r.headers["content-type"]);
  const framing = checkFraming(ct, r.body);
  const parsed = await parseMultipart(ct, r.body);
  const query = new URLSearchParams(r.url.split("?")[1] ?? "");
  return { r, framing, parsed, query, file: parsed.files[0] };
}

describe("upload framing", () => {
  it("writes exact multipart framing for a string source, with Content-Length", async () => {
    const yaml = specYaml();
    const p = await client().pipelines.upload(yaml, { name: "echo" });
    expect(p.pipeline_id).toBe("pid-1");
    const { r, framing, parsed, file } = await lastUpload();
    expect(r.url.split("?")[0]).toBe("/apis/v2beta1/pipelines/upload");
    expect(r.headers["content-length"]).toBe(String(r.body.length));
    expect(r.headers["transfer-encoding"]).toBeUndefined();
    expect(framing.boundary).toMatch(/^kfp-ts-[0-9a-f]{24}$/);
    expect(framing.headers).toBe(
      'Content-Disposition: form-data; name="uploadfile"; filename="pipeline.yaml"\r\nContent-Type: application/x-yaml',
    );
    expect(framing.content.toString("utf8")).toBe(yaml);
    expect(parsed.files).toHaveLength(1);
    expect(file?.field).toBe("uploadfile");
    expect(file?.filename).toBe("pipeline.yaml");
    expect(file?.data.toString("utf8")).toBe(yaml);
  });

  it("every upload gets a fresh boundary and a body of its own, even for the same content", async () => {
    const c = client();
    await c.pipelines.upload(specYaml(), { name: "a" });
    await c.pipelines.upload(specYaml(), { name: "b" });
    await c.pipelines.upload(specYaml("other-pipeline"), { name: "c" });
    await c.pipelines.upload(Buffer.from(specYaml()), { name: "d" });
    const posts = rec.requests.filter((r) => r.method === "POST");
    const types = posts.map((r) => String(r.headers["content-type"]));
    expect(new Set(types).size).toBe(4);
    for (const r of posts) {
      const { content } = checkFraming(String(r.headers["content-type"]), r.body);
      expect(r.headers["content-length"]).toBe(String(r.body.length));
      expect(content.toString()).toBe(r === posts[2] ? specYaml("other-pipeline") : specYaml());
    }
  });

  it("escapes quotes, CR and LF in the filename so no header can be injected", async () => {
    const evil = 'a"b\r\nX-Injected: 1\r\n\r\nc.yaml';
    await client().pipelines.upload(specYaml(), { name: "echo", filename: evil });
    const { framing, file } = await lastUpload();
    expect(framing.headers.split("\r\n")).toHaveLength(2);
    expect(framing.headers).toContain('filename="a%22b%0D%0AX-Injected: 1%0D%0A%0D%0Ac.yaml"');
    expect(framing.headers).not.toMatch(/^X-Injected/m);
    expect(file?.filename).toBe("a%22b%0D%0AX-Injected: 1%0D%0A%0D%0Ac.yaml");
  });

  it("sends the query parameters the server reads", async () => {
    await client({ namespace: "team-a" }).pipelines.upload(specYaml(), {
      name: "echo",
      display_name: "Echo pipeline",
      description: "says hi & bye",
      tags: { team: "ml", "x y": "a&b" },
      code_source_url: "https://github.com/x/y",
    });
    const { query } = await lastUpload();
    expect(Object.fromEntries(query)).toEqual({
      name: "echo",
      display_name: "Echo pipeline",
      description: "says hi & bye",
      namespace: "team-a",
      tags: JSON.stringify({ team: "ml", "x y": "a&b" }),
      code_source_url: "https://github.com/x/y",
    });
  });

  it("omits the namespace for a shared pipeline (namespace: null)", async () => {
    await client({ namespace: "team-a" }).pipelines.upload(specYaml(), { name: "echo", namespace: null });
    const { query } = await lastUpload();
    expect(query.has("namespace")).toBe(false);
  });
});

describe("every source kind", () => {
  const yaml = specYaml();

  it.each([
    ["Buffer", () => Buffer.from(yaml), "pipeline.yaml"],
    ["Uint8Array", () => new TextEncoder().encode(yaml), "pipeline.yaml"],
    ["ArrayBuffer", () => new TextEncoder().encode(yaml).buffer, "pipeline.yaml"],
    ["Blob", () => new Blob([yaml]), "pipeline.yaml"],
    ["File", () => new File([yaml], "my-spec.yaml", { type: "application/x-yaml" }), "my-spec.yaml"],
    ["JSON string", () => JSON.stringify(specObject()), "pipeline.json"],
  ])("%s: known size, Content-Length, right filename", async (_kind, make, filename) => {
    await client().pipelines.upload(make() as never, { name: "echo" });
    const { r, file } = await lastUpload();
    expect(r.headers["content-length"]).toBe(String(r.body.length));
    expect(file?.filename).toBe(filename);
    if (filename.endsWith(".yaml")) expect(file?.data.toString()).toBe(yaml);
    else expect(JSON.parse(file?.data.toString() ?? "")).toEqual(specObject());
  });

  it("a spec object is serialised to YAML", async () => {
    await client().pipelines.upload(specObject() as never, { name: "echo" });
    const { file } = await lastUpload();
    expect(file?.filename).toBe("pipeline.yaml");
    expect(file?.mimeType).toBe("application/x-yaml");
    const { parse } = await import("yaml");
    expect(parse(file?.data.toString() ?? "")).toEqual(specObject());
  });

  it("the {pipeline_spec, platform_spec} form becomes two YAML documents", async () => {
    const platform = { platforms: { kubernetes: { deploymentSpec: { executors: { "exec-echo": {} } } } } };
    await client().pipelines.upload({ pipeline_spec: specObject(), platform_spec: platform } as never, {
      name: "echo",
    });
    const { file } = await lastUpload();
    const { parseAllDocuments } = await import("yaml");
    const docs = parseAllDocuments(file?.data.toString() ?? "");
    expect(Array.isArray(docs) && docs.map((d) => d.toJS())).toEqual([specObject(), platform]);
  });

  it.each([
    ["Node Readable", () => Readable.from([Buffer.from(yaml.slice(0, 100)), Buffer.from(yaml.slice(100))])],
    [
      "web ReadableStream",
      () =>
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode(yaml.slice(0, 50)));
            c.enqueue(new TextEncoder().encode(yaml.slice(50)));
            c.close();
          },
        }),
    ],
    [
      "AsyncIterable",
      () =>
        (async function* () {
          yield yaml.slice(0, 10);
          yield new TextEncoder().encode(yaml.slice(10));
        })(),
    ],
  ])("%s: streamed chunked, framing intact", async (_kind, make) => {
    await client().pipelines.upload(make() as never, { name: "echo" });
    const { r, file, framing } = await lastUpload();
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    expect(r.headers["content-length"]).toBeUndefined();
    expect(file?.filename).toBe("pipeline.yaml");
    expect(framing.content.toString()).toBe(yaml);
  });

  it("an fs.ReadStream gives its file name", async () => {
    const f = path.join(dir, "from-stream.yaml");
    await writeFile(f, yaml);
    await client().pipelines.upload(createReadStream(f), { name: "echo" });
    const { file } = await lastUpload();
    expect(file?.filename).toBe("from-stream.yaml");
    expect(file?.data.toString()).toBe(yaml);
  });

  it("fromPath() and { path }: base name as filename, Content-Length", async () => {
    const f = path.join(dir, "sub-pipeline.yml");
    await writeFile(f, yaml);
    await client().pipelines.upload(fromPath(f), { name: "echo" });
    let u = await lastUpload();
    expect(u.file?.filename).toBe("sub-pipeline.yml");
    expect(u.r.headers["content-length"]).toBe(String(u.r.body.length));
    await client().pipelines.upload({ path: f, filename: "renamed.yaml" }, { name: "echo" });
    u = await lastUpload();
    expect(u.file?.filename).toBe("renamed.yaml");
  });

  it("a bare string is content, never a path", async () => {
    const f = path.join(dir, "looks-like-a-path.yaml");
    await writeFile(f, yaml);
    const err = await client()
      .pipelines.upload(f, { name: "echo" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toBe(
      `source ${JSON.stringify(f)} looks like a file path, but a string is read as the package's content. To upload a file, pass fromPath(${JSON.stringify(f)}) (or { path: ${JSON.stringify(f)} })`,
    );
    expect(rec.requests).toHaveLength(0);
    // validate: false sends the string as it is: the content "/tmp/.../looks-like-a-path.yaml".
    await client().pipelines.upload(f, { name: "echo", validate: false });
    const { file } = await lastUpload();
    expect(file?.data.toString()).toBe(f);
  });

  it("a large file (> 4 MiB) is streamed from disk with Content-Length", async () => {
    const f = path.join(dir, "big.yaml");
    const big = `${yaml}# ${"x".repeat(5 * 1024 * 1024)}\n`;
    await writeFile(f, big);
    await client().pipelines.upload(fromPath(f), { name: "echo" });
    const { r, framing } = await lastUpload();
    expect(r.headers["content-length"]).toBe(String(r.body.length));
    expect(framing.content.length).toBe(Buffer.byteLength(big));
  });

  it.skipIf(!hasShared)("a zip package is sent as pipeline.zip (detected by magic bytes)", async () => {
    const zip = readFileSync(path.join(sharedPipelines, "valid/arguments_parameters.zip"));
    await client().pipelines.upload(zip, { name: "echo" });
    const { file } = await lastUpload();
    expect(file?.filename).toBe("pipeline.zip");
    expect(file?.mimeType).toBe("application/zip");
    expect(file?.data.equals(zip)).toBe(true);
  });

  describe("streams without a filename: archives are recognised by their first bytes", () => {
    const tgz = gzipSync(makeTar([["pipeline.yaml", specYaml()]]));
    it.each([
      ["Node Readable", () => Readable.from([tgz.subarray(0, 100), tgz.subarray(100)])],
      [
        "web ReadableStream",
        () =>
          new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(new Uint8Array(tgz.subarray(0, 100)));
              c.enqueue(new Uint8Array(tgz.subarray(100)));
              c.close();
            },
          }),
      ],
      [
        "AsyncIterable whose first chunk is one byte",
        () =>
          (async function* () {
            yield tgz.subarray(0, 1);
            yield tgz.subarray(1, 2);
            yield tgz.subarray(2);
          })(),
      ],
    ])("%s of a tar.gz → pipeline.tar.gz, every byte sent once, in order", async (_kind, make) => {
      await client().pipelines.upload(make() as never, { name: "echo" });
      const { r, file } = await lastUpload();
      expect(r.headers["transfer-encoding"]).toBe("chunked");
      expect(file?.filename).toBe("pipeline.tar.gz");
      expect(file?.mimeType).toBe("application/gzip");
      expect(file?.data.equals(tgz)).toBe(true);
    });

    it.skipIf(!hasShared)("a Node Readable of a zip → pipeline.zip", async () => {
      const zip = readFileSync(path.join(sharedPipelines, "valid/arguments_parameters.zip"));
      await client().pipelines.upload(Readable.from([zip.subarray(0, 3), zip.subarray(3)]), { name: "echo" });
      const { file } = await lastUpload();
      expect(file?.filename).toBe("pipeline.zip");
      expect(file?.mimeType).toBe("application/zip");
      expect(file?.data.equals(zip)).toBe(true);
    });

    it("a stream of text stays pipeline.yaml; a caller's filename is not second-guessed", async () => {
      await client().pipelines.upload(Readable.from([Buffer.from(specYaml())]), { name: "echo" });
      expect((await lastUpload()).file?.filename).toBe("pipeline.yaml");
      await client().pipelines.upload(Readable.from([tgz]), { name: "echo", filename: "pkg.bin" });
      const { file } = await lastUpload();
      expect(file?.filename).toBe("pkg.bin");
      expect(file?.data.equals(tgz)).toBe(true);
    });

    it("with no name, the upload is reconciled under the name the server gives it (pipeline.tar.gz)", async () => {
      rec.route("POST /apis/v2beta1/pipelines/upload", { destroy: "after-body" });
      rec.route("GET /apis/v2beta1/pipelines/names/pipeline.tar.gz", {
        body: { ...PIPELINE, name: "pipeline.tar.gz", created_at: nowStamp() },
      });
      const p = await client().pipelines.upload(Readable.from([tgz]));
      expect(p.name).toBe("pipeline.tar.gz");
    });
  });

  it("the caller sets filename and content type", async () => {
    await client().pipelines.upload(specYaml(), {
      name: "echo",
      filename: "x.json",
      contentType: "text/plain",
    });
    const { file } = await lastUpload();
    expect(file?.filename).toBe("x.json");
    expect(file?.mimeType).toBe("text/plain");
  });

  it("refuses unsupported sources with a clear message", async () => {
    await expect(client().pipelines.upload(42 as never)).rejects.toThrow(
      /unsupported pipeline source \(number\)/,
    );
    await expect(client().pipelines.upload({ foo: 1 } as never)).rejects.toThrow(
      /unsupported pipeline source object/,
    );
  });
});

describe("client-side checks before a byte is sent", () => {
  it("rejects a bad schema version with the server's wording", async () => {
    const bad = specYaml().replace("schemaVersion: 2.1.0", "schemaVersion: 2.0.0");
    const err = (await client()
      .pipelines.upload(bad, { name: "echo" })
      .catch((e: unknown) => e)) as SpecValidationError;
    expect(err).toBeInstanceOf(SpecValidationError);
    expect(err.reason).toBe(
      "KFP only supports schema version 2.1.0, but the pipeline spec has version 2.0.0",
    );
    expect(rec.requests).toHaveLength(0);
  });

  it("rejects a bad pipelineInfo.name with the server's wording", async () => {
    const err = (await client()
      .pipelines.upload(specYaml("Bad_Name"), { name: "x" })
      .catch((e: unknown) => e)) as SpecValidationError;
    expect(err.reason).toBe(
      "pipeline's name must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters",
    );
    expect(rec.requests).toHaveLength(0);
  });

  it("rejects YAML content sent under a name the server cannot read", async () => {
    const err = (await client()
      .pipelines.upload(specYaml(), { filename: "pipeline.txt" })
      .catch((e: unknown) => e)) as SpecValidationError;
    expect(err.reason).toMatch(/^Unexpected pipeline file format/);
    expect(rec.requests).toHaveLength(0);
  });

  it("validate: false sends anyway", async () => {
    const bad = specYaml().replace("schemaVersion: 2.1.0", "schemaVersion: 2.0.0");
    await client().pipelines.upload(bad, { name: "echo", validate: false });
    expect(rec.requests).toHaveLength(1);
  });

  it("streams are not inspected (the server checks them)", async () => {
    const bad = specYaml().replace("schemaVersion: 2.1.0", "schemaVersion: 2.0.0");
    await client().pipelines.upload(Readable.from([bad]), { name: "echo" });
    expect(rec.requests).toHaveLength(1);
  });

  it("refuses a known size over 32 MiB before sending", async () => {
    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 1, 0x20);
    const err = (await client()
      .pipelines.upload(big, { name: "echo" })
      .catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(/at most 33554432 bytes/);
    expect(rec.requests).toHaveLength(0);
  });

  it("streams of unknown size are left to the server by default, stopped past maxSize when given", async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const make = (n: number) =>
      (async function* () {
        for (let i = 0; i < n; i++) yield chunk;
      })();
    await client().pipelines.upload(make(40), { name: "echo" });
    const { framing } = await lastUpload();
    expect(framing.content.length).toBe(40 * 1024 * 1024);
    const err = await client()
      .pipelines.upload(make(8), { name: "echo", maxSize: 2 * 1024 * 1024 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/over maxSize \(2097152 bytes\)/);
    await expect(client().pipelines.upload("x", { maxSize: 0 })).rejects.toThrow(/maxSize must be/);
    await expect(
      client().pipelines.upload(Buffer.alloc(10), { name: "e", maxSize: 5, validate: false }),
    ).rejects.toThrow(/maxSize is 5/);
  });

  it("maxSize applies to every source form: bytes, fromPath() and { path }", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kfp-maxsize-"));
    try {
      const file = path.join(dir, "pipeline.yaml");
      await writeFile(file, specYaml());
      const size = Buffer.byteLength(specYaml());
      for (const source of [fromPath(file), { path: file }, readFileSync(file)]) {
        const err = await client()
          .pipelines.upload(source, { name: "e", maxSize: size - 1 })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as Error).message).toMatch(new RegExp(`is ${size} bytes; maxSize is ${size - 1}$`));
      }
      expect(rec.requests).toHaveLength(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("checks option types", async () => {
    await expect(client().pipelines.upload(specYaml(), { tags: { a: 1 } as never })).rejects.toThrow(
      /string value/,
    );
    await expect(client().pipelines.upload(specYaml(), { name: "x".repeat(129) })).rejects.toThrow(
      /at most 128/,
    );
    expect(rec.requests).toHaveLength(0);
  });
});

describe("retries of uploads", () => {
  it("a streamed upload is not sent twice once its bytes were read", async () => {
    rec.route("POST /apis/v2beta1/pipelines/upload", { destroy: "after-body" });
    rec.route("GET /apis/v2beta1/pipelines/names/echo", {
      status: 404,
      body: { code: 5, message: "not found" },
    });
    const err = (await client()
      .pipelines.upload(Readable.from([specYaml()]), { name: "echo" })
      .catch((e: unknown) => e)) as ConnectionError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/not created/);
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("an upload whose answer was lost is found by name, not repeated", async () => {
    rec.route("POST /apis/v2beta1/pipelines/upload", { destroy: "after-body" });
    // Created in the current second (timestamps are whole seconds: it may read as before the send).
    const created = { ...PIPELINE, created_at: nowStamp() };
    rec.route("GET /apis/v2beta1/pipelines/names/echo", { body: created });
    const p = await client().pipelines.upload(specYaml(), { name: "echo" });
    expect(p).toEqual(created);
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("a lost answer for a name taken before the send is a ConflictError, not the old pipeline", async () => {
    rec.route("POST /apis/v2beta1/pipelines/upload", { destroy: "after-body" });
    // PIPELINE was created long before this request.
    rec.route("GET /apis/v2beta1/pipelines/names/echo", { body: PIPELINE });
    const err = (await client()
      .pipelines.upload(specYaml(), { name: "echo" })
      .catch((e: unknown) => e)) as ConflictError;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.status).toBe(409);
    expect(err.method).toBe("POST");
    expect(err.message).toMatch(/pipeline "echo" already existed before this request was sent/);
    expect(err.message).toContain("2026-01-01T00:00:00Z");
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("uploadVersion and a 504 on create: an older version/pipeline of that name is a ConflictError too", async () => {
    rec.route("POST /apis/v2beta1/pipelines/upload_version", { destroy: "after-body" });
    rec.route("GET /apis/v2beta1/pipelines/pid-1/versions", {
      body: {
        pipeline_versions: [
          {
            pipeline_id: "pid-1",
            pipeline_version_id: "old",
            name: "v1",
            created_at: "2025-05-05T00:00:00Z",
          },
        ],
        total_size: 1,
      },
    });
    await expect(
      client().pipelines.uploadVersion(specYaml(), { pipeline_id: "pid-1", name: "v1" }),
    ).rejects.toThrow(/pipeline version "v1" already existed before this request was sent/);

    rec.route("POST /apis/v2beta1/pipelines", { status: 504, body: "upstream timed out" });
    rec.route("GET /apis/v2beta1/pipelines/names/echo", { body: PIPELINE });
    await expect(client().pipelines.create({ name: "echo" })).rejects.toBeInstanceOf(ConflictError);
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(2);
  });

  it("reconciles with the name the server would have used (the filename when no name is given)", async () => {
    rec.route("POST /apis/v2beta1/pipelines/upload", { destroy: "after-body" });
    rec.route("GET /apis/v2beta1/pipelines/names/pipeline.yaml", {
      body: { ...PIPELINE, created_at: nowStamp() },
    });
    await client().pipelines.upload(specYaml());
    expect(rec.requests.map((r) => r.url.split("?")[0])).toContain(
      "/apis/v2beta1/pipelines/names/pipeline.yaml",
    );
  });

  it("a large file is reopened and sent again when the lookup finds nothing", async () => {
    const f = path.join(dir, "big2.yaml");
    const big = `${specYaml()}# ${"y".repeat(5 * 1024 * 1024)}\n`;
    await writeFile(f, big);
    rec.enqueue({ destroy: "after-body" }, { status: 404, body: { code: 5, message: "nf" } });
    const p = await client().pipelines.upload(fromPath(f), { name: "echo" });
    expect(p.pipeline_id).toBe("pid-1");
    const posts = rec.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(2);
    for (const r of posts) {
      const { content } = checkFraming(String(r.headers["content-type"]), r.body);
      expect(content.length).toBe(Buffer.byteLength(big));
    }
  });
});

describe("uploadVersion", () => {
  it("by pipeline_id", async () => {
    const v = await client().pipelines.uploadVersion(specYaml(), {
      pipeline_id: "pid-1",
      name: "v1",
      description: "d",
    });
    expect(v.pipeline_version_id).toBe("vid-1");
    const { r, query } = await lastUpload();
    expect(r.url.split("?")[0]).toBe("/apis/v2beta1/pipelines/upload_version");
    expect(Object.fromEntries(query)).toEqual({ pipelineid: "pid-1", name: "v1", description: "d" });
  });

  it("by pipeline name, namespace-aware", async () => {
    rec.route("GET /apis/v2beta1/pipelines/names/echo", { body: { ...PIPELINE, pipeline_id: "by-name" } });
    await client({ namespace: "team-b" }).pipelines.uploadVersion(specYaml(), {
      pipeline_name: "echo",
      name: "v2",
    });
    const get = rec.requests.find((r) => r.method === "GET");
    expect(get?.url).toBe("/apis/v2beta1/pipelines/names/echo?namespace=team-b");
    const { query } = await lastUpload();
    expect(query.get("pipelineid")).toBe("by-name");
  });

  it("by pipeline name: falls back to a shared pipeline (like runs.create)", async () => {
    rec.route("GET /apis/v2beta1/pipelines/names/echo", (r) =>
      r.url.includes("namespace=")
        ? { status: 404, body: { code: 5, message: "Pipeline echo not found" } }
        : { body: { ...PIPELINE, pipeline_id: "shared-id" } },
    );
    await client({ namespace: "team-b" }).pipelines.uploadVersion(specYaml(), {
      pipeline_name: "echo",
      name: "v2",
    });
    expect(rec.requests.filter((r) => r.method === "GET").map((r) => r.url)).toEqual([
      "/apis/v2beta1/pipelines/names/echo?namespace=team-b",
      "/apis/v2beta1/pipelines/names/echo",
    ]);
    const { query } = await lastUpload();
    expect(query.get("pipelineid")).toBe("shared-id");
  });

  it("by pipeline name: NotFoundError naming both places when neither has it", async () => {
    rec.route("GET /apis/v2beta1/pipelines/names/nope", {
      status: 404,
      body: { code: 5, message: "Pipeline nope not found" },
    });
    const err = await client({ namespace: "team-b" })
      .pipelines.uploadVersion(specYaml(), { pipeline_name: "nope" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/in namespace "team-b" or among shared pipelines/);
    expect(rec.requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("needs exactly one of pipeline_id and pipeline_name", async () => {
    await expect(client().pipelines.uploadVersion(specYaml(), {})).rejects.toBeInstanceOf(ValidationError);
    await expect(
      client().pipelines.uploadVersion(specYaml(), { pipeline_id: "a", pipeline_name: "b" }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("v1beta1 servers", () => {
  it("uses the v1 upload route and converts the answer", async () => {
    rec.route("POST /apis/v1beta1/pipelines/upload", {
      body: {
        id: "v1-id",
        name: "echo",
        created_at: "2026-01-01T00:00:00Z",
        resource_references: [{ key: { type: "NAMESPACE", id: "ns1" }, relationship: "OWNER" }],
        default_version: { id: "ver" },
      },
    });
    const p = await client({ apiVersion: "v1beta1" }).pipelines.upload(specYaml(), { name: "echo" });
    expect(p).toEqual({
      pipeline_id: "v1-id",
      name: "echo",
      display_name: "echo",
      created_at: "2026-01-01T00:00:00Z",
      namespace: "ns1",
    });
  });

  it("converts versions and refuses updates with UnsupportedError", async () => {
    rec.route("POST /apis/v1beta1/pipelines/upload_version", {
      body: {
        id: "ver-2",
        name: "v2",
        resource_references: [{ key: { type: "PIPELINE", id: "pid" }, relationship: "OWNER" }],
      },
    });
    const c = client({ apiVersion: "v1beta1" });
    const v = await c.pipelines.uploadVersion(specYaml(), { pipeline_id: "pid", name: "v2" });
    expect(v).toEqual({ pipeline_id: "pid", pipeline_version_id: "ver-2", name: "v2", display_name: "v2" });
    await expect(c.pipelines.update("pid", { display_name: "x" })).rejects.toMatchObject({
      name: "UnsupportedError",
      status: 501,
    });
  });
});
