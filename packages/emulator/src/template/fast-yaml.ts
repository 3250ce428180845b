/**
 * A fast path for the block YAML that pipeline compilers write (the KFP SDK's PyYAML output and
 * similar): block mappings and sequences, plain / single-quoted / double-quoted scalars (multi-line
 * included), `|` and `|-` literal blocks, `[]` and `{}`, comments and `---` document markers.
 *
 * `parseBlockYaml(text)` returns the documents' values exactly as the `yaml` package's
 * `parseAllDocuments(text, { merge: true, uniqueKeys: true }).map(d => d.toJS())` would (core schema),
 * or `undefined` ("not sure") for anything outside that subset or anything the `yaml` package might
 * report as an error: anchors, aliases, tags, directives, flow collections with content, explicit
 * keys, merge keys, tabs, CR, control characters, non-string keys, duplicate keys, folded block
 * scalars, indentation that is not plainly valid... The caller then parses with the `yaml` package,
 * which also produces every error message. It is about ten times faster than the general parser
 * on compiled pipelines; test/emulator/fast-yaml.test.ts compares both on every shared package and
 * on generated variants.
 */

/** Thrown inside the parser to give up (caught by `parseBlockYaml`). */
class Bail extends Error {}
const BAIL = new Bail("not in the fast YAML subset");

function bail(): never {
  throw BAIL;
}

// Characters that make the fast path give up anywhere in the text (tab, CR, other C0/C1 controls, BOM,
// line/paragraph separators, non-characters).
const UNSUPPORTED_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;

// Core schema (yaml 1.2) resolution of plain scalars, in the `yaml` package's order.
const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT_RE = /^0o[0-7]+$/;
const INT_RE = /^[-+]?[0-9]+$/;
const INT_HEX_RE = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // Fast exit: a first character that no non-string pattern accepts.
  const maybeSpecial =
    s.length === 0 ||
    (c >= 48 && c <= 57) ||
    c === 43 || // +
    c === 45 || // -
    c === 46 || // .
    c === 126 || // ~
    c === 110 || // n
    c === 78 || // N
    c === 116 || // t
    c === 84 || // T
    c === 102 || // f
    c === 70; // F
  if (!maybeSpecial) return s;
  if (NULL_RE.test(s)) return null;
  if (BOOL_RE.test(s)) return c === 116 || c === 84;
  if (INT_OCT_RE.test(s) || INT_HEX_RE.test(s) || FLOAT_NAN_RE.test(s)) bail();
  if (INT_RE.test(s)) return Number.parseInt(s, 10);
  if (FLOAT_EXP_RE.test(s) || FLOAT_RE.test(s)) return Number.parseFloat(s);
  return s;
}

/** Characters that may not start a plain scalar (some only when followed by a space: `-`, `?`, `:`). */
function badPlainStart(s: string): boolean {
  const c = s[0];
  if (c === undefined) return true;
  if ("[]{},#&*!|>'\"%@`".includes(c)) return true;
  if (c === "-" || c === "?" || c === ":") {
    const n = s[1];
    return n === undefined || n === " ";
  }
  return false;
}

function indentOf(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  return i;
}

/** `rest` after a scalar: nothing, spaces, or spaces then a comment. */
function onlyTrailingComment(rest: string): boolean {
  const t = rest.trimStart();
  return t === "" || (t[0] === "#" && t.length < rest.length);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
};

class Parser {
  private i = 0;

  constructor(
    private readonly lines: string[],
    /** Leading spaces of each line. */
    private readonly indents: Int32Array,
    /** 1 for blank and comment lines. */
    private readonly blank: Uint8Array,
    private readonly end: number,
    start: number,
  ) {
    this.i = start;
  }

  /** Skip blank and comment lines; returns false at the end of the document. */
  private skipBlank(): boolean {
    while (this.i < this.end && this.blank[this.i] === 1) this.i++;
    return this.i < this.end;
  }

  document(): unknown {
    if (!this.skipBlank()) bail();
    const line = this.lines[this.i]!;
    const indent = this.indents[this.i]!;
    let value: unknown;
    if (isSeqLine(line, indent)) value = this.seq(indent);
    else if (keyEnd(line, indent) >= 0) value = this.map(indent);
    else bail();
    if (this.skipBlank()) bail();
    return value;
  }

  /** A block node starting on the current line (after skipBlank) at `indent`. */
  private node(indent: number): unknown {
    const line = this.lines[this.i]!;
    if (isSeqLine(line, indent)) return this.seq(indent);
    if (keyEnd(line, indent) >= 0) return this.map(indent);
    return bail();
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      if (!this.skipBlank()) return out;
      const line = this.lines[this.i]!;
      const ind = this.indents[this.i]!;
      if (ind < indent) return out;
      if (ind > indent) bail();
      if (isSeqLine(line, ind)) bail();
      const { key, valueStart } = this.key(line, ind);
      if (Object.hasOwn(out, key)) bail();
      out[key] = this.value(line, valueStart, indent, true);
    }
  }

  /** The key of a mapping entry line; `valueStart` is the index just after the `:`. */
  private key(line: string, ind: number): { key: string; valueStart: number } {
    const q = line[ind];
    if (q === "'" || q === '"') {
      const { value, end } = q === "'" ? singleQuotedLine(line, ind) : doubleQuotedLine(line, ind);
      let p = end;
      while (line.charCodeAt(p) === 32) p++;
      if (line[p] !== ":") bail();
      const after = line[p + 1];
      if (after !== undefined && after !== " ") bail();
      if (value === "__proto__" || value === "<<") bail();
      return { key: value, valueStart: p + 1 };
    }
    const colon = keyEnd(line, ind);
    if (colon < 0) bail();
    const key = line.slice(ind, colon).trimEnd();
    if (key.length === 0 || key.length > 1000 || badPlainStart(key) || key.includes(" #")) bail();
    if (key === "__proto__" || key === "<<") bail();
    if (typeof resolvePlain(key) !== "string") bail();
    return { key, valueStart: colon + 1 };
  }

  /**
   * The value of a mapping entry or sequence item whose text starts at `from` on the current line.
   * `parentIndent` is the indentation of the enclosing collection.
   */
  private value(line: string, from: number, parentIndent: number, inMap: boolean): unknown {
    let p = from;
    while (line.charCodeAt(p) === 32) p++;
    const rest = line.slice(p);
    if (rest === "" || rest[0] === "#") {
      if (rest !== "" && p === from) bail(); // `key:#...`
      this.i++;
      if (!this.skipBlank()) return null;
      const next = this.lines[this.i]!;
      const ni = this.indents[this.i]!;
      if (ni > parentIndent) return this.node(ni);
      if (inMap && ni === parentIndent && isSeqLine(next, ni)) return this.seq(ni);
      return null;
    }
    if (p === from && from > 0 && line[from - 1] === ":") bail(); // `key:value` is not an entry
    const c = rest[0]!;
    if (c === "'" || c === '"') return this.quoted(line, p, parentIndent);
    if (c === "|") return this.literal(rest, parentIndent);
    if (rest === "[]" || rest === "{}" || rest.startsWith("[] ") || rest.startsWith("{} ")) {
      if (!onlyTrailingComment(rest.slice(2))) bail();
      this.i++;
      return rest[0] === "[" ? [] : {};
    }
    if (badPlainStart(rest)) bail();
    return this.plain(rest, parentIndent);
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      if (!this.skipBlank()) return out;
      const line = this.lines[this.i]!;
      const ind = this.indents[this.i]!;
      if (ind < indent) return out;
      if (ind > indent) bail();
      if (!isSeqLine(line, ind)) return out; // e.g. the next key of a mapping holding this sequence
      let p = ind + 1;
      while (line.charCodeAt(p) === 32) p++;
      const rest = line.slice(p);
      if (rest !== "" && rest[0] !== "#" && (isSeqLine(rest, 0) || keyEnd(line, p) >= 0)) {
        if (isSeqLine(rest, 0)) bail(); // `- - x`
        // `- key: value`: a mapping whose first entry shares the item's line.
        const q = rest[0];
        if (q === "'" || q === '"' || badPlainStart(rest)) bail();
        this.lines[this.i] = " ".repeat(p) + rest;
        this.indents[this.i] = p;
        out.push(this.map(p));
        continue;
      }
      out.push(this.value(line, ind + 1, indent, false));
    }
  }

  /** A plain scalar starting with `first` on the current line, with continuation lines. */
  private plain(first: string, parentIndent: number): unknown {
    let text = first;
    const hash = text.indexOf(" #");
    const commented = hash >= 0;
    if (commented) text = text.slice(0, hash);
    text = text.trimEnd();
    if (text.includes(": ") || text.endsWith(":")) bail();
    this.i++;
    // Continuation lines: more indented than the parent, after optional empty lines.
    let j = this.i;
    let folded = text;
    let multi = false;
    for (;;) {
      let empties = 0;
      while (j < this.end && this.indents[j] === this.lines[j]!.length) {
        empties++;
        j++;
      }
      if (j >= this.end) break;
      const next = this.lines[j]!;
      const ni = this.indents[j]!;
      if (ni <= parentIndent) break;
      const content = next.slice(ni);
      if (content[0] === "#") break; // a comment ends the scalar; what follows is checked by the caller
      if (commented) bail();
      // Any non-space character may start a continuation line but `:` and `- ` / `? ` (indicators).
      const c0 = content[0];
      if (c0 === ":" || ((c0 === "-" || c0 === "?") && (content.length === 1 || content[1] === " "))) bail();
      let t = content;
      const h = t.indexOf(" #");
      if (h >= 0) bail();
      t = t.trimEnd();
      if (t.includes(": ") || t.endsWith(":")) bail();
      folded += empties === 0 ? ` ${t}` : "\n".repeat(empties) + t;
      multi = true;
      j++;
      this.i = j;
    }
    return multi ? folded : resolvePlain(text);
  }

  /** A single- or double-quoted scalar starting at `start` (the quote) on the current line. */
  private quoted(line: string, start: number, parentIndent: number): string {
    const q = line[start]!;
    const one = q === "'" ? singleQuotedLine(line, start) : doubleQuotedLine(line, start);
    if (one.end >= 0) {
      if (!onlyTrailingComment(line.slice(one.end))) bail();
      this.i++;
      return one.value;
    }
    // Multi-line: fold line breaks (one break → space, n empty lines → n newlines).
    const lineIndent = this.indents[this.i]!;
    const base = Math.max(parentIndent, lineIndent);
    let out = one.value;
    let escapedBreak = one.escapedBreak;
    if (!escapedBreak) out = trimEndTo(out, one.protectedLen);
    let empties = 0;
    for (let j = this.i + 1; j < this.end; j++) {
      const raw = this.lines[j]!;
      const ind = this.indents[j]!;
      if (ind === raw.length) {
        if (escapedBreak) bail();
        empties++;
        continue;
      }
      if (ind <= base) bail();
      const seg = q === "'" ? singleQuotedLine(raw, ind - 1) : doubleQuotedLine(raw, ind - 1);
      if (escapedBreak) out += seg.value;
      else out += (empties === 0 ? " " : "\n".repeat(empties)) + seg.value;
      empties = 0;
      if (seg.end >= 0) {
        if (!onlyTrailingComment(raw.slice(seg.end))) bail();
        this.i = j + 1;
        return out;
      }
      escapedBreak = seg.escapedBreak;
      if (!escapedBreak) out = trimEndTo(out, out.length - seg.value.length + seg.protectedLen);
    }
    return bail();
  }

  /** A `|` or `|-` literal block scalar; `header` is the rest of the line from the `|`. */
  private literal(header: string, parentIndent: number): string {
    let strip = false;
    let h = header.slice(1);
    if (h[0] === "-") {
      strip = true;
      h = h.slice(1);
    }
    if (h.trim() !== "") bail(); // keep chomping, indentation indicators, comments: not handled
    this.i++;
    let j = this.i;
    // Empty lines before the first content line must be truly empty (no spaces to compare).
    while (j < this.end && this.lines[j] === "") j++;
    if (j >= this.end) bail();
    const first = this.lines[j]!;
    const m = this.indents[j]!;
    if (m <= parentIndent || m === first.length) bail();
    const leading = j - this.i;
    const content: string[] = [];
    for (let k = 0; k < leading; k++) content.push("");
    for (; j < this.end; j++) {
      const l = this.lines[j]!;
      if (l === "") {
        content.push("");
        continue;
      }
      const ind = this.indents[j]!;
      if (ind === l.length) bail(); // whitespace-only line
      if (ind < m) break;
      content.push(l.slice(m));
    }
    this.i = j;
    let last = content.length;
    while (last > 0 && content[last - 1] === "") last--;
    // Trailing empty lines belong to the block; the next node must start at a lower indentation.
    if (j < this.end && this.indents[j]! > parentIndent && this.blank[j] === 0) {
      bail();
    }
    const body = content.slice(0, last).join("\n");
    if (last === 0) return "";
    return strip ? body : `${body}\n`;
  }
}

/** Whether `line` holds a block sequence entry (`-` then space or end) at `indent`. */
function isSeqLine(line: string, indent: number): boolean {
  if (line.charCodeAt(indent) !== 45) return false;
  const n = line.charCodeAt(indent + 1);
  return Number.isNaN(n) || n === 32;
}

/**
 * Index of the `:` that ends an implicit plain key on `line` starting at `from` (`: ` or `:` at the
 * end of the line, before any ` #` comment), or -1. Quoted keys are handled by the caller.
 */
function keyEnd(line: string, from: number): number {
  const c = line[from];
  if (c === "'" || c === '"') {
    const r = c === "'" ? singleQuotedLine(line, from) : doubleQuotedLineSafe(line, from);
    if (!r || r.end < 0) return -1;
    let p = r.end;
    while (line.charCodeAt(p) === 32) p++;
    return line[p] === ":" && (p + 1 === line.length || line[p + 1] === " ") ? p : -1;
  }
  for (let p = from; p < line.length; p++) {
    const ch = line.charCodeAt(p);
    if (ch === 58) {
      // ':'
      if (p + 1 === line.length || line.charCodeAt(p + 1) === 32) return p;
    } else if (ch === 35 && p > from && line.charCodeAt(p - 1) === 32) {
      return -1; // a comment starts before any key indicator
    }
  }
  return -1;
}

function doubleQuotedLineSafe(line: string, from: number): QuotedLine | undefined {
  try {
    return doubleQuotedLine(line, from);
  } catch (err) {
    if (err instanceof Bail) return undefined;
    throw err;
  }
}

interface QuotedLine {
  value: string;
  /** Index just after the closing quote, or -1 when the scalar continues on the next line. */
  end: number;
  /** Length of `value` that trailing-space trimming must not cut into (escaped characters). */
  protectedLen: number;
  /** The line ended with an escaped line break (`\`), double-quoted only. */
  escapedBreak: boolean;
}

/** Trim trailing spaces of `s`, but not below `keep` characters. */
function trimEndTo(s: string, keep: number): string {
  let e = s.length;
  while (e > keep && s.charCodeAt(e - 1) === 32) e--;
  return e === s.length ? s : s.slice(0, e);
}

/**
 * A single-quoted scalar's part on one line, from just after `from` (the opening quote, or for a
 * continuation line the character before its text).
 */
function singleQuotedLine(line: string, from: number): QuotedLine {
  let out = "";
  let p = from + 1;
  for (;;) {
    const k = line.indexOf("'", p);
    if (k < 0) {
      out += line.slice(p);
      return { value: out, end: -1, protectedLen: 0, escapedBreak: false };
    }
    out += line.slice(p, k);
    if (line[k + 1] === "'") {
      out += "'";
      p = k + 2;
      continue;
    }
    return { value: out, end: k + 1, protectedLen: out.length, escapedBreak: false };
  }
}

/** A double-quoted scalar's part on one line (escapes decoded). */
function doubleQuotedLine(line: string, from: number): QuotedLine {
  let out = "";
  let protectedLen = 0;
  let p = from + 1;
  for (;;) {
    let k = p;
    while (k < line.length) {
      const ch = line.charCodeAt(k);
      if (ch === 34 || ch === 92) break;
      k++;
    }
    out += line.slice(p, k);
    if (k >= line.length) return { value: out, end: -1, protectedLen, escapedBreak: false };
    if (line.charCodeAt(k) === 34)
      return { value: out, end: k + 1, protectedLen: out.length, escapedBreak: false };
    // Backslash.
    const e = line[k + 1];
    if (e === undefined) return { value: out, end: -1, protectedLen: out.length, escapedBreak: true };
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      protectedLen = out.length;
      p = k + 2;
      continue;
    }
    const len = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (len === 0) bail();
    const hex = line.slice(k + 2, k + 2 + len);
    if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) bail();
    const cp = Number.parseInt(hex, 16);
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) bail();
    out += String.fromCodePoint(cp);
    protectedLen = out.length;
    p = k + 2 + len;
  }
}

/**
 * The documents of `text` as JavaScript values, or `undefined` when the text is outside the fast
 * subset (the caller then uses the `yaml` package).
 */
export function parseBlockYaml(text: string): unknown[] | undefined {
  if (UNSUPPORTED_CHARS.test(text)) return undefined;
  const lines = text.split("\n");
  // Document boundaries: `---` lines; `...`, directives and `--- content` are not handled.
  const starts: number[] = [];
  const ends: number[] = [];
  let segStart = 0;
  let sawMarker = false;
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k]!;
    if (l.charCodeAt(0) === 37) return undefined; // %
    if (l.startsWith("...")) return undefined;
    if (!l.startsWith("---")) continue;
    if (l.length > 3 && l[3] !== " ") continue; // `----x` is content (checked by the parser)
    if (l.slice(3).trim() !== "") return undefined;
    starts.push(segStart);
    ends.push(k);
    segStart = k + 1;
    sawMarker = true;
  }
  starts.push(segStart);
  ends.push(lines.length);
  const indents = new Int32Array(lines.length);
  const blank = new Uint8Array(lines.length);
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k]!;
    const ind = indentOf(l);
    indents[k] = ind;
    blank[k] = ind === l.length || l.charCodeAt(ind) === 35 ? 1 : 0;
  }
  const docs: unknown[] = [];
  try {
    for (let d = 0; d < starts.length; d++) {
      const s = starts[d]!;
      const e = ends[d]!;
      let empty = true;
      for (let k = s; k < e; k++) {
        if (blank[k] === 0) {
          empty = false;
          break;
        }
      }
      if (empty) {
        // Comments before the first marker belong to the first document; other empty documents
        // (null values) are left to the general parser.
        if (d === 0 && sawMarker) continue;
        return undefined;
      }
      docs.push(new Parser(lines, indents, blank, e, s).document());
    }
  } catch {
    // Bail, or anything unexpected (e.g. a stack overflow on absurd nesting): the general parser decides.
    return undefined;
  }
  return docs;
}
