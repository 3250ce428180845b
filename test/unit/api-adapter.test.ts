// The v1beta1 adaptation lives in one adapter per API version (resources/routes/): the resource
// classes take it once the client knows its version and never branch on the version themselves.
// Requests that a version cannot serve are refused by its route table before anything is sent.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Kfp } from "../../packages/kfp-ts/src/client.js";
import { UnsupportedError } from "../../packages/kfp-ts/src/core/errors.js";
import { adapterFor } from "../../packages/kfp-ts/src/resources/routes/adapter.js";

const RESOURCES = join(dirname(fileURLToPath(import.meta.url)), "../../packages/kfp-ts/src/resources");

/** A client that fails the test if a route table sends anything. */
const noClient = new Proxy(
  {},
  {
    get(_t, key) {
      throw new Error(`the route table used the client (${String(key)}) where it should refuse first`);
    },
  },
) as Kfp;

describe("one API adapter per version", () => {
  it("no resource class compares API versions", () => {
    const files = readdirSync(RESOURCES).filter((f) => f.endsWith(".ts"));
    expect(files).toContain("runs.ts");
    const branching = files.filter((f) =>
      /["'](?:v1beta1|v2beta1)["']|\bapi\s*[!=]==/.test(readFileSync(resolve(RESOURCES, f), "utf8")),
    );
    expect(branching).toEqual([]);
  });

  it("v2beta1 and v2 adapters have the same shape as v1beta1's", () => {
    const keys = (api: "v1beta1" | "v2beta1" | "v2") =>
      Object.fromEntries(
        Object.entries(adapterFor(api)).map(([k, v]) => [
          k,
          typeof v === "object" ? Object.keys(v).sort() : k,
        ]),
      );
    expect(keys("v2beta1")).toEqual(keys("v1beta1"));
    expect(keys("v2")).toEqual(keys("v1beta1"));
  });

  it("list requests: v1beta1 scopes by resource_reference_key and converts items", () => {
    const scope = { experimentId: "e-1", namespace: "team-a" };
    const v1 = adapterFor("v1beta1").runs.list({ page_size: 5 }, scope);
    expect(v1.path).toBe("/apis/v1beta1/runs");
    expect(v1.query).toMatchObject({
      page_size: 5,
      "resource_reference_key.type": "EXPERIMENT",
      "resource_reference_key.id": "e-1",
    });
    expect(v1.map?.({ id: "r-1", name: "n", status: "Succeeded" })).toMatchObject({
      run_id: "r-1",
      display_name: "n",
      state: "SUCCEEDED",
    });
    const v2 = adapterFor("v2beta1").runs.list({ page_size: 5 }, scope);
    expect(v2).toEqual({
      path: "/runs",
      query: { experiment_id: "e-1", namespace: undefined, page_size: 5 },
      itemsKey: "runs",
    });
    expect(adapterFor("v2beta1").recurringRuns.list(undefined, scope).itemsKey).toBe("recurringRuns");
    expect(adapterFor("v1beta1").recurringRuns.list(undefined, scope).itemsKey).toBe("jobs");
  });

  it("view is sent on v2 only; v2beta1 and v1beta1 refuse it with UnsupportedError", () => {
    const scope = { experimentId: undefined, namespace: undefined };
    expect(adapterFor("v2").runs.list({ view: "FULL" }, scope).query).toMatchObject({ view: "FULL" });
    expect(() => adapterFor("v2beta1").runs.list({ view: "FULL" }, scope)).toThrow(UnsupportedError);
    expect(() => adapterFor("v1beta1").runs.list({ view: "FULL" }, scope)).toThrow(
      /Listing runs with view=FULL is not supported by the v1beta1 API/,
    );
  });

  it("what v1beta1 cannot do is refused before anything is sent", async () => {
    const v1 = adapterFor("v1beta1");
    await expect(v1.pipelines.update(noClient, "p-1", { display_name: "x" }, {})).rejects.toThrow(
      /updating a pipeline is not supported by the v1beta1 API/,
    );
    await expect(
      v1.pipelines.create(noClient, { name: "p" }, {}, async () => undefined),
    ).rejects.toBeInstanceOf(UnsupportedError);
    await expect(v1.versions.update(noClient, "p-1", "v-1", { display_name: "x" }, {})).rejects.toThrow(
      /updating a pipeline version is not supported by the v1beta1 API/,
    );
    await expect(v1.recurringRuns.delete(noClient, "j-1", {}, "ORPHAN")).rejects.toThrow(
      /Deleting a recurring run with propagation_policy is not supported by the v1beta1 API/,
    );
    expect(v1.pipelines.createsEmptyPipelines).toBe(false);
    expect(adapterFor("v2beta1").pipelines.createsEmptyPipelines).toBe(true);
  });
});
