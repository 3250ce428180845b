/**
 * Lightweight Python components from real packages, run by the task runner in a cached venv (issue 13):
 * the install preamble is stripped, the program runs with the venv's kfp, outputs are read back.
 * Every test uses kfp==2.14.3 (the pin most of the corpus has), so one venv is created per machine and
 * shared; the first creation's time is printed.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { inspectInterpreter, VenvManager } from "../../packages/emulator/src/execute/python-env.js";
import { createTaskRunner } from "../../packages/emulator/src/execute/runner.js";
import { executorOf, loadSpec, request, TEST_VENV_CACHE, tempRoot } from "./helpers/execute-task.js";
import { hasShared } from "./helpers/shared.js";

const runTask = createTaskRunner({ cacheDir: TEST_VENV_CACHE });

/** The kfp version an interpreter has (or what it says when it has none). */
function kfpOf(python: string): string {
  const r = spawnSync(
    python,
    [
      "-c",
      "import importlib.metadata as m\ntry: print(m.version('kfp'))\nexcept Exception as e: print(type(e).__name__)",
    ],
    {
      encoding: "utf8",
    },
  );
  return `${r.stdout}`.trim();
}
const baseKfp = kfpOf("python3");
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
      // Removed from the cache while the manager runs: made again on next use.
      rmSync(dirname(bins[0] ?? ""), { recursive: true, force: true });
      const remade: string[] = [];
      expect(await mgr.ensure(req, (m) => remade.push(m))).toBe(bins[0]);
      expect(remade.filter((m) => m.startsWith("creating a Python"))).toHaveLength(1);
      expect(existsSync(join(bins[0] ?? "", "python3"))).toBe(true);
      // A second manager (another emulator process) finds it ready.
      const again: string[] = [];
      const other = new VenvManager({ cacheDir, interpreter: () => inspectInterpreter("python3") });
      expect(await other.ensure(req, (m) => again.push(m))).toBe(bins[0]);
      expect(again).toEqual([]);
    },
    VENV_TIMEOUT,
  );

  const withPin = (container: Record<string, unknown>, pin: string) => ({
    ...container,
    command: (container.command as string[]).map((c, i) =>
      i === 2 ? c.replace("kfp==2.14.3", `kfp==${pin}`) : c,
    ),
  });

  it(
    "a kfp pin that cannot be installed, with no kfp on this machine to fall back to, fails naming the pin",
    async () => {
      const { container, component } = executorOf(loadSpec("nested_with_parameters.yaml"), "comp-double");
      const progress: string[] = [];
      const runner = createTaskRunner({ cacheDir: join(tempRoot("kfp-venvs-"), "venvs") });
      const res = await runner(
        request({
          container: withPin(container, "99.0.0"),
          component,
          inputs: { parameters: { num: 2 }, artifacts: {} },
          onProgress: (m) => progress.push(m),
        }),
      );
      if (res.state === "FAILED") {
        expect(res.error).toMatch(/^cannot install kfp==99\.0\.0, the version the component pins \(/);
        expect(res.error).toMatch(/no other kfp is available on this machine to fall back to$/);
        expect(readFileSync(res.logPath, "utf8")).toBe(`${res.error}\n`);
      } else {
        // This machine's pip has a kfp in its local sources (find-links): the fallback took it.
        expect(progress.join("\n")).toMatch(
          /kfp==99\.0\.0 could not be installed; using kfp \S+ from pip's local sources/,
        );
        expect(res.outputs.parameters).toEqual({ Output: 4 });
      }
    },
    VENV_TIMEOUT,
  );

  it(
    "a kfp pin that cannot be installed falls back to the newest kfp of a cached venv, once it proved it works",
    async () => {
      // A cache holding a ready kfp==2.14.3 venv (a copy of the one the first test made).
      const ready = readdirSync(TEST_VENV_CACHE).find((d) => {
        try {
          const m = JSON.parse(readFileSync(join(TEST_VENV_CACHE, d, "kfp-ts-venv.json"), "utf8"));
          return m.kfpInstalled === "2.14.3";
        } catch {
          return false;
        }
      });
      expect(ready).toBeDefined();
      const cacheDir = join(tempRoot("kfp-venvs-"), "venvs");
      cpSync(join(TEST_VENV_CACHE, ready ?? ""), join(cacheDir, ready ?? ""), {
        recursive: true,
        verbatimSymlinks: true,
      });
      const { container, component } = executorOf(loadSpec("nested_with_parameters.yaml"), "comp-double");
      const progress: string[] = [];
      const res = await createTaskRunner({ cacheDir })(
        request({
          container: withPin(container, "99.0.1"),
          component,
          inputs: { parameters: { num: 5 }, artifacts: {} },
          onProgress: (m) => progress.push(m),
        }),
      );
      expect(res.error).toBeUndefined();
      expect(res.outputs.parameters).toEqual({ Output: 10 });
      expect(progress.join("\n")).toMatch(
        /kfp==99\.0\.1 could not be installed; using kfp (2\.14\.3 from the venv \S+|\S+ from pip's local sources) instead/,
      );
    },
    VENV_TIMEOUT,
  );

  it(
    "takes the first interpreter of a list that runs; with none, Python tasks fail saying so and shell tasks still run",
    async () => {
      const { container, component } = executorOf(loadSpec("nested_with_parameters.yaml"), "comp-double");
      const req = () => request({ container, component, inputs: { parameters: { num: 8 }, artifacts: {} } });
      const listed = createTaskRunner({
        cacheDir: TEST_VENV_CACHE,
        python: ["/nonexistent/python9", "python3"],
      });
      expect((await listed(req())).outputs.parameters).toEqual({ Output: 16 });
      const none = createTaskRunner({ cacheDir: TEST_VENV_CACHE, python: "/nonexistent/python9" });
      const res = await none(req());
      expect(res.state).toBe("FAILED");
      expect(res.error).toMatch(
        /^no usable Python interpreter: the Python interpreter '\/nonexistent\/python9' does not run/,
      );
      const shell = await none(request({ container: { command: ["echo", "still fine"] } }));
      expect(shell.state).toBe("SUCCEEDED");
    },
    VENV_TIMEOUT,
  );

  it(
    "a terminate while the venv is being made cancels the task at once; the venv is still finished for the next",
    async () => {
      const { container, component } = executorOf(loadSpec("nested_with_parameters.yaml"), "comp-double");
      const runner = createTaskRunner({ cacheDir: join(tempRoot("kfp-venvs-"), "venvs") });
      const ac = new AbortController();
      const first = await runner(
        request({
          container,
          component,
          inputs: { parameters: { num: 1 }, artifacts: {} },
          signal: ac.signal,
          onProgress: (m) => {
            if (m.startsWith("creating a Python")) ac.abort();
          },
        }),
      );
      expect(first.state).toBe("CANCELED");
      expect(first.error).toBe("canceled before it started");
      const progress: string[] = [];
      const second = await runner(
        request({
          container,
          component,
          inputs: { parameters: { num: 6 }, artifacts: {} },
          onProgress: (m) => progress.push(m),
        }),
      );
      expect(second.outputs.parameters).toEqual({ Output: 12 });
      expect(progress.filter((m) => m.startsWith("creating a Python"))).toEqual([]);
    },
    VENV_TIMEOUT,
  );

  it("leaves the interpreter the venvs are made from as it was", () => {
    expect(kfpOf("python3")).toBe(baseKfp);
  });
});
