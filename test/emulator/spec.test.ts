import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { ApiError } from "../../packages/emulator/src/http/errors.js";
import { readPipelineFile } from "../../packages/emulator/src/template/package-file.js";
import { pipelineSpecProblem } from "../../packages/emulator/src/template/protojson.js";
import { parseTemplate } from "../../packages/emulator/src/template/template.js";
import { writeTarGz, writeZip } from "./helpers/archive-writer.js";
import { hasShared, listFiles, sharedPipelines } from "./helpers/shared.js";

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

function load(name: string, bytes: Buffer) {
  return parseTemplate(readPipelineFile(name, bytes));
}

function externalOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err.external;
    throw err;
  }
  throw new Error("expected an error");
}

describe.skipIf(!hasShared)("real packages", () => {
  const valid = listFiles(join(sharedPipelines, "valid"));
  const yamls = valid.filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"));

  it("finds the corpus", () => {
    expect(valid.length).toBeGreaterThan(100);
  });

  it("accepts every valid package as is", () => {
    const failures: string[] = [];
    for (const rel of valid) {
      const bytes = readFileSync(join(sharedPipelines, "valid", rel));
      try {
        const t = load(basename(rel), bytes);
        expect(t.type).toBe("v2");
      } catch (err) {
        failures.push(`${rel}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("accepts every valid YAML packed into .zip and .tar.gz", () => {
    const failures: string[] = [];
    for (const rel of yamls) {
      const bytes = readFileSync(join(sharedPipelines, "valid", rel));
      for (const [kind, archive] of [
        ["zip", writeZip([{ name: "pipeline.yaml", data: bytes }])],
        ["tgz", writeTarGz([{ name: "pipeline.yaml", data: bytes }])],
      ] as const) {
        try {
          load(`package.${kind}`, archive);
        } catch (err) {
          failures.push(`${rel} (${kind}): ${(err as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("re-serialises canonical SDK output to equal values", () => {
    const diffs: string[] = [];
    for (const rel of yamls) {
      const text = readFileSync(join(sharedPipelines, "valid", rel), "utf8");
      const t = load(basename(rel), Buffer.from(text));
      if (t.type !== "v2") continue;
      // The SDK writes protojson-canonical YAML, so the server's re-serialisation keeps every value.
      const docs = YAML.parseAllDocuments(text);
      if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) continue;
      const raw = docs.map((d) => d.toJS()).find((d) => d && typeof d === "object" && "pipelineInfo" in d);
      if (JSON.stringify(sortKeys(raw)) !== JSON.stringify(sortKeys(t.pipelineSpec))) diffs.push(rel);
      expect(t.pipelineSpec.pipelineInfo).toBeTruthy();
    }
    expect(diffs).toEqual([]);
  });

  it("treats Argo workflows as v1 templates", () => {
    for (const rel of listFiles(join(sharedPipelines, "argo-workflow"))) {
      const t = load(rel, readFileSync(join(sharedPipelines, "argo-workflow", rel)));
      expect(t.type, rel).toBe("v1");
    }
  });

  it("rejects every invalid package", () => {
    const expected: Record<string, string> = {
      "empty_file.yaml": "unknown template format",
      "invalid_yaml.yaml": "unknown template format",
      "no_name.yaml": "unknown template format",
    };
    for (const rel of listFiles(join(sharedPipelines, "invalid"))) {
      const bytes = readFileSync(join(sharedPipelines, "invalid", rel));
      let err: unknown;
      try {
        load(rel, bytes);
      } catch (e) {
        err = e;
      }
      expect(err, rel).toBeInstanceOf(ApiError);
      if (expected[rel]) expect((err as ApiError).external).toBe(expected[rel]);
    }
  });

  it("explains why invalid_yaml.yaml is not a PipelineSpec", () => {
    const doc = YAML.parse(readFileSync(join(sharedPipelines, "invalid", "invalid_yaml.yaml"), "utf8"));
    expect(pipelineSpecProblem(doc)).toMatch(/unknown field "components_1"/);
  });
});

const minimal = (extra = "") => `pipelineInfo:
  name: my-pipe
root:
  dag:
    tasks: {}
schemaVersion: 2.1.0
${extra}`;

describe("spec validation", () => {
  it("accepts a minimal spec and snake_case keys", () => {
    expect(load("p.yaml", Buffer.from(minimal())).type).toBe("v2");
    const snake = `pipeline_info:\n  name: x\nroot: {}\nschema_version: 2.1.0\nsdk_version: kfp-2\n`;
    const t = load("p.yaml", Buffer.from(snake));
    expect(t.type === "v2" && t.pipelineSpec).toEqual({
      pipelineInfo: { name: "x" },
      root: {},
      schemaVersion: "2.1.0",
      sdkVersion: "kfp-2",
    });
  });

  it("reports the schema version", () => {
    expect(externalOf(() => load("p.yaml", Buffer.from(minimal().replace("2.1.0", "2.0.0"))))).toBe(
      "KFP only supports schema version 2.1.0, but the pipeline spec has version 2.0.0",
    );
  });

  it("rejects unknown keys, bad enums, wrong kinds and double oneofs as unknown template format", () => {
    const cases = [
      minimal("bogus: 1"),
      minimal().replace("tasks: {}", "tasks: {}\n    extra: 1"),
      minimal().replace("  dag:\n    tasks: {}", "  executorLabel: e\n  dag:\n    tasks: {}"),
      minimal().replace("name: my-pipe", "name: 5"),
      `${minimal()}components:\n  c:\n    inputDefinitions:\n      parameters:\n        p:\n          parameterType: NOPE\n`,
      "",
      "# only a comment\n",
      "- a\n- b\n",
    ];
    for (const c of cases)
      expect(
        externalOf(() => parseTemplate(Buffer.from(c))),
        c,
      ).toBe("unknown template format");
  });

  it("reports YAML syntax errors", () => {
    expect(externalOf(() => parseTemplate(Buffer.from("a: [1, 2\nb: c: d\n")))).toMatch(
      /^failed to parse pipeline spec YAML: /,
    );
  });

  it("keeps a platform document and rejects two", () => {
    const platform =
      "---\nplatforms:\n  kubernetes:\n    deploymentSpec:\n      executors:\n        exec-a:\n          nodeSelector: {labels: {a: b}}\n";
    const t = parseTemplate(Buffer.from(minimal() + platform));
    expect(t.type === "v2" && t.platformSpec).toBeTruthy();
    expect(externalOf(() => parseTemplate(Buffer.from(minimal() + platform + platform)))).toBe(
      "multiple platform specs provided",
    );
    expect(externalOf(() => parseTemplate(Buffer.from(`${minimal()}---\n${minimal()}`)))).toBe(
      "multiple pipeline specs provided",
    );
  });

  it("rejects names with no lowercase letter or digit", () => {
    expect(externalOf(() => parseTemplate(Buffer.from(minimal().replace("my-pipe", "'---'"))))).toMatch(
      /^invalid v2 pipeline spec: name should consist of lower case alphanumeric characters/,
    );
  });
});

describe("package files", () => {
  it("detects formats and archive members", () => {
    const yaml = Buffer.from(minimal());
    expect(readPipelineFile("x.yml", yaml)).toBe(yaml);
    expect(readPipelineFile("x.json", yaml)).toBe(yaml);
    expect(readPipelineFile("x.bin", writeZip([{ name: "a.yaml", data: yaml }])).toString()).toBe(minimal());
    expect(
      readPipelineFile(
        "x",
        writeZip([
          { name: "a.txt", data: "x" },
          { name: "pipeline.yaml", data: yaml },
        ]),
      ).toString(),
    ).toBe(minimal());
    expect(readPipelineFile("x.zip", writeZip([{ name: "a.yaml", data: yaml }], true)).toString()).toBe(
      minimal(),
    );
    expect(readPipelineFile("x", writeTarGz([{ name: "b.yml", data: yaml }])).toString()).toBe(minimal());
    expect(
      readPipelineFile(
        "x",
        writeTarGz([
          { name: "dir/", data: "" },
          { name: "pipeline.yaml", data: yaml },
        ]),
      ).toString(),
    ).toBe(minimal());
  });

  it("rejects what the server rejects", () => {
    const msg = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as ApiError).message;
      }
      return "no error";
    };
    expect(msg(() => readPipelineFile("x.txt", Buffer.from("hello")))).toMatch(
      /Unexpected pipeline file format/,
    );
    expect(msg(() => readPipelineFile("x.zip", writeZip([])))).toMatch(/Empty zip file/);
    expect(msg(() => readPipelineFile("x.zip", writeZip([{ name: "a.txt", data: "x" }])))).toMatch(
      /Expecting a pipeline.yaml file inside the zip. Got: a.txt/,
    );
    expect(msg(() => readPipelineFile("x", writeTarGz([{ name: "a.txt", data: "x" }])))).toMatch(
      /Expecting a pipeline.yaml file inside the tarball. Got: a.txt/,
    );
    expect(msg(() => readPipelineFile("x", Buffer.from([0x50, 0x4b, 1, 2, 3])))).toMatch(
      /Not a valid zip file/,
    );
    expect(msg(() => readPipelineFile("x", Buffer.from([0x1f, 0x8b, 1, 2, 3])))).toMatch(
      /Not a valid tarball/,
    );
    expect(msg(() => readPipelineFile("x.yaml", Buffer.alloc(33), 32))).toMatch(
      /File size too large \(33 bytes\)/,
    );
  });
});
