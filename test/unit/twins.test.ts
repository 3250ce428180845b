/**
 * The twins: the client and the emulator each implement the server's cron, spec and parameter checks,
 * written apart so each checks the other. Here they meet on one generated corpus (test/helpers/
 * twins-corpus.ts): the same verdict everywhere, and the same message where both repeat the server's.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { cronError } from "../../packages/emulator/src/cron.js";
import { validateRunParameters } from "../../packages/emulator/src/params.js";
import { findParameterProblems, runParameterDefinitions } from "../../packages/kfp-ts/src/core/params.js";
import { checkCron } from "../../packages/kfp-ts/src/core/schedule.js";
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
