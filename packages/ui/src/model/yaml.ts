/**
 * JSON value → block YAML (pure), for showing and downloading a pipeline spec the API returns as JSON.
 * Strings are quoted whenever a plain scalar could be read back as something else, so the text parses
 * back to the same value (held to that by a round-trip test with the `yaml` package).
 */

const PLAIN = /^[A-Za-z_][A-Za-z0-9_./-]*( [A-Za-z0-9_./-]+)*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number")
    return Number.isFinite(v) ? String(v) : v > 0 ? ".inf" : v < 0 ? "-.inf" : ".nan";
  const s = String(v);
  if (s !== "" && PLAIN.test(s) && !RESERVED.test(s)) return s;
  return JSON.stringify(s);
}

function key(k: string): string {
  return scalar(k);
}

function block(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isContainer(item)) {
        const lines: string[] = [];
        block(item, `${indent}  `, lines);
        const first = lines[0]!.slice(indent.length + 2);
        out.push(`${indent}- ${first}`, ...lines.slice(1));
      } else out.push(`${indent}- ${inline(item)}`);
    }
    return;
  }
  for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
    if (isContainer(item)) {
      out.push(`${indent}${key(k)}:`);
      block(item, Array.isArray(item) ? indent : `${indent}  `, out);
    } else out.push(`${indent}${key(k)}: ${inline(item)}`);
  }
}

function isContainer(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return typeof v === "object" && v !== null && Object.keys(v).length > 0;
}

function inline(v: unknown): string {
  if (Array.isArray(v)) return "[]";
  if (typeof v === "object" && v !== null) return "{}";
  if (typeof v === "string" && v.includes("\n")) return JSON.stringify(v);
  return scalar(v);
}

/** Block YAML of a JSON value, ending with a newline. */
export function toYaml(v: unknown): string {
  if (!isContainer(v)) return `${inline(v)}\n`;
  const out: string[] = [];
  block(v, "", out);
  return `${out.join("\n")}\n`;
}
