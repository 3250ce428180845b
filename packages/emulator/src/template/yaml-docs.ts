/**
 * A YAML stream read the way the server's yaml.v3 reads a pipeline package: nesting bounded before
 * any parser runs, compiler-written block YAML by the fast parser (fast-yaml.ts), anything else by the
 * `yaml` package with libyaml's tolerance for quoted continuation lines; errors in Go's wording.
 */
import YAML from "yaml";
import { depthMessage, MAX_NESTING_DEPTH, valueDepth, yamlTextDepth } from "../http/limits.js";
import { parseBlockYaml } from "./fast-yaml.js";

export interface YamlDoc {
  value: unknown;
  error?: string;
}

/** Position just after the closing quote of a quoted scalar starting at `start` (the quote), or -1. */
function closingQuote(line: string, start: number, quote: string): number {
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (quote === '"' && c === "\\") {
      i++;
      continue;
    }
    if (c === quote) {
      if (quote === "'" && line[i + 1] === "'") {
        i++;
        continue;
      }
      return i + 1;
    }
  }
  return -1;
}

/**
 * Go's yaml.v3 (libyaml) accepts multi-line quoted scalars whose continuation lines sit at the
 * column of the enclosing `- ` or key, as the KFP SDK writes them (e.g. long `command` strings);
 * the `yaml` package rejects that as bad indentation. Indenting such continuation lines further
 * does not change the value (leading white space of continuation lines is folded away).
 */
function indentQuotedContinuations(text: string): string {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = /^(\s*)((?:- )+|(?:- )*[^'"#\s-][^#]*?:\s+)(["'])/.exec(line);
    if (!m) continue;
    const quote = m[3]!;
    const base = m[1]!.length;
    let pos = closingQuote(line, m[0].length, quote);
    let j = i;
    while (pos < 0 && j + 1 < lines.length) {
      j++;
      const next = lines[j]!;
      const indent = next.length - next.trimStart().length;
      if (next.trim() !== "" && indent <= base) lines[j] = " ".repeat(base + 2 - indent) + next;
      pos = closingQuote(lines[j]!, 0, quote);
    }
    i = j;
  }
  return lines.join("\n");
}

export function yamlDocs(text: string): YamlDoc[] {
  // Nesting is bounded before any parser sees the text (a few KB of brackets would exhaust memory).
  if (yamlTextDepth(text) > MAX_NESTING_DEPTH)
    return [{ value: undefined, error: `yaml: ${depthMessage("the document")}` }];
  const docs = parseYamlDocs(text);
  for (const d of docs) {
    if (!d.error && valueDepth(d.value) > MAX_NESTING_DEPTH)
      return [{ value: undefined, error: `yaml: ${depthMessage("the document")}` }];
  }
  return docs;
}

function parseYamlDocs(text: string): YamlDoc[] {
  // Compiled pipelines are plain block YAML: the fast parser reads them with the same result, and
  // gives up (→ the `yaml` package, with its error messages) on anything else.
  const fast = parseBlockYaml(text);
  if (fast) return fast.map((value) => ({ value }));
  const opts = { merge: true, uniqueKeys: true, prettyErrors: false } as const;
  let docs = YAML.parseAllDocuments(text, opts);
  if (Array.isArray(docs) && docs.some((d) => d.errors.length > 0)) {
    const retry = YAML.parseAllDocuments(indentQuotedContinuations(text), opts);
    if (Array.isArray(retry) && retry.every((d) => d.errors.length === 0)) docs = retry;
  }
  const list = Array.isArray(docs) ? docs : [];
  const out: YamlDoc[] = [];
  for (const d of list) {
    if (d.errors.length > 0) {
      const e = d.errors[0]!;
      const line = e.linePos?.[0]?.line;
      const msg = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      out.push({ value: undefined, error: `yaml: ${line !== undefined ? `line ${line}: ` : ""}${msg}` });
      break;
    }
    let value: unknown;
    try {
      value = d.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      out.push({ value: undefined, error: `yaml: ${(err as Error).message}` });
      break;
    }
    out.push({ value });
  }
  return out;
}
