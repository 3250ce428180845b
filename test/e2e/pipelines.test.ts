/**
 * Pipelines and versions through the public client against the emulator (real HTTP on 127.0.0.1).
 */
import { createReadStream, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import {
  BadRequestError,
  ConflictError,
  fromPath,
  NotFoundError,
  type Pipeline,
  SpecValidationError,
  specsEqual,
  ValidationError,
} from "../../packages/kfp-ts/src/index.js";
import { Kfp } from "../helpers/kfp.js";
import { type Recorder, startRecorder } from "../helpers/recorder.js";
import { hasShared, makeTar, sharedPipelines, specObject, specYaml } from "../helpers/specs.js";

let emu: Emulator;
let kfp: Kfp;
let dir: string;

beforeAll(async () => {
  emu = await startEmulator();
  kfp = new Kfp({ host: emu.url, env: {}, logLevel: "off" });
  dir = await mkdtemp(path.join(tmpdir(), "kfp-ts-e2e-"));
});
afterAll(async () => {
  await kfp.close();
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
const unique = (p: string) => `${p}-${++seq}`;

async function storedSpec(p: Pipeline) {
  const page = await kfp.pipelines.versions.list(p.pipeline_id);
  expect(page.items).toHaveLength(1);
  return page.items[0]?.pipeline_spec;
}

describe("upload from every source kind", () => {
  const yaml = specYaml();
  const sources: [string, () => Promise<unknown> | unknown][] = [
    ["string", () => yaml],
    ["JSON string", () => JSON.stringify(specObject())],
    ["Buffer", () => Buffer.from(yaml)],
    ["Uint8Array", () => new TextEncoder().encode(yaml)],
    ["Blob", () => new Blob([yaml])],
    ["File", () => new File([yaml], "named.yaml")],
    ["Node Readable", () => Readable.from([yaml.slice(0, 99), yaml.slice(99)])],
    [
      "web ReadableStream",
      () =>
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(yaml));
            c.close();
          },
        }),
    ],
    [
      "AsyncIterable",
      () =>
        (async function* () {
          yield Buffer.from(yaml);
        })(),
    ],
    ["spec object", () => specObject()],
    [
      "fromPath",
      async () => {
        const f = path.join(dir, `p-${seq}.yaml`);
        await writeFile(f, yaml);
        return fromPath(f);
      },
    ],
    [
      "{ path }",
      async () => {
        const f = path.join(dir, `q-${seq}.yml`);
        await writeFile(f, yaml);
        return { path: f };
      },
    ],
    [
      "fs.ReadStream",
      async () => {
        const f = path.join(dir, `r-${seq}.yaml`);
        await writeFile(f, yaml);
        return createReadStream(f);
      },
    ],
  ];

  it.each(sources)("%s", async (_kind, make) => {
    const name = unique("src");
    const p = await kfp.pipelines.upload((await make()) as never, { name });
    expect(p.name).toBe(name);
    expect(specsEqual(await storedSpec(p), specObject())).toBe(true);
  });

  it("a large file (> 4 MiB) streamed from disk", async () => {
    const f = path.join(dir, "large.yaml");
    await writeFile(f, `${yaml}# ${"z".repeat(5 * 1024 * 1024)}\n`);
    const p = await kfp.pipelines.upload(fromPath(f), { name: unique("large") });
    expect(specsEqual(await storedSpec(p), specObject())).toBe(true);
  });

  it("a tar.gz (and a zip) streamed without a filename is recognised by its magic bytes", async () => {
    const tgz = gzipSync(makeTar([["pipeline.yaml", specYaml("echo", "7")]]));
    const name = unique("tgz-stream");
    const p = await kfp.pipelines.upload(Readable.from([tgz.subarray(0, 64), tgz.subarray(64)]), { name });
    expect(specsEqual(await storedSpec(p), specObject("echo", "7"))).toBe(true);
    // Unnamed: the server names it after the file, as kfp-ts reconciles it.
    const unnamed = await kfp.pipelines.upload(
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new Uint8Array(tgz));
          c.close();
        },
      }),
    );
    expect(unnamed.name).toBe("pipeline.tar.gz");
    await kfp.pipelines.delete(unnamed.pipeline_id, { cascade: true });
    if (hasShared) {
      const zip = readFileSync(path.join(sharedPipelines, "valid/arguments_parameters.zip"));
      const z = await kfp.pipelines.upload(Readable.from([zip]), { name: unique("zip-stream") });
      expect(await storedSpec(z)).toBeDefined();
    }
  });

  it.skipIf(!hasShared)("a zip package and a platform-spec package from the corpus", async () => {
    const zip = readFileSync(path.join(sharedPipelines, "valid/arguments_parameters.zip"));
    const z = await kfp.pipelines.upload(zip, { name: unique("zip") });
    expect(await storedSpec(z)).toBeDefined();
    const withPlatform = path.join(sharedPipelines, "valid/parallel_and_nested/parallel_for_secret.yaml");
    const p = await kfp.pipelines.upload(fromPath(withPlatform), { name: unique("platform") });
    const stored = (await storedSpec(p)) as Record<string, unknown>;
    expect(stored.platform_spec).toBeDefined();
    const { parsePipelinePackage } = await import("../../packages/kfp-ts/src/index.js");
    const pkg = parsePipelinePackage(readFileSync(withPlatform, "utf8"));
    expect(specsEqual(stored, { pipeline_spec: pkg.pipelineSpec, platform_spec: pkg.platformSpec })).toBe(
      true,
    );
  });

  it("the name defaults to the filename, as on the server", async () => {
    const p = await kfp.pipelines.upload(specYaml(), { filename: `${unique("fn")}.yaml` });
    expect(p.name).toMatch(/^fn-\d+\.yaml$/);
  });

  it("the client check and the server agree on the wording", async () => {
    const bad = specYaml().replace("schemaVersion: 2.1.0", "schemaVersion: 2.0.0");
    const local = (await kfp.pipelines
      .upload(bad, { name: unique("bad") })
      .catch((e: unknown) => e)) as SpecValidationError;
    expect(local).toBeInstanceOf(SpecValidationError);
    const remote = (await kfp.pipelines
      .upload(bad, { name: unique("bad"), validate: false })
      .catch((e: unknown) => e)) as BadRequestError;
    expect(remote).toBeInstanceOf(BadRequestError);
    expect(remote.shortMessage).toBe(local.reason);
  });

  it('a syntax error below the top level: the server refuses it by default, nothing stored; validate: "full" refuses it before sending', async () => {
    // A flow sequence left open in a nested value: the top level is intact.
    const bad = specYaml().replace("image: python:3.12", "image: [python, 3.12");
    expect(bad).not.toBe(specYaml());
    const name = unique("nested");
    emu.clearRequests();
    const full = (await kfp.pipelines
      .upload(bad, { name, validate: "full" })
      .catch((e: unknown) => e)) as SpecValidationError;
    expect(full).toBeInstanceOf(SpecValidationError);
    expect(full.reason).toMatch(/^failed to parse pipeline spec YAML: /);
    expect(emu.requests().filter((r) => r.method === "POST")).toHaveLength(0);

    const byDefault = (await kfp.pipelines.upload(bad, { name }).catch((e: unknown) => e)) as BadRequestError;
    expect(byDefault).toBeInstanceOf(BadRequestError);
    expect(byDefault.shortMessage).toMatch(/^failed to parse pipeline spec YAML: /);
    expect(emu.requests().filter((r) => r.method === "POST")).toHaveLength(1);
    const found = (await kfp.pipelines.getByName(name).catch((e: unknown) => e)) as NotFoundError;
    expect(found).toBeInstanceOf(NotFoundError);
  });

  it('validate takes true, false or "full" and names the mistake otherwise', async () => {
    emu.clearRequests();
    const err = (await kfp.pipelines
      // @ts-expect-error: a value the types refuse, as from JavaScript
      .upload(specYaml(), { name: unique("v"), validate: "deep" })
      .catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe(
      'validate must be true (check the package\'s top level, the default), "full" (every line) or false; got "deep"',
    );
    expect(emu.requests()).toHaveLength(0);
  });

  it("a duplicate name is a ConflictError, sent once", async () => {
    const name = unique("dup");
    await kfp.pipelines.upload(specYaml(), { name });
    emu.clearRequests();
    await expect(kfp.pipelines.upload(specYaml(), { name })).rejects.toBeInstanceOf(ConflictError);
    expect(emu.requests().filter((r) => r.method === "POST")).toHaveLength(1);
  });
});

describe("pipelines", () => {
  it("uploadVersion by pipeline_id and by pipeline name", async () => {
    const name = unique("uv");
    const p = await kfp.pipelines.upload(specYaml(), { name });
    const v1 = await kfp.pipelines.uploadVersion(specYaml("echo", "1"), {
      pipeline_id: p.pipeline_id,
      name: "v-one",
    });
    const v2 = await kfp.pipelines.uploadVersion(specYaml("echo", "2"), {
      pipeline_name: name,
      name: "v-two",
      description: "second",
    });
    expect(v1.pipeline_id).toBe(p.pipeline_id);
    expect(v2.pipeline_id).toBe(p.pipeline_id);
    expect(v2.description).toBe("second");
    const got = await kfp.pipelines.versions.get(p.pipeline_id, v2.pipeline_version_id);
    expect(specsEqual(got.pipeline_spec, specObject("echo", "2"))).toBe(true);
    expect(await kfp.pipelines.versions.findByName(p.pipeline_id, "v-one")).toMatchObject({
      pipeline_version_id: v1.pipeline_version_id,
    });
    expect(await kfp.pipelines.versions.findByName(p.pipeline_id, "nope")).toBeUndefined();
  });

  it("getByName, get, create (no version), update display name and tags", async () => {
    const name = unique("crud");
    const created = await kfp.pipelines.create({ name, description: "empty", tags: { team: "ml" } });
    expect(created.tags).toEqual({ team: "ml" });
    expect((await kfp.pipelines.getByName(name)).pipeline_id).toBe(created.pipeline_id);
    expect((await kfp.pipelines.get(created.pipeline_id)).description).toBe("empty");
    const updated = await kfp.pipelines.update(created.pipeline_id, {
      display_name: "Shiny",
      tags: { team: "ml", env: "prod" },
    });
    expect(updated.display_name).toBe("Shiny");
    expect(updated.tags).toEqual({ team: "ml", env: "prod" });
    const cleared = await kfp.pipelines.update(created.pipeline_id, { tags: {} });
    expect(cleared.tags ?? {}).toEqual({});
    await expect(kfp.pipelines.getByName(unique("missing"))).rejects.toBeInstanceOf(NotFoundError);
  });

  it("version update and delete", async () => {
    const p = await kfp.pipelines.upload(specYaml(), { name: unique("vud") });
    const [v] = (await kfp.pipelines.versions.list(p.pipeline_id)).items;
    if (!v) throw new Error("no version");
    const u = await kfp.pipelines.versions.update(p.pipeline_id, v.pipeline_version_id, {
      display_name: "V!",
      tags: { a: "b" },
    });
    expect(u.display_name).toBe("V!");
    expect(u.tags).toEqual({ a: "b" });
    await kfp.pipelines.versions.delete(p.pipeline_id, v.pipeline_version_id);
    await expect(kfp.pipelines.versions.get(p.pipeline_id, v.pipeline_version_id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("delete needs cascade while versions exist", async () => {
    const name = unique("del");
    const p = await kfp.pipelines.upload(specYaml(), { name });
    const err = (await kfp.pipelines.delete(p.pipeline_id).catch((e: unknown) => e)) as BadRequestError;
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.shortMessage).toMatch(/Set cascade=true/);
    await kfp.pipelines.delete(p.pipeline_id, { cascade: true });
    await expect(kfp.pipelines.getByName(name)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("list: one page awaited, every item with for await, filters and sorting", async () => {
    const prefix = unique("page");
    for (let i = 0; i < 7; i++) await kfp.pipelines.create({ name: `${prefix}-${i}` });
    const filter = {
      predicates: [{ key: "name", operation: "IS_SUBSTRING" as const, string_value: prefix }],
    };
    const first = await kfp.pipelines.list({ page_size: 3, filter, sort_by: "name" });
    expect(first.items.map((x) => x.name)).toEqual([`${prefix}-0`, `${prefix}-1`, `${prefix}-2`]);
    expect(first.total_size).toBe(7);
    expect(first.hasNextPage()).toBe(true);
    const names: string[] = [];
    for await (const p of kfp.pipelines.list({ page_size: 3, filter, sort_by: "name desc" }))
      names.push(p.name ?? "");
    expect(names).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `${prefix}-${i}`));
    emu.clearRequests();
    for await (const p of kfp.pipelines.list({ page_size: 2, filter, sort_by: "name" }))
      if (p.name === `${prefix}-2`) break;
    expect(emu.requests().filter((r) => r.path.endsWith("/pipelines"))).toHaveLength(2);
    const exact = await kfp.pipelines.list({
      filter: { predicates: [{ key: "name", operation: "EQUALS", string_value: `${prefix}-4` }] },
    });
    expect(exact.items.map((x) => x.name)).toEqual([`${prefix}-4`]);
  });
});

describe("publish", () => {
  it("is idempotent over three reruns", async () => {
    const name = unique("pub");
    const a = await kfp.pipelines.publish(name, specYaml());
    expect(a).toMatchObject({ created: true, pipelineCreated: true });
    expect(a.version.name).toMatch(new RegExp(`^${name}-[0-9a-f]{12}$`));
    for (let i = 0; i < 3; i++) {
      emu.clearRequests();
      const again = await kfp.pipelines.publish(name, specYaml());
      expect(again).toMatchObject({ created: false, pipelineCreated: false });
      expect(again.version.pipeline_version_id).toBe(a.version.pipeline_version_id);
      expect(emu.requests().filter((r) => r.method === "POST")).toHaveLength(0);
    }
    const versions = await kfp.pipelines.versions.list(a.pipeline.pipeline_id);
    expect(versions.total_size).toBe(1);
  });

  it("the same spec in another form (JSON, object, file) is the same version", async () => {
    const name = unique("forms");
    const a = await kfp.pipelines.publish(name, specYaml());
    const f = path.join(dir, "forms.yaml");
    await writeFile(f, specYaml());
    for (const src of [JSON.stringify(specObject()), specObject(), fromPath(f)]) {
      const r = await kfp.pipelines.publish(name, src as never);
      expect(r.created).toBe(false);
      expect(r.version.pipeline_version_id).toBe(a.version.pipeline_version_id);
    }
  });

  it("a changed spec adds a version; going back to an old spec reuses its version", async () => {
    const name = unique("chg");
    const a = await kfp.pipelines.publish(name, specYaml());
    const b = await kfp.pipelines.publish(name, specYaml("echo", " v2"));
    expect(b.created).toBe(true);
    expect(b.version.pipeline_version_id).not.toBe(a.version.pipeline_version_id);
    const again = await kfp.pipelines.publish(name, specYaml());
    expect(again.version.pipeline_version_id).toBe(a.version.pipeline_version_id);
    expect((await kfp.pipelines.versions.list(a.pipeline.pipeline_id)).total_size).toBe(2);
  });

  it("a racing pair ends with one pipeline and one version", async () => {
    const name = unique("race");
    const [x, y] = await Promise.all([
      kfp.pipelines.publish(name, specYaml()),
      kfp.pipelines.publish(name, specYaml()),
    ]);
    expect(x.pipeline.pipeline_id).toBe(y.pipeline.pipeline_id);
    expect(x.version.pipeline_version_id).toBe(y.version.pipeline_version_id);
    expect([x.created, y.created].filter(Boolean)).toHaveLength(1);
    const list = await kfp.pipelines.list({
      filter: { predicates: [{ key: "name", operation: "EQUALS", string_value: name }] },
    });
    expect(list.total_size).toBe(1);
    expect((await kfp.pipelines.versions.list(x.pipeline.pipeline_id)).total_size).toBe(1);
  });

  it("an explicit version name: reused when the spec matches, ConflictError when it does not", async () => {
    const name = unique("named");
    const a = await kfp.pipelines.publish(name, specYaml(), {
      version_name: "release-1",
      description: "d",
      tags: { t: "1" },
    });
    expect(a.version.name).toBe("release-1");
    expect(a.pipeline.tags).toEqual({ t: "1" });
    const b = await kfp.pipelines.publish(name, specYaml(), { version_name: "release-1" });
    expect(b.created).toBe(false);
    await kfp.pipelines.publish(name, specYaml("echo", "x"), { version_name: "release-2" });
    const err = (await kfp.pipelines
      .publish(name, specYaml("echo", "y"), { version_name: "release-1" })
      .catch((e: unknown) => e)) as ConflictError;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toMatch(/already exists with a different spec/);
  });

  it("refuses an invalid package before creating anything", async () => {
    const name = unique("inv");
    await expect(kfp.pipelines.publish(name, specYaml("Bad"))).rejects.toBeInstanceOf(SpecValidationError);
    await expect(kfp.pipelines.getByName(name)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("URL-based creates", () => {
  let rec: Recorder;
  let emuUrl: Emulator;
  let client: Kfp;
  beforeAll(async () => {
    rec = await startRecorder();
    rec.fallback({ body: specYaml(), headers: { "content-type": "application/x-yaml" } });
    emuUrl = await startEmulator({ allowLoopbackUrls: true, allowHttpUrls: true });
    client = new Kfp({ host: emuUrl.url, env: {}, logLevel: "off" });
  });
  afterAll(async () => {
    await client.close();
    await emuUrl.close();
    await rec.close();
  });

  it("createWithVersion and versions.create download the package", async () => {
    const p = await client.pipelines.createWithVersion(
      { name: "from-url" },
      { package_url: { pipeline_url: `${rec.url}/pipeline.yaml` } },
    );
    expect(p.name).toBe("from-url");
    const v = await client.pipelines.versions.create(p.pipeline_id, {
      name: "url-v2",
      package_url: { pipeline_url: `${rec.url}/v2.yaml` },
    });
    expect(v.package_url?.pipeline_url).toBe(`${rec.url}/v2.yaml`);
    expect(specsEqual(v.pipeline_spec, specObject())).toBe(true);
  });
});

describe("multi-user mode", () => {
  let mu: Emulator;
  beforeAll(async () => {
    mu = await startEmulator({
      multiUser: {
        users: {
          "alice@example.com": { namespaces: ["team-a"] },
          "bob@example.com": { namespaces: ["team-b"] },
        },
      },
    });
  });
  afterAll(async () => {
    await mu.close();
  });

  it("namespaced and shared pipelines, with the user header", async () => {
    const alice = new Kfp({
      host: mu.url,
      env: {},
      logLevel: "off",
      namespace: "team-a",
      headers: { "kubeflow-userid": "alice@example.com" },
    });
    const bob = new Kfp({
      host: mu.url,
      env: {},
      logLevel: "off",
      namespace: "team-b",
      headers: { "kubeflow-userid": "bob@example.com" },
    });
    try {
      expect((await alice.serverInfo()).multiUser).toBe(true);
      const mine = await alice.pipelines.upload(specYaml(), { name: "nsp" });
      expect(mine.namespace).toBe("team-a");
      const shared = await alice.pipelines.upload(specYaml(), { name: "shared-p", namespace: null });
      expect(shared.namespace).toBeUndefined();
      // Same name in another namespace is fine.
      const bobs = await bob.pipelines.upload(specYaml(), { name: "nsp" });
      expect(bobs.pipeline_id).not.toBe(mine.pipeline_id);
      expect((await alice.pipelines.getByName("nsp")).pipeline_id).toBe(mine.pipeline_id);
      expect((await bob.pipelines.getByName("shared-p", { namespace: null })).pipeline_id).toBe(
        shared.pipeline_id,
      );
      const v = await alice.pipelines.uploadVersion(specYaml("echo", "2"), {
        pipeline_name: "nsp",
        name: "nsp-v2",
      });
      expect(v.pipeline_id).toBe(mine.pipeline_id);
      // pipeline_name falls back to a shared pipeline when the namespace has none of that name.
      // As upstream (canUploadVersionedPipeline skips authorization for the empty namespace), any
      // user may add a version to a shared pipeline through the upload handler.
      const sv = await bob.pipelines.uploadVersion(specYaml("echo", "3"), {
        pipeline_name: "shared-p",
        name: "shared-v2",
      });
      expect(sv.pipeline_id).toBe(shared.pipeline_id);
      const names = (await alice.pipelines.list()).items.map((p) => p.name);
      expect(names).toContain("nsp");
      const pub = await alice.withNamespace("team-a").pipelines.publish("nsp-pub", specYaml());
      expect(pub.pipeline.namespace).toBe("team-a");
      await expect(
        bob.pipelines.upload(specYaml(), { name: "intrude", namespace: "team-a" }),
      ).rejects.toBeInstanceOf(BadRequestError);
    } finally {
      await alice.close();
      await bob.close();
    }
  });
});

describe("v1beta1 API", () => {
  it("upload, list, get, versions and cascade delete through the v1 routes", async () => {
    const v1 = new Kfp({ host: emu.url, env: {}, logLevel: "off", apiVersion: "v1beta1" });
    try {
      const name = unique("v1p");
      const p = await v1.pipelines.upload(specYaml(), { name });
      expect(p.name).toBe(name);
      expect(p.display_name).toBe(name);
      expect((await v1.pipelines.get(p.pipeline_id)).name).toBe(name);
      expect((await v1.pipelines.getByName(name)).pipeline_id).toBe(p.pipeline_id);
      const v = await v1.pipelines.uploadVersion(specYaml("echo", "9"), {
        pipeline_id: p.pipeline_id,
        name: "v1-second",
      });
      expect(v.pipeline_id).toBe(p.pipeline_id);
      const got = await v1.pipelines.versions.get(p.pipeline_id, v.pipeline_version_id);
      expect(specsEqual(got.pipeline_spec, specObject("echo", "9"))).toBe(true);
      const versions = await v1.pipelines.versions.list(p.pipeline_id);
      expect(versions.items.map((x) => x.name).sort()).toEqual([name, "v1-second"].sort());
      const listed = await v1.pipelines.list({
        filter: { predicates: [{ key: "name", operation: "EQUALS", string_value: name }] },
      });
      expect(listed.items.map((x) => x.pipeline_id)).toEqual([p.pipeline_id]);
      await expect(v1.pipelines.create({ name: "x" })).rejects.toMatchObject({ name: "UnsupportedError" });
      await v1.pipelines.delete(p.pipeline_id, { cascade: true });
      await expect(v1.pipelines.get(p.pipeline_id)).rejects.toBeInstanceOf(NotFoundError);
      const pub = await v1.pipelines.publish(unique("v1pub"), specYaml());
      expect(pub.created).toBe(true);
      const again = await v1.pipelines.publish(pub.pipeline.name ?? "", specYaml());
      expect(again.created).toBe(false);
    } finally {
      await v1.close();
    }
  });
});
