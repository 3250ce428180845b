/** The task panel's pure helpers: output artifact names, reported uris, previews, v2 task errors. */
import { describe, expect, it } from "vitest";
import type { Run } from "../../packages/kfp-ts/src/index.js";
import { runTasks } from "../../packages/ui/src/model/run-states.js";
import {
  artifactUri,
  outputArtifactNames,
  PREVIEW_BYTES,
  previewOf,
} from "../../packages/ui/src/model/task-files.js";
import { sayPipeline } from "../e2e/run-logs-fixtures.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("task files", () => {
  it("lists a component's output artifact names from the spec (bare or in a package)", () => {
    const spec = sayPipeline("p");
    expect(outputArtifactNames(spec, "comp-say")).toEqual(["report"]);
    expect(outputArtifactNames({ pipeline_spec: spec }, "comp-say")).toEqual(["report"]);
    expect(outputArtifactNames(spec, "comp-nope")).toEqual([]);
    expect(outputArtifactNames(undefined, "comp-say")).toEqual([]);
  });

  it("finds the uri a v2 server reports for an output artifact, else undefined", () => {
    const run = {
      run_id: "r",
      tasks: [
        {
          task_id: "t1",
          outputs: { artifacts: [{ artifact_key: "report", artifacts: [{ uri: "minio://b/r/report" }] }] },
        },
      ],
    } as Run;
    expect(artifactUri(run, "t1", "report")).toBe("minio://b/r/report");
    expect(artifactUri(run, "t1", "other")).toBeUndefined();
    expect(artifactUri({ run_id: "r" } as Run, "t1", "report")).toBeUndefined();
  });

  it("previews the first KiB as text, and says 'binary' for NUL bytes or invalid UTF-8", () => {
    expect(previewOf(enc("hello"))).toEqual({ text: "hello", binary: false, truncated: false });
    const long = previewOf(enc("x".repeat(PREVIEW_BYTES + 10)));
    expect(long.text.length).toBe(PREVIEW_BYTES);
    expect(long.truncated).toBe(true);
    expect(previewOf(new Uint8Array([1, 0, 2]))).toEqual({
      text: "binary, 3 bytes",
      binary: true,
      truncated: false,
    });
    expect(previewOf(new Uint8Array([0xff, 0xfe, 0x41])).binary).toBe(true);
    // A multi-byte character cut by the preview's end is not "invalid".
    const cut = previewOf(enc(`${"a".repeat(PREVIEW_BYTES - 1)}é and more`));
    expect(cut.binary).toBe(false);
  });

  it("takes a failed v2 task's error from status_metadata.message", () => {
    const [t] = runTasks({
      tasks: [
        { name: "boom", state: "FAILED", status_metadata: { message: "executor pod p-1 failed: Error" } },
      ],
    });
    expect(t!.error).toBe("executor pod p-1 failed: Error");
  });
});
