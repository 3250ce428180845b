/**
 * Every runnable package of ../shared/kfp-api/pipelines/valid runs to SUCCEEDED in the emulator with
 * the default lifecycle settings, required parameters filled with values of the right kind (as the
 * upstream e2e helper does: PIPELINE-SPEC.md §2.2). Loops whose items are only known at run time, and
 * `parameterExpressionSelector` sub-fields of loop items, must not fail the simulation.
 *
 * Not runnable: the packages whose run creation the real server rejects with 500 (the Argo compiler's
 * "artifact iterator not implemented yet"; the emulator must reject them the same way).
 *
 * valid/failing/: on a real cluster these fail only because a container exits non-zero; the emulator
 * cannot know what a container does, so they succeed unless a failure is injected (`failTasks`,
 * `failRate`), which is checked here too.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import type { RunRecord } from "../../packages/emulator/src/model/run.js";
import { readPipelineFile } from "../../packages/emulator/src/template/package-file.js";
import { parseTemplate } from "../../packages/emulator/src/template/template.js";
import { call, upload } from "./helpers/http.js";
import { hasShared, listFiles, sharedPipelines } from "./helpers/shared.js";
import { waitFinished } from "./runs-fixtures.js";

const validDir = resolve(sharedPipelines, "valid");
/** Rejected at run creation by the real server (PIPELINE-SPEC.md §3.4, §5.2), with this detail. */
const CREATE_REJECTED: Record<string, string> = {
  "pipeline_with_parallelfor_list_artifacts_GH-12033.yaml": "artifact iterator not implemented yet",
};

const packages = listFiles(validDir).filter((f) => /\.(ya?ml|json|zip|tar\.gz)$/.test(f));
const runnable = packages.filter((f) => !f.startsWith("failing/"));
const failing = packages.filter((f) => f.startsWith("failing/"));

function rootParams(bytes: Buffer, file: string): Record<string, Record<string, unknown>> {
  // Archives hold the document; the emulator's own package reader finds it.
  const t = parseTemplate(readPipelineFile(file.split("/").pop()!, bytes));
  if (t.type !== "v2") return {};
  const root = t.pipelineSpec.root as {
    inputDefinitions?: { parameters?: Record<string, Record<string, unknown>> };
  };
  return root.inputDefinitions?.parameters ?? {};
}

/** Required root parameters (no default, not optional) with values of their kind. */
function requiredValues(params: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(params)) {
    if ("defaultValue" in def || def.isOptional === true) continue;
    if (Array.isArray(def.literals) && def.literals.length > 0) {
      out[name] = def.literals[0];
      continue;
    }
    const type = String(def.parameterType ?? def.type ?? "STRING");
    out[name] =
      type === "NUMBER_INTEGER" || type === "INT"
        ? 3
        : type === "NUMBER_DOUBLE" || type === "DOUBLE"
          ? 0.5
          : type === "BOOLEAN"
            ? true
            : type === "LIST"
              ? ["a", "b"]
              : type === "STRUCT"
                ? { a: "b" }
                : "text";
  }
  return out;
}

interface Created {
  file: string;
  status: number;
  text: string;
  runId?: string;
}

async function createRuns(emu: Emulator, files: string[]): Promise<Created[]> {
  return Promise.all(
    files.map(async (file, i): Promise<Created> => {
      const bytes = readFileSync(resolve(validDir, file));
      const base = file.split("/").pop()!;
      const up = await upload(
        emu.url,
        "/apis/v2beta1/pipelines/upload",
        { filename: base, data: bytes },
        { name: `p-${i}-${base}` },
      );
      expect(up.status, `${file}: ${up.text}`).toBe(200);
      const versions = await call(emu.url, "GET", `/apis/v2beta1/pipelines/${up.body.pipeline_id}/versions`);
      const run = await call(emu.url, "POST", "/apis/v2beta1/runs", {
        display_name: `run-${i}`,
        pipeline_version_reference: {
          pipeline_id: up.body.pipeline_id,
          pipeline_version_id: versions.body.pipeline_versions[0].pipeline_version_id,
        },
        runtime_config: { parameters: requiredValues(rootParams(bytes, file)) },
      });
      return { file, status: run.status, text: run.text, runId: run.body?.run_id };
    }),
  );
}

async function outcomes(emu: Emulator, created: Created[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    created.map(async (c) => {
      if (c.status !== 200) {
        out[c.file] = `create ${c.status}: ${c.text.slice(0, 300)}`;
        return;
      }
      const rec: RunRecord = await waitFinished(emu, c.runId!, 60_000);
      out[c.file] = rec.state;
    }),
  );
  return out;
}

describe.skipIf(!hasShared)("valid packages run in the emulator", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu?.close());

  it("every runnable package ends SUCCEEDED; the artifact iterator is refused at creation", async () => {
    expect(runnable.length).toBeGreaterThan(80);
    const created = await createRuns(emu, runnable);
    for (const c of created) {
      const reason = CREATE_REJECTED[c.file.split("/").pop()!];
      if (reason === undefined) continue;
      expect(c.status, c.file).toBe(500);
      expect(c.text).toContain(reason);
    }
    const results = await outcomes(
      emu,
      created.filter((c) => CREATE_REJECTED[c.file.split("/").pop()!] === undefined),
    );
    const notSucceeded = Object.entries(results).filter(([, state]) => state !== "SUCCEEDED");
    expect(notSucceeded).toEqual([]);
    // The packages of the lifecycle bug (loops over a loop item's sub-field) are among them.
    expect(results["pipeline_with_loops_and_conditions.yaml"]).toBe("SUCCEEDED");
    expect(results["pipeline_with_nested_loops.yaml"]).toBe("SUCCEEDED");
  }, 90_000);

  it("valid/failing packages succeed unless a failure is injected (the emulator runs no containers)", async () => {
    expect(failing.length).toBeGreaterThan(0);
    const results = await outcomes(emu, await createRuns(emu, failing));
    expect(Object.values(results)).toEqual(failing.map(() => "SUCCEEDED"));
    const injected = await startEmulator({ lifecycle: { failRate: 1 } });
    try {
      const failed = await outcomes(injected, await createRuns(injected, failing));
      expect(Object.values(failed)).toEqual(failing.map(() => "FAILED"));
    } finally {
      await injected.close();
    }
  }, 60_000);
});
