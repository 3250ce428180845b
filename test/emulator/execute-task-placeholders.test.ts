/**
 * Placeholders and the Python preamble against the corpus (issue 13): every executor of every package
 * under ../shared/kfp-api/pipelines/valid resolves with all its inputs given, every distinct placeholder
 * the corpus uses is seen and resolved, and every Lightweight Python command is recognised with its kfp
 * pin. Then the structural and edge cases one by one.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildExecutorInput } from "../../packages/emulator/src/execute/executor-input.js";
import {
  MAX_ARG_BYTES,
  type PlaceholderContext,
  PlaceholderError,
  pipelineJobResourceName,
  resolveArgv,
  resolveSelfReferences,
} from "../../packages/emulator/src/execute/placeholders.js";
import {
  applicableRequirements,
  parsePreamble,
  parsePythonCommand,
} from "../../packages/emulator/src/execute/python-env.js";
import type { ArtifactRef } from "../../packages/emulator/src/execute/task.js";
import { yamlDocs } from "../../packages/emulator/src/template/yaml-docs.js";
import { specOf } from "./helpers/execute-task.js";
import { hasShared, listFiles, sharedPipelines } from "./helpers/shared.js";

const SAMPLE: Record<string, unknown> = {
  STRING: "text value",
  NUMBER_INTEGER: 7,
  NUMBER_DOUBLE: 1.5,
  BOOLEAN: true,
  LIST: [1, "two"],
  STRUCT: { a: 1 },
};

interface Executor {
  file: string;
  label: string;
  container: Record<string, unknown>;
  component: Record<string, any>;
}

function corpusExecutors(): Executor[] {
  const out: Executor[] = [];
  const dir = resolve(sharedPipelines, "valid");
  for (const rel of listFiles(dir).filter((f) => /\.(ya?ml|json)$/.test(f))) {
    const docs = yamlDocs(readFileSync(resolve(dir, rel), "utf8"));
    for (const doc of docs) {
      expect(doc.error, rel).toBeUndefined();
      const spec = specOf(doc.value);
      const executors = spec?.deploymentSpec?.executors ?? {};
      for (const [label, exec] of Object.entries<any>(executors)) {
        if (!exec.container) continue;
        const component =
          Object.values<any>(spec.components ?? {}).find((c) => c.executorLabel === label) ?? {};
        out.push({ file: rel, label, container: exec.container, component });
      }
    }
  }
  return out;
}

function ctxFor(component: Record<string, any>, taskRoot = "/pr/run/task"): PlaceholderContext {
  const parameters: Record<string, unknown> = {};
  for (const [k, d] of Object.entries<any>(component.inputDefinitions?.parameters ?? {})) {
    parameters[k] = SAMPLE[d.parameterType] ?? "x";
  }
  const artifacts: Record<string, ArtifactRef[]> = {};
  for (const [k, d] of Object.entries<any>(component.inputDefinitions?.artifacts ?? {})) {
    artifacts[k] = [{ name: k, type: d.artifactType, uri: `/pr/up/${k}`, metadata: { m: 1 } }];
  }
  return {
    executorInput: buildExecutorInput({ component, inputs: { parameters, artifacts }, taskRoot }),
    pipelineName: "My Pipeline",
    runId: "ABCDEF12-0000",
    taskName: "t",
    taskId: "tid",
    pipelineRoot: "/pr",
    workspacePath: "/pr/workspace",
    createTimeUtc: "2026-12-07T00:00:00.000Z",
  };
}

const KIND = /\{\{\$([^{}]*)\}\}/g;
function kinds(text: string): string[] {
  return [...text.matchAll(KIND)].map((m) => m[0].replace(/\['[^']*'\]/g, "['k']"));
}

describe.runIf(hasShared)("the corpus (../shared/kfp-api/pipelines/valid)", () => {
  const executors = hasShared ? corpusExecutors() : [];

  it("every container executor resolves, leaving no placeholder behind", () => {
    expect(executors.length).toBeGreaterThan(300);
    const seen = new Set<string>();
    const structural = new Set<string>();
    for (const ex of executors) {
      const elements = [
        ...((ex.container.command as unknown[]) ?? []),
        ...((ex.container.args as unknown[]) ?? []),
      ];
      for (const el of elements) {
        if (typeof el !== "string") continue;
        for (const k of kinds(el)) seen.add(k);
        const s = /^\{"(Concat|IfPresent)"/.exec(el);
        if (s) structural.add(s[1] ?? "");
      }
      let argv: string[];
      try {
        argv = resolveArgv(elements, ctxFor(ex.component));
      } catch (e) {
        throw new Error(`${ex.file} ${ex.label}: ${(e as Error).message}`);
      }
      for (const a of argv) expect(a, `${ex.file} ${ex.label}`).not.toMatch(/\{\{\$/);
    }
    // Every kind the corpus uses (the list is what the corpus holds today: if it grows, look again).
    expect([...seen].sort()).toEqual(
      [
        "{{$}}",
        "{{$.inputs.artifacts['k']}}",
        "{{$.inputs.artifacts['k'].path}}",
        "{{$.inputs.artifacts['k'].uri}}",
        "{{$.inputs.parameters['k']}}",
        "{{$.outputs.artifacts['k'].metadata}}",
        "{{$.outputs.artifacts['k'].path}}",
        "{{$.outputs.artifacts['k'].uri}}",
        "{{$.outputs.parameters['k'].output_file}}",
      ].sort(),
    );
    expect([...structural].sort()).toEqual(["Concat", "IfPresent"]);
  });

  it("recognises every Lightweight Python command and reads its kfp pin and packages", () => {
    const python = executors
      .filter((ex) => (ex.container.command as string[] | undefined)?.[0] === "sh")
      .map((ex) => ({
        ex,
        cmd: parsePythonCommand([
          ...(ex.container.command as string[]),
          ...((ex.container.args as string[]) ?? []),
        ]),
      }))
      .filter(({ ex }) => String((ex.container.command as string[])[2]).includes("pip install"));
    expect(python.length).toBeGreaterThan(300);
    const pins = new Set<string>();
    for (const { ex, cmd } of python) {
      expect(cmd, `${ex.file} ${ex.label}`).toBeDefined();
      // Lightweight Python (`sh -ec PROGRAM`) or the older packages_to_install form (`python3 -u -c`).
      expect(cmd?.argv.slice(0, 2).join(" "), `${ex.file} ${ex.label}`).toMatch(/^(sh -ec|python3 -u)$/);
      if (cmd?.kfpPin) pins.add(cmd.kfpPin);
      for (const p of cmd?.packages ?? []) expect(p).not.toMatch(/^-|^https?:/);
    }
    expect([...pins].sort()).toEqual([
      "2.1.3",
      "2.12.1",
      "2.14.2",
      "2.14.3",
      "2.14.4",
      "2.14.6",
      "2.15.2",
      "2.9.0",
    ]);
  });
});

describe("preamble parsing", () => {
  const TE = `'typing-extensions>=3.7.4,<5; python_version<"3.9"'`;
  it("reads packages installed before or after kfp, and skips index options", () => {
    expect(
      parsePreamble(
        `python3 -m pip install --quiet --no-warn-script-location --index-url https://example.invalid/simple --trusted-host https://example.invalid/simple 'yapf'  &&  python3 -m pip install --quiet 'kfp==2.14.3' '--no-deps' ${TE} && "$0" "$@"\n`,
      ),
    ).toEqual({ kfpPin: "2.14.3", packages: ['typing-extensions>=3.7.4,<5; python_version<"3.9"', "yapf"] });
    expect(
      parsePreamble(
        `pip install --quiet 'kfp==2.14.3' '--no-deps' ${TE}  &&  python3 -m pip install --quiet 'pandas==2.2.0' 'scikit-learn==1.4.0' && "$0" "$@"`,
      ),
    ).toMatchObject({
      kfpPin: "2.14.3",
      packages: expect.arrayContaining(["pandas==2.2.0", "scikit-learn==1.4.0"]),
    });
  });
  it("passes no pip option on, and takes no option's value for a package", () => {
    expect(
      parsePreamble(
        `python3 -m pip install -r reqs.txt --constraint c.txt -e ./local --extra-index-url x --target /t 'dill==0.3.7' '--index-url=y' && "$0" "$@"`,
      ),
    ).toEqual({ kfpPin: undefined, packages: ["dill==0.3.7"] });
  });

  it("drops a requirement whose python_version marker is false for the interpreter", () => {
    const req = {
      kfpPin: "2.14.3",
      packages: ['typing-extensions>=3.7.4,<5; python_version<"3.9"', "dill==0.3.7"],
    };
    expect(applicableRequirements(req, "3.11.7").packages).toEqual(["dill==0.3.7"]);
    expect(applicableRequirements(req, "3.8.10").packages).toEqual(req.packages);
  });
  it("does not take a plain `sh -c` for a Python component", () => {
    expect(parsePythonCommand(["sh", "-c", "echo hi", "sh"])).toBeUndefined();
    expect(parsePythonCommand(["python3", "-c", "print(1)"])).toBeUndefined();
  });
});

describe("placeholders one by one", () => {
  const component = {
    inputDefinitions: {
      parameters: {
        s: { parameterType: "STRING" },
        n: { parameterType: "NUMBER_INTEGER", defaultValue: 3 },
        opt: { parameterType: "STRING", isOptional: true },
      },
      artifacts: { a: { artifactType: { schemaTitle: "system.Dataset" } } },
    },
    outputDefinitions: {
      parameters: { o: { parameterType: "STRING" } },
      artifacts: { m: { artifactType: { schemaTitle: "system.Model", schemaVersion: "0.0.1" } } },
    },
  };
  const ctx = (parameters: Record<string, unknown>, artifacts: Record<string, ArtifactRef[]> = {}) => ({
    ...ctxFor({}),
    executorInput: buildExecutorInput({ component, inputs: { parameters, artifacts }, taskRoot: "/pr/r/t" }),
  });
  const gcs: ArtifactRef = {
    name: "a",
    type: { schemaTitle: "system.Dataset" },
    uri: "gs://b/x",
    metadata: { k: "v" },
  };

  it("IfPresent splices Then or Else lists; Concat joins, nested", () => {
    const el = JSON.stringify({
      IfPresent: {
        InputName: "opt",
        Then: ["--opt", { Concat: ["<", "{{$.inputs.parameters['opt']}}", ">"] }],
        Else: ["--none"],
      },
    });
    expect(resolveArgv(["p", el, "end"], ctx({ s: "x", opt: "v" }))).toEqual(["p", "--opt", "<v>", "end"]);
    expect(resolveArgv(["p", el, "end"], ctx({ s: "x" }))).toEqual(["p", "--none", "end"]);
    const noElse = JSON.stringify({ IfPresent: { InputName: "opt", Then: "x" } });
    expect(resolveArgv(["p", noElse], ctx({ s: "x", opt: null }))).toEqual(["p"]);
  });

  it("parameters, defaults kept integers, names, ids, paths, artifacts", () => {
    const c = ctx({ s: "hi", n: 4.0 }, { a: [gcs] });
    expect(c.executorInput.inputs.parameterValues).toEqual({ s: "hi", n: 4 });
    expect(
      resolveArgv(
        [
          "{{$.inputs.parameters['s']}}-{{$.inputs.parameters['n']}}",
          "{{$.inputs.artifacts['a'].uri}}",
          "{{$.inputs.artifacts['a'].path}}",
          "{{$.inputs.artifacts['a'].metadata}}",
          "{{$.inputs.artifacts['a']}}",
          "{{$.outputs.parameters['o'].output_file}}",
          "{{$.outputs.artifacts['m'].path}}",
          "{{$.outputs.output_file}}",
          "{{$.pipeline_job_name}} {{$.pipeline_job_uuid}} {{$.pipeline_task_name}} {{$.pipeline_task_uuid}}",
          "{{$.pipeline_root}} {{$.workspace_path}}",
        ],
        c,
      ),
    ).toEqual([
      "hi-4",
      "gs://b/x",
      "/gcs/b/x",
      '{"k":"v"}',
      JSON.stringify([gcs]),
      "/pr/r/t/o",
      "/pr/r/t/m",
      "/pr/r/t/executor_output.json",
      "my-pipeline-abcde ABCDEF12-0000 t tid",
      "/pr /pr/workspace",
    ]);
    expect(JSON.parse(resolveArgv(["{{$}}"], c)[0] ?? "")).toEqual(c.executorInput);
    expect(pipelineJobResourceName("  --Weird Name!! ", "f00")).toBe("weird-name-f00");
    const named = { ...c, runDisplayName: "my run" };
    expect(resolveArgv(["{{$.pipeline_job_name}}|{{$.pipeline_job_resource_name}}"], named)).toEqual([
      "my run|my-pipeline-abcde",
    ]);
    const wf = { ...named, jobResourceName: "my-pipeline-x7k2q" };
    expect(resolveArgv(["{{$.pipeline_job_resource_name}}"], wf)).toEqual(["my-pipeline-x7k2q"]);
  });

  it("defaults fill missing parameters; f-string parameters resolve against the others", () => {
    const c = ctx({ s: "{{$.inputs.parameters['pipelinechannel--x']}}-bar", "pipelinechannel--x": "foo" });
    resolveSelfReferences(c);
    expect(c.executorInput.inputs.parameterValues).toEqual({
      s: "foo-bar",
      n: 3,
      "pipelinechannel--x": "foo",
    });
  });

  it("errors say which placeholder and why", () => {
    const c = ctx({ s: "x" });
    const err = (argv: unknown[]) => {
      try {
        resolveArgv(argv, c);
      } catch (e) {
        expect(e).toBeInstanceOf(PlaceholderError);
        return (e as Error).message;
      }
      return "no error";
    };
    expect(err(["{{$.inputs.artifacts['a'].uri}}"])).toBe(
      "{{$.inputs.artifacts['a'].uri}}: the task has no input artifact 'a'",
    );
    expect(err(["{{$.outputs.parameters['nope'].output_file}}"])).toBe(
      "{{$.outputs.parameters['nope'].output_file}}: the component declares no output parameter 'nope'",
    );
    expect(err(["{{$.inputs.artifacts['a'].size}}"])).toMatch(
      /unsupported artifact attribute 'size'|no input artifact/,
    );
    expect(err(["{{$.json_escape[0]}}"])).toBe("{{$.json_escape[0]}}: unsupported placeholder");
    expect(err(['{"Concat": [oops'])).toMatch(/^argument 0: a structural placeholder that is not valid JSON/);
    expect(err(["x".repeat(MAX_ARG_BYTES + 1)])).toMatch(/^argument 0 is 131073 bytes/);
    expect(err(["x".repeat(MAX_ARG_BYTES)])).toBe("no error");
  });
});
