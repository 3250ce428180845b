/**
 * Pipelines and pipeline versions through the gateway routes (v2beta1, /apis/v2, v1beta1).
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { writeZip } from "./helpers/archive-writer.js";
import { call, MINIMAL_SPEC, upload } from "./helpers/http.js";

const V2 = "/apis/v2beta1";
let emu: Emulator;
let seq = 0;
const uniq = (p = "p") => `${p}-${++seq}`;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.close();
});

async function uploadPipeline(name = uniq(), base = V2, query: Record<string, string> = {}, headers = {}) {
  const r = await upload(
    emu.url,
    `${base}/pipelines/upload`,
    { filename: "p.yaml", data: MINIMAL_SPEC() },
    { name, ...query },
    headers,
  );
  expect(r.status, r.text).toBe(200);
  return r.body as { pipeline_id: string; name: string };
}

async function uploadVersion(pid: string, name = uniq("v")) {
  const r = await upload(
    emu.url,
    `${V2}/pipelines/upload_version`,
    { filename: "v.yaml", data: MINIMAL_SPEC() },
    { pipelineid: pid, name },
  );
  expect(r.status, r.text).toBe(200);
  return r.body as { pipeline_version_id: string; name: string };
}

function filterOf(predicates: unknown[]): string {
  return encodeURIComponent(encodeURIComponent(JSON.stringify({ predicates })));
}

describe("create / get / list / delete", () => {
  it("POST /pipelines creates a pipeline without a version", async () => {
    const name = uniq("json");
    const r = await call(emu.url, "POST", `${V2}/pipelines`, {
      display_name: name,
      description: "d",
      tags: { a: "b" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      pipeline_id: expect.any(String),
      name,
      display_name: name,
      description: "d",
      created_at: expect.any(String),
      tags: { a: "b" },
    });
    const versions = await call(emu.url, "GET", `${V2}/pipelines/${r.body.pipeline_id}/versions`);
    expect(versions.status).toBe(200);
    expect(versions.body).toEqual({});
    // No versions: a plain delete works.
    expect((await call(emu.url, "DELETE", `${V2}/pipelines/${r.body.pipeline_id}`)).body).toEqual({});
    const gone = await call(emu.url, "GET", `${V2}/pipelines/${r.body.pipeline_id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.details[0].message).toBe(`Pipeline ${r.body.pipeline_id} not found`);
  });

  it("POST /pipelines: 400 without a name, 409 on duplicates, 500 for over-long names, 400 bad tags", async () => {
    const none = await call(emu.url, "POST", `${V2}/pipelines`, { description: "x" });
    expect(none.status).toBe(400);
    expect(none.body.details[0].message).toBe("name is required");
    const name = uniq("dup");
    expect((await call(emu.url, "POST", `${V2}/pipelines`, { name })).status).toBe(200);
    const dup = await call(emu.url, "POST", `${V2}/pipelines`, { name });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe(6);
    expect(dup.body.details[0].message).toBe(
      `Failed to create a new pipeline. The name ${name} already exist. Please specify a new name`,
    );
    const long = await call(emu.url, "POST", `${V2}/pipelines`, { name: "x".repeat(129) });
    expect(long.status).toBe(500);
    expect(long.body.details[0].message).toBe("Internal Server Error");
    expect(long.body.message).toContain("Pipeline.Name length cannot exceed 128");
    const tags = await call(emu.url, "POST", `${V2}/pipelines`, { name: uniq(), tags: { "": "x" } });
    expect(tags.status).toBe(400);
    expect(tags.body.details[0].message).toBe("tag key cannot be empty");
  });

  it("rejects unknown body fields and wrong kinds like protojson (400), accepts camelCase", async () => {
    const unknown = await call(emu.url, "POST", `${V2}/pipelines`, { name: uniq(), bogus: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe(3);
    expect(unknown.body.message).toMatch(/unknown field "bogus"/);
    const kind = await call(emu.url, "POST", `${V2}/pipelines`, { name: 5 });
    expect(kind.status).toBe(400);
    const camel = await call(emu.url, "POST", `${V2}/pipelines`, { displayName: uniq("camel") });
    expect(camel.status).toBe(200);
    const bad = await call(emu.url, "POST", `${V2}/pipelines`, "{not json");
    expect(bad.status).toBe(400);
  });

  it("get, get by name (most recent) and list with filters, tags and paging", async () => {
    const p = await uploadPipeline(uniq("find"), V2, { tags: '{"team":"red"}', display_name: "Finder" });
    const got = await call(emu.url, "GET", `${V2}/pipelines/${p.pipeline_id}`);
    expect(got.body).toMatchObject({ pipeline_id: p.pipeline_id, name: p.name, display_name: "Finder" });
    const byName = await call(emu.url, "GET", `${V2}/pipelines/names/${encodeURIComponent(p.name)}`);
    expect(byName.body.pipeline_id).toBe(p.pipeline_id);
    const missing = await call(emu.url, "GET", `${V2}/pipelines/names/nope-nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.details[0].message).toBe("Namespace/Pipeline /nope-nope not found");

    const byDisplay = await call(
      emu.url,
      "GET",
      `${V2}/pipelines?filter=${filterOf([{ key: "display_name", operation: "EQUALS", string_value: "Finder" }])}`,
    );
    expect(byDisplay.body.total_size).toBe(1);
    expect(byDisplay.body.pipelines[0].pipeline_id).toBe(p.pipeline_id);
    const byTag = await call(
      emu.url,
      "GET",
      `${V2}/pipelines?filter=${filterOf([{ key: "tags.team", operation: "EQUALS", string_value: "red" }])}`,
    );
    expect(byTag.body.pipelines.map((x: { pipeline_id: string }) => x.pipeline_id)).toEqual([p.pipeline_id]);

    const page1 = await call(emu.url, "GET", `${V2}/pipelines?page_size=1`);
    expect(page1.body.pipelines).toHaveLength(1);
    expect(page1.body.total_size).toBeGreaterThan(1);
    expect(page1.body.next_page_token).toBeTruthy();
    const page2 = await call(
      emu.url,
      "GET",
      `${V2}/pipelines?page_size=1&page_token=${encodeURIComponent(page1.body.next_page_token)}`,
    );
    expect(page2.body.pipelines[0].pipeline_id).not.toBe(page1.body.pipelines[0].pipeline_id);
    expect((await call(emu.url, "GET", `${V2}/pipelines?page_size=abc`)).status).toBe(400);
    expect((await call(emu.url, "GET", `${V2}/pipelines?sort_by=bogus`)).status).toBe(400);
    // Unknown query parameters are ignored.
    expect((await call(emu.url, "GET", `${V2}/pipelines?whatever=1`)).status).toBe(200);
  });

  it("delete without cascade fails while versions exist; cascade removes them", async () => {
    const p = await uploadPipeline();
    const v = await call(emu.url, "GET", `${V2}/pipelines/${p.pipeline_id}/versions`);
    const vid = v.body.pipeline_versions[0].pipeline_version_id;
    const plain = await call(emu.url, "DELETE", `${V2}/pipelines/${p.pipeline_id}`);
    expect(plain.status).toBe(400);
    expect(plain.body.details[0].message).toBe(
      `Failed to delete pipeline with id ${p.pipeline_id} as it has existing pipeline versions (e.g. ${vid}). Set cascade=true to delete all versions`,
    );
    expect((await call(emu.url, "DELETE", `${V2}/pipelines/${p.pipeline_id}?cascade=maybe`)).status).toBe(
      400,
    );
    expect((await call(emu.url, "DELETE", `${V2}/pipelines/${p.pipeline_id}?cascade=true`)).body).toEqual({});
    expect((await call(emu.url, "GET", `${V2}/pipelines/${p.pipeline_id}/versions/${vid}`)).status).toBe(404);
    expect((await call(emu.url, "DELETE", `${V2}/pipelines/${p.pipeline_id}?cascade=true`)).status).toBe(404);
  });

  it("PATCH updates display_name and tags; {} clears tags; absent keeps them", async () => {
    const p = await uploadPipeline(uniq("upd"), V2, { tags: '{"a":"1"}' });
    const url = `${V2}/pipelines/${p.pipeline_id}`;
    const r1 = await call(emu.url, "PATCH", url, { display_name: "New" });
    expect(r1.body).toMatchObject({ display_name: "New", name: p.name, tags: { a: "1" } });
    const r2 = await call(emu.url, "PATCH", url, { tags: { b: "2" } });
    expect(r2.body.tags).toEqual({ b: "2" });
    expect(r2.body.display_name).toBe("New");
    const r3 = await call(emu.url, "PATCH", url, { tags: {} });
    expect(r3.body.tags).toBeUndefined();
    await call(emu.url, "PATCH", url, { tags: { c: "3" } });
    const r4 = await call(emu.url, "PATCH", url, {}, { "x-clear-tags": "true" });
    expect(r4.body.tags).toBeUndefined();
    const bad = await call(emu.url, "PATCH", url, { tags: { "x.y": "1" } });
    expect(bad.status).toBe(400);
    expect((await call(emu.url, "PATCH", `${V2}/pipelines/nope`, { display_name: "x" })).status).toBe(404);
  });
});

describe("scale", () => {
  it("lists among 10,000 pipelines quickly", async () => {
    const e = await startEmulator();
    try {
      e.store.transaction(() => {
        for (let i = 0; i < 10_000; i++) {
          const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
          e.store.put("pipelines", id, {
            pipeline_id: id,
            name: `p-${i}`,
            display_name: `P ${i}`,
            description: "",
            namespace: "",
            created_at: 1_700_000_000 + i,
          });
        }
      });
      const t0 = performance.now();
      const r = await call(e.url, "GET", `${V2}/pipelines?page_size=200&sort_by=created_at%20desc`);
      const filtered = await call(
        e.url,
        "GET",
        `${V2}/pipelines?filter=${filterOf([{ key: "name", operation: "EQUALS", string_value: "p-9999" }])}`,
      );
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(r.body.total_size).toBe(10_000);
      expect(r.body.pipelines).toHaveLength(200);
      expect(r.body.pipelines[0].name).toBe("p-9999");
      expect(filtered.body.total_size).toBe(1);
    } finally {
      await e.close();
    }
  });
});

describe("versions", () => {
  it("list, get (path pipeline id not checked), patch and delete", async () => {
    const p = await uploadPipeline();
    const v2 = await uploadVersion(p.pipeline_id, "second");
    const list = await call(
      emu.url,
      "GET",
      `${V2}/pipelines/${p.pipeline_id}/versions?sort_by=created_at%20desc`,
    );
    expect(list.body.total_size).toBe(2);
    const got = await call(emu.url, "GET", `${V2}/pipelines/other/versions/${v2.pipeline_version_id}`);
    expect(got.body).toMatchObject({ pipeline_id: p.pipeline_id, name: "second" });
    const patched = await call(
      emu.url,
      "PATCH",
      `${V2}/pipelines/${p.pipeline_id}/versions/${v2.pipeline_version_id}`,
      {
        display_name: "Second",
        tags: { k: "v" },
      },
    );
    expect(patched.body).toMatchObject({ display_name: "Second", tags: { k: "v" }, name: "second" });
    const byTag = await call(
      emu.url,
      "GET",
      `${V2}/pipelines/${p.pipeline_id}/versions?filter=${filterOf([{ key: "tags.k", operation: "EQUALS", string_value: "v" }])}`,
    );
    expect(byTag.body.total_size).toBe(1);
    expect(
      (await call(emu.url, "DELETE", `${V2}/pipelines/${p.pipeline_id}/versions/${v2.pipeline_version_id}`))
        .body,
    ).toEqual({});
    const again = await call(
      emu.url,
      "DELETE",
      `${V2}/pipelines/${p.pipeline_id}/versions/${v2.pipeline_version_id}`,
    );
    expect(again.status).toBe(404);
    expect(again.body.details[0].message).toBe(`PipelineVersion ${v2.pipeline_version_id} not found`);
    const missingParent = await call(emu.url, "GET", `${V2}/pipelines/nope/versions`);
    expect(missingParent.status).toBe(404);
  });
});

describe("create from a package URL", () => {
  let pkg: Server;
  let pkgUrl: string;
  let served = 0;
  beforeAll(async () => {
    pkg = createServer((req, res) => {
      served++;
      if (req.url?.endsWith("/pipeline.yaml")) {
        res.writeHead(200, { "content-type": "application/yaml" });
        res.end(MINIMAL_SPEC());
      } else if (req.url?.endsWith("/pipeline.zip")) {
        res.writeHead(200);
        res.end(writeZip([{ name: "pipeline.yaml", data: MINIMAL_SPEC() }]));
      } else if (req.url?.endsWith("/redirect.yaml")) {
        res.writeHead(302, { location: "/pkgs/pipeline.yaml" });
        res.end();
      } else {
        res.writeHead(404);
        res.end("nope");
      }
    });
    await new Promise<void>((r) => pkg.listen(0, "127.0.0.1", r));
    pkgUrl = `http://127.0.0.1:${(pkg.address() as AddressInfo).port}/pkgs`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => pkg.close(() => r()));
  });

  it("is rejected by default (https only, allowlisted public hosts)", async () => {
    const before = served;
    for (const url of [
      `${pkgUrl}/pipeline.yaml`,
      "https://127.0.0.1/x.yaml",
      "https://example.com/x.yaml",
      "ftp://x/y",
    ]) {
      const r = await call(emu.url, "POST", `${V2}/pipelines/create`, {
        pipeline: { name: uniq() },
        pipeline_version: { package_url: { pipeline_url: url } },
      });
      expect(r.status, url).toBe(400);
      expect(r.body.details[0].message).toBe("Pipeline URL validation failed");
    }
    expect(served).toBe(before);
  });

  it("downloads the package when loopback URLs are allowed", async () => {
    const local = await startEmulator({ allowLoopbackUrls: true, allowHttpUrls: true });
    try {
      const r = await call(local.url, "POST", `${V2}/pipelines/create`, {
        pipeline: { display_name: "From URL" },
        pipeline_version: { package_url: { pipeline_url: `${pkgUrl}/pipeline.yaml` }, tags: { v: "1" } },
      });
      expect(r.status, r.text).toBe(200);
      expect(r.body).toMatchObject({ name: "From URL", display_name: "From URL" });
      const vs = await call(local.url, "GET", `${V2}/pipelines/${r.body.pipeline_id}/versions`);
      expect(vs.body.pipeline_versions[0]).toMatchObject({
        name: "From URL",
        package_url: { pipeline_url: `${pkgUrl}/pipeline.yaml` },
        tags: { v: "1" },
      });
      // Name falls back to the URL's last path segment.
      const z = await call(local.url, "POST", `${V2}/pipelines/create`, {
        pipeline_version: { package_url: { pipeline_url: `${pkgUrl}/pipeline.zip` } },
      });
      expect(z.status, z.text).toBe(200);
      expect(z.body.name).toBe("pipeline.zip");
      // A new version from a URL (redirect followed); a name is required.
      const v = await call(local.url, "POST", `${V2}/pipelines/${r.body.pipeline_id}/versions`, {
        pipeline_id: r.body.pipeline_id,
        name: "from-url",
        package_url: { pipeline_url: `${pkgUrl}/redirect.yaml` },
      });
      expect(v.status, v.text).toBe(200);
      expect(v.body.package_url).toEqual({ pipeline_url: `${pkgUrl}/redirect.yaml` });
      const noName = await call(local.url, "POST", `${V2}/pipelines/${r.body.pipeline_id}/versions`, {
        pipeline_id: r.body.pipeline_id,
        package_url: { pipeline_url: `${pkgUrl}/pipeline.yaml` },
      });
      expect(noName.status).toBe(400);
      expect(noName.body.details[0].message).toBe("name is required");
      const noPid = await call(local.url, "POST", `${V2}/pipelines/${r.body.pipeline_id}/versions`, {
        name: "x",
        package_url: { pipeline_url: `${pkgUrl}/pipeline.yaml` },
      });
      expect(noPid.body.details[0].message).toBe(
        "Failed to create a pipeline version. Parent pipeline id is empty",
      );
      const notFound = await call(local.url, "POST", `${V2}/pipelines/create`, {
        pipeline: { name: uniq() },
        pipeline_version: { package_url: { pipeline_url: `${pkgUrl}/missing.yaml` } },
      });
      expect(notFound.status).toBe(400);
      expect(notFound.body.details[0].message).toBe(
        `error fetching pipeline spec from ${pkgUrl}/missing.yaml - request returned 404 Not Found`,
      );
    } finally {
      await local.close();
    }
  });
});

describe("/apis/v2 alias", () => {
  it("serves the same resources under /apis/v2", async () => {
    const p = await uploadPipeline(uniq("alias"), "/apis/v2");
    const got = await call(emu.url, "GET", `/apis/v2/pipelines/${p.pipeline_id}`);
    expect(got.body.pipeline_id).toBe(p.pipeline_id);
    const same = await call(emu.url, "GET", `${V2}/pipelines/${p.pipeline_id}`);
    expect(same.body).toEqual(got.body);
  });
});

describe("v1beta1", () => {
  it("lists, gets, returns templates and deletes in v1 shapes", async () => {
    const p = await uploadPipeline(uniq("v1"));
    const list = await call(emu.url, "GET", `/apis/v1beta1/pipelines?page_size=200`);
    const mine = list.body.pipelines.find((x: { id: string }) => x.id === p.pipeline_id);
    expect(mine).toMatchObject({ id: p.pipeline_id, name: p.name, default_version: { name: p.name } });
    const got = await call(emu.url, "GET", `/apis/v1beta1/pipelines/${p.pipeline_id}`);
    expect(got.body.default_version.resource_references[0].key).toEqual({
      type: "PIPELINE",
      id: p.pipeline_id,
    });
    const tmpl = await call(emu.url, "GET", `/apis/v1beta1/pipelines/${p.pipeline_id}/templates`);
    expect(tmpl.body.template).toContain("schemaVersion: 2.1.0");
    const versions = await call(
      emu.url,
      "GET",
      `/apis/v1beta1/pipeline_versions?resource_key.type=PIPELINE&resource_key.id=${p.pipeline_id}`,
    );
    expect(versions.body.total_size).toBe(1);
    const vid = versions.body.versions[0].id;
    expect((await call(emu.url, "GET", `/apis/v1beta1/pipeline_versions/${vid}`)).body.name).toBe(p.name);
    expect(
      (await call(emu.url, "GET", `/apis/v1beta1/pipeline_versions/${vid}/templates`)).body.template,
    ).toContain("pipelineInfo");
    expect((await call(emu.url, "GET", `/apis/v1beta1/namespaces/-/pipelines/${p.name}`)).body.id).toBe(
      p.pipeline_id,
    );
    expect((await call(emu.url, "DELETE", `/apis/v1beta1/pipelines/${p.pipeline_id}`)).status).toBe(400);
    expect((await call(emu.url, "DELETE", `/apis/v1beta1/pipeline_versions/${vid}`)).body).toEqual({});
    expect((await call(emu.url, "DELETE", `/apis/v1beta1/pipelines/${p.pipeline_id}`)).body).toEqual({});
    const filtered = await call(
      emu.url,
      "GET",
      `/apis/v1beta1/pipelines?filter=${encodeURIComponent(JSON.stringify({ predicates: [{ key: "name", op: "EQUALS", string_value: "zzz" }] }))}`,
    );
    expect(filtered.body).toEqual({});
    expect((await call(emu.url, "GET", `/apis/v1beta1/pipeline_versions`)).status).toBe(400);
  });
});

describe("multi-user isolation", () => {
  let mu: Emulator;
  const alice = { "kubeflow-userid": "alice@example.com" };
  const bob = { "kubeflow-userid": "bob@example.com" };
  beforeAll(async () => {
    mu = await startEmulator({
      multiUser: {
        users: {
          "alice@example.com": { namespaces: ["team-a"], tokens: ["tok-a"] },
          "bob@example.com": { namespaces: ["team-b"] },
          "admin@example.com": { namespaces: ["*"] },
        },
      },
    });
  });
  afterAll(async () => {
    await mu?.close();
  });

  it("reports multi_user in healthz", async () => {
    expect((await call(mu.url, "GET", "/apis/v2beta1/healthz")).body.multi_user).toBe(true);
  });

  it("keeps namespaces apart and shares namespace-less pipelines", async () => {
    const upA = await upload(
      mu.url,
      `${V2}/pipelines/upload`,
      { filename: "p.yaml", data: MINIMAL_SPEC() },
      { name: "a-pipe", namespace: "team-a" },
      alice,
    );
    expect(upA.status, upA.text).toBe(200);
    expect(upA.body.namespace).toBe("team-a");
    const upB = await upload(
      mu.url,
      `${V2}/pipelines/upload`,
      { filename: "p.yaml", data: MINIMAL_SPEC() },
      { name: "b-pipe", namespace: "team-b" },
      bob,
    );
    expect(upB.status).toBe(200);
    // Uploading into someone else's namespace is an authorization failure → 400 on the upload handler.
    const cross = await upload(
      mu.url,
      `${V2}/pipelines/upload`,
      { filename: "p.yaml", data: MINIMAL_SPEC() },
      { name: "x", namespace: "team-b" },
      alice,
    );
    expect(cross.status).toBe(400);
    expect(cross.body.error_message).toBe("Failed to create a pipeline");
    // Shared pipeline (no namespace): no authorization needed to upload or read.
    const shared = await upload(
      mu.url,
      `${V2}/pipelines/upload`,
      { filename: "p.yaml", data: MINIMAL_SPEC() },
      { name: "shared-pipe" },
    );
    expect(shared.status).toBe(200);
    expect(shared.body.namespace).toBeUndefined();

    const listA = await call(mu.url, "GET", `${V2}/pipelines?namespace=team-a`, undefined, alice);
    expect(listA.body.pipelines.map((p: { name: string }) => p.name)).toEqual(["a-pipe"]);
    const listBasA = await call(mu.url, "GET", `${V2}/pipelines?namespace=team-b`, undefined, alice);
    expect(listBasA.status).toBe(403);
    expect(listBasA.body.details[0].message).toMatch(
      /^User 'alice@example.com' is not authorized with reason: /,
    );
    const getB = await call(mu.url, "GET", `${V2}/pipelines/${upB.body.pipeline_id}`, undefined, alice);
    expect(getB.status).toBe(403);
    const getBasB = await call(mu.url, "GET", `${V2}/pipelines/${upB.body.pipeline_id}`, undefined, bob);
    expect(getBasB.status).toBe(200);
    const sharedList = await call(mu.url, "GET", `${V2}/pipelines`, undefined, bob);
    expect(sharedList.body.pipelines.map((p: { name: string }) => p.name)).toEqual(["shared-pipe"]);
    // A bearer token identifies alice too.
    const viaToken = await call(mu.url, "GET", `${V2}/pipelines?namespace=team-a`, undefined, {
      authorization: "Bearer tok-a",
    });
    expect(viaToken.status).toBe(200);
    // No identity at all → 401 with the real message and WWW-Authenticate.
    const anon = await call(mu.url, "GET", `${V2}/pipelines?namespace=team-a`);
    expect(anon.status).toBe(401);
    expect(anon.body.details[0].message).toBe(
      "Failed to check authorization. User identity is empty in the request header",
    );
    expect(anon.headers.get("www-authenticate")).toBeTruthy();
    // Deleting a shared pipeline needs rights in the KFP namespace.
    const del = await call(
      mu.url,
      "DELETE",
      `${V2}/pipelines/${shared.body.pipeline_id}?cascade=true`,
      undefined,
      bob,
    );
    expect(del.status).toBe(403);
    const delAdmin = await call(
      mu.url,
      "DELETE",
      `${V2}/pipelines/${shared.body.pipeline_id}?cascade=true`,
      undefined,
      {
        "kubeflow-userid": "admin@example.com",
      },
    );
    expect(delAdmin.status).toBe(200);
    // upload_version into bob's pipeline as alice → 400.
    const v = await upload(
      mu.url,
      `${V2}/pipelines/upload_version`,
      { filename: "v.yaml", data: MINIMAL_SPEC() },
      { pipelineid: upB.body.pipeline_id },
      alice,
    );
    expect(v.status).toBe(400);
    expect(v.body.error_message).toBe("Failed to create a pipeline version");
  });

  it("rejects a repeated identity header and unknown tokens with 401", async () => {
    // Two header lines (fetch would merge them into one).
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${mu.url}${V2}/pipelines?namespace=team-a`, {
        headers: { "kubeflow-userid": ["alice@example.com", "alice@example.com"] },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(401);
    const bad = await call(mu.url, "GET", `${V2}/pipelines?namespace=team-a`, undefined, {
      authorization: "Bearer nope",
    });
    expect(bad.status).toBe(401);
  });

  it("shared read lets anyone get and list, but not write", async () => {
    const sr = await startEmulator({
      multiUser: { sharedRead: true, users: { "alice@example.com": { namespaces: ["team-a"] } } },
    });
    try {
      const up = await upload(
        sr.url,
        `${V2}/pipelines/upload`,
        { filename: "p.yaml", data: MINIMAL_SPEC() },
        { name: "a", namespace: "team-a" },
        alice,
      );
      expect(up.status).toBe(200);
      expect((await call(sr.url, "GET", `${V2}/pipelines?namespace=team-a`)).status).toBe(200);
      expect(
        (await call(sr.url, "GET", `${V2}/pipelines/${up.body.pipeline_id}`, undefined, bob)).status,
      ).toBe(200);
      expect(
        (await call(sr.url, "DELETE", `${V2}/pipelines/${up.body.pipeline_id}?cascade=true`, undefined, bob))
          .status,
      ).toBe(403);
    } finally {
      await sr.close();
    }
  });

  it("requires a namespace when configured", async () => {
    const strict = await startEmulator({ multiUser: { requireNamespaceForPipelines: true } });
    try {
      const r = await upload(
        strict.url,
        `${V2}/pipelines/upload`,
        { filename: "p.yaml", data: MINIMAL_SPEC() },
        { name: "x" },
        alice,
      );
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(r.text).toBe("Invalid input error: Namespace is required for pipeline operations\n");
      const list = await call(strict.url, "GET", `${V2}/pipelines`, undefined, alice);
      expect(list.status).toBe(400);
      expect(list.body.details[0].message).toBe("Namespace is required for pipeline operations");
    } finally {
      await strict.close();
    }
  });

  it("single-user mode ignores namespaces", async () => {
    const r = await uploadPipeline(uniq("ns"), V2, { namespace: "team-a" });
    const got = await call(emu.url, "GET", `${V2}/pipelines/${r.pipeline_id}`);
    expect(got.body.namespace).toBeUndefined();
  });
});
