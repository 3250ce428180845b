/**
 * Client-side checks of a pipeline package, with the KFP server's own wording (FACTS.md §4.1,
 * PIPELINE-SPEC.md §5.1), and helpers to read, compare and hash pipeline specs.
 *
 * The checks mirror the server's upload path, in its order:
 * 1. YAML syntax (`failed to parse pipeline spec YAML: ...`);
 * 2. some document must be a pipeline spec: a mapping whose top-level keys are all PipelineSpec fields,
 *    with a non-empty string `pipelineInfo.name` and a `root` mapping (else `unknown template format`);
 *    a document that is an Argo `Workflow` is a v1 template and is left to the server;
 * 3. per document, in order: a second pipeline spec → `multiple pipeline specs provided`; `schemaVersion`
 *    must be `2.1.0`; the name must contain a lower-case alphanumeric character; a second kubernetes
 *    platform document → `multiple platform specs provided`;
 * 4. `pipelineInfo.name` ≤ 128 characters and `^[a-z0-9][a-z0-9-]{0,127}$`.
 *
 * Not checked (the server checks more deeply): unknown keys below the top level of the spec, enum values,
 * oneof conflicts. The client never rejects a package the server would accept, except through those
 * rules.
 *
 * Speed: a full YAML parse of a 20 KB spec costs ~4–8 ms, far more than sending it. `checkPackageText`
 * first tries the fast check (`fastCheck`): every line must be recognised as the block YAML compilers
 * write (core/block-yaml.ts: consistent indentation, no repeated key, closed quotes, valid escapes, so
 * the text parses), then the top-level rules above are applied to the top-level lines. Whenever it meets
 * anything it does not fully understand, or finds a problem, it falls back to the full parse, which gives
 * the exact verdict and message; test/unit/spec-differential.test.ts holds the two to the same verdict
 * and message over the shared corpus and generated variants.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { gunzipSync, inflateRawSync } from "node:zlib";
import type * as Yaml from "yaml";
import { isRecord } from "../internal/values.js";
import { wellFormedBlockYaml } from "./block-yaml.js";
import { ValidationError } from "./errors.js";

/**
 * The `yaml` library, loaded on first use: most calls (uploads with `validate: false`, streams, text the
 * fast scan accepts, every non-pipeline resource) never parse or write YAML, and loading it adds ~1 MB of
 * long-lived heap to every process that imports kfp-ts (enough, measured, to make V8 double its young
 * generation during a first large upload). `require` keeps the first use synchronous (the package ships
 * CommonJS for Node).
 */
let yamlLib: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  yamlLib ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return yamlLib;
}

/** Raised when a package fails a client-side check. `reason` is the server's wording. */
export class SpecValidationError extends ValidationError {
  override name = "SpecValidationError";
  /** The message the KFP server would give for this package. */
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`${reason} (client-side check, nothing was sent; pass \`validate: false\` to skip it)`, {
      field: "source",
      ...(options?.cause === undefined ? {} : { cause: options.cause }),
    });
    this.reason = reason;
  }
}

export type JsonObject = Record<string, unknown>;

/** A parsed pipeline package. */
export interface PipelinePackage {
  /** `v2`: a KFP pipeline spec; `argo`: an Argo Workflow (v1 template), not inspected further. */
  kind: "v2" | "argo";
  /** The PipelineSpec document (for `argo`, the Workflow document). */
  pipelineSpec: JsonObject;
  /** The kubernetes platform spec document, when present. */
  platformSpec?: JsonObject;
  /** `pipelineInfo.name` (v2 only). */
  name?: string;
}

export const SUPPORTED_SCHEMA_VERSION = "2.1.0";

/** Top-level PipelineSpec fields (protojson accepts both spellings). */
const SPEC_KEYS = new Set([
  "pipelineInfo",
  "pipeline_info",
  "deploymentSpec",
  "deployment_spec",
  "sdkVersion",
  "sdk_version",
  "schemaVersion",
  "schema_version",
  "components",
  "root",
  "defaultPipelineRoot",
  "default_pipeline_root",
]);
const INFO_KEYS = new Set(["name", "displayName", "display_name", "description"]);

const MSG = {
  unknownFormat: "unknown template format",
  multipleSpecs: "multiple pipeline specs provided",
  multiplePlatforms: "multiple platform specs provided",
  schema: (v: string) => `KFP only supports schema version 2.1.0, but the pipeline spec has version ${v}`,
  nameEmpty: "invalid v2 pipeline spec: name is empty",
  nameWeak:
    "invalid v2 pipeline spec: name should consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  nameLong: "pipeline's name must contain no more than 128 characters",
  namePattern:
    "pipeline's name must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters",
  yaml: (m: string) => `failed to parse pipeline spec YAML: ${m}`,
  format: "Unexpected pipeline file format. Support .zip, .tar.gz, .json or YAML",
};

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,127}$/;
const WEAK_NAME = /[a-z0-9]/;

function field(o: JsonObject, camel: string, snake: string): unknown {
  return o[camel] !== undefined ? o[camel] : o[snake];
}

function isArgoWorkflow(doc: unknown): boolean {
  return (
    isRecord(doc) &&
    doc.kind === "Workflow" &&
    typeof doc.apiVersion === "string" &&
    doc.apiVersion.startsWith("argoproj.io/")
  );
}

/** Whether a document would parse strictly as a PipelineSpec with a name and a root (top level only). */
function isPipelineSpecDoc(doc: unknown): doc is JsonObject {
  if (!isRecord(doc)) return false;
  for (const k of Object.keys(doc)) if (!SPEC_KEYS.has(k)) return false;
  const info = field(doc, "pipelineInfo", "pipeline_info");
  if (!isRecord(info)) return false;
  for (const k of Object.keys(info)) {
    if (!INFO_KEYS.has(k)) return false;
    const v = info[k];
    if (v !== null && typeof v !== "string") return false;
  }
  if (typeof info.name !== "string" || info.name === "") return false;
  if (!isRecord(doc.root)) return false;
  for (const [camel, snake] of [
    ["schemaVersion", "schema_version"],
    ["sdkVersion", "sdk_version"],
    ["defaultPipelineRoot", "default_pipeline_root"],
  ] as const) {
    const v = field(doc, camel, snake);
    if (v !== undefined && v !== null && typeof v !== "string") return false;
  }
  for (const [camel, snake] of [
    ["components", "components"],
    ["deploymentSpec", "deployment_spec"],
  ] as const) {
    const v = field(doc, camel, snake);
    if (v !== undefined && v !== null && !isRecord(v)) return false;
  }
  return true;
}

function isKubernetesPlatformDoc(doc: unknown): doc is JsonObject {
  return isRecord(doc) && isRecord(doc.platforms) && doc.platforms.kubernetes !== undefined;
}

/** Check the pipeline name as `common.ValidatePipelineName` does. */
function checkName(name: string): void {
  if (name.length > 128) throw new SpecValidationError(MSG.nameLong);
  if (!NAME_PATTERN.test(name)) throw new SpecValidationError(MSG.namePattern);
}

/** Apply the server's rules to already-parsed YAML documents. */
function classifyDocuments(docs: unknown[]): PipelinePackage {
  const present = docs.filter((d) => d !== null && d !== undefined);
  const first = present[0];
  if (first !== undefined && isArgoWorkflow(first)) {
    return { kind: "argo", pipelineSpec: first as JsonObject };
  }
  if (!present.some(isPipelineSpecDoc)) throw new SpecValidationError(MSG.unknownFormat);
  let spec: JsonObject | undefined;
  let platform: JsonObject | undefined;
  for (const doc of present) {
    if (isPipelineSpecDoc(doc)) {
      if (spec) throw new SpecValidationError(MSG.multipleSpecs);
      const version = field(doc, "schemaVersion", "schema_version");
      const v = typeof version === "string" ? version : "";
      if (v !== SUPPORTED_SCHEMA_VERSION) throw new SpecValidationError(MSG.schema(v));
      const name = (field(doc, "pipelineInfo", "pipeline_info") as JsonObject).name as string;
      if (!WEAK_NAME.test(name)) throw new SpecValidationError(MSG.nameWeak);
      spec = doc;
    } else if (isKubernetesPlatformDoc(doc)) {
      if (platform) throw new SpecValidationError(MSG.multiplePlatforms);
      platform = doc;
    }
  }
  const pipelineSpec = spec as JsonObject;
  const name = (field(pipelineSpec, "pipelineInfo", "pipeline_info") as JsonObject).name as string;
  checkName(name);
  const out: PipelinePackage = { kind: "v2", pipelineSpec, name };
  if (platform) out.platformSpec = platform;
  return out;
}

/**
 * Find where a quoted scalar starts as a value on this line (`key: "..`, `- '..`), or -1.
 * Keys themselves may be quoted.
 */
function quotedValueStart(line: string): number {
  const m = /^( *)((?:- +)*)(?:(?:[^\s"'#\-?][^:#]*?|"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'): +)?(["'])/.exec(line);
  return m ? m[0].length - 1 : -1;
}

/** Index just after the closing quote, scanning from `from`; -1 when the scalar goes on. */
function closingQuoteAt(line: string, from: number, quote: string): number {
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (quote === '"' && c === "\\") {
      i++;
    } else if (c === quote) {
      if (quote === "'" && line[i + 1] === "'") i++;
      else return i + 1;
    }
  }
  return -1;
}

/**
 * libyaml (the server's parser) accepts multi-line quoted scalars whose continuation lines are not
 * indented past their `- ` or key, which is how PyYAML writes long strings in KFP packages; the `yaml`
 * package refuses them. Leading white space of a quoted scalar's continuation lines is folded away,
 * so indenting those lines further keeps every value the same. Block scalars (`|`, `>`) are skipped.
 */
export function indentQuotedContinuations(text: string): string {
  const lines = text.split("\n");
  let blockIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const ind = indentOf(line);
    if (blockIndent >= 0) {
      if (line.trim() === "" || ind > blockIndent) continue;
      blockIndent = -1;
    }
    if (/(?:^|[:-] ?)[|>][-+0-9]*\s*(#.*)?$/.test(line.trimEnd()) && /(?:: +|^ *- +)[|>]/.test(line)) {
      blockIndent = ind;
      continue;
    }
    const start = quotedValueStart(line);
    if (start < 0) continue;
    const quote = line[start] as string;
    let end = closingQuoteAt(line, start + 1, quote);
    let j = i;
    while (end < 0 && j + 1 < lines.length) {
      j++;
      const next = lines[j] as string;
      const nind = indentOf(next);
      if (next.trim() !== "" && nind <= ind) lines[j] = " ".repeat(ind + 2 - nind) + next;
      end = closingQuoteAt(lines[j] as string, 0, quote);
    }
    i = j;
  }
  return lines.join("\n");
}

type YamlDocs = ReturnType<typeof Yaml.parseAllDocuments>;

function parseAll(src: string): YamlDocs {
  return yaml().parseAllDocuments(src, { uniqueKeys: true, prettyErrors: false, merge: true });
}

function hasErrors(docs: YamlDocs): boolean {
  return (Array.isArray(docs) ? docs : [docs]).some((d) => d.errors.length > 0);
}

/** Parse YAML (or JSON) text into documents, with the server's message on syntax errors. */
function parseDocuments(text: string): unknown[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let docs: YamlDocs;
  try {
    docs = parseAll(src);
    if (hasErrors(docs)) {
      const retry = parseAll(indentQuotedContinuations(src));
      if (!hasErrors(retry)) docs = retry;
    }
  } catch (err) {
    throw new SpecValidationError(MSG.yaml(err instanceof Error ? err.message : String(err)), { cause: err });
  }
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const d of list) {
    const e = d.errors[0];
    if (e) throw new SpecValidationError(MSG.yaml(e.message.split("\n", 1)[0] ?? e.message), { cause: e });
    try {
      out.push(d.toJS({ maxAliasCount: 1000 }));
    } catch (err) {
      throw new SpecValidationError(MSG.yaml(err instanceof Error ? err.message : String(err)), {
        cause: err,
      });
    }
  }
  return out;
}

/**
 * Parse a pipeline package (YAML, possibly with a platform-spec document, or JSON) and apply the
 * server's upload checks. Throws a `SpecValidationError` carrying the server's message.
 * Used to read root `inputDefinitions` for parameter checks.
 */
export function parsePipelinePackage(text: string): PipelinePackage {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    // JSON fast path: JSON.parse is ~80× faster than the YAML parser; YAML 1.2 reads JSON the same way.
    let json: unknown;
    let ok = true;
    try {
      json = JSON.parse(trimmed);
    } catch {
      ok = false;
    }
    if (ok) return classifyDocuments([json]);
  }
  return classifyDocuments(parseDocuments(text));
}

/** Validate a spec given as an object (`PipelineSpec`, or `{pipeline_spec, platform_spec}`). */
export function checkSpecObject(spec: unknown): PipelinePackage {
  const { pipelineSpec, platformSpec } = splitSpecObject(spec);
  return classifyDocuments(platformSpec ? [pipelineSpec, platformSpec] : [pipelineSpec]);
}

/**
 * Separate the `{pipeline_spec, platform_spec}` form (what the API returns for a version with a platform
 * spec) from a bare PipelineSpec.
 */
export function splitSpecObject(spec: unknown): { pipelineSpec: unknown; platformSpec?: JsonObject } {
  if (
    isRecord(spec) &&
    spec.pipeline_spec !== undefined &&
    spec.pipelineInfo === undefined &&
    spec.root === undefined
  ) {
    const out: { pipelineSpec: unknown; platformSpec?: JsonObject } = { pipelineSpec: spec.pipeline_spec };
    if (isRecord(spec.platform_spec)) out.platformSpec = spec.platform_spec;
    return out;
  }
  return { pipelineSpec: spec };
}

// ---------------------------------------------------------------------------------------------------
// Fast check of block-style YAML text.

type FastResult = { ok: true; name: string } | { ok: false };
const FALLBACK: FastResult = { ok: false };

/** A plain or quoted one-line scalar that is certainly a string; undefined when unsure. */
function simpleString(raw: string): string | undefined {
  let v = raw.trim();
  if (!v) return undefined;
  const c = v[0];
  if (c === "'") {
    const end = v.lastIndexOf("'");
    if (end <= 0) return undefined;
    const rest = v.slice(end + 1).trim();
    if (rest && !rest.startsWith("#")) return undefined;
    return v.slice(1, end).replace(/''/g, "'");
  }
  if (c === '"') {
    const end = v.lastIndexOf('"');
    if (end <= 0) return undefined;
    const inner = v.slice(1, end);
    if (inner.includes("\\") || inner.includes('"')) return undefined;
    const rest = v.slice(end + 1).trim();
    if (rest && !rest.startsWith("#")) return undefined;
    return inner;
  }
  const hash = v.indexOf(" #");
  if (hash >= 0) v = v.slice(0, hash).trimEnd();
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(v) || v.includes(": ") || v.endsWith(":")) return undefined;
  // Anything a YAML resolver could read as another type.
  if (
    /^(~|null|true|false|yes|no|on|off|y|n)$/i.test(v) ||
    /^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$/.test(v) ||
    /^[-+]?0[xob]/i.test(v) ||
    /^[-+]?\.(inf|nan)$/i.test(v) ||
    /^\d{4}-\d\d?-\d\d?/.test(v)
  ) {
    return undefined;
  }
  return v;
}

function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 0x20) i++;
  return i;
}

function isBlankOrComment(line: string): boolean {
  const t = line.trim();
  return t === "" || t.startsWith("#");
}

interface TopLine {
  key: string;
  /** Offset of the line start. */
  start: number;
  /** Offset of the line end (the "\n" or the text end). */
  end: number;
}

/**
 * The fast check of block YAML text. First every line must be recognised by `wellFormedBlockYaml`
 * (core/block-yaml.ts: the block YAML compilers write, consistently indented, no repeated key, valid
 * escapes — so the text parses without error). Then the top level must have the common, unambiguous
 * shape: one pipeline document, optionally followed by `---` and a platform document, every top-level
 * line a known `key:`; nested blocks are looked at only where a value matters (`pipelineInfo`) or where
 * the kind of node matters (the first line of `root`, `components`, `deploymentSpec`, `platforms`).
 * Anything else is `{ ok: false }`: the caller parses in full. test/unit/spec-differential.test.ts
 * holds the verdict to the full parse's over the shared corpus and generated variants.
 */
export function fastCheck(text: string): FastResult {
  const starts: number[] = [];
  if (!wellFormedBlockYaml(text, starts)) return FALLBACK;
  const docs: TopLine[][] = [[]];
  let seenContent = false;
  for (const ls of starts) {
    let le = text.indexOf("\n", ls);
    if (le < 0) le = text.length;
    const line = text.slice(ls, le);
    if (line === "---") {
      if (seenContent) {
        if (docs.length === 2) return FALLBACK;
        docs.push([]);
      }
    } else {
      seenContent = true;
      const m = /^([A-Za-z][A-Za-z0-9]*):( .*)?$/.exec(line);
      if (!m) return FALLBACK;
      (docs[docs.length - 1] as TopLine[]).push({ key: m[1] as string, start: ls, end: le });
    }
  }
  const top = docs[0] as TopLine[];
  const byKey = new Map<string, TopLine>();
  for (let i = 0; i < top.length; i++) {
    const t = top[i] as TopLine;
    if (!SPEC_KEYS.has(t.key) || byKey.has(t.key)) return FALLBACK;
    byKey.set(t.key, t);
  }
  const blockEnd = (lines: TopLine[], t: TopLine): number => {
    const i = lines.indexOf(t);
    return i + 1 < lines.length ? (lines[i + 1] as TopLine).start : text.length;
  };
  const rest = (t: TopLine) => text.slice(t.start + t.key.length + 1, t.end);
  const emptyRest = (t: TopLine) => {
    const r = rest(t).trim();
    return r === "" || r.startsWith("#");
  };
  /** The first child line of a block must be an indented `key:` line (a block mapping). */
  const mappingBlock = (lines: TopLine[], t: TopLine): boolean =>
    emptyRest(t) && /^ +[A-Za-z0-9_"'][^\n]*?:( |$)/m.test(firstChildLine(text, t.end, blockEnd(lines, t)));

  if (docs.length === 2) {
    const p = docs[1] as TopLine[];
    const platforms = p[0];
    if (p.length !== 1 || !platforms || platforms.key !== "platforms") return FALLBACK;
    if (!mappingBlock(p, platforms)) return FALLBACK;
    if (!/^ +kubernetes:( |$)/m.test(text.slice(platforms.end, blockEnd(p, platforms)))) return FALLBACK;
  }
  const sv = byKey.get("schemaVersion");
  if (!sv || simpleString(rest(sv)) !== SUPPORTED_SCHEMA_VERSION) return FALLBACK;
  const root = byKey.get("root");
  if (!root || !mappingBlock(top, root)) return FALLBACK;
  for (const k of ["components", "deploymentSpec"]) {
    const t = byKey.get(k);
    if (t && !mappingBlock(top, t)) return FALLBACK;
  }
  for (const k of ["sdkVersion", "defaultPipelineRoot"]) {
    const t = byKey.get(k);
    if (t && simpleString(rest(t)) === undefined) return FALLBACK;
  }
  const info = byKey.get("pipelineInfo");
  if (!info || !emptyRest(info)) return FALLBACK;
  const lines = text.slice(info.end + 1, blockEnd(top, info)).split("\n");
  let childIndent = -1;
  let name: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (isBlankOrComment(line)) continue;
    const ind = indentOf(line);
    if (childIndent < 0) childIndent = ind;
    if (ind < childIndent) return FALLBACK;
    if (ind > childIndent) continue;
    const m = /^([A-Za-z_]+):( .*)?$/.exec(line.slice(ind));
    if (!m || !INFO_KEYS.has(m[1] as string) || (m[1] as string).includes("_")) return FALLBACK;
    const v = (m[2] ?? "").trim();
    if (m[1] === "name") {
      if (name !== undefined) return FALLBACK;
      const next = lines[i + 1];
      if (next !== undefined && !isBlankOrComment(next) && indentOf(next) > ind) return FALLBACK;
      name = simpleString(v);
      if (name === undefined) return FALLBACK;
    } else if (/^[[{&*!]/.test(v)) {
      return FALLBACK;
    }
  }
  if (name === undefined || !NAME_PATTERN.test(name)) return FALLBACK;
  return { ok: true, name };
}

/** The first non-blank, non-comment line in text[from, to), or "". */
function firstChildLine(text: string, from: number, to: number): string {
  for (let ls = from + 1; ls < to; ) {
    let le = text.indexOf("\n", ls);
    if (le < 0 || le > to) le = to;
    const line = text.slice(ls, le);
    if (!isBlankOrComment(line)) return line;
    ls = le + 1;
  }
  return "";
}

/** Whether the content starts with the zip (`PK`) or gzip (1F 8B) magic bytes. */
export function archiveKind(bytes: Uint8Array): "zip" | "gzip" | undefined {
  if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x4b) return "zip";
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return "gzip";
  return undefined;
}

/** Whether the server would read a file of this name as YAML/JSON (by name only). */
export function isSpecFilename(filename: string): boolean {
  return /\.(ya?ml|json)$/.test(filename);
}

/**
 * Check package text as the server would: the fast check (`fastCheck`) for the usual compiler output,
 * else the full parse; the verdict and the message are the same either way. Throws SpecValidationError.
 */
export function checkPackageText(text: string): void {
  if (!fastCheck(text).ok) parsePipelinePackage(text);
}

/**
 * Check in-memory package bytes sent under `filename`, as the server would read them: archives are
 * detected by magic bytes and the YAML inside is checked when it can be extracted (else left to the
 * server); other content must be sent under a `.yaml`, `.yml` or `.json` name.
 */
export function checkPackageBytes(bytes: Uint8Array, filename: string, text?: string): void {
  if (isSpecFilename(filename)) {
    checkPackageText(text ?? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
    return;
  }
  const kind = archiveKind(bytes);
  if (!kind) {
    throw new SpecValidationError(
      `${MSG.format} (the server reads YAML or JSON only from a file name ending in .yaml, .yml or .json; this one is sent as ${JSON.stringify(filename)}: set \`filename\`)`,
    );
  }
  const inner = extractArchiveSpec(bytes);
  if (inner && /\.ya?ml$/.test(inner.name)) checkPackageText(inner.text);
}

// ---------------------------------------------------------------------------------------------------
// Archives (zip, tar.gz): find the entry the server would use.

const MAX_INFLATE = 64 * 1024 * 1024;

/**
 * The YAML entry the server would read from a zip or tar.gz package: the one named exactly
 * `pipeline.yaml`, else the first entry. Undefined when the archive cannot be read here (the server
 * then gives its own verdict).
 */
export function extractArchiveSpec(bytes: Uint8Array): { name: string; text: string } | undefined {
  try {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const kind = archiveKind(buf);
    if (kind === "zip") return extractZip(buf);
    if (kind === "gzip") return extractTarGz(buf);
  } catch {
    return undefined;
  }
  return undefined;
}

function extractZip(buf: Buffer): { name: string; text: string } | undefined {
  const min = Math.max(0, buf.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: { name: string; method: number; size: number; local: number }[] = [];
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) return undefined;
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    entries.push({ name: buf.toString("utf8", p + 46, p + 46 + nameLen), method, size, local });
    p += 46 + nameLen + extraLen + commentLen;
  }
  const entry = entries.find((e) => e.name === "pipeline.yaml") ?? entries[0];
  if (!entry) return undefined;
  const l = entry.local;
  if (buf.readUInt32LE(l) !== 0x04034b50) return undefined;
  const start = l + 30 + buf.readUInt16LE(l + 26) + buf.readUInt16LE(l + 28);
  const data = buf.subarray(start, start + entry.size);
  let out: Buffer;
  if (entry.method === 0) out = data;
  else if (entry.method === 8) out = inflateRawSync(data, { maxOutputLength: MAX_INFLATE });
  else return undefined;
  return { name: entry.name, text: out.toString("utf8") };
}

function extractTarGz(buf: Buffer): { name: string; text: string } | undefined {
  const tar = gunzipSync(buf, { maxOutputLength: MAX_INFLATE });
  let p = 0;
  let longName: string | undefined;
  let first: { name: string; text: string } | undefined;
  while (p + 512 <= tar.length) {
    const header = tar.subarray(p, p + 512);
    if (header.every((b) => b === 0)) break;
    const cstr = (s: number, e: number) => {
      const part = header.subarray(s, e);
      const z = part.indexOf(0);
      return part.toString("utf8", 0, z < 0 ? part.length : z);
    };
    const size = Number.parseInt(cstr(124, 136).trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) return undefined;
    const type = String.fromCharCode(header[156] ?? 0);
    const dataStart = p + 512;
    const data = tar.subarray(dataStart, dataStart + size);
    p = dataStart + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = data.toString("utf8").replace(/\0+$/, "");
      continue;
    }
    if (type === "x") {
      const m = /\d+ path=([^\n]*)\n/.exec(data.toString("utf8"));
      if (m) longName = m[1];
      continue;
    }
    if (type === "g") continue;
    let name = cstr(0, 100);
    if (cstr(257, 262) === "ustar") {
      const prefix = cstr(345, 500);
      if (prefix) name = `${prefix}/${name}`;
    }
    if (longName !== undefined) {
      name = longName;
      longName = undefined;
    }
    const entry = { name, text: type === "0" || type === "\0" ? data.toString("utf8") : "" };
    if (name === "pipeline.yaml") return entry;
    first ??= entry;
  }
  return first;
}

// ---------------------------------------------------------------------------------------------------
// Serialising, comparing and hashing specs.

/** Serialise a spec object to YAML (a second document for the platform spec, as the compiler does). */
export function specToYaml(spec: unknown): string {
  const { pipelineSpec, platformSpec } = splitSpecObject(spec);
  const { stringify } = yaml();
  const main = stringify(pipelineSpec, { lineWidth: 0 });
  return platformSpec ? `${main}---\n${stringify(platformSpec, { lineWidth: 0 })}` : main;
}

/**
 * Keys whose values are `google.protobuf.Value`/`Struct` payloads: kept verbatim when normalising
 * (a `0`, `false` or `""` there is meaningful).
 */
const VERBATIM_KEYS = new Set(["defaultValue", "constant", "constantValue", "runtimeValue", "metadata"]);

function camel(key: string): string {
  return key.includes("_") ? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : key;
}

function isEmptyValue(v: unknown): boolean {
  return (
    v === null ||
    v === undefined ||
    v === false ||
    v === 0 ||
    v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (isRecord(v) && Object.keys(v).length === 0)
  );
}

/**
 * Normalise a spec the way the server's protojson round trip does, so that a package and the copy the
 * server stored compare equal: keys in lowerCamelCase, zero values (`false`, `0`, `""`, empty lists and
 * maps, null) dropped outside Value payloads, integer strings read as numbers.
 */
export function normalizeSpec(value: unknown, verbatim = false): unknown {
  if (Array.isArray(value)) return value.map((v) => normalizeSpec(v, verbatim));
  if (isRecord(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value).sort()) {
      const k = verbatim ? key : camel(key);
      const inner = verbatim || VERBATIM_KEYS.has(k);
      const v = normalizeSpec(value[key], inner);
      if (!inner && isEmptyValue(v)) continue;
      out[k] = v;
    }
    return out;
  }
  if (!verbatim && typeof value === "string" && /^-?\d{1,15}$/.test(value)) return Number(value);
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isRecord(a)) {
    if (!isRecord(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!Object.hasOwn(b, k) || !deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** Normalised `{pipeline, platform}` of any accepted spec form. */
function normalizedPair(spec: unknown): { pipeline: unknown; platform: unknown } {
  const { pipelineSpec, platformSpec } = splitSpecObject(spec);
  const platform = platformSpec ? normalizeSpec(platformSpec) : {};
  return { pipeline: normalizeSpec(pipelineSpec), platform };
}

/**
 * Whether two specs are the same pipeline: each may be a PipelineSpec object or the
 * `{pipeline_spec, platform_spec}` form; compared after `normalizeSpec`.
 */
export function specsEqual(a: unknown, b: unknown): boolean {
  const x = normalizedPair(a);
  const y = normalizedPair(b);
  return deepEqual(x.pipeline, y.pipeline) && deepEqual(x.platform, y.platform);
}

/** Canonical JSON (sorted keys) of a value. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (isRecord(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** SHA-256 (hex) of the normalised spec: equal for packages that `specsEqual` calls equal. */
export function specHash(spec: unknown): string {
  const { pipeline, platform } = normalizedPair(spec);
  return createHash("sha256").update(canonicalJson({ pipeline, platform })).digest("hex");
}

/** The package as the API returns it in `pipeline_spec` (with the platform spec when present). */
export function packageSpecObject(pkg: PipelinePackage): JsonObject {
  return pkg.platformSpec
    ? { pipeline_spec: pkg.pipelineSpec, platform_spec: pkg.platformSpec }
    : pkg.pipelineSpec;
}
