/**
 * What a compiled package's commands need on this machine (issue 13), read from the commands, never
 * run: "python" (Lightweight Python without extra packages), "shell" (plain shell / `python -c` /
 * stdlib commands, possibly with Lightweight Python), "pip" (packages installed at run time), "image"
 * (its image's own programs, a cloud, or Kubernetes). Plain JavaScript so that the execute-mode corpus
 * test (helpers/execute-corpus.ts) and bench/execute.mjs sort the corpus with one rule.
 */

/** @typedef {"python" | "shell" | "pip" | "image"} CommandKind */
/** @type {CommandKind[]} */
const ORDER = ["python", "shell", "pip", "image"];

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

/** @param {unknown} v @returns {string[]} */
function strings(v) {
  return Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
}

/** Extra packages of a compiled install preamble (kfp and python<3.9-only markers excluded). */
/** @param {string} preamble @returns {string[]} */
function preamblePackages(preamble) {
  /** @type {string[]} */
  const out = [];
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

/**
 * The kind of one executor container's command.
 * @param {Record<string, unknown>} container
 * @returns {import("./command-kind.mjs").CommandKind}
 */
export function containerKind(container) {
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
      if (!STDLIB_PY.test(m[1] ?? "")) return "image";
  }
  return "shell";
}

/**
 * The kind of a whole pipeline spec: its most demanding executor; an importer of a cloud uri needs the
 * cloud; a Lightweight-only package stays "python", one with any plain command is "shell".
 * @param {Record<string, unknown>} spec
 * @returns {CommandKind}
 */
export function packageKind(spec) {
  const deployment = /** @type {Record<string, unknown> | undefined} */ (spec.deploymentSpec);
  const executors = /** @type {Record<string, Record<string, unknown>>} */ (deployment?.executors ?? {});
  /** @type {CommandKind} */
  let kind = "python";
  for (const e of Object.values(executors)) {
    if (!e.container) continue;
    const k = containerKind(/** @type {Record<string, unknown>} */ (e.container));
    if (ORDER.indexOf(k) > ORDER.indexOf(kind)) kind = k;
  }
  for (const e of Object.values(executors)) {
    const importer = /** @type {{ artifactUri?: { constant?: unknown } } | undefined} */ (e.importer);
    const uri = importer?.artifactUri?.constant;
    if (typeof uri === "string" && /^(gs|s3|minio|oci):\/\//.test(uri)) kind = "image";
  }
  if (
    kind === "python" &&
    Object.values(executors).some(
      (e) => e.container && containerKind(/** @type {Record<string, unknown>} */ (e.container)) === "shell",
    )
  )
    kind = "shell";
  return kind;
}
