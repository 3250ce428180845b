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

function parseNumber(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^[+-]?\d+$/.test(expr)) throw new CronSyntaxError(`Failed to parse int from ${expr}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new CronSyntaxError(`Negative number (${n}) not allowed: ${expr}`);
  return n;
}

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

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  "\u00b5s": 1e-6,
  "\u03bcs": 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** Go `time.ParseDuration`, in seconds; throws with Go's message on bad syntax. */
export function parseGoDuration(text: string): number {
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw new CronSyntaxError(`time: invalid duration "${text}"`);
  let total = 0;
  while (s.length > 0) {
    const num = /^(\d*)(\.(\d*))?/.exec(s)!;
    if (num[1] === "" && (num[3] ?? "") === "") throw new CronSyntaxError(`time: invalid duration "${text}"`);
    s = s.slice(num[0].length);
    const unitMatch = /^[^\d.]*/u.exec(s)!;
    const unitText = unitMatch[0];
    if (unitText === "") throw new CronSyntaxError(`time: missing unit in duration "${text}"`);
    const unit = DURATION_UNITS[unitText];
    if (unit === undefined)
      throw new CronSyntaxError(`time: unknown unit "${unitText}" in duration "${text}"`);
    total += Number(`${num[1] || "0"}.${num[3] || "0"}`) * unit;
    s = s.slice(unitText.length);
  }
  return sign * total;
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
    const fields = spec.split(/\s+/u).filter((f) => f.length > 0);
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
