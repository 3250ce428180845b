/**
 * publish() when several versions share the newest creation second (the server's timestamps are whole
 * seconds, so versions uploaded by one CI job usually do). The emulator's clock is frozen, so every
 * version ties and the server's tie-break (by id) is as good as random: publish must still recognise
 * the package among the newest versions and upload nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { Kfp } from "../helpers/kfp.js";
import { specYaml } from "../helpers/specs.js";

let emu: Emulator;
let kfp: Kfp;
const FROZEN = Date.UTC(2026, 10, 1, 12, 0, 0);

beforeAll(async () => {
  emu = await startEmulator({ clock: () => FROZEN });
  kfp = new Kfp({ host: emu.url, env: {}, logLevel: "off" });
});
afterAll(async () => {
  await kfp.close();
  await emu.close();
});

describe("publish with versions created in the same second", () => {
  it("returns the tied version whose spec equals the package, for each of them, uploading nothing", async () => {
    const name = "tied";
    const pipeline = await kfp.pipelines.upload(specYaml(name, " a"), { name });
    const contents = [" b", " c", " d"];
    const uploaded = [];
    for (const extra of contents) {
      uploaded.push(
        await kfp.pipelines.uploadVersion(specYaml(name, extra), {
          pipeline_id: pipeline.pipeline_id,
          name: `v${extra.trim()}`,
        }),
      );
    }
    const all = await kfp.pipelines.versions.list(pipeline.pipeline_id);
    expect(new Set(all.items.map((v) => v.created_at)).size).toBe(1);

    for (const [i, extra] of contents.entries()) {
      const res = await kfp.pipelines.publish(name, specYaml(name, extra));
      expect(res.created).toBe(false);
      expect(res.version.pipeline_version_id).toBe(uploaded[i]?.pipeline_version_id);
    }
    const after = await kfp.pipelines.versions.list(pipeline.pipeline_id);
    expect(after.total_size).toBe(4);

    const fresh = await kfp.pipelines.publish(name, specYaml(name, " e"));
    expect(fresh.created).toBe(true);
    expect((await kfp.pipelines.versions.list(pipeline.pipeline_id)).total_size).toBe(5);
  });
});
