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
 * the caller then parses the text in full. It is the cheap part of the client-side package check
 * (core/fast-check.ts), and test/unit/spec-differential.test.ts holds it to the full parse over every
 * package of the shared corpus and generated variants of them.
 *
 * Speed: it reads the UTF-8 bytes (a package is uploaded as bytes; text is encoded first), without
 * decoding them and without allocating per line: YAML's structure is all ASCII, and every byte of a
 * multi-byte character is ≥ 0x80, which no rule gives a meaning (so is any code unit ≥ 0x80 of the
 * decoded text). Inside values it looks only for what it must find (quotes, escapes, `: `, ` #`, the
 * line's end) with the native `String.prototype.indexOf` over the bytes read as one-byte characters
 * (core/fast-bytes.ts `charsOf`: same offsets), which is several times faster than a loop in
 * JavaScript; single bytes it reads from the byte array (faster than `charCodeAt`).
 */
import { bytesOf, charsOf, type ScanBytes } from "./fast-bytes.js";

const SPACE = 0x20;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

/** A table over all byte values: 1 for the characters of `chars`. */
function byteSet(chars: string): Uint8Array {
  const set = new Uint8Array(256);
  for (const c of chars) set[c.charCodeAt(0)] = 1;
  return set;
}
/** Characters allowed after a backslash in a double-quoted scalar (besides x, u, U with hex digits). */
const DOUBLE_ESCAPES = byteSet('0abt\tnvfre "/\\N_LP');
/** Characters that cannot start a plain scalar. */
const INDICATORS = byteSet("[]{}&*!|>'\"%@`#,?:-");

/** Whether t[from, to) is a word a YAML 1.2 resolver reads as a boolean or null (any case). */
function isSpecialWord(t: ScanBytes, from: number, to: number): boolean {
  const len = to - from;
  const word = len === 4 ? (t[from] as number) | 0x20 : len === 5 ? 0x66 : 0;
  const expected = word === 0x74 ? "true" : word === 0x6e ? "null" : word === 0x66 ? "false" : "";
  if (expected.length !== len) return false;
  for (let i = 0; i < len; i++) if (((t[from + i] as number) | 0x20) !== expected.charCodeAt(i)) return false;
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * The next occurrence of an ASCII character in the text being scanned, from a position that only moves
 * forward (the scan reads the text once, front to back), found with the native `indexOf`. A search from
 * before the last one searches again, so the answer is always right.
 */
class Next {
  private at = -1;
  private from = Number.POSITIVE_INFINITY;
  constructor(
    private readonly chars: string,
    private readonly char: string,
  ) {}

  /** The index of the first occurrence at or after `from`, or -1. */
  find(from: number): number {
    if (from < this.from || (this.at >= 0 && this.at < from)) this.at = this.chars.indexOf(this.char, from);
    this.from = from;
    return this.at;
  }
}

/** The searches of one scan of a text. */
interface Finders {
  dquote: Next;
  backslash: Next;
  squote: Next;
  colon: Next;
  hash: Next;
}

/** `chars`: the bytes as a one-byte string (core/fast-bytes.ts `charsOf`). */
function findersOf(chars: string): Finders {
  return {
    dquote: new Next(chars, '"'),
    backslash: new Next(chars, "\\"),
    squote: new Next(chars, "'"),
    colon: new Next(chars, ":"),
    hash: new Next(chars, "#"),
  };
}

/**
 * Scan a double-quoted scalar from `from` (after the opening quote) to `end`: the index just after the
 * closing quote, -1 when it goes on to the next line, -2 on an invalid escape.
 */
function endOfDouble(t: ScanBytes, f: Finders, from: number, end: number): number {
  for (let i = from; ; ) {
    const q = f.dquote.find(i);
    const b = f.backslash.find(i);
    if (b < 0 || b >= end || (q >= 0 && q < b)) return q >= 0 && q < end ? q + 1 : -1;
    if (b + 1 === end) return -1; // an escaped line break: the scalar goes on
    const e = t[b + 1] as number;
    const hex = e === 0x78 ? 2 : e === 0x75 ? 4 : e === 0x55 ? 8 : 0;
    if (hex > 0) {
      if (b + 2 + hex > end) return -2;
      for (let j = b + 2; j < b + 2 + hex; j++) if (!isHex(t[j] as number)) return -2;
      i = b + 2 + hex;
    } else if (DOUBLE_ESCAPES[e] === 1) i = b + 2;
    else return -2;
  }
}

/** Scan a single-quoted scalar from `from` to `end`: the index after the closing quote, or -1. */
function endOfSingle(t: ScanBytes, f: Finders, from: number, end: number): number {
  for (let i = from; ; ) {
    const q = f.squote.find(i);
    if (q < 0 || q >= end) return -1;
    if (q + 1 < end && t[q + 1] === SQUOTE) i = q + 2;
    else return q + 1;
  }
}

/** Only spaces, or spaces and a comment, from `from` to `end`. */
function restIsEmpty(t: ScanBytes, from: number, end: number): boolean {
  let i = from;
  while (i < end && t[i] === SPACE) i++;
  return i === end || (t[i] === HASH && i > from);
}

/**
 * In t[from, end) (`end` a line end): 1 when a `: ` or a final `:` comes first (a mapping), 2 when ` #`
 * does (a comment), else 0.
 */
function mappingOrComment(t: ScanBytes, f: Finders, from: number, end: number): number {
  let colon = f.colon.find(from);
  while (colon >= 0 && colon < end && colon + 1 < end && t[colon + 1] !== SPACE)
    colon = f.colon.find(colon + 1);
  if (colon >= end) colon = -1;
  let hash = f.hash.find(from + 1);
  while (hash >= 0 && hash < end && t[hash - 1] !== SPACE) hash = f.hash.find(hash + 1);
  if (hash >= end) hash = -1;
  if (colon < 0) return hash < 0 ? 0 : 2;
  return hash >= 0 && hash < colon ? 2 : 1;
}

/** A plain scalar starting at `from` that a parser reads as a scalar (not a mapping, not an indicator). */
function plainScalarOk(t: ScanBytes, f: Finders, from: number, end: number): boolean {
  const c = t[from] as number;
  if (c < 128 && INDICATORS[c] === 1) {
    // "-", ":" and "?" start a plain scalar when not followed by a space ("-1", "-x").
    if (!((c === DASH || c === COLON || c === 0x3f) && from + 1 < end && t[from + 1] !== SPACE)) {
      return false;
    }
  }
  return mappingOrComment(t, f, from, end) !== 1;
}

/** A line going on with a plain scalar: no `: `, no comment, not starting with `-`, `?`, `:` or `#`. */
function plainContinuationOk(t: ScanBytes, f: Finders, from: number, end: number): boolean {
  const c = t[from] as number;
  if (c === DASH || c === 0x3f || c === COLON || c === HASH) return false;
  return mappingOrComment(t, f, from, end) === 0;
}

/** Where the quoted scalar that `keyEnd` last scanned ends (as `endOfDouble`/`endOfSingle` say). */
let quoteEnd = -1;

/**
 * Where the characters of the key `keyEnd` last found start (-1 when it is not a simple key) and how
 * many there are. A simple key is a plain word (a letter, `_` or `$`, then letters, digits and `_$./-`,
 * not a boolean or null) or a one-line quoted string without escapes: its characters are the key as the
 * parser reads it (but for `''` in a single-quoted one), so two keys are the same when their characters
 * are.
 */
let simpleKeyAt = -1;
let simpleKeyLen = 0;
/** Whether that key is single-quoted with a `''` in it (one quote as the parser reads it). */
let simpleKeyQuotes = false;

/** Byte classes for plain keys: 2 = may start a word (an ASCII letter, `_`, `$`), 1 = may go on, 0 = neither. */
const WORD = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const start = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x24;
  const more = (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2f || c === DASH;
  WORD[c] = start ? 2 : more ? 1 : 0;
}

/**
 * The index of the `:` ending a mapping key that starts at `from` (followed by a space or the line end),
 * -1 when the entry is not a `key:` line, -2 on an invalid quoted key. Sets `simpleKeyAt`,
 * `simpleKeyLen` (and `quoteEnd` for a quoted start).
 */
function keyEnd(t: ScanBytes, f: Finders, from: number, end: number): number {
  const c = t[from] as number;
  simpleKeyAt = -1;
  simpleKeyQuotes = false;
  if (c === DQUOTE || c === SQUOTE) {
    const q = c === DQUOTE ? endOfDouble(t, f, from + 1, end) : endOfSingle(t, f, from + 1, end);
    quoteEnd = q;
    if (q < 0) return q; // -1: a quoted value going on to the next lines; -2: bad escape
    if (t[q] !== COLON || (q + 1 !== end && t[q + 1] !== SPACE)) return -1;
    // An escape reads as another character: not a simple key. Nor is one with bytes of multi-byte
    // characters (keys are compared by their bytes; invalid UTF-8 could decode to the same text).
    const inner = (c === DQUOTE ? f.backslash : f.squote).find(from + 1);
    if (c === DQUOTE && inner >= 0 && inner < q - 1) return q;
    for (let i = from + 1; i < q - 1; i++) if ((t[i] as number) >= 0x80) return q;
    simpleKeyAt = from + 1;
    simpleKeyLen = q - 2 - from;
    simpleKeyQuotes = c === SQUOTE && inner >= 0 && inner < q - 1;
    return q;
  }
  let i = from;
  if (WORD[c] === 2) {
    // The common case: a plain word up to `:`.
    for (i++; i < end && (WORD[t[i] as number] as number) > 0; i++);
    if (t[i] === COLON && i < end && (i + 1 === end || t[i + 1] === SPACE)) {
      if (!isSpecialWord(t, from, i)) {
        simpleKeyAt = from;
        simpleKeyLen = i - from;
      }
      return i;
    }
  }
  // Anything else: a `key:` line when a `: ` or a final `:` comes before any comment, but not a simple
  // key (simpleKeyAt -1, so the caller gives the line up: where its colon is does not matter).
  if (mappingOrComment(t, f, from, end) !== 1) return -1;
  return from;
}

/**
 * The characters of t[a, a + aLen) and t[b, b + bLen) are the same key; `aQuotes`/`bQuotes`: the key
 * is single-quoted with `''` in it, read as one quote.
 */
function sameKey(
  t: ScanBytes,
  a: number,
  aLen: number,
  aQuotes: boolean,
  b: number,
  bLen: number,
  bQuotes: boolean,
) {
  const aEnd = a + aLen;
  const bEnd = b + bLen;
  while (a < aEnd && b < bEnd) {
    const c = t[a] as number;
    if (c !== (t[b] as number)) return false;
    a += aQuotes && c === SQUOTE ? 2 : 1;
    b += bQuotes && c === SQUOTE ? 2 : 1;
  }
  return a >= aEnd && b >= bEnd;
}

/**
 * The open blocks, innermost last: their indent, whether a sequence, and a mapping's keys so far. The
 * keys of all open mappings are one stack of entries (start, length, sketch), each mapping's above its
 * parent's; the sketch (length, first, middle and last character) spares most comparisons. A key with
 * `''` in it has no sketch (-1) and is compared with every other.
 */
class Frames {
  depth = 0;
  readonly indents: number[] = [];
  readonly seq: boolean[] = [];
  /** Per frame: where its keys start in the key stack, and how many it has. */
  readonly base: number[] = [];
  readonly counts: number[] = [];
  readonly keyStart: number[] = [];
  readonly keyLength: number[] = [];
  readonly keySketch: number[] = [];

  constructor(private readonly t: ScanBytes) {}

  push(indent: number, seq: boolean): void {
    const d = this.depth++;
    const base = d === 0 ? 0 : (this.base[d - 1] as number) + (this.counts[d - 1] as number);
    if (d === this.indents.length) {
      this.indents.push(indent);
      this.seq.push(seq);
      this.base.push(base);
      this.counts.push(0);
    } else {
      this.indents[d] = indent;
      this.seq[d] = seq;
      this.base[d] = base;
      this.counts[d] = 0;
    }
  }

  /** Add the key t[at, at + len) to the innermost mapping; false when it is there already. */
  addKey(at: number, len: number, quotes: boolean): boolean {
    const t = this.t;
    const d = this.depth - 1;
    const base = this.base[d] as number;
    const count = this.counts[d] as number;
    const sketch = quotes
      ? -1
      : len === 0
        ? 0
        : ((len & 0x3ff) << 21) ^
          ((t[at] as number) << 14) ^
          ((t[at + (len >> 1)] as number) << 7) ^
          (t[at + len - 1] as number);
    for (let k = base; k < base + count; k++) {
      const other = this.keySketch[k] as number;
      if (other !== sketch && other !== -1 && sketch !== -1) continue;
      const length = this.keyLength[k] as number;
      if (sketch !== -1 && other !== -1 && length !== len) continue;
      if (sameKey(t, at, len, quotes, this.keyStart[k] as number, length, other === -1)) return false;
    }
    const k = base + count;
    if (k === this.keyStart.length) {
      this.keyStart.push(at);
      this.keyLength.push(len);
      this.keySketch.push(sketch);
    } else {
      this.keyStart[k] = at;
      this.keyLength[k] = len;
      this.keySketch[k] = sketch;
    }
    this.counts[d] = count + 1;
    return true;
  }
}

/**
 * Whether every line is recognised. `topLines`, when given, receives the start offset (in the UTF-8
 * bytes) of every line at indent 0 that is structure (a `key:` line, a `- ` item or `---`), not part
 * of a scalar or a comment. `chars`: as for `firstUnknownLine`.
 */
export function wellFormedBlockYaml(text: string | Uint8Array, topLines?: number[], chars?: string): boolean {
  return firstUnknownLine(text, topLines, chars) < 0;
}

/** Whether t[at, at + 3) is a document marker's `---` or `...`. */
function documentMarker(t: ScanBytes, at: number): boolean {
  const c = t[at];
  return (c === DASH || c === 0x2e) && t[at + 1] === c && t[at + 2] === c;
}

/**
 * The 0-based number of the first line not recognised (or where an open scalar ends the text), or -1.
 * `chars`: the bytes as one-byte characters (`charsOf`), when the caller has them already.
 */
export function firstUnknownLine(text: string | Uint8Array, topLines?: number[], chars?: string): number {
  const t = bytesOf(text);
  chars ??= charsOf(t);
  if (chars.includes("\t") || chars.includes("\r")) return 0;
  const n = t.length;
  const st = new Frames(t);
  const f = findersOf(chars);
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
  // A byte order mark (EF BB BF) is not content.
  for (let ls = t[0] === 0xef && t[1] === 0xbb && t[2] === 0xbf ? 3 : 0; ls < n; ) {
    lineNo++;
    let le = chars.indexOf("\n", ls);
    if (le < 0) le = n;
    const start = ls;
    ls = le + 1;
    let i0 = start;
    while (t[i0] === SPACE) i0++; // stops at the line's end: "\n", or undefined past the text
    const ind = i0 - start;
    const blank = i0 === le;
    if (quoted !== 0) {
      // PyYAML writes continuation lines of long quoted scalars without indenting them past their key
      // or `- `: libyaml reads them, and the full parse re-indents them (spec.ts
      // indentQuotedContinuations) to the same value. Only a document marker there is refused.
      if (ind === 0 && documentMarker(t, start)) return lineNo;
      const end = quoted === DQUOTE ? endOfDouble(t, f, i0, le) : endOfSingle(t, f, i0, le);
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
        if (!plainContinuationOk(t, f, i0, le)) return lineNo;
        continue;
      }
      plainParent = -1;
    }
    if (blank || t[i0] === HASH) continue;
    if (ind === 0 && topLines) topLines.push(start);
    if (ind === 0 && documentMarker(t, start)) {
      if (le - start !== 3 || t[start] !== DASH) return lineNo;
      st.depth = 0;
      openedIndent = -1;
      continue;
    }
    // Where this line belongs.
    const isSeq = t[i0] === DASH && (i0 + 1 === le || t[i0 + 1] === SPACE);
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
      while (pos < le && t[pos] === SPACE) pos++;
      if (pos === le || t[pos] === HASH) {
        openedIndent = ind;
        openedByKey = false;
        continue;
      }
      if (t[pos] === DASH && (pos + 1 === le || t[pos + 1] === SPACE)) return lineNo;
    }
    // The key, if any: most are a plain word up to `: ` or the line's end, read here (the hot path);
    // keyEnd reads the others.
    let w = pos;
    let kAt: number;
    let kLen = 0;
    let kQuotes = false;
    if (WORD[t[pos] as number] === 2) for (w++; w < le && (WORD[t[w] as number] as number) > 0; w++);
    if (w > pos && t[w] === COLON && (w + 1 === le || t[w + 1] === SPACE) && !isSpecialWord(t, pos, w)) {
      colon = w;
      kAt = pos;
      kLen = w - pos;
    } else {
      colon = keyEnd(t, f, pos, le);
      kAt = simpleKeyAt;
      kLen = simpleKeyLen;
      kQuotes = simpleKeyQuotes;
    }
    if (isSeq) {
      if (colon === -2) return lineNo;
      if (colon >= 0) {
        keyAt = pos;
        st.push(pos - start, false);
      }
    } else {
      keyAt = i0;
      if (colon < 0) return lineNo;
    }
    let valueFrom = pos;
    let parentIndent = ind;
    if (keyAt >= 0) {
      if (kAt < 0 || st.seq[st.depth - 1] || !st.addKey(kAt, kLen, kQuotes)) return lineNo;
      valueFrom = colon + 1;
      parentIndent = keyAt - start;
    }
    while (valueFrom < le && t[valueFrom] === SPACE) valueFrom++;
    if (valueFrom === le || t[valueFrom] === HASH) {
      openedIndent = parentIndent;
      openedByKey = keyAt >= 0;
      continue;
    }
    const c = t[valueFrom] as number;
    if (c === DQUOTE || c === SQUOTE) {
      // A `- '...'` item was scanned by keyEnd already.
      const end =
        isSeq && keyAt < 0
          ? quoteEnd
          : c === DQUOTE
            ? endOfDouble(t, f, valueFrom + 1, le)
            : endOfSingle(t, f, valueFrom + 1, le);
      if (end === -2) return lineNo;
      if (end < 0) quoted = c;
      else if (!restIsEmpty(t, end, le)) return lineNo;
      continue;
    }
    if (c === 0x7c || c === 0x3e) {
      // `|` or `>` with an optional chomping indicator (`-`, `+`); explicit indentation is left to the parser.
      let i = valueFrom + 1;
      const ch = t[i] as number;
      if (ch === DASH || ch === 0x2b) i++;
      if (!restIsEmpty(t, i, le)) return lineNo;
      blockParent = isSeq && keyAt < 0 ? ind : parentIndent;
      blockIndent = -1;
      continue;
    }
    if ((c === 0x7b || c === 0x5b) && t[valueFrom + 1] === c + 2) {
      if (restIsEmpty(t, valueFrom + 2, le)) continue; // `{}` or `[]`
      return lineNo;
    }
    if (!plainScalarOk(t, f, valueFrom, le)) return lineNo;
    plainParent = parentIndent;
  }
  return quoted === 0 ? -1 : lineNo;
}
