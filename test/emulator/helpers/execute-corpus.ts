/**
 * The packages of ../shared/kfp-api/pipelines sorted by what their commands need on this machine
 * (issue 13): Lightweight Python without extra packages, plain shell/`python -c` commands, pip
 * packages at run time, or a real image / cloud. Shared by the execute-mode corpus test and
 * bench/execute.mjs's test twin; the sorting reads the commands, never runs them.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readPipelineFile } from "../../../packages/emulator/src/template/package-file.js";
import { parseTemplate } from "../../../packages/emulator/src/template/template.js";
import { type CommandKind, packageKind } from "./command-kind.mjs";
import { listFiles, sharedPipelines } from "./shared.js";

export { type CommandKind, containerKind } from "./command-kind.mjs";

export interface CorpusPackage {
  file: string;
  kind: CommandKind;
  spec: Record<string, unknown>;
  /** Expected end state (valid/failing/ → FAILED). */
  expected: "SUCCEEDED" | "FAILED";
}

/** Every v2 package under pipelines/valid with its command kind. */
export function corpusPackages(): CorpusPackage[] {
  const dir = resolve(sharedPipelines, "valid");
  const out: CorpusPackage[] = [];
  for (const file of listFiles(dir).filter((f) => /\.(ya?ml|json)$/.test(f))) {
    const t = parseTemplate(readPipelineFile(file.split("/").pop()!, readFileSync(resolve(dir, file))));
    if (t.type !== "v2") continue;
    const spec = t.pipelineSpec as Record<string, unknown>;
    const kind = packageKind(spec);
    out.push({ file, kind, spec, expected: file.startsWith("failing/") ? "FAILED" : "SUCCEEDED" });
  }
  return out;
}

/** Required root parameters (no default, not optional) filled with values of their kind. */
export function requiredValues(spec: Record<string, unknown>): Record<string, unknown> {
  const root = spec.root as { inputDefinitions?: { parameters?: Record<string, Record<string, unknown>> } };
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(root.inputDefinitions?.parameters ?? {})) {
    if ("defaultValue" in def || def.isOptional === true) continue;
    const type = String(def.parameterType ?? "STRING");
    out[name] =
      type === "NUMBER_INTEGER"
        ? 3
        : type === "NUMBER_DOUBLE"
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
