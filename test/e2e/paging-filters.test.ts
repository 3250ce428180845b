/**
 * Walking every page of a filtered list. The real server checks a page token against any sort_by /
 * filter sent with it, and compares filters only after the token's copy went through JSON, so numeric,
 * timestamp and IN filters resent with a token never match (400) — while `tags.<key>` predicates are not
 * kept in the token at all and must be resent on every page (FACTS.md §6, §6.1). The emulator reproduces
 * both rules; the client must walk every page correctly under them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { pipelineFilter, runFilter } from "../../packages/kfp-ts/src/index.js";
import { Kfp } from "../helpers/kfp.js";
import { specYaml } from "../helpers/specs.js";

let emu: Emulator;
let kfp: Kfp;
let t0 = Date.UTC(2026, 9, 1, 0, 0, 0);

beforeAll(async () => {
  // A clock that advances one second per call, so every resource has its own creation second.
  emu = await startEmulator({ clock: () => (t0 += 1000), lifecycle: { tickMs: 1 } });
  kfp = new Kfp({ host: emu.url, env: {}, logLevel: "off", apiVersion: "v2beta1" });
  for (let i = 0; i < 5; i++) {
    await kfp.pipelines.upload(specYaml(`paged-${i}`), {
      name: `paged-${i}`,
      tags: { team: i % 2 ? "a" : "b" },
    });
  }
});
afterAll(async () => {
  await kfp.close();
  await emu.close();
});

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("every page of a filtered list", () => {
  it("a timestamp filter with a sort, one item per page", async () => {
    const since = new Date(Date.UTC(2026, 9, 1, 0, 0, 0));
    const items = await all(
      kfp.pipelines.list({
        filter: pipelineFilter().gt("created_at", since),
        sort_by: "name desc",
        page_size: 1,
      }),
    );
    expect(items.map((p) => p.name)).toEqual(["paged-4", "paged-3", "paged-2", "paged-1", "paged-0"]);
  });

  it("an IN filter, two items per page", async () => {
    const items = await all(
      kfp.pipelines.list({
        filter: pipelineFilter().in("name", ["paged-1", "paged-2", "paged-4"]),
        page_size: 2,
      }),
    );
    expect(items.map((p) => p.name).sort()).toEqual(["paged-1", "paged-2", "paged-4"]);
  });

  it("a tag filter stays applied on every page", async () => {
    const items = await all(kfp.pipelines.list({ filter: pipelineFilter().tag("team", "b"), page_size: 1 }));
    expect(items.map((p) => p.name).sort()).toEqual(["paged-0", "paged-2", "paged-4"]);
  });

  it("a tag filter together with a timestamp filter", async () => {
    const since = new Date(Date.UTC(2026, 9, 1, 0, 0, 0));
    const items = await all(
      kfp.pipelines.list({
        filter: pipelineFilter().tag("team", "a").gt("created_at", since),
        page_size: 1,
      }),
    );
    expect(items.map((p) => p.name).sort()).toEqual(["paged-1", "paged-3"]);
  });

  it("runs with a state IN filter across pages", async () => {
    const p = await kfp.pipelines.getByName("paged-0");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await kfp.runs.create({ display_name: `r${i}`, pipeline_id: p.pipeline_id })).run_id);
    const items = await all(
      kfp.runs.list({
        filter: runFilter().in("state", ["PENDING", "RUNNING", "SUCCEEDED", "FAILED"]),
        page_size: 1,
      }),
    );
    expect(items.map((r) => r.run_id).sort()).toEqual([...ids].sort());
  });
});
