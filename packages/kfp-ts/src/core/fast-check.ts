/**
 * The fast path of the package check: the top-level rules of core/spec-rules.ts read from the lines of
 * compiler-written block YAML (recognised by core/block-yaml.ts), without a YAML parse. It answers only
 * "certainly valid" or "not sure" (then core/spec.ts parses in full, which gives the exact verdict and
 * message); test/unit/spec-differential.test.ts holds it to the full parse.
 */
import { wellFormedBlockYaml } from "./block-yaml.js";
import { bytesOf, charsOf, type ScanBytes, textOf } from "./fast-bytes.js";
import { INFO_KEYS, NAME_PATTERN, SPEC_KEYS, SUPPORTED_SCHEMA_VERSION } from "./spec-rules.js";

export type FastResult = { ok: true; name: string } | { ok: false };

/**
 * How much of a package the client-side check reads before the full parse is needed:
 * - `"top"`: the lines at the top level (indent 0) and the `pipelineInfo` block — everything the
 *   server's own upload rules look at (the top-level keys, `schemaVersion`, `pipelineInfo.name`, the
 *   platform document) — but not the YAML below the top level, whose syntax the server then judges
 *   (a `400 failed to parse pipeline spec YAML: ...` from the upload, before anything is stored);
 * - `"full"`: every line (core/block-yaml.ts), so an accepted text also parses without error.
 * Either way an answer other than "certainly valid" sends the text to the full parse, so the client
 * never refuses a package the full parse accepts, and refuses with the full parse's message.
 */
export type CheckDepth = "top" | "full";
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

export function indentOf(line: string): number {
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
  /** The line's text. */
  line: string;
  /** Offset of the line start (in the bytes). */
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
export function fastCheck(source: string | Uint8Array, depth: CheckDepth = "full"): FastResult {
  const text = bytesOf(source);
  const chars = charsOf(text);
  let starts: number[] = [];
  if (depth === "top") starts = topLineStarts(text, chars);
  else if (!wellFormedBlockYaml(text, starts, chars)) return FALLBACK;
  const docs: TopLine[][] = [[]];
  let seenContent = false;
  for (const ls of starts) {
    let le = chars.indexOf("\n", ls);
    if (le < 0) le = text.length;
    const line = lineText(text, chars, ls, le);
    if (line === "---") {
      if (seenContent) {
        if (docs.length === 2) return FALLBACK;
        docs.push([]);
      }
    } else {
      seenContent = true;
      const m = /^([A-Za-z][A-Za-z0-9]*):( .*)?$/.exec(line);
      if (!m) return FALLBACK;
      (docs[docs.length - 1] as TopLine[]).push({ key: m[1] as string, line, start: ls, end: le });
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
  const rest = (t: TopLine) => t.line.slice(t.key.length + 1);
  const emptyRest = (t: TopLine) => {
    const r = rest(t).trim();
    return r === "" || r.startsWith("#");
  };
  /** The first child line of a block must be an indented `key:` line (a block mapping). */
  const mappingBlock = (lines: TopLine[], t: TopLine): boolean =>
    emptyRest(t) && /^ +[A-Za-z0-9_"'][^\n]*?:( |$)/m.test(firstChildLine(chars, t.end, blockEnd(lines, t)));

  if (docs.length === 2) {
    const p = docs[1] as TopLine[];
    const platforms = p[0];
    if (p.length !== 1 || !platforms || platforms.key !== "platforms") return FALLBACK;
    if (!mappingBlock(p, platforms)) return FALLBACK;
    if (!/^ +kubernetes:( |$)/m.test(chars.slice(platforms.end, blockEnd(p, platforms)))) return FALLBACK;
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
  const lines = lineText(text, chars, info.end + 1, blockEnd(top, info)).split("\n");
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

/** Any character outside ASCII (in a one-byte string: a byte of a multi-byte UTF-8 character). */
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The text of t[from, to): the one-byte characters themselves when they are all ASCII (the usual case,
 * and no decoding), else the UTF-8 decoded.
 */
function lineText(t: ScanBytes, chars: string, from: number, to: number): string {
  const s = chars.slice(from, to);
  return NON_ASCII.test(s) ? textOf(t, from, to) : s;
}

/**
 * For the "top" depth: the start of every line at indent 0 that is not blank and not a comment — the
 * lines the top-level rules read — found with the native `indexOf` of line ends, without reading the
 * lines below the top level. (A line at indent 0 inside a multi-line quoted scalar is read as a
 * top-level line too. Mostly it is no known `key:` line, or repeats one, and the full parse decides;
 * when it reads like one, the scalar around it is not indented as YAML requires, a syntax error the
 * full parse refuses — test/unit/spec-differential.test.ts `continuationAtIndentZero` — and so is
 * left to the server like any other below the top level.)
 */
function topLineStarts(t: ScanBytes, chars: string): number[] {
  const out: number[] = [];
  const n = chars.length;
  // A byte order mark (EF BB BF) is not content.
  let ls = t[0] === 0xef && t[1] === 0xbb && t[2] === 0xbf ? 3 : 0;
  while (ls < n) {
    const c = chars.charCodeAt(ls);
    if (c !== 0x20 && c !== 0x0a && c !== 0x23) out.push(ls);
    const le = chars.indexOf("\n", ls);
    if (le < 0) break;
    ls = le + 1;
  }
  return out;
}

/** The first non-blank, non-comment line in chars[from, to), or "" (only ASCII is looked for in it). */
function firstChildLine(chars: string, from: number, to: number): string {
  for (let ls = from + 1; ls < to; ) {
    let le = chars.indexOf("\n", ls);
    if (le < 0 || le > to) le = to;
    const line = chars.slice(ls, le);
    if (!isBlankOrComment(line)) return line;
    ls = le + 1;
  }
  return "";
}
