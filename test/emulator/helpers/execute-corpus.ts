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
import { listFiles, sharedPipelines } from "./shared.js";

export type CommandKind = "python" | "shell" | "pip" | "image";
const ORDER: CommandKind[] = ["python", "shell", "pip", "image"];

/** Binaries a plain Linux machine has (a command of these runs as it is). */
const SHELL_BINS = new Set([
  "sh",
  "bash",
  "echo",
  "cat",
  "python",
  "python3",
  "printf",
  "ls",
  "mkdir",
  "touch",
  "true",
  "false",
  "sleep",
  "env",
]);
/** Things in a shell script that need the image or a cloud. */
const NEEDS_IMAGE =
  /\b(gsutil|gcloud|kubectl|aws |curl |wget |apt-get|pip3? install|tensorflow|torch|pandas|numpy|sklearn|xgboost|google\.cloud|google_cloud_pipeline_components|kfp\b|ray\b)|\[\[/;
const STDLIB_PY =
  /^(os|sys|json|time|random|math|re|pathlib|shutil|subprocess|typing|collections|argparse|datetime|uuid|base64|hashlib|tempfile|io|itertools|functools|textwrap|glob|string)$/;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** Extra packages of a compiled install preamble (kfp and python<3.9-only markers excluded). */
function preamblePackages(preamble: string): string[] {
  const out: string[] = [];
  for (const m of preamble.matchAll(/pip install ([^\n]*?)(?=&&|\n|$)/g)) {
    for (const w of (m[1] ?? "").matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) {
      const word = w[1] ?? w[2] ?? w[3] ?? "";
      if (word.startsWith("-") || word === "" || /^kfp==/.test(word) || /^\$/.test(word)) continue;
      if (/python_version\s*<=?\s*["']?3\.\d["']?$/.test(word)) continue;
      if (/^(https?:|--)/.test(word)) continue;
      out.push(word);
    }
  }
  return out;
}

export function containerKind(container: Record<string, unknown>): CommandKind {
  const argv = [...strings(container.command), ...strings(container.args)];
  const [bin0 = "", a1, a2 = ""] = argv;
  if (bin0 === "sh" && a1 === "-c" && a2.includes("pip install")) {
    if (
      preamblePackages(a2.replace(/--index-url \S+|--extra-index-url \S+|--trusted-host \S+/g, "")).length > 0
    )
      return "pip";
    const program = argv.slice(3).join("\n");
    return NEEDS_IMAGE.test(program.replace(/\bkfp\b/g, "")) &&
      /import (tensorflow|torch|pandas|numpy|sklearn)/.test(program)
      ? "pip"
      : "python";
  }
  const bin = bin0.split("/").pop() ?? "";
  if (!SHELL_BINS.has(bin)) return "image";
  // `sh script.sh`: a script that lives in the image.
  if ((bin === "sh" || bin === "bash") && a1 !== undefined && !a1.startsWith("-")) return "image";
  const text = argv.join("\n");
  if (NEEDS_IMAGE.test(text)) return "image";
  if (bin.startsWith("python")) {
    for (const m of text.matchAll(/^\s*(?:import|from)\s+([A-Za-z_][\w]*)/gm))
      if (!STDLIB_PY.test(m[1]!)) return "image";
  }
  return "shell";
}

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
    const executors = ((spec.deploymentSpec as Record<string, unknown> | undefined)?.executors ??
      {}) as Record<string, Record<string, unknown>>;
    let kind: CommandKind = "python";
    for (const e of Object.values(executors)) {
      if (!e.container) continue;
      const k = containerKind(e.container as Record<string, unknown>);
      if (ORDER.indexOf(k) > ORDER.indexOf(kind)) kind = k;
    }
    // Importing from a cloud bucket needs the cloud.
    for (const e of Object.values(executors)) {
      const uri = (e.importer as { artifactUri?: { constant?: unknown } } | undefined)?.artifactUri?.constant;
      if (typeof uri === "string" && /^(gs|s3|minio|oci):\/\//.test(uri)) kind = "image";
    }
    // A Lightweight-only package stays "python"; one with any plain command is "shell".
    if (
      kind === "python" &&
      Object.values(executors).some(
        (e) => e.container && containerKind(e.container as Record<string, unknown>) === "shell",
      )
    )
      kind = "shell";
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
