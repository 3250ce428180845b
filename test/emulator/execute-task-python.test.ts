/**
 * Lightweight Python components from real packages, run by the task runner in a cached venv (issue 13):
 * the install preamble is stripped, the program runs with the venv's kfp, outputs are read back.
 * Every test uses kfp==2.14.3 (the pin most of the corpus has), so one venv is created per machine and
 * shared; the first creation's time is printed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inspectInterpreter, VenvManager } from "../../packages/emulator/src/execute/python-env.js";
import { createTaskRunner } from "../../packages/emulator/src/execute/runner.js";
import { executorOf, loadSpec, request, TEST_VENV_CACHE, tempRoot } from "./helpers/execute-task.js";
import { hasShared } from "./helpers/shared.js";

const runTask = createTaskRunner({ cacheDir: TEST_VENV_CACHE });
const VENV_TIMEOUT = 240_000;

describe.runIf(hasShared)("Lightweight Python components in a venv", () => {
  it(
    "valid/nested_with_parameters.yaml's double(21) returns the integer 42",
    async () => {
      const { container, component } = executorOf(loadSpec("nested_with_parameters.yaml"), "comp-double");
      const progress: string[] = [];
      const t0 = Date.now();
      const res = await runTask(
        request({
          container,
          component,
          inputs: { parameters: { num: 21 }, artifacts: {} },
          onProgress: (m) => progress.push(m),
          limits: { timeoutMs: 60_000, maxOutputBytes: 1 << 20 },
        }),
      );
      const ms = Date.now() - t0;
      if (progress.length > 0)
        console.log(`first venv (kfp==2.14.3) created in ${ms} ms: ${progress.join(" / ")}`);
      expect(res.error).toBeUndefined();
      expect(res.state).toBe("SUCCEEDED");
      expect(res.outputs.parameters).toEqual({ Output: 42 });
      expect(Number.isInteger(res.outputs.parameters.Output)).toBe(true);
      // The venv exists under the cache and holds kfp 2.14.3 (never the interpreter the tests run with).
      const venvs = readdirSync(TEST_VENV_CACHE).filter((d) => !d.includes(".tmp-"));
      expect(venvs.length).toBeGreaterThan(0);
    },
    VENV_TIMEOUT,
  );

  it(
    "runs again without creating anything, and takes parameters from the component's defaults",
    async () => {
      const { container, component } = executorOf(
        loadSpec("nested_with_parameters.yaml"),
        "comp-add-two-nums",
      );
      const progress: string[] = [];
      const res = await runTask(
        request({
          container,
          component,
          inputs: { parameters: { x: 3, y: 4 }, artifacts: {} },
          onProgress: (m) => progress.push(m),
        }),
      );
      expect(res.error).toBeUndefined();
      expect(res.outputs.parameters).toEqual({ Output: 7 });
      expect(progress).toEqual([]);
    },
    VENV_TIMEOUT,
  );

  it(
    "valid/collected_artifacts.yaml: an input artifact in, an output artifact with its metadata out",
    async () => {
      const spec = loadSpec("collected_artifacts.yaml");
      const { container, component } = executorOf(spec, "comp-read-single-dataset-generate-model");
      const root = tempRoot();
      mkdirSync(join(root, "up"));
      writeFileSync(join(root, "up", "data"), "abc");
      const logs: string[] = [];
      const res = await runTask(
        request(
          {
            container,
            component,
            inputs: {
              parameters: { id: "7" },
              artifacts: {
                data: [
                  {
                    name: "data",
                    type: { schemaTitle: "system.Dataset", schemaVersion: "0.0.1" },
                    uri: join(root, "up", "data"),
                    metadata: {},
                  },
                ],
              },
            },
            onLog: (c) => logs.push(c),
          },
          root,
        ),
      );
      expect(res.error).toBeUndefined();
      const [model] = res.outputs.artifacts.results ?? [];
      expect(model?.uri).toBe(join(root, "task", "results"));
      expect(model?.type).toEqual({ schemaTitle: "system.Model", schemaVersion: "0.0.1" });
      expect(model?.metadata).toEqual({ model: "abc", model_name: "model-artifact-inner-iteration-abc-7" });
      expect(readFileSync(model?.uri ?? "", "utf8")).toBe("abc-7");
      expect(logs.join("")).toContain(`Reading file: ${join(root, "up", "data")}`);
    },
    VENV_TIMEOUT,
  );

  it("valid/artifacts_simple.yaml's add-container: `python -c` with the whole artifact list as JSON", async () => {
    const spec = loadSpec("artifacts_simple.yaml");
    const { container, component } = executorOf(spec, "comp-add-container");
    const root = tempRoot();
    const list = [3, 4, 5].map((n) => {
      const uri = join(root, `d${n}`);
      writeFileSync(uri, String(n));
      return {
        name: `d${n}`,
        type: { schemaTitle: "system.Dataset", schemaVersion: "0.0.1" },
        uri,
        metadata: {},
      };
    });
    const res = await runTask(
      request({ container, component, inputs: { parameters: {}, artifacts: { in_datasets: list } } }, root),
    );
    expect(res.error).toBeUndefined();
    const [out] = res.outputs.artifacts.out_dataset ?? [];
    expect(readFileSync(out?.uri ?? "", "utf8")).toBe("12");
  });

  it(
    "concurrent first uses of one venv key create it once",
    async () => {
      const cacheDir = join(tempRoot("kfp-venvs-"), "venvs");
      const mgr = new VenvManager({ cacheDir, interpreter: () => inspectInterpreter("python3") });
      const progress: string[] = [];
      const req = { kfpPin: "2.14.3", packages: [] };
      const bins = await Promise.all([1, 2, 3].map(() => mgr.ensure(req, (m) => progress.push(m))));
      expect(new Set(bins).size).toBe(1);
      expect(progress.filter((m) => m.startsWith("creating a Python"))).toHaveLength(1);
      expect(readdirSync(cacheDir)).toHaveLength(1);
      expect(existsSync(join(bins[0] ?? "", "python3"))).toBe(true);
      // A second manager (another emulator process) finds it ready.
      const again: string[] = [];
      const other = new VenvManager({ cacheDir, interpreter: () => inspectInterpreter("python3") });
      expect(await other.ensure(req, (m) => again.push(m))).toBe(bins[0]);
      expect(again).toEqual([]);
    },
    VENV_TIMEOUT,
  );

  it(
    "a kfp pin that cannot be installed fails the task naming the pin (or falls back to a local kfp that works)",
    async () => {
      const { container, component } = executorOf(loadSpec("nested_with_parameters.yaml"), "comp-double");
      const command = (container.command as string[]).map((c, i) =>
        i === 2 ? c.replace("kfp==2.14.3", "kfp==99.0.0") : c,
      );
      const progress: string[] = [];
      const runner = createTaskRunner({ cacheDir: join(tempRoot("kfp-venvs-"), "venvs") });
      const res = await runner(
        request({
          container: { ...container, command },
          component,
          inputs: { parameters: { num: 2 }, artifacts: {} },
          onProgress: (m) => progress.push(m),
        }),
      );
      if (res.state === "FAILED") {
        expect(res.error).toMatch(/^cannot install kfp==99\.0\.0, the version the component pins \(/);
      } else {
        expect(progress.join("\n")).toMatch(
          /kfp==99\.0\.0 could not be installed; using kfp \S+ from this machine/,
        );
        expect(res.outputs.parameters).toEqual({ Output: 4 });
      }
    },
    VENV_TIMEOUT,
  );
});
