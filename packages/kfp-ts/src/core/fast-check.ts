/**
 * The fast path of the package check: the top-level rules of core/spec-rules.ts read from the lines of
 * compiler-written block YAML (recognised by core/block-yaml.ts), without a YAML parse. It answers only
 * "certainly valid" or "not sure" (then core/spec.ts parses in full, which gives the exact verdict and
 * message); test/unit/spec-differential.test.ts holds it to the full parse.
 */
import { wellFormedBlockYaml } from "./block-yaml.js";
import { bytesOf, type ScanBytes, textOf } from "./fast-bytes.js";
import { INFO_KEYS, NAME_PATTERN, SPEC_KEYS, SUPPORTED_SCHEMA_VERSION } from "./spec-rules.js";

export type FastResult = { ok: true; name: string } | { ok: false };
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
export function fastCheck(source: string | Uint8Array): FastResult {
  const text = bytesOf(source);
  const starts: number[] = [];
  if (!wellFormedBlockYaml(text, starts)) return FALLBACK;
  const docs: TopLine[][] = [[]];
  let seenContent = false;
  for (const ls of starts) {
    let le = text.indexOf(0x0a, ls);
    if (le < 0) le = text.length;
    const line = textOf(text, ls, le);
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
    emptyRest(t) && /^ +[A-Za-z0-9_"'][^\n]*?:( |$)/m.test(firstChildLine(text, t.end, blockEnd(lines, t)));

  if (docs.length === 2) {
    const p = docs[1] as TopLine[];
    const platforms = p[0];
    if (p.length !== 1 || !platforms || platforms.key !== "platforms") return FALLBACK;
    if (!mappingBlock(p, platforms)) return FALLBACK;
    if (!/^ +kubernetes:( |$)/m.test(textOf(text, platforms.end, blockEnd(p, platforms)))) return FALLBACK;
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
  const lines = textOf(text, info.end + 1, blockEnd(top, info)).split("\n");
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
function firstChildLine(text: ScanBytes, from: number, to: number): string {
  for (let ls = from + 1; ls < to; ) {
    let le = text.indexOf(0x0a, ls);
    if (le < 0 || le > to) le = to;
    const line = textOf(text, ls, le);
    if (!isBlankOrComment(line)) return line;
    ls = le + 1;
  }
  return "";
}
