/**
 * A line-by-line recogniser of the block YAML that pipeline compilers write (PyYAML's output): block
 * mappings and sequences (also "indentless" sequences under a key, and `- key: value` entries), plain
 * scalars (also over several lines), single- and double-quoted scalars (also over several lines,
 * indented as PyYAML writes them), literal and folded block scalars (`|`, `>`), empty flow collections
 * (`{}`, `[]`), comments and `---` between documents.
 *
 * `wellFormedBlockYaml(text)` answers true only when every line of the text is one of those forms, the
 * indentation is consistent, no mapping repeats a key and every escape of a double-quoted scalar is
 * valid: such a text parses without error. It answers false for anything else — a syntax error or simply
 * a form it does not know (anchors, tags, flow collections with content, explicit indentation, tabs...);
 * the caller then parses the text in full. It builds no values and allocates little (one string per
 * key): it is the cheap part of the client-side package check (core/spec.ts `fastCheck`), and
 * test/unit/spec-differential.test.ts holds it to the full parse over every package of the shared corpus
 * and generated variants of them.
 */

const SPACE = 0x20;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

/** Characters allowed after a backslash in a double-quoted scalar (besides x, u, U with hex digits). */
const DOUBLE_ESCAPES = new Set('0abt\tnvfre "/\\N_LP'.split("").map((c) => c.charCodeAt(0)));
/** Characters that cannot start a plain scalar. */
const INDICATORS = new Set("[]{}&*!|>'\"%@`#,?:-".split("").map((c) => c.charCodeAt(0)));
/** Whether t[from, to) is a word a YAML 1.2 resolver reads as a boolean or null (any case). */
function isSpecialWord(t: string, from: number, to: number): boolean {
  const len = to - from;
  if (len !== 4 && len !== 5) return false;
  const c = t.charCodeAt(from) | 0x20;
  if (c !== 0x74 && c !== 0x66 && c !== 0x6e) return false; // t, f, n
  return /^(true|false|null)$/i.test(t.slice(from, to));
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * Scan a double-quoted scalar from `from` (after the opening quote) to `end`: the index just after the
 * closing quote, -1 when it goes on to the next line, -2 on an invalid escape.
 */
function endOfDouble(t: string, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c === DQUOTE) return i + 1;
    if (c === 0x5c) {
      if (i + 1 === end) return -1; // an escaped line break: the scalar goes on
      const e = t.charCodeAt(i + 1);
      const hex = e === 0x78 ? 2 : e === 0x75 ? 4 : e === 0x55 ? 8 : 0;
      if (hex > 0) {
        if (i + 2 + hex > end) return -2;
        for (let j = i + 2; j < i + 2 + hex; j++) if (!isHex(t.charCodeAt(j))) return -2;
        i += 1 + hex;
      } else if (DOUBLE_ESCAPES.has(e)) i++;
      else return -2;
    }
  }
  return -1;
}

/** Scan a single-quoted scalar from `from` to `end`: the index after the closing quote, or -1. */
function endOfSingle(t: string, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    if (t.charCodeAt(i) === SQUOTE) {
      if (i + 1 < end && t.charCodeAt(i + 1) === SQUOTE) i++;
      else return i + 1;
    }
  }
  return -1;
}

/** Only spaces, or spaces and a comment, from `from` to `end`. */
function restIsEmpty(t: string, from: number, end: number): boolean {
  let i = from;
  while (i < end && t.charCodeAt(i) === SPACE) i++;
  return i === end || (t.charCodeAt(i) === HASH && i > from);
}

/** In t[from, end): 1 when a `: ` or a final `:` comes first (a mapping), 2 when ` #` does, else 0. */
function mappingOrComment(t: string, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c === COLON && (i + 1 === end || t.charCodeAt(i + 1) === SPACE)) return 1;
    if (c === HASH && i > from && t.charCodeAt(i - 1) === SPACE) return 2;
  }
  return 0;
}

/** A plain scalar starting at `from` that a parser reads as a scalar (not a mapping, not an indicator). */
function plainScalarOk(t: string, from: number, end: number): boolean {
  const c = t.charCodeAt(from);
  if (INDICATORS.has(c)) {
    // "-", ":" and "?" start a plain scalar when not followed by a space ("-1", "-x").
    if (!((c === DASH || c === COLON || c === 0x3f) && from + 1 < end && t.charCodeAt(from + 1) !== SPACE)) {
      return false;
    }
  }
  return mappingOrComment(t, from, end) !== 1;
}

/** A line going on with a plain scalar: no `: `, no comment, not starting with `-`, `?`, `:` or `#`. */
function plainContinuationOk(t: string, from: number, end: number): boolean {
  const c = t.charCodeAt(from);
  if (c === DASH || c === 0x3f || c === COLON || c === HASH) return false;
  return mappingOrComment(t, from, end) === 0;
}

/** Where the quoted scalar that `keyEnd` last scanned ends (as `endOfDouble`/`endOfSingle` say). */
let quoteEnd = -1;

/**
 * The hash of the key `keyEnd` last found (FNV-1a over its characters as the parser reads them), or -1
 * when it is not a simple key: a plain word (a letter, `_` or `$`, then letters, digits and `_$./-`,
 * not a boolean or null) or a one-line quoted string without escapes. Keys are compared by hash: two
 * different keys with the same hash only send the text to the full parse.
 */
let keyHash = -1;

/** Character classes of ASCII for plain keys: 2 = may start a word (a letter, `_`, `$`), 1 = may go on. */
const WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const start = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x24;
  const more = (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2f || c === DASH;
  WORD[c] = start ? 2 : more ? 1 : 0;
}

function isWordStart(c: number): boolean {
  return c < 128 && WORD[c] === 2;
}

/**
 * The index of the `:` ending a mapping key that starts at `from` (followed by a space or the line end),
 * -1 when the entry is not a `key:` line, -2 on an invalid quoted key. Sets `keyHash` (and `quoteEnd`
 * for a quoted start).
 */
function keyEnd(t: string, from: number, end: number): number {
  const c = t.charCodeAt(from);
  let h = 0x811c9dc5 | 0;
  if (c === DQUOTE || c === SQUOTE) {
    const q = c === DQUOTE ? endOfDouble(t, from + 1, end) : endOfSingle(t, from + 1, end);
    quoteEnd = q;
    if (q < 0) return q; // -1: a quoted value going on to the next lines; -2: bad escape
    if (t.charCodeAt(q) !== COLON || (q + 1 !== end && t.charCodeAt(q + 1) !== SPACE)) return -1;
    keyHash = -1;
    for (let i = from + 1; i < q - 1; i++) {
      const ch = t.charCodeAt(i);
      if (ch === 0x5c && c === DQUOTE) return q;
      if (ch === SQUOTE && c === SQUOTE) i++; // '' is one quote
      h = Math.imul(h ^ ch, 0x01000193);
    }
    keyHash = h >>> 1;
    return q;
  }
  let i = from;
  if (isWordStart(c)) {
    // The common case: a plain word, hashed as it is read, up to `:`.
    for (; i < end; i++) {
      const ch = t.charCodeAt(i);
      if (ch >= 128 || WORD[ch] === 0) break;
      h = Math.imul(h ^ ch, 0x01000193);
    }
    if (i < end && t.charCodeAt(i) === COLON && (i + 1 === end || t.charCodeAt(i + 1) === SPACE)) {
      keyHash = isSpecialWord(t, from, i) ? -1 : h >>> 1;
      return i;
    }
  }
  // Anything else: find the `:` (not a simple key: keyHash -1), unless a comment comes first.
  for (; i < end; i++) {
    const ch = t.charCodeAt(i);
    if (ch === COLON && (i + 1 === end || t.charCodeAt(i + 1) === SPACE)) {
      keyHash = -1;
      return i;
    }
    if (ch === HASH && i > from && t.charCodeAt(i - 1) === SPACE) return -1;
  }
  return -1;
}

/** The open blocks, innermost last: their indent, whether a sequence, and a mapping's keys so far. */
class Frames {
  depth = 0;
  readonly indents: number[] = [];
  readonly seq: boolean[] = [];
  readonly keys: number[][] = [];
  readonly counts: number[] = [];

  push(indent: number, seq: boolean): void {
    const d = this.depth++;
    if (d === this.indents.length) {
      this.indents.push(indent);
      this.seq.push(seq);
      this.keys.push([]);
      this.counts.push(0);
    } else {
      this.indents[d] = indent;
      this.seq[d] = seq;
      this.counts[d] = 0;
    }
  }

  /** Add a key (its hash) to the innermost mapping; false when it is there already. */
  addKey(key: number): boolean {
    const d = this.depth - 1;
    const k = this.keys[d] as number[];
    const count = this.counts[d] as number;
    for (let i = 0; i < count; i++) if (k[i] === key) return false;
    k[count] = key;
    this.counts[d] = count + 1;
    return true;
  }
}

/**
 * Whether every line is recognised. `topLines`, when given, receives the start offset of every line at
 * indent 0 that is structure (a `key:` line, a `- ` item or `---`), not part of a scalar or a comment.
 */
export function wellFormedBlockYaml(text: string, topLines?: number[]): boolean {
  return firstUnknownLine(text, topLines) < 0;
}

/** The 0-based number of the first line not recognised (or where an open scalar ends the text), or -1. */
export function firstUnknownLine(t: string, topLines?: number[]): number {
  if (t.includes("\t") || t.includes("\r")) return 0;
  const n = t.length;
  const st = new Frames();
  // After a line whose value is empty, the indent of its key or `-` (-1: none): the next deeper line
  // opens its block (also a `- ` line at the same indent under a key: an indentless sequence).
  let openedIndent = -1;
  let openedByKey = false;
  // Inside a block scalar: the indent its lines must exceed (-1: not in one), and theirs once known.
  let blockParent = -1;
  let blockIndent = -1;
  // Inside a quoted scalar that goes on: its quote character (0: not in one).
  let quoted = 0;
  // After a plain scalar: the indent deeper lines must exceed to go on with it (-1: none).
  let plainParent = -1;
  let lineNo = -1;
  for (let ls = t.charCodeAt(0) === 0xfeff ? 1 : 0; ls < n; ) {
    lineNo++;
    let le = t.indexOf("\n", ls);
    if (le < 0) le = n;
    const start = ls;
    ls = le + 1;
    let i0 = start;
    while (i0 < le && t.charCodeAt(i0) === SPACE) i0++;
    const ind = i0 - start;
    const blank = i0 === le;
    if (quoted !== 0) {
      // PyYAML writes continuation lines of long quoted scalars without indenting them past their key
      // or `- `: libyaml reads them, and the full parse re-indents them (spec.ts
      // indentQuotedContinuations) to the same value. Only a document marker there is refused.
      if (ind === 0 && (t.startsWith("---", start) || t.startsWith("...", start))) return lineNo;
      const end = quoted === DQUOTE ? endOfDouble(t, i0, le) : endOfSingle(t, i0, le);
      if (end === -2) return lineNo;
      if (end >= 0) {
        if (!restIsEmpty(t, end, le)) return lineNo;
        quoted = 0;
      }
      continue;
    }
    if (blockParent >= 0) {
      // A leading all-space line longer than the content's indent is an error: leave it to the parser.
      if (blank) {
        if (blockIndent < 0 && le - start > blockParent + 1) return lineNo;
        continue;
      }
      if (ind > blockParent) {
        if (blockIndent < 0) blockIndent = ind;
        else if (ind < blockIndent) return lineNo;
        continue;
      }
      blockParent = -1;
    }
    if (plainParent >= 0) {
      if (blank) continue;
      if (ind > plainParent) {
        if (!plainContinuationOk(t, i0, le)) return lineNo;
        continue;
      }
      plainParent = -1;
    }
    if (blank || t.charCodeAt(i0) === HASH) continue;
    if (ind === 0 && topLines) topLines.push(start);
    if (ind === 0 && (t.startsWith("---", start) || t.startsWith("...", start))) {
      if (le - start !== 3 || t.charCodeAt(start) !== DASH) return lineNo;
      st.depth = 0;
      openedIndent = -1;
      continue;
    }
    // Where this line belongs.
    const isSeq = t.charCodeAt(i0) === DASH && (i0 + 1 === le || t.charCodeAt(i0 + 1) === SPACE);
    if (openedIndent >= 0 && (ind > openedIndent || (ind === openedIndent && isSeq && openedByKey))) {
      st.push(ind, isSeq);
    } else {
      while (st.depth > 0 && (st.indents[st.depth - 1] as number) > ind) st.depth--;
      if (st.depth === 0) {
        if (ind !== 0) return lineNo;
        st.push(0, isSeq);
      } else if (st.indents[st.depth - 1] !== ind) return lineNo;
      else if (st.seq[st.depth - 1] && !isSeq) {
        // An indentless sequence ends where its parent mapping goes on.
        st.depth--;
        if (st.depth === 0 || st.indents[st.depth - 1] !== ind || st.seq[st.depth - 1]) return lineNo;
      } else if (!st.seq[st.depth - 1] && isSeq) return lineNo;
    }
    openedIndent = -1;
    // The entry: a `- ` item (a scalar, a block, or a `key: value` starting a mapping), or `key:` and
    // its value.
    let pos = i0;
    let keyAt = -1;
    let colon = -1;
    if (isSeq) {
      pos = i0 + 1;
      while (pos < le && t.charCodeAt(pos) === SPACE) pos++;
      if (pos === le || t.charCodeAt(pos) === HASH) {
        openedIndent = ind;
        openedByKey = false;
        continue;
      }
      if (t.charCodeAt(pos) === DASH && (pos + 1 === le || t.charCodeAt(pos + 1) === SPACE)) return lineNo;
      colon = keyEnd(t, pos, le);
      if (colon === -2) return lineNo;
      if (colon >= 0) {
        keyAt = pos;
        st.push(pos - start, false);
      }
    } else {
      keyAt = i0;
      colon = keyEnd(t, i0, le);
      if (colon < 0) return lineNo;
    }
    let valueFrom = pos;
    let parentIndent = ind;
    if (keyAt >= 0) {
      if (keyHash < 0 || st.seq[st.depth - 1] || !st.addKey(keyHash)) return lineNo;
      valueFrom = colon + 1;
      parentIndent = keyAt - start;
    }
    while (valueFrom < le && t.charCodeAt(valueFrom) === SPACE) valueFrom++;
    if (valueFrom === le || t.charCodeAt(valueFrom) === HASH) {
      openedIndent = parentIndent;
      openedByKey = keyAt >= 0;
      continue;
    }
    const c = t.charCodeAt(valueFrom);
    if (c === DQUOTE || c === SQUOTE) {
      // A `- '...'` item was scanned by keyEnd already.
      const end =
        isSeq && keyAt < 0
          ? quoteEnd
          : c === DQUOTE
            ? endOfDouble(t, valueFrom + 1, le)
            : endOfSingle(t, valueFrom + 1, le);
      if (end === -2) return lineNo;
      if (end < 0) quoted = c;
      else if (!restIsEmpty(t, end, le)) return lineNo;
      continue;
    }
    if (c === 0x7c || c === 0x3e) {
      // `|` or `>` with an optional chomping indicator (`-`, `+`); explicit indentation is left to the parser.
      let i = valueFrom + 1;
      const ch = t.charCodeAt(i);
      if (ch === DASH || ch === 0x2b) i++;
      if (!restIsEmpty(t, i, le)) return lineNo;
      blockParent = isSeq && keyAt < 0 ? ind : parentIndent;
      blockIndent = -1;
      continue;
    }
    if ((c === 0x7b || c === 0x5b) && t.charCodeAt(valueFrom + 1) === c + 2) {
      if (restIsEmpty(t, valueFrom + 2, le)) continue; // `{}` or `[]`
      return lineNo;
    }
    if (!plainScalarOk(t, valueFrom, le)) return lineNo;
    plainParent = parentIndent;
  }
  return quoted === 0 ? -1 : lineNo;
}
