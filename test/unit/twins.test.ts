/**
 * The twins: the client and the emulator each implement the server's cron, spec and parameter checks,
 * written apart so each checks the other. Here they meet on one generated corpus (test/helpers/
 * twins-corpus.ts): the same verdict everywhere, and the same message where both repeat the server's.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { cronError } from "../../packages/emulator/src/engine/cron.js";
import { ApiError } from "../../packages/emulator/src/http/errors.js";
import { readPipelineFile } from "../../packages/emulator/src/template/package-file.js";
import { validateRunParameters } from "../../packages/emulator/src/template/params.js";
import { parseTemplate, validatePipelineName } from "../../packages/emulator/src/template/template.js";
import { findParameterProblems, runParameterDefinitions } from "../../packages/kfp-ts/src/core/params.js";
import { checkCron } from "../../packages/kfp-ts/src/core/schedule.js";
import { checkPackageBytes, SpecValidationError } from "../../packages/kfp-ts/src/core/spec.js";
import { corpusFiles, hasShared } from "../helpers/specs.js";
import { cronCorpus, PARAMETER_VALUES, prng } from "../helpers/twins-corpus.js";

describe("cron: client checkCron vs emulator parseCron", () => {
  const corpus = cronCorpus();

  it("the corpus covers both verdicts and every robfig error kind", () => {
    const errors = corpus.map((c) => cronError(c)).filter((e): e is string => e !== undefined);
    expect(corpus.length).toBeGreaterThanOrEqual(500);
    expect(errors.length).toBeGreaterThan(50);
    expect(corpus.length - errors.length).toBeGreaterThan(50);
    for (const kind of [
      "Expected 5 to 6 fields",
      "Failed to parse int from",
      "value out of range",
      "Too many hyphens",
      "Too many slashes",
      "below minimum",
      "above maximum",
      "beyond end of range",
      "Step of range should be a positive number",
      "Unrecognized descriptor",
      "Failed to parse duration",
      "Empty spec string",
    ]) {
      expect(
        errors.some((e) => e.includes(kind)),
        kind,
      ).toBe(true);
    }
  });

  it("same verdict and the same robfig message on every expression", () => {
    const disagreements = corpus
      .map((spec) => ({ spec, client: checkCron(spec).error, emulator: cronError(spec) }))
      .filter((d) => d.client !== d.emulator);
    expect(disagreements).toEqual([]);
  });
});

describe.skipIf(!hasShared)(
  "run parameters: client findParameterProblems vs emulator validateRunParameters",
  () => {
    const specs = corpusFiles("valid", (f) => f.endsWith(".yaml")).map((file) => ({
      file,
      spec: YAML.parseAllDocuments(readFileSync(file, "utf8"))[0]!.toJS() as Record<string, unknown>,
    }));

    it("same verdict for every spec of the corpus with generated parameters", () => {
      const rnd = prng(26);
      let cases = 0;
      let rejected = 0;
      let stricter = 0;
      const disagreements: string[] = [];
      for (const { file, spec } of specs) {
        const root = (spec.pipelineSpec ?? spec) as Record<string, unknown>;
        if (root.root === undefined) continue;
        const names = runParameterDefinitions(spec).map((d) => d.name);
        const sets: Record<string, unknown>[] = [{}, { not_declared: 1 }];
        for (const name of names) {
          for (const value of PARAMETER_VALUES) sets.push({ [name]: value });
          const all: Record<string, unknown> = {};
          for (const n of names) all[n] = PARAMETER_VALUES[Math.floor(rnd() * PARAMETER_VALUES.length)];
          sets.push(all);
        }
        for (const params of sets) {
          cases++;
          const problems = findParameterProblems(spec, params);
          const server = validateRunParameters(root, params);
          if (server !== undefined) rejected++;
          // The one difference by design (PIPELINE-SPEC.md §2.4): the server does not check integrality,
          // the client refuses a NUMBER_INTEGER that is not a safe integer (the driver would fail the run).
          const integerOnly =
            problems.length > 0 &&
            problems.every((p) => p.expected === "NUMBER_INTEGER" && typeof params[p.parameter] === "number");
          if (server === undefined && integerOnly) {
            stricter++;
            continue;
          }
          if ((problems.length === 0) !== (server === undefined)) {
            disagreements.push(
              `${path.basename(file)} ${JSON.stringify(params)}: client ${problems.length === 0 ? "accepts" : `rejects (${problems[0]?.message})`}, emulator ${server === undefined ? "accepts" : `rejects (${server})`}`,
            );
          }
        }
      }
      expect(cases).toBeGreaterThan(300);
      expect(rejected).toBeGreaterThan(50);
      expect(stricter).toBeGreaterThan(10);
      expect(disagreements).toEqual([]);
    });
  },
);

describe.skipIf(!hasShared)(
  "package checks: client checkPackageBytes vs emulator readPipelineFile + parseTemplate",
  () => {
    function client(bytes: Buffer, filename: string): string | undefined {
      try {
        checkPackageBytes(bytes, filename);
        return undefined;
      } catch (err) {
        if (err instanceof SpecValidationError) return err.reason;
        throw err;
      }
    }
    function emulator(bytes: Buffer, filename: string): string | undefined {
      try {
        const t = parseTemplate(readPipelineFile(filename, bytes));
        // The upload handlers then check the spec's name (pipelines.ts checkTemplate).
        if (t.type === "v2" || t.v2Compatible) validatePipelineName(t.pipelineName);
        return undefined;
      } catch (err) {
        if (err instanceof ApiError) return err.external;
        throw err;
      }
    }
    /**
     * YAML syntax errors: both render the \`yaml\` package's text where the server renders Go's yaml.v3,
     * so only the verdict can agree; every other message is the server's own, and must match.
     */
    function normalize(message: string | undefined): string | undefined {
      if (message === undefined) return undefined;
      return /^(failed to parse pipeline spec YAML|unable to decode yaml document)/.test(message)
        ? "YAML syntax error"
        : message;
    }
    /** The corpus files, and variants of each YAML one at the top level (what the client checks). */
    function corpus(): { name: string; filename: string; bytes: Buffer }[] {
      const out: { name: string; filename: string; bytes: Buffer }[] = [];
      for (const sub of ["valid", "invalid"]) {
        for (const file of corpusFiles(sub)) {
          const filename = path.basename(file);
          const bytes = readFileSync(file);
          out.push({ name: `${sub}/${filename}`, filename, bytes });
          if (sub !== "valid" || !filename.endsWith(".yaml")) continue;
          const text = bytes.toString("utf8");
          const variants: Record<string, string> = {
            "no pipelineInfo name": text.replace(/^(pipelineInfo:\n(?: {2}.*\n)*?) {2}name: .*\n/m, "$1"),
            "upper-case name": text.replace(
              /^(pipelineInfo:\n(?: {2}.*\n)*? {2}name: ).*$/m,
              "$1My Pipeline",
            ),
            "no root": text.replace(/^root:\n(?:(?: {2}.*)?\n)*/m, ""),
            "schemaVersion 3.0.0": text.replace(/^schemaVersion: .*$/m, "schemaVersion: 3.0.0"),
            "broken flow mapping": `${text}\nbroken: {a: [1, 2}\n`,
            "a list document": "- a\n- b\n",
          };
          for (const [what, v] of Object.entries(variants)) {
            if (v !== text)
              out.push({ name: `${sub}/${filename} (${what})`, filename, bytes: Buffer.from(v) });
          }
        }
      }
      return out;
    }

    it("a package the client refuses, the server refuses with the same message; it never refuses a valid one", () => {
      const cases = corpus();
      const mismatches: string[] = [];
      const serverOnly = new Map<string, number>();
      let refusedByBoth = 0;
      for (const c of cases) {
        const mine = normalize(client(c.bytes, c.filename));
        const theirs = normalize(emulator(c.bytes, c.filename));
        if (mine === undefined && theirs === undefined) continue;
        // The client may add a hint after the server's message: "<server message> (<hint>)".
        if (
          mine !== undefined &&
          theirs !== undefined &&
          (mine === theirs || mine.startsWith(`${theirs} (`))
        ) {
          refusedByBoth++;
          continue;
        }
        if (mine === undefined && theirs !== undefined) {
          // Deeper than what the client checks (documented in core/spec.ts): counted by message.
          serverOnly.set(theirs, (serverOnly.get(theirs) ?? 0) + 1);
          continue;
        }
        mismatches.push(`${c.name}: client ${mine ?? "accepts"} | emulator ${theirs ?? "accepts"}`);
      }
      expect(cases.length).toBeGreaterThan(300);
      expect(refusedByBoth).toBeGreaterThan(100);
      expect(mismatches).toEqual([]);
      expect([...serverOnly.keys()]).toEqual([]);
    });
  },
);
