/**
 * Client-side checks for recurring-run schedules, matching the server's rules (FACTS §7.5):
 * cron expressions are parsed like github.com/robfig/cron v1.2.0 `cron.Parse` — six fields
 * `second minute hour day-of-month month day-of-week`, five fields accepted but read seconds-first
 * (so the Unix cron `*\/5 * * * *` means "every 5 seconds"), descriptors `@hourly`, `@every 1h30m`, ...
 */

export interface CronCheck {
  /** robfig's error text when the server would reject the expression. */
  error?: string;
  /** 6 or 5 for field lists, 0 for a descriptor. */
  fields: 0 | 5 | 6;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const FIELD_BOUNDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  {
    min: 1,
    max: 12,
    names: {
      jan: 1,
      feb: 2,
      mar: 3,
      apr: 4,
      may: 5,
      jun: 6,
      jul: 7,
      aug: 8,
      sep: 9,
      oct: 10,
      nov: 11,
      dec: 12,
    },
  },
  { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } },
];

const DESCRIPTORS = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
]);

class CronSyntaxError extends Error {}

/** Go's `strconv.Quote`, for the texts of Go errors the server repeats. */
function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (GO_ESCAPES[ch] !== undefined) out += GO_ESCAPES[ch];
    else if (ch === " " || GO_PRINTABLE.test(ch)) out += ch;
    else if (c < 0x80) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += `\\U${c.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

/** Go's `unicode.IsPrint` (less the ASCII space): letters, marks, numbers, punctuation, symbols. */
const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

const GO_ESCAPES: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

const INT64_MAX = 9223372036854775807n;

/** robfig's `mustParseInt`: Go `strconv.Atoi` (its error texts), then no negatives. */
function parseNumber(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  if (named !== undefined) return named;
  const atoi = `Failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}`;
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new CronSyntaxError(`${atoi}: invalid syntax`);
  const big = BigInt(expr);
  if (big > INT64_MAX || big < -INT64_MAX - 1n) throw new CronSyntaxError(`${atoi}: value out of range`);
  if (big < 0n) throw new CronSyntaxError(`Negative number (${big}) not allowed: ${expr}`);
  return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
}

/** Go's `strings.Fields` separators: Unicode white space (JS `\s` less U+FEFF, plus U+0085). */
const GO_FIELDS = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

function checkRange(expr: string, b: Bounds): void {
  const slash = expr.split("/");
  const dash = slash[0]!.split("-");
  let lo: number;
  let hi: number;
  if (dash[0] === "*" || dash[0] === "?") {
    lo = b.min;
    hi = b.max;
  } else {
    lo = parseNumber(dash[0]!, b.names);
    if (dash.length === 1) hi = lo;
    else if (dash.length === 2) hi = parseNumber(dash[1]!, b.names);
    else throw new CronSyntaxError(`Too many hyphens: ${expr}`);
  }
  let step = 1;
  if (slash.length === 2) {
    step = parseNumber(slash[1]!);
    if (dash.length === 1) hi = b.max;
  } else if (slash.length > 2) {
    throw new CronSyntaxError(`Too many slashes: ${expr}`);
  }
  if (lo < b.min) throw new CronSyntaxError(`Beginning of range (${lo}) below minimum (${b.min}): ${expr}`);
  if (hi > b.max) throw new CronSyntaxError(`End of range (${hi}) above maximum (${b.max}): ${expr}`);
  if (lo > hi) throw new CronSyntaxError(`Beginning of range (${lo}) beyond end of range (${hi}): ${expr}`);
  if (step === 0) throw new CronSyntaxError(`Step of range should be a positive number: ${expr}`);
}

/** Nanoseconds per unit of Go's `time.ParseDuration`. */
const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const NS_LIMIT = 1n << 63n;

/**
 * Go `time.ParseDuration`, in seconds; throws with Go's message on bad syntax and on durations beyond
 * int64 nanoseconds (about 292 years).
 */
export function parseGoDuration(text: string): number {
  const invalid = () => new CronSyntaxError(`time: invalid duration ${goQuote(text)}`);
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let total = 0n;
  while (s.length > 0) {
    const num = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const whole = num[1] ?? "";
    const frac = num[2] ?? "";
    if (whole === "" && frac === "") throw invalid();
    s = s.slice(num[0].length);
    const unitText = /^[^0-9.]*/u.exec(s)![0];
    if (unitText === "") throw new CronSyntaxError(`time: missing unit in duration ${goQuote(text)}`);
    const unit = DURATION_UNITS[unitText];
    if (unit === undefined) {
      throw new CronSyntaxError(`time: unknown unit ${goQuote(unitText)} in duration ${goQuote(text)}`);
    }
    s = s.slice(unitText.length);
    const v = whole === "" ? 0n : BigInt(whole);
    if (v >= NS_LIMIT || v > NS_LIMIT / unit) throw invalid();
    let ns = v * unit;
    const digits = frac.replace(/0+$/, "");
    if (digits !== "") ns += BigInt(Math.floor(Number(`0.${digits}`) * Number(unit)));
    if (ns > NS_LIMIT) throw invalid();
    total += ns;
    if (total > NS_LIMIT) throw invalid();
  }
  if (!negative && total > NS_LIMIT - 1n) throw invalid();
  return (negative ? -1 : 1) * (Number(total) / 1e9);
}

/** Check a cron expression the way the server does (robfig/cron v1.2.0). */
export function checkCron(spec: string): CronCheck {
  if (typeof spec !== "string" || spec.length === 0) return { error: "Empty spec string", fields: 0 };
  try {
    if (spec.startsWith("@")) {
      if (DESCRIPTORS.has(spec)) return { fields: 0 };
      if (spec.startsWith("@every ")) {
        try {
          parseGoDuration(spec.slice("@every ".length));
        } catch (e) {
          throw new CronSyntaxError(`Failed to parse duration ${spec}: ${(e as Error).message}`);
        }
        return { fields: 0 };
      }
      throw new CronSyntaxError(`Unrecognized descriptor: ${spec}`);
    }
    const fields = spec.split(GO_FIELDS).filter((f) => f.length > 0);
    if (fields.length < 5 || fields.length > 6) {
      throw new CronSyntaxError(`Expected 5 to 6 fields, found ${fields.length}: ${spec}`);
    }
    fields.forEach((field, i) => {
      for (const expr of field.split(",").filter((p) => p.length > 0)) checkRange(expr, FIELD_BOUNDS[i]!);
    });
    return { fields: fields.length as 5 | 6 };
  } catch (e) {
    if (e instanceof CronSyntaxError) return { error: e.message, fields: 0 };
    throw e;
  }
}

/**
 * Convert a standard 5-field Unix cron (`minute hour day-of-month month day-of-week`) to the server's
 * 6-field form by prepending a `0` seconds field. Unix day-of-week `7` (Sunday) becomes `0`.
 * Returns undefined when `spec` is not a 5-field expression.
 */
export function unixCronToKfp(spec: string): string | undefined {
  const fields = spec.trim().split(/\s+/u);
  if (fields.length !== 5) return undefined;
  const dow = fields[4]!
    .split(",")
    .map((part) => {
      if (part === "7") return "0";
      const range = /^(\d+)-7$/.exec(part);
      if (range) return range[1] === "7" ? "0" : `${range[1]}-6,0`;
      return part;
    })
    .join(",");
  return ["0", ...fields.slice(0, 4), dow].join(" ");
}
