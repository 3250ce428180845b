import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  checkPackageBytes,
  checkPackageText,
  checkSpecObject,
  extractArchiveSpec,
  fastCheck,
  indentQuotedContinuations,
  normalizeSpec,
  parsePipelinePackage,
  SpecValidationError,
  specHash,
  specsEqual,
  specToYaml,
} from "../../packages/kfp-ts/src/core/spec.js";
import { corpusFiles, hasShared, makeTar, sharedPipelines, specObject, specYaml } from "../helpers/specs.js";

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpecValidationError) return err.reason;
    throw err;
  }
  return undefined;
}

describe("server rules, server wording", () => {
  it("accepts a compiler-written spec", () => {
    expect(reason(() => checkPackageText(specYaml()))).toBeUndefined();
    const pkg = parsePipelinePackage(specYaml());
    expect(pkg.kind).toBe("v2");
    expect(pkg.name).toBe("echo");
    expect(pkg.pipelineSpec).toEqual(specObject());
  });

  it.each([
    [
      "schemaVersion: 2.1.0",
      "schemaVersion: 2.0.0",
      "KFP only supports schema version 2.1.0, but the pipeline spec has version 2.0.0",
    ],
    [
      "schemaVersion: 2.1.0",
      "schemaVersion: '2.2'",
      "KFP only supports schema version 2.1.0, but the pipeline spec has version 2.2",
    ],
    [
      "schemaVersion: 2.1.0\n",
      "",
      "KFP only supports schema version 2.1.0, but the pipeline spec has version ",
    ],
    [
      "  name: echo\nroot",
      "  name: Echo_Pipe\nroot",
      "pipeline's name must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters",
    ],
    [
      "  name: echo\nroot",
      "  name: -echo\nroot",
      "pipeline's name must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters",
    ],
    [
      "  name: echo\nroot",
      `  name: ${"a".repeat(129)}\nroot`,
      "pipeline's name must contain no more than 128 characters",
    ],
    [
      "  name: echo\nroot",
      "  name: ECHO\nroot",
      "invalid v2 pipeline spec: name should consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    ],
    ["  name: echo\nroot", "  name:\nroot", "unknown template format"],
    ["components:", "components_1:", "unknown template format"],
    ["root:\n  dag:", "roots:\n  dag:", "unknown template format"],
  ])("%j → %j gives the server's message", (from, to, expected) => {
    const text = specYaml().replace(from, to);
    expect(text).not.toBe(specYaml());
    expect(reason(() => checkPackageText(text))).toBe(expected);
  });

  it("an empty file is an unknown template format", () => {
    expect(reason(() => checkPackageText(""))).toBe("unknown template format");
    expect(reason(() => checkPackageText("# just a comment\n"))).toBe("unknown template format");
  });

  it("a YAML syntax error gives `failed to parse pipeline spec YAML`", () => {
    expect(reason(() => checkPackageText("a: [1, 2\nb: c"))).toMatch(/^failed to parse pipeline spec YAML: /);
    expect(reason(() => checkPackageText("a: 1\na: 2\n"))).toMatch(/^failed to parse pipeline spec YAML: /);
  });

  it("two pipeline documents or two platform documents are refused", () => {
    expect(reason(() => checkPackageText(`${specYaml()}---\n${specYaml()}`))).toBe(
      "multiple pipeline specs provided",
    );
    const platform = "platforms:\n  kubernetes:\n    deploymentSpec: {}\n";
    expect(reason(() => checkPackageText(`${specYaml()}---\n${platform}---\n${platform}`))).toBe(
      "multiple platform specs provided",
    );
    const pkg = parsePipelinePackage(`${specYaml()}---\n${platform}`);
    expect(pkg.platformSpec).toEqual({ platforms: { kubernetes: { deploymentSpec: {} } } });
  });

  it("accepts snake_case keys and JSON (protojson reads both)", () => {
    const snake = specYaml()
      .replace("pipelineInfo:", "pipeline_info:")
      .replace("schemaVersion:", "schema_version:");
    expect(reason(() => checkPackageText(snake))).toBeUndefined();
    expect(reason(() => checkPackageText(JSON.stringify(specObject())))).toBeUndefined();
    expect(
      reason(() => checkPackageText(JSON.stringify({ ...specObject(), schemaVersion: "2.0.0" }))),
    ).toMatch(/^KFP only supports schema version/);
  });

  it("leaves an Argo Workflow (v1 template) to the server", () => {
    const wf = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: x-\nspec: {}\n";
    expect(parsePipelinePackage(wf).kind).toBe("argo");
  });

  it("checks spec objects and the {pipeline_spec, platform_spec} form", () => {
    expect(checkSpecObject(specObject()).name).toBe("echo");
    const platform = { platforms: { kubernetes: {} } };
    expect(checkSpecObject({ pipeline_spec: specObject(), platform_spec: platform }).platformSpec).toEqual(
      platform,
    );
    expect(reason(() => checkSpecObject({ ...specObject(), schemaVersion: "2.0.0" }))).toMatch(
      /schema version/,
    );
  });

  it("the message says nothing was sent and how to skip the check", () => {
    const err = (() => {
      try {
        checkPackageText("");
      } catch (e) {
        return e as SpecValidationError;
      }
    })();
    expect(err?.message).toBe(
      "unknown template format (client-side check, nothing was sent; pass `validate: false` to skip it)",
    );
    expect(err?.field).toBe("source");
  });
});

describe("file names and archives", () => {
  it("YAML under a name the server does not read as YAML is refused", () => {
    expect(reason(() => checkPackageBytes(Buffer.from(specYaml()), "pipeline.txt"))).toMatch(
      /^Unexpected pipeline file format\. Support \.zip, \.tar\.gz, \.json or YAML/,
    );
    expect(reason(() => checkPackageBytes(Buffer.from(specYaml()), "p.yml"))).toBeUndefined();
  });

  it("reads pipeline.yaml out of a tar.gz and checks it", () => {
    const tar = makeTar([
      ["README.md", "hi"],
      ["pipeline.yaml", specYaml().replace("2.1.0", "2.0.0")],
    ]);
    const gz = gzipSync(tar);
    expect(extractArchiveSpec(gz)?.name).toBe("pipeline.yaml");
    expect(reason(() => checkPackageBytes(gz, "anything.bin"))).toMatch(/schema version/);
    const ok = gzipSync(makeTar([["pipeline.yaml", specYaml()]]));
    expect(reason(() => checkPackageBytes(ok, "pipeline.tar.gz"))).toBeUndefined();
  });

  it("leaves unreadable archives to the server", () => {
    expect(reason(() => checkPackageBytes(Buffer.from([0x50, 0x4b, 1, 2, 3]), "x.zip"))).toBeUndefined();
    expect(reason(() => checkPackageBytes(Buffer.from([0x1f, 0x8b, 0, 0]), "x.tgz"))).toBeUndefined();
  });

  it.skipIf(!hasShared)("reads the zip packages of the corpus", () => {
    const zip = readFileSync(path.join(sharedPipelines, "valid/arguments_parameters.zip"));
    const inner = extractArchiveSpec(zip);
    expect(inner?.name).toMatch(/\.ya?ml$/);
    expect(parsePipelinePackage(inner?.text ?? "").name).toBeTruthy();
  });
});

describe.skipIf(!hasShared)("the shared corpus", () => {
  const valid = corpusFiles("valid", (p) => /\.(ya?ml|json)$/.test(p)).concat(
    corpusFiles("argo_compatibility", (p) => p.endsWith(".yaml")),
  );

  it("has files", () => {
    expect(valid.length).toBeGreaterThan(100);
  });

  it("accepts every valid package, fast path and full parse alike", () => {
    const problems: string[] = [];
    let fast = 0;
    for (const f of valid) {
      const text = readFileSync(f, "utf8");
      const r = fastCheck(text);
      if (r.ok) fast++;
      try {
        const pkg = parsePipelinePackage(text);
        if (r.ok && pkg.name !== r.name) problems.push(`${f}: fast name ${r.name} ≠ ${pkg.name}`);
        checkPackageBytes(readFileSync(f), path.basename(f));
      } catch (err) {
        problems.push(`${f}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
    expect(fast).toBeGreaterThan(valid.length * 0.9);
  });

  it("re-indenting quoted continuation lines never changes a value", () => {
    for (const f of valid.filter((x) => !x.endsWith(".json"))) {
      const text = readFileSync(f, "utf8");
      const plain = parseAllDocuments(text, { uniqueKeys: true });
      const list = Array.isArray(plain) ? plain : [plain];
      if (list.some((d) => d.errors.length)) continue;
      const fixed = parseAllDocuments(indentQuotedContinuations(text), { uniqueKeys: true });
      const fixedList = Array.isArray(fixed) ? fixed : [fixed];
      expect(fixedList.map((d) => d.toJS())).toEqual(list.map((d) => d.toJS()));
    }
  });

  it("reads the multi-line quoted strings PyYAML writes", () => {
    const f = path.join(sharedPipelines, "valid/critical/pipeline_with_secret_as_env.yaml");
    const pkg = parsePipelinePackage(readFileSync(f, "utf8"));
    const execs = (
      pkg.pipelineSpec.deploymentSpec as { executors: Record<string, { container: { command: string[] } }> }
    ).executors;
    const cmd = Object.values(execs)[0]?.container.command ?? [];
    expect(cmd.some((c) => c.startsWith('\nif ! [ -x "$(command -v pip)" ]; then\n'))).toBe(true);
  });

  it("the argo-workflow documents are v1 templates", () => {
    for (const f of corpusFiles("argo-workflow")) {
      expect(parsePipelinePackage(readFileSync(f, "utf8")).kind).toBe("argo");
    }
  });

  it.each([
    ["empty_file.yaml", "unknown template format"],
    ["invalid_yaml.yaml", "unknown template format"],
    ["no_name.yaml", "unknown template format"],
    ["wrong_format.png", "Unexpected pipeline file format"],
    ["empty_zip.zip", "Unexpected pipeline file format"],
  ])("rejects invalid/%s", (file, expected) => {
    const bytes = readFileSync(path.join(sharedPipelines, "invalid", file));
    expect(reason(() => checkPackageBytes(bytes, file))).toMatch(new RegExp(`^${expected}`));
  });
});

describe("comparing and hashing specs", () => {
  it("a package equals the copy the server stores (protojson round trip)", () => {
    const local = parsePipelinePackage(specYaml()).pipelineSpec;
    // What protojson gives back: same keys, zero values dropped, int64 as strings.
    const stored = JSON.parse(JSON.stringify(local));
    (stored.root.dag.tasks.echo.cachingOptions as Record<string, unknown>).enableCache = true;
    stored.root.dag.tasks.echo.triggerPolicy = {};
    expect(specsEqual(stored, local)).toBe(true);
    expect(specHash(stored)).toBe(specHash(local));
  });

  it("treats int64 strings and numbers alike, snake and camel keys alike", () => {
    const a = {
      pipelineInfo: { name: "x" },
      root: { dag: {} },
      deploymentSpec: { executors: { e: { container: { resources: { accelerator: { count: "1" } } } } } },
    };
    const b = {
      pipeline_info: { name: "x" },
      root: { dag: {} },
      deploymentSpec: { executors: { e: { container: { resources: { accelerator: { count: 1 } } } } } },
    };
    expect(specsEqual(a, b)).toBe(true);
  });

  it("sees real differences", () => {
    expect(specsEqual(specObject(), specObject("echo", "!"))).toBe(false);
    expect(specHash(specObject())).not.toBe(specHash(specObject("echo", "!")));
    const withDefault = (v: unknown) => ({
      ...specObject(),
      root: {
        dag: {},
        inputDefinitions: { parameters: { p: { parameterType: "NUMBER_INTEGER", defaultValue: v } } },
      },
    });
    expect(specsEqual(withDefault(0), withDefault(undefined))).toBe(false);
    expect(specsEqual(withDefault(0), withDefault(0))).toBe(true);
  });

  it("compares the {pipeline_spec, platform_spec} form", () => {
    const platform = {
      platforms: {
        kubernetes: { deploymentSpec: { executors: { e: { nodeSelector: { labels: { a: "b" } } } } } },
      },
    };
    expect(specsEqual({ pipeline_spec: specObject(), platform_spec: platform }, specObject())).toBe(false);
    expect(
      specsEqual(
        { pipeline_spec: specObject(), platform_spec: platform },
        parsePipelinePackage(specToYaml({ pipeline_spec: specObject(), platform_spec: platform }))
          .pipelineSpec,
      ),
    ).toBe(false); // the platform doc is missing on the right side
    const pkg = parsePipelinePackage(specToYaml({ pipeline_spec: specObject(), platform_spec: platform }));
    expect(
      specsEqual(
        { pipeline_spec: specObject(), platform_spec: platform },
        { pipeline_spec: pkg.pipelineSpec, platform_spec: pkg.platformSpec },
      ),
    ).toBe(true);
  });

  it("normalizeSpec keeps Value payloads verbatim", () => {
    expect(normalizeSpec({ defaultValue: { a: 0, b: "", c: false }, other: { x: 0, y: "" } })).toEqual({
      defaultValue: { a: 0, b: "", c: false },
    });
  });
});
