/**
 * Client-side checks of a pipeline package, with the KFP server's own wording (FACTS.md §4.1,
 * PIPELINE-SPEC.md §5.1): the entry points that take package text or bytes, the YAML parse, and
 * serialising a spec object to YAML. The rules on parsed documents are in core/spec-rules.ts, the fast
 * path in core/fast-check.ts, comparing and hashing in core/spec-compare.ts, archives in
 * internal/archive.ts; this module re-exports what it exported before the split.
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
 *
 * Depth (`CheckDepth`): the line recogniser costs ~80 µs for 20 KB, about as much as the rest of an
 * upload on loopback, so uploads check at depth `"top"` by default: the same rules read from the lines
 * at indent 0 (~20 µs), the syntax of nested blocks left to the server, which refuses a broken one with
 * `failed to parse pipeline spec YAML` before storing anything. `validate: "full"` (and these functions'
 * default) reads every line.
 */

import type * as Yaml from "yaml";
import { platform } from "#platform";
import { archiveKind, extractArchiveSpec } from "../internal/archive.js";
import { type CheckDepth, fastCheck, indentOf } from "./fast-check.js";
import {
  classifyDocuments,
  MSG,
  type PipelinePackage,
  SpecValidationError,
  splitSpecObject,
} from "./spec-rules.js";

export { archiveKind, extractArchiveSpec, readArchiveSpec } from "../internal/archive.js";
export { type CheckDepth, type FastResult, fastCheck } from "./fast-check.js";
export { normalizeSpec, specHash, specsEqual } from "./spec-compare.js";
export {
  checkSpecObject,
  type JsonObject,
  type PipelinePackage,
  packageSpecObject,
  SpecValidationError,
  SUPPORTED_SCHEMA_VERSION,
  splitSpecObject,
} from "./spec-rules.js";

/** The `yaml` library (on Node loaded on first use: platform/node.ts says why). */
function yaml(): typeof Yaml {
  return platform.yaml();
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

/** Whether the server would read a file of this name as YAML/JSON (by name only). */
export function isSpecFilename(filename: string): boolean {
  return /\.(ya?ml|json)$/.test(filename);
}

/**
 * Check package text as the server would: the fast check (`fastCheck`) for the usual compiler output,
 * else the full parse. `depth` (`CheckDepth`): `"full"` (the default) reads every line, and the verdict
 * and message are the full parse's; `"top"` (what uploads use by default) reads the top level only and
 * leaves the syntax of nested blocks to the server. Throws SpecValidationError.
 */
export function checkPackageText(text: string, depth: CheckDepth = "full"): void {
  if (!fastCheck(text, depth).ok) parsePipelinePackage(text);
}

/**
 * Check in-memory package bytes sent under `filename`, as the server would read them: archives are
 * detected by magic bytes and the YAML inside is checked when it can be extracted (else left to the
 * server); other content must be sent under a `.yaml`, `.yml` or `.json` name. `depth`: as for
 * `checkPackageText`.
 */
export function checkPackageBytes(bytes: Uint8Array, filename: string, depth: CheckDepth = "full"): void {
  if (isSpecFilename(filename)) {
    // The fast check reads the bytes themselves; only the full parse needs them decoded.
    if (!fastCheck(bytes, depth).ok) parsePipelinePackage(platform.utf8Decode(bytes));
    return;
  }
  const kind = archiveKind(bytes);
  if (!kind) {
    throw new SpecValidationError(
      `${MSG.format} (the server reads YAML or JSON only from a file name ending in .yaml, .yml or .json; this one is sent as ${JSON.stringify(filename)}: set \`filename\`)`,
    );
  }
  const inner = extractArchiveSpec(bytes);
  if (inner && /\.ya?ml$/.test(inner.name)) checkPackageText(inner.text, depth);
}

/** Serialise a spec object to YAML (a second document for the platform spec, as the compiler does). */
export function specToYaml(spec: unknown): string {
  const { pipelineSpec, platformSpec } = splitSpecObject(spec);
  const { stringify } = yaml();
  const main = stringify(pipelineSpec, { lineWidth: 0 });
  return platformSpec ? `${main}---\n${stringify(platformSpec, { lineWidth: 0 })}` : main;
}
