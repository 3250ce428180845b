/**
 * The fast block-YAML path (src/emulator/fast-yaml.ts) must give exactly what the `yaml` package
 * gives (same options as template/yaml-docs.ts), or give up: on every shared pipeline package, on
 * seeded generated variants around its subset (indentation, quoting, folding, comments, indicators,
 * keys), and on hand-picked cases.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { parseBlockYaml } from "../../packages/emulator/src/template/fast-yaml.js";
import { hasShared, listFiles, sharedPipelines } from "./helpers/shared.js";

/** What template/yaml-docs.ts would get from the `yaml` package: the documents' values, or "error". */
function viaLibrary(text: string): unknown[] | "error" {
  const docs = YAML.parseAllDocuments(text, { merge: true, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  if (list.some((d) => d.errors.length > 0)) return "error";
  return list.map((d) => d.toJS({ maxAliasCount: 1000 }));
}

/** Checks the fast path against the library; returns whether the fast path answered. */
function agrees(text: string): boolean {
  const fast = parseBlockYaml(text);
  if (fast === undefined) return false;
  const lib = viaLibrary(text);
  if (lib === "error" || !isDeepStrictEqual(fast, lib)) {
    throw new Error(
      `fast YAML differs from the yaml package for:\n${text}\nfast: ${JSON.stringify(fast)}\nlib: ${JSON.stringify(lib)}`,
    );
  }
  return true;
}

describe.skipIf(!hasShared)("fast YAML on the shared pipeline packages", () => {
  it("reads every package like the yaml package, and most of them without it", () => {
    const files = listFiles(sharedPipelines).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThan(100);
    let fast = 0;
    let libOk = 0;
    for (const f of files) {
      const text = readFileSync(resolve(sharedPipelines, f), "utf8");
      if (viaLibrary(text) !== "error") libOk++;
      if (agrees(text)) fast++;
    }
    // Compiled packages are the fast path's purpose: losing coverage is a regression too.
    expect(fast / libOk).toBeGreaterThan(0.9);
  });
});

// ── Generated variants ──────────────────────────────────────────────────────────────────────────

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ANY_PLAIN = [
  "a", "hello world", "x: y", "x:y", "a #b", "a#b", "-x", "- x", "-", "?x", "? x", ":x", ": x", "[x",
  "[]", "{}", "{a", "x]", "x,y", "!t", "&a", "*a", "%x", "@x", "`x", "|", ">", "'q", "q'", '"q', "1",
  "-1", "+1", "007", "0o17", "0x1F", "1.5", "1.", ".5", "1e5", "-2E-3", ".inf", "-.Inf", ".nan", "~",
  "null", "Null", "NULL", "nULL", "true", "False", "TRUE", "yes", "2.1.0", "12345678901234567890",
  "a b  ", "x #", "x:", "=", "== 'heads'", ">= 5", "!= 'x'", "{{$.x}}", "a\\b", "é", "日本", "🎉", "<<",
  "__proto__",
]; // biome-ignore format: a table
const SAFE_PLAIN = [
  "a", "hello world", "x:y", "a#b", "-x", "?x", ":x", "x]", "x,y", "q'", "1", "-1", "+1", "007", "1.5",
  "1.", ".5", "1e5", "-2E-3", "~", "null", "NULL", "nULL", "true", "False", "yes", "2.1.0", "0.0.1",
  "a  b", "=", "== 'heads'", ">= 5", "!= 'x'", "'p==0.17.1' || b", "{{$.x}}", "é", "🎉", "python:3.11",
  "gcr.io/x/y:latest", "sh", "-c", 'echo "$0"',
]; // biome-ignore format: a table

/** A random YAML-ish document near the fast subset (many are invalid on purpose). */
function generate(r: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const chance = (p: number) => r() < p;
  const sp = (n: number) => " ".repeat(Math.max(0, n));
  const lines: string[] = [];
  const plain = () => (chance(0.3) ? pick(ANY_PLAIN) : pick(SAFE_PLAIN));
  const scalarLines = (indent: number, lead: string): string[] => {
    const k = r();
    if (k < 0.35) {
      let s = plain();
      if (chance(0.1)) s += " # comment";
      const out = [lead + s];
      if (chance(0.15)) {
        for (let i = 0, n = 1 + Math.floor(r() * 3); i < n; i++) {
          if (chance(0.3)) out.push(chance(0.5) ? "" : sp(indent + Math.floor(r() * 3)));
          if (chance(0.1)) out.push(`${sp(indent + 2)}# c`);
          out.push(sp(indent + Math.floor(r() * 4) - (chance(0.1) ? 2 : 0)) + plain());
        }
      }
      return out;
    }
    if (k < 0.55) {
      const out: string[] = [];
      let cur = `${lead}'${pick(["a", "it''s", "x: y", "#x", " lead", "trail ", "", '"', "\\n"])}`;
      for (let i = 0, n = chance(0.5) ? 0 : 1 + Math.floor(r() * 4); i < n; i++) {
        out.push(cur + (chance(0.2) ? "  " : ""));
        if (chance(0.4)) out.push(chance(0.8) ? "" : sp(indent + 1));
        cur =
          sp(indent + Math.floor(r() * 4) - (chance(0.1) ? 2 : 0)) +
          pick(["b", "c d", "''x''", "#c", "- x", "---", "k: v", "  z"]);
      }
      out.push(`${cur}'${chance(0.1) ? " # c" : chance(0.05) ? "x" : ""}`);
      return out;
    }
    if (k < 0.75) {
      const esc = () =>
        pick(["a", "\\n", "\\t", '\\"', "\\\\", "\\/", "\\x41", "\\u00e9", "\\U0001F389", "\\ud800", "\\q", "\\ ", "\\0", "\\e", "\\N", "\\_", "\\L", "x y", "'", "#", ": "]); // biome-ignore format: a table
      const out: string[] = [];
      let cur = `${lead}"${esc()}`;
      for (let i = 0, n = chance(0.5) ? 0 : 1 + Math.floor(r() * 4); i < n; i++) {
        out.push(cur + (chance(0.3) ? "\\" : chance(0.2) ? "  " : ""));
        if (chance(0.3)) out.push("");
        cur = sp(indent + Math.floor(r() * 4) - (chance(0.1) ? 2 : 0)) + (chance(0.2) ? "\\ " : "") + esc();
      }
      out.push(`${cur}"${chance(0.1) ? " # c" : chance(0.05) ? "x" : ""}`);
      return out;
    }
    if (k < 0.9) {
      const header = chance(0.7) ? pick(["|", "|-"]) : pick(["|+", ">", ">-", "|2", "| # c", "|  "]);
      const out = [lead + header];
      const m = indent + (chance(0.9) ? 2 : chance(0.5) ? 0 : 4);
      if (chance(0.2)) out.push("");
      for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) {
        out.push(
          sp(m + (chance(0.2) ? 2 : 0) - (chance(0.05) ? 1 : 0)) +
            pick(["code()", "# not a comment", "x: y", "- z", "  deeper", "'q'"]),
        );
        if (chance(0.2)) out.push(chance(0.8) ? "" : sp(m + (chance(0.5) ? 2 : -1)));
      }
      return out;
    }
    return [lead + pick(["[]", "{}", "[] # c", "[a]", "{a: 1}", "[ ]", "&x a", "*x", "!!str a", "? a"])];
  };
  const node = (indent: number, depth: number, lead: string): void => {
    const leaf = depth > 3; // deeper nodes hold scalars only
    if (r() < 0.4) {
      const keys: string[] = [];
      for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) {
        let key = chance(0.04)
          ? pick(["'q k'", '"d\\tk"', "1", "true", "<<", "__proto__", "a b", "a:b", "-a", "? a", "k #c", "~"])
          : `k${i}`;
        if (chance(0.02) && keys.length > 0) key = keys[0]!;
        keys.push(key);
        const ind = indent + (chance(0.04) ? pick([-1, 1, 2]) : 0);
        const first = i === 0 && lead ? lead : sp(ind);
        const sep = chance(0.05) ? pick([":", "  :", ": "]) : ":";
        if (!leaf && chance(0.45)) {
          lines.push(`${first}${key}${sep}${chance(0.1) ? " # c" : ""}`);
          if (chance(0.15)) lines.push(chance(0.5) ? "" : `${sp(indent + 2)}# comment`);
          if (chance(0.1)) continue;
          node(chance(0.15) ? indent : indent + pick([2, 2, 2, 1, 4]), depth + 1, "");
        } else {
          lines.push(...scalarLines(ind, `${first}${key}${sep} `));
        }
        if (chance(0.08)) lines.push(`${sp(Math.floor(r() * 6))}# c`);
      }
      return;
    }
    for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) {
      const ind = indent + (chance(0.04) ? pick([-1, 1]) : 0);
      const first = i === 0 && lead ? lead : sp(ind);
      const dash = chance(0.05) ? pick(["-", "-   ", "- - "]) : "- ";
      const t = leaf ? 1 : r();
      if (t < 0.25) {
        const before = lines.length;
        node(ind + dash.length, depth + 1, first + dash);
        if (lines.length === before) lines.push(first + dash.trimEnd());
      } else if (t < 0.35) {
        lines.push(first + dash.trimEnd());
        node(ind + 2, depth + 1, "");
      } else {
        lines.push(...scalarLines(ind, first + dash));
      }
    }
  };
  if (chance(0.1)) lines.push("# header");
  if (chance(0.1)) lines.push("---");
  node(chance(0.95) ? 0 : 2, 0, "");
  if (chance(0.15)) {
    lines.push(pick(["---", "--- ", "...", "--- x", "%YAML 1.2"]));
    if (chance(0.8)) node(0, 1, "");
  }
  return lines.join("\n") + (chance(0.8) ? "\n" : "");
}

describe("fast YAML on generated documents", () => {
  it("agrees with the yaml package or gives up, on 4,000 seeded variants", () => {
    const r = mulberry32(20261128);
    let fast = 0;
    for (let i = 0; i < 4000; i++) if (agrees(generate(r))) fast++;
    // Enough accepted documents for the comparison to mean something.
    expect(fast).toBeGreaterThan(400);
  });
});

// ── Hand-picked cases ───────────────────────────────────────────────────────────────────────────

describe("fast YAML cases", () => {
  const same: [string, string][] = [
    ["PyYAML multi-line single-quoted code", "cmd:\n- 'set -e -x\n\n  echo \"$0\"\n\n  '\n- x\n"],
    ["double-quoted with escaped line breaks", 'a: "x\\\n  \\ y\\n\\t\\u00e9 \\\n  z"\n'],
    ["folded plain scalar", "cond: inputs.parameter_values['x']\n  == 'heads'\nnext: 1\n"],
    ["literal block keeps inner lines", "s:\n- |\n  line 1\n    indented\n\n  # not a comment\n- after\n"],
    ["strip chomping", "s: |-\n  a\n  b\n\nt: 2\n"],
    ["indentless sequence and compact maps", "a:\n- k: 1\n  j: [] # c\n- {}\nb: ~\n"],
    ["core schema scalars", "i: -12\nf: 1.50\ne: 1e-05\nb: True\nn: NULL\ns: 2.1.0\nq: '1'\n"],
    ["two documents", "# c\n---\npipelineInfo:\n  name: p\n---\nplatforms:\n  kubernetes: {}\n"],
  ];
  it.each(same)("%s", (_name, text) => {
    expect(agrees(text)).toBe(true);
  });

  const givesUp: [string, string][] = [
    ["anchors and aliases", "a: &x 1\nb: *x\n"],
    ["tags", "a: !!str 1\n"],
    ["flow collections with content", "a: [1, 2]\n"],
    ["merge keys", "a:\n  <<: {}\n"],
    ["duplicate keys", "a: 1\na: 2\n"],
    ["non-string keys", "1: a\n"],
    ["tabs", "a:\tb\n"],
    ["folded block scalars", "a: >\n  x\n"],
    ["directives", "%YAML 1.2\n---\na: 1\n"],
    ["bad indentation", "a:\n  b: 1\n c: 2\n"],
    ["continuation not indented past its key (the SDK quirk)", "- 'abc\nxyz'\n"],
    ["empty text", ""],
  ];
  it.each(givesUp)("gives up on %s", (_name, text) => {
    expect(parseBlockYaml(text)).toBeUndefined();
  });
});
