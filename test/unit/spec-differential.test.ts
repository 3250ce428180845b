/**
 * The fast client-side package check (`checkPackageText`: a line recogniser of block YAML plus the
 * top-level checks, falling back to the full parse for anything it does not know) against the full parse
 * (`parsePipelinePackage`: the `yaml` package and the server's rules): the same verdict and the same
 * message for every YAML package of the shared corpus (valid and invalid) and for generated variants of
 * each valid one (lines dropped, repeated, re-indented, quotes left open, bad escapes, tabs, nested
 * mappings in values, names and schema versions changed...). Also that the fast path is taken for most
 * of the corpus (else it would prove nothing, and cost the full parse).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { firstUnknownLine, wellFormedBlockYaml } from "../../packages/kfp-ts/src/core/block-yaml.js";
import {
  checkPackageBytes,
  checkPackageText,
  fastCheck,
  indentQuotedContinuations,
  parsePipelinePackage,
} from "../../packages/kfp-ts/src/core/spec.js";
import { corpusFiles, hasShared, specYaml } from "../helpers/specs.js";

function verdict(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be reproduced. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Mutation = (lines: string[], r: () => number) => string[];
const pick = (lines: string[], r: () => number) => Math.floor(r() * lines.length);
const MUTATIONS: Record<string, Mutation> = {
  dropLine: (l, r) => l.filter((_, i) => i !== pick(l, r)),
  repeatLine: (l, r) => {
    const i = pick(l, r);
    return [...l.slice(0, i + 1), l[i] as string, ...l.slice(i + 1)];
  },
  indentMore: (l, r) => l.map((x, i, a) => (i === pick(a, r) ? ` ${x}` : x)),
  indentLess: (l, r) => {
    const i = l.findIndex((x, j) => j >= pick(l, r) && x.startsWith("  "));
    return i < 0 ? l : l.map((x, j) => (j === i ? x.slice(1) : x));
  },
  nestedMapping: (l, r) => {
    const i = l.findIndex((x, j) => j >= pick(l, r) && /: \S/.test(x));
    return i < 0 ? l : l.map((x, j) => (j === i ? `${x}: oops` : x));
  },
  openQuote: (l, r) => {
    const i = l.findIndex((x, j) => j >= pick(l, r) && /[:-] \S/.test(x));
    return i < 0 ? l : l.map((x, j) => (j === i ? x.replace(/([:-]) (\S)/, "$1 '$2") : x));
  },
  badEscape: (l, r) => {
    const i = l.findIndex((x, j) => j >= pick(l, r) && /[:-] \S/.test(x));
    return i < 0 ? l : l.map((x, j) => (j === i ? x.replace(/([:-]) (\S.*)$/, '$1 "$2 \\q"') : x));
  },
  tab: (l, r) => l.map((x, i, a) => (i === pick(a, r) ? x.replace(/^( *)/, "$1\t") : x)),
  seqAfterValue: (l, r) => {
    const i = l.findIndex((x, j) => j >= pick(l, r) && /^ *[A-Za-z]\w*: \S/.test(x));
    if (i < 0) return l;
    const ind = (l[i] as string).length - (l[i] as string).trimStart().length;
    return [...l.slice(0, i + 1), `${" ".repeat(ind)}- x`, ...l.slice(i + 1)];
  },
  unclosedFlow: (l, r) => l.map((x, i, a) => (i === pick(a, r) ? x.replace(/: .*$/, ": [a, b") : x)),
  anchorAndAlias: (l, r) => l.map((x, i, a) => (i === pick(a, r) ? x.replace(/: (\S.*)$/, ": &a $1") : x)),
  blockScalarShort: (l, r) => {
    const i = l.findIndex((x, j) => j >= pick(l, r) && /^ *[A-Za-z]\w*: \S/.test(x));
    if (i < 0) return l;
    const ind = (l[i] as string).length - (l[i] as string).trimStart().length;
    const key = (l[i] as string).split(":", 1)[0];
    return [
      ...l.slice(0, i),
      `${key}: |`,
      `${" ".repeat(ind + 4)}one`,
      `${" ".repeat(ind + 2)}two`,
      ...l.slice(i + 1),
    ];
  },
  schema: (l) => l.map((x) => x.replace(/^schemaVersion: .*/, "schemaVersion: 2.0.0")),
  badName: (l) => {
    const i = l.indexOf("pipelineInfo:");
    return i < 0 ? l : l.map((x, j) => (j > i && /^ {2}name: /.test(x) ? "  name: Bad_Name" : x));
  },
  truncate: (l, r) => l.slice(0, pick(l, r)),
  secondDocument: (l) => [...l, "---", "platforms:", "  kubernetes:", "    deploymentSpec: {}"],
  duplicateTopKey: (l) => [...l, "schemaVersion: 2.1.0"],
};

function expectSame(text: string, label: string): void {
  const fast = verdict(() => checkPackageText(text));
  const full = verdict(() => parsePipelinePackage(text));
  expect(fast, label).toBe(full);
}

describe.skipIf(!hasShared && !process.env.CI)("the fast check against the full parse", () => {
  const yamlFiles = corpusFiles(".", (f) => /\.ya?ml$/.test(f));

  it("finds the shared corpus", () => {
    expect(yamlFiles.length).toBeGreaterThan(100);
  });

  it("every YAML package of the corpus (valid and invalid): same verdict, same message", () => {
    let fast = 0;
    for (const f of yamlFiles) {
      const text = readFileSync(f, "utf8");
      expectSame(text, f);
      if (fastCheck(text).ok) fast++;
      // The bytes of the file give the same answer as its text (uploads are checked as bytes).
      expect(fastCheck(readFileSync(f)), f).toEqual(fastCheck(text));
      expect(
        verdict(() => checkPackageBytes(readFileSync(f), "p.yaml")),
        f,
      ).toBe(verdict(() => checkPackageText(text)));
    }
    // The fast path is the common one: at least 90% of the corpus.
    expect(fast / yamlFiles.length).toBeGreaterThan(0.9);
  });

  it("generated variants of every valid package: same verdict, same message", () => {
    const valid = corpusFiles("valid", (f) => /\.ya?ml$/.test(f));
    const r = rng(15);
    let n = 0;
    let rejectedByRecogniser = 0;
    // Each mutation on a quarter of the packages (rotating), to keep the full parses to a few hundred.
    const mutations = Object.entries(MUTATIONS);
    for (const [fi, f] of valid.entries()) {
      const lines = readFileSync(f, "utf8").split("\n");
      for (const [mi, [name, mutate]] of mutations.entries()) {
        if ((fi + mi) % 4 !== 0) continue;
        const text = mutate(lines, r).join("\n");
        expectSame(text, `${f} ${name}`);
        if (!wellFormedBlockYaml(text)) rejectedByRecogniser++;
        n++;
      }
    }
    expect(n).toBeGreaterThan((valid.length * mutations.length) / 4 - mutations.length);
    // The variants reach the fallback too (syntax the recogniser refuses), not only the fast path.
    expect(rejectedByRecogniser).toBeGreaterThan(n / 4);
  });
});

/**
 * Depth "top" (what uploads check by default): the top-level rules read from the lines at indent 0,
 * the syntax below them left to the server. What it promises, held over the same texts:
 * - it never refuses what the full parse accepts, and when it refuses, it is with the full parse's
 *   message (it falls back to the full parse for anything it is not sure of);
 * - when it accepts, the full parse accepts with the same pipeline name, or fails on YAML syntax
 *   (`failed to parse pipeline spec YAML: ...`) — never on a rule of the server's (schema version, name,
 *   unknown keys, a second spec);
 * - for changes at the top level only, its verdict and message are the full parse's.
 */
const YAML_SYNTAX = "SpecValidationError: failed to parse pipeline spec YAML: ";

function expectTopPromise(text: string, label: string): "same" | "syntax-left-to-server" {
  const top = verdict(() => checkPackageText(text, "top"));
  const full = verdict(() => parsePipelinePackage(text));
  if (top !== "ok" || full === "ok") {
    expect(top, label).toBe(full);
    if (top === "ok") {
      const quick = fastCheck(text, "top");
      if (quick.ok) expect(quick.name, label).toBe(parsePipelinePackage(text).name);
    }
    return "same";
  }
  expect(full.startsWith(YAML_SYNTAX), `${label}: accepted at the top level, refused by ${full}`).toBe(true);
  return "syntax-left-to-server";
}

const TOP_LEVEL_MUTATIONS: Record<string, Mutation> = {
  schema: MUTATIONS.schema as Mutation,
  badName: MUTATIONS.badName as Mutation,
  secondDocument: MUTATIONS.secondDocument as Mutation,
  duplicateTopKey: MUTATIONS.duplicateTopKey as Mutation,
  unknownTopKey: (l) => [...l, "pipelineName: x"],
  topSequence: (l) => [...l, "- x"],
  topScalar: (l) => [...l, "just words"],
  noSchema: (l) => l.filter((x) => !x.startsWith("schemaVersion:")),
  noRoot: (l) => {
    const i = l.indexOf("root:");
    return i < 0 ? l : l.map((x, j) => (j === i ? "rooot:" : x));
  },
  rootScalar: (l) => l.map((x) => (x === "root:" ? "root: x" : x)),
  nameInQuotes: (l) => {
    const i = l.indexOf("pipelineInfo:");
    return i < 0
      ? l
      : l.map((x, j) => (j > i && /^ {2}name: /.test(x) ? x.replace(/name: (.*)$/, "name: '$1'") : x));
  },
  secondPipeline: (l) => [...l, "---", ...l.filter((x) => !x.startsWith("#"))],
  crlf: (l) => l.map((x) => `${x}\r`),
  bom: (l) => [`\ufeff${l[0] ?? ""}`, ...l.slice(1)],
  // A nested quoted scalar left open, whose next line at indent 0 reads like a top-level key.
  continuationAtIndentZero: (l) => {
    const i = l.findIndex((x) => /^ {4,}\w+: \S/.test(x));
    if (i < 0) return l;
    const out = l.filter((x) => !x.startsWith("schemaVersion:"));
    const j = out.indexOf(l[i] as string);
    return [
      ...out.slice(0, j),
      (l[i] as string).replace(/: (\S.*)$/, ': "$1'),
      'schemaVersion: 2.1.0"',
      ...out.slice(j + 1),
    ];
  },
};

describe.skipIf(!hasShared && !process.env.CI)('depth "top" against the full parse', () => {
  const yamlFiles = corpusFiles(".", (f) => /\.ya?ml$/.test(f));

  it("every YAML package of the corpus: never a refusal the full parse does not make; what it accepts, the full parse accepts or refuses only on YAML syntax", () => {
    expect(yamlFiles.length).toBeGreaterThan(100);
    let fast = 0;
    const leftToServer: string[] = [];
    for (const f of yamlFiles) {
      const text = readFileSync(f, "utf8");
      if (expectTopPromise(text, f) === "syntax-left-to-server") leftToServer.push(f);
      if (fastCheck(text, "top").ok) fast++;
      expect(fastCheck(readFileSync(f), "top"), f).toEqual(fastCheck(text, "top"));
      expect(
        verdict(() => checkPackageBytes(readFileSync(f), "p.yaml", "top")),
        f,
      ).toBe(verdict(() => checkPackageText(text, "top")));
    }
    expect(fast / yamlFiles.length).toBeGreaterThan(0.9);
    // Of the corpus's invalid packages, only ones broken below the top level reach the server.
    expect(
      leftToServer.every((f) => f.includes("/invalid/")),
      leftToServer.join(", "),
    ).toBe(true);
  });

  it("generated variants of every valid package: the same promise; top-level changes get the full parse's verdict and message", () => {
    const valid = corpusFiles("valid", (f) => /\.ya?ml$/.test(f));
    const r = rng(16);
    let n = 0;
    let left = 0;
    const mutations = Object.entries(MUTATIONS);
    for (const [fi, f] of valid.entries()) {
      const lines = readFileSync(f, "utf8").split("\n");
      for (const [mi, [name, mutate]] of mutations.entries()) {
        if ((fi + mi) % 4 !== 0) continue;
        if (expectTopPromise(mutate(lines, r).join("\n"), `${f} ${name}`) !== "same") left++;
        n++;
      }
      for (const [mi, [name, mutate]] of Object.entries(TOP_LEVEL_MUTATIONS).entries()) {
        if ((fi + mi) % 3 !== 0) continue;
        const text = mutate(lines, r).join("\n");
        const label = `${f} ${name}`;
        if (name === "continuationAtIndentZero") expectTopPromise(text, label);
        else
          expect(
            verdict(() => checkPackageText(text, "top")),
            label,
          ).toBe(verdict(() => parsePipelinePackage(text)));
        n++;
      }
    }
    const perPackage = mutations.length / 4 + Object.keys(TOP_LEVEL_MUTATIONS).length / 3;
    expect(n).toBeGreaterThan(valid.length * perPackage - mutations.length);
    // Some variants are broken only below the top level: those are the server's to refuse.
    expect(left).toBeGreaterThan(0);
  });
});

describe("the block YAML recogniser", () => {
  it.each([
    ["a mapping", "a: 1\nb:\n  c: x\n", -1],
    ["an indentless sequence", "a:\n- x\n- y\nb: 2\n", -1],
    ["a sequence of mappings", "a:\n  - k: 1\n    v: 2\n  - k: 3\n", -1],
    ["a multi-line double-quoted scalar, as PyYAML writes it", 'a:\n- "one\\\ntwo"\n', -1],
    ["a block scalar", "a: |\n  one\n  two\nb: 1\n", -1],
    ["a multi-line plain scalar", "a: one\n  > two\nb: 1\n", -1],
    ["a repeated key", "a: 1\na: 2\n", 1],
    ["a nested mapping in a value", "a: b: c\n", 0],
    ["a bad escape", 'a: "x\\q"\n', 0],
    ["a deeper line after a mapping entry", "a: 1\n   b: 2\n", 1],
    ["a tab", "a:\n\tb: 1\n", 0],
    ["an anchor (not known: left to the parser)", "a: &x 1\n", 0],
    ["a quoted scalar left open", "a: 'x\n", 0],
    ["a key written single-quoted with '' and double-quoted", "'a''b': 1\n\"a'b\": 2\n", 1],
    ["keys with '' that differ", "'a''b': 1\n'a''c': 2\n'ab': 3\n", -1],
    ["a plain and a quoted spelling of one key", "ab: 1\n'ab': 2\n", 1],
    ["a quoted key with a non-ASCII character (left to the parser)", "'é': 1\n", 0],
    ["a byte order mark", "\ufeffa: 1\nb: 2\n", -1],
  ])("%s", (_name, text, line) => {
    expect(firstUnknownLine(text)).toBe(line);
    // What it recognises, the YAML parser reads without error.
    // (Continuation lines of quoted scalars re-indented first, as the full parse does.)
    if (line === -1) {
      const docs = parseAllDocuments(indentQuotedContinuations(text));
      expect(docs.flatMap((d) => d.errors)).toEqual([]);
    }
  });

  it("reads the UTF-8 bytes as it reads the text: same lines, same verdicts", () => {
    const texts = [
      "a: é\nb:\n  - 'ü': 1\n  - c: \"😀\"\n",
      "name: 'x'\n'é': 1\n'é': 2\n",
      "a: |\n  ünïcödé\n  ok\nb: 2\n",
    ];
    for (const text of texts) {
      expect(firstUnknownLine(new TextEncoder().encode(text)), text).toBe(firstUnknownLine(text));
    }
    // Invalid UTF-8: two quoted keys whose bytes differ but decode to the same text (U+FFFD each).
    const bytes = Buffer.concat([
      Buffer.from("'"),
      Buffer.from([0xff]),
      Buffer.from("': 1\n'"),
      Buffer.from([0xfe]),
      Buffer.from("': 2\n"),
    ]);
    expect(bytes.toString("utf8")).toBe("'\ufffd': 1\n'\ufffd': 2\n");
    expect(firstUnknownLine(bytes)).toBe(0);
  });

  it("the small spec of the tests takes the fast path", () => {
    expect(fastCheck(specYaml()).ok).toBe(true);
  });
});
