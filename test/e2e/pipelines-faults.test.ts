/**
 * Resilience against the emulator's fault injection: lost answers on creates are reconciled (never
 * duplicated), unavailable answers are retried, truncated answers on reads are retried.
 */
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import {
  ConflictError,
  ConnectionError,
  NotFoundError,
  type Pipeline,
  ServerError,
} from "../../packages/kfp-ts/src/index.js";
import { E2E_TRANSPORT, Kfp } from "../helpers/kfp.js";
import { specYaml } from "../helpers/specs.js";

let emu: Emulator;
let kfp: Kfp;
/** Added to the emulator's clock (to make resources that were created in the past). */
let past = 0;

beforeAll(async () => {
  emu = await startEmulator({ clock: () => Date.now() + past });
  kfp = new Kfp({ host: emu.url, env: {}, logLevel: "off", retry: { baseDelay: 1, maxDelay: 5 } });
  await kfp.apiVersion();
});
afterEach(() => {
  past = 0;
  emu.faults.clear();
});
afterAll(async () => {
  await kfp.close();
  await emu.close();
});

const posts = (suffix: string) =>
  emu.requests().filter((r) => r.method === "POST" && r.path.endsWith(suffix)).length;

describe("lost answers on creates", () => {
  it("upload: the pipeline was created, the answer lost → found by name, not uploaded again", async () => {
    emu.faults.add({ method: "POST", path: "/pipelines/upload$", action: "reset-after-body", times: 1 });
    emu.clearRequests();
    const p = await kfp.pipelines.upload(specYaml(), { name: "lost-upload" });
    expect(p.name).toBe("lost-upload");
    expect(posts("/pipelines/upload")).toBe(1);
    const all = await kfp.pipelines.list({
      filter: { predicates: [{ key: "name", operation: "EQUALS", string_value: "lost-upload" }] },
    });
    expect(all.total_size).toBe(1);
  });

  it("uploadVersion: the same, looked up by version name", async () => {
    const p = await kfp.pipelines.upload(specYaml(), { name: "lost-version" });
    emu.faults.add({
      method: "POST",
      path: "/pipelines/upload_version$",
      action: "reset-after-body",
      times: 1,
    });
    emu.clearRequests();
    const v = await kfp.pipelines.uploadVersion(specYaml("echo", "2"), {
      pipeline_id: p.pipeline_id,
      name: "v2",
    });
    expect(v.name).toBe("v2");
    expect(posts("/pipelines/upload_version")).toBe(1);
    expect((await kfp.pipelines.versions.list(p.pipeline_id)).total_size).toBe(2);
  });

  it("create: reconciled by name", async () => {
    emu.faults.add({ method: "POST", path: "/pipelines$", action: "reset-after-body", times: 1 });
    const p = await kfp.pipelines.create({ name: "lost-create" });
    expect(p.name).toBe("lost-create");
  });

  it("a name taken before the send: the lost answer becomes the ConflictError, not the old pipeline", async () => {
    // Made a minute ago by the emulator's clock.
    past = -60_000;
    const old = await kfp.pipelines.upload(specYaml(), { name: "taken-before" });
    past = 0;
    emu.faults.add({ method: "POST", path: "/pipelines/upload$", action: "reset-after-body", times: 1 });
    emu.faults.add({ method: "POST", path: "/pipelines$", action: "reset-after-body", times: 1 });
    emu.clearRequests();
    const err = (await kfp.pipelines
      .upload(specYaml("echo", "2"), { name: "taken-before" })
      .catch((e: unknown) => e)) as ConflictError;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toMatch(/already existed before this request was sent/);
    expect(posts("/pipelines/upload")).toBe(1);
    await expect(kfp.pipelines.create({ name: "taken-before" })).rejects.toBeInstanceOf(ConflictError);
    expect((await kfp.pipelines.get(old.pipeline_id)).name).toBe("taken-before");
  });

  it("nothing was created (reset before the body) → sent again and created once; with fetch, never resent", async () => {
    emu.faults.add({ method: "POST", path: "/pipelines/upload$", action: "reset-before-body", times: 1 });
    emu.clearRequests();
    const name = `reset-early-${E2E_TRANSPORT ?? "default"}`;
    const result = await kfp.pipelines.upload(specYaml(), { name }).catch((e: unknown) => e);
    const all = await kfp.pipelines.list({
      filter: { predicates: [{ key: "name", operation: "EQUALS", string_value: name }] },
    });
    if (E2E_TRANSPORT === "fetch") {
      // fetch cannot tell "not sent" from "sent, answer lost": looked up, not sent again.
      expect(result).toBeInstanceOf(ConnectionError);
      expect((result as ConnectionError).outcomeUnknown).toBe(true);
      expect((result as ConnectionError).message).toMatch(/fetch cannot tell/);
      expect(all.total_size ?? 0).toBe(0);
    } else {
      expect((result as Pipeline).name).toBe(name);
      expect(all.total_size).toBe(1);
    }
  });

  it("a stream cannot be sent twice: a clear error when the lookup finds nothing", async () => {
    emu.faults.add({ method: "POST", path: "/pipelines/upload$", action: "reset-before-body", times: 5 });
    const err = (await kfp.pipelines
      .upload(Readable.from([specYaml()]), { name: "stream-once" })
      .catch((e: unknown) => e)) as ConnectionError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/stream|not created|not fully sent/);
  });

  it("publish under faults still ends with exactly one version", async () => {
    emu.faults.add({
      method: "POST",
      path: "/pipelines/upload_version$",
      action: "reset-after-body",
      times: 1,
    });
    emu.faults.add({ method: "POST", path: "/pipelines$", action: "reset-after-body", times: 1 });
    const a = await kfp.pipelines.publish("faulty-pub", specYaml());
    const b = await kfp.pipelines.publish("faulty-pub", specYaml());
    expect(b.version.pipeline_version_id).toBe(a.version.pipeline_version_id);
    expect((await kfp.pipelines.versions.list(a.pipeline.pipeline_id)).total_size).toBe(1);
  });
});

describe("deletes", () => {
  it("a DELETE whose answer was lost: the retry's 404 means it was deleted → success", async () => {
    const p = await kfp.pipelines.upload(specYaml(), { name: "lost-delete" });
    emu.faults.add({ method: "DELETE", path: "/pipelines/[^/]+$", action: "reset-after-body", times: 1 });
    emu.clearRequests();
    await kfp.pipelines.delete(p.pipeline_id, { cascade: true });
    const deletes = emu.requests().filter((r) => r.method === "DELETE");
    expect(deletes.map((r) => r.fault ?? null)).toEqual(["reset-after-body", null]);
    await expect(kfp.pipelines.get(p.pipeline_id)).rejects.toBeInstanceOf(NotFoundError);
    // Deleting it again (a first attempt answered 404) is still a NotFoundError.
    await expect(kfp.pipelines.delete(p.pipeline_id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("reads", () => {
  it("503 with Retry-After is retried", async () => {
    const p = await kfp.pipelines.upload(specYaml(), { name: "r503" });
    emu.faults.add({
      method: "GET",
      path: "/pipelines/[^/]+$",
      action: "unavailable",
      times: 2,
      retryAfter: 0,
    });
    expect((await kfp.pipelines.get(p.pipeline_id)).name).toBe("r503");
  });

  it("a truncated answer is retried", async () => {
    const p = await kfp.pipelines.upload(specYaml(), { name: "trunc" });
    emu.faults.add({ method: "GET", path: "/pipelines/[^/]+/versions$", action: "truncate", times: 1 });
    expect((await kfp.pipelines.versions.list(p.pipeline_id)).total_size).toBe(1);
  });

  it("gives up with the server's error after maxRetries", async () => {
    emu.faults.add({ method: "GET", path: "/pipelines$", action: "unavailable", retryAfter: 0 });
    await expect(kfp.pipelines.list({}, { maxRetries: 1 })).rejects.toBeInstanceOf(ServerError);
  });
});
