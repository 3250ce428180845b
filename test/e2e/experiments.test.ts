import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";

import {
  ConflictError,
  ConnectionError,
  NotFoundError,
  ValidationError,
} from "../../packages/kfp-ts/src/core/errors.js";
import { experimentFilter } from "../../packages/kfp-ts/src/core/filters.js";
import { Kfp } from "../helpers/kfp.js";

describe("experiments (single-user emulator over HTTP)", () => {
  let emu: Emulator;
  let kfp: Kfp;
  /** Added to the emulator's clock (to make resources that were created in the past). */
  let past = 0;

  beforeAll(async () => {
    emu = await startEmulator({ clock: () => Date.now() + past });
    kfp = new Kfp({ host: emu.url, logLevel: "off" });
  });
  afterAll(async () => {
    await kfp.close();
    await emu.close();
  });

  it("creates, gets and finds by name; duplicate names are a ConflictError", async () => {
    const e = await kfp.experiments.create({ display_name: "exp-basic", description: "first" });
    expect(e.experiment_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(e).toMatchObject({ display_name: "exp-basic", description: "first", storage_state: "AVAILABLE" });
    expect(e.namespace).toBeUndefined(); // single-user servers omit it
    expect(await kfp.experiments.get(e.experiment_id)).toEqual(e);
    expect((await kfp.experiments.getByName("exp-basic")).experiment_id).toBe(e.experiment_id);
    expect(await kfp.experiments.findByName("nope")).toBeUndefined();
    await expect(kfp.experiments.getByName("nope")).rejects.toBeInstanceOf(NotFoundError);
    await expect(kfp.experiments.create({ display_name: "exp-basic" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("getOrCreate returns the existing experiment and survives concurrent creators", async () => {
    const a = await kfp.experiments.getOrCreate({ display_name: "exp-goc" });
    const b = await kfp.experiments.getOrCreate({ display_name: "exp-goc" });
    expect(b.experiment_id).toBe(a.experiment_id);
    const racers = await Promise.all(
      Array.from({ length: 6 }, () => kfp.experiments.getOrCreate({ display_name: "exp-race" })),
    );
    expect(new Set(racers.map((r) => r.experiment_id)).size).toBe(1);
    const listed = await kfp.experiments.list({ filter: experimentFilter().eq("display_name", "exp-race") });
    expect(listed.total_size).toBe(1);
  });

  it("reconciles a create whose answer was lost (no duplicate)", async () => {
    emu.faults.add({
      method: "POST",
      path: "^/apis/v2(beta1)?/experiments$",
      action: "reset-after-body",
      times: 1,
    });
    emu.clearRequests();
    const e = await kfp.experiments.create({ display_name: "exp-lost-answer" });
    expect(e.display_name).toBe("exp-lost-answer");
    // One POST whose answer was dropped, no second POST: the outcome was reconciled by name.
    const posts = emu.requests().filter((r) => r.method === "POST" && r.path.endsWith("/experiments"));
    expect(posts.map((r) => r.fault)).toEqual(["reset-after-body"]);
    const page = await kfp.experiments.list({ filter: { display_name: "exp-lost-answer" } });
    expect(page.items.map((x) => x.experiment_id)).toEqual([e.experiment_id]);
  });

  it("a lost answer for a name taken before the send is a ConflictError, not the old experiment", async () => {
    past = -60_000; // made a minute ago by the emulator's clock
    const old = await kfp.experiments.create({ display_name: "exp-taken" }).finally(() => {
      past = 0;
    });
    emu.faults.add({
      method: "POST",
      path: "^/apis/v2(beta1)?/experiments$",
      action: "reset-after-body",
      times: 1,
    });
    const err = (await kfp.experiments
      .create({ display_name: "exp-taken" })
      .catch((e: unknown) => e)) as ConflictError;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toMatch(/experiment "exp-taken" already existed before this request was sent/);
    // getOrCreate still ends with the existing one.
    expect((await kfp.experiments.getOrCreate({ display_name: "exp-taken" })).experiment_id).toBe(
      old.experiment_id,
    );
  });

  it("lists one page or every item across pages, with typed filters and sorting", async () => {
    for (let i = 0; i < 5; i++) await kfp.experiments.create({ display_name: `paged-${i}` });
    const first = await kfp.experiments.list({
      page_size: 2,
      filter: experimentFilter().substring("display_name", "paged-"),
    });
    expect(first.items).toHaveLength(2);
    expect(first.total_size).toBe(5);
    expect(first.hasNextPage()).toBe(true);
    const names: string[] = [];
    for await (const e of kfp.experiments.list({
      page_size: 2,
      sort_by: "display_name desc",
      filter: experimentFilter().substring("display_name", "paged-"),
    })) {
      names.push(e.display_name!);
    }
    expect(names).toEqual(["paged-4", "paged-3", "paged-2", "paged-1", "paged-0"]);
    const inList = await kfp.experiments.list({ filter: { display_name: ["paged-1", "paged-3"] } });
    expect(inList.items.map((e) => e.display_name).sort()).toEqual(["paged-1", "paged-3"]);
    const none = await kfp.experiments.list({ filter: experimentFilter().eq("display_name", "a+b 100% c") });
    expect(none.items).toEqual([]);
  });

  it("filters with special characters reach the server intact (double encoding)", async () => {
    const name = "odd +name 50% &x=1";
    await kfp.experiments.create({ display_name: name });
    const page = await kfp.experiments.list({ filter: experimentFilter().eq("display_name", name) });
    expect(page.items.map((e) => e.display_name)).toEqual([name]);
    expect((await kfp.experiments.getByName(name)).display_name).toBe(name);
  });

  it("archives, unarchives and deletes", async () => {
    const e = await kfp.experiments.create({ display_name: "exp-lifecycle" });
    await kfp.experiments.archive(e.experiment_id);
    expect((await kfp.experiments.get(e.experiment_id)).storage_state).toBe("ARCHIVED");
    const archived = await kfp.experiments.list({
      filter: experimentFilter().eq("storage_state", "ARCHIVED").eq("display_name", "exp-lifecycle"),
    });
    expect(archived.items).toHaveLength(1);
    await kfp.experiments.unarchive(e.experiment_id);
    expect((await kfp.experiments.get(e.experiment_id)).storage_state).toBe("AVAILABLE");
    await kfp.experiments.delete(e.experiment_id);
    await expect(kfp.experiments.get(e.experiment_id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("checks input before sending", async () => {
    emu.clearRequests();
    await expect(kfp.experiments.create({ display_name: "" })).rejects.toBeInstanceOf(ValidationError);
    await expect(kfp.experiments.create({ display_name: "x".repeat(129) })).rejects.toThrow(
      /longer than 128/,
    );
    await expect(kfp.experiments.get("")).rejects.toBeInstanceOf(ValidationError);
    await expect(kfp.experiments.create({ display_name: "x", namespace: "Bad_NS" })).rejects.toThrow(
      /not a valid Kubernetes namespace/,
    );
    expect(emu.requests().filter((r) => r.path.includes("/experiments"))).toEqual([]);
  });

  it("ids are path-encoded (no path injection)", async () => {
    await expect(kfp.experiments.get("../pipelines")).rejects.toBeInstanceOf(NotFoundError);
    await expect(kfp.experiments.get("a/b?c#d")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("reports a dead server as a ConnectionError", async () => {
    const dead = new Kfp({
      host: "http://127.0.0.1:1",
      apiVersion: "v2beta1",
      logLevel: "off",
      maxRetries: 0,
    });
    await expect(dead.experiments.get("x")).rejects.toBeInstanceOf(ConnectionError);
    await dead.close();
  });
});
