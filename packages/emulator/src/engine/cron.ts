/**
 * Cron schedules with the semantics of github.com/robfig/cron v1.2.0 `cron.Parse`, which the real
 * server uses to validate `cron_schedule.cron` and the ScheduledWorkflow controller uses to compute
 * fire times (FACTS.md §7.5):
 *
 * - 6 fields: second minute hour day-of-month month day-of-week (`0 0 9 ? * 2-6`);
 * - 5 fields are accepted too and read **seconds-first** with day-of-week `*` (`*\/5 * * * *` = every 5 s);
 * - `*`, `?`, lists `a,b`, ranges `a-b`, steps `a-b/n`, `*\/n`, `n/step` (= n-max/step), month and
 *   weekday names (case-insensitive, `jan`, `mon`);
 * - descriptors `@yearly` `@annually` `@monthly` `@weekly` `@daily` `@midnight` `@hourly`
 *   `@every <Go duration>`.
 *
 * Error texts are robfig's, so the server's 400 message matches. Times are whole Unix seconds in UTC
 * (the controller's default location in a container).
 */
import { goQuote } from "../go-text.js";

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CronError";
  }
}

export interface CronSchedule {
  /** The next activation strictly after `unixSeconds`, or undefined when none within five years. */
  next(unixSeconds: number): number | undefined;
  /** The normalised source text. */
  readonly spec: string;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const SECONDS: Bounds = { min: 0, max: 59 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
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
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** A field as a set of allowed values plus robfig's "star bit" (the field was `*` or `?`). */
interface Field {
  values: Set<number>;
  star: boolean;
}

/** Parse a schedule like robfig/cron v1.2.0 `cron.Parse`; throws CronError with robfig's message. */
export function parseCron(spec: string): CronSchedule {
  if (spec.length === 0) throw new CronError("Empty spec string");
  if (spec[0] === "@") return parseDescriptor(spec);
  // strings.Fields: split on runs of Unicode white space.
  const fields = spec.split(/[\s\u0085\u00a0]+/u).filter((f) => f.length > 0);
  if (fields.length < 5 || fields.length > 6) {
    throw new CronError(`Expected 5 to 6 fields, found ${fields.length}: ${spec}`);
  }
  const f = fields.length === 5 ? [...fields, "*"] : fields;
  const bounds = [SECONDS, MINUTES, HOURS, DOM, MONTHS, DOW];
  const parsed = f.map((text, i) => getField(text, bounds[i]!));
  return new SpecSchedule(spec, parsed as [Field, Field, Field, Field, Field, Field]);
}

/** Validate only; returns robfig's error text or undefined. */
export function cronError(spec: string): string | undefined {
  try {
    parseCron(spec);
    return undefined;
  } catch (err) {
    if (err instanceof CronError) return err.message;
    throw err;
  }
}

function getField(field: string, r: Bounds): Field {
  const out: Field = { values: new Set(), star: false };
  // strings.FieldsFunc on ',' drops empty pieces.
  for (const expr of field.split(",").filter((p) => p.length > 0)) {
    getRange(expr, r, out);
  }
  return out;
}

function getRange(expr: string, r: Bounds, out: Field): void {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0]!.split("-");
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = r.min;
    end = r.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
    else throw new CronError(`Too many hyphens: ${expr}`);
  }
  let step: number;
  if (rangeAndStep.length === 1) {
    step = 1;
  } else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    if (singleDigit) end = r.max;
  } else {
    throw new CronError(`Too many slashes: ${expr}`);
  }
  if (start < r.min) throw new CronError(`Beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronError(`End of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronError(`Beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`Step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) out.values.add(i);
  if (star) out.star = true;
}

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  if (names) {
    const v = names[expr.toLowerCase()];
    if (v !== undefined) return v;
  }
  return mustParseInt(expr);
}

const INT64_MAX = 9223372036854775807n;

/** Go `strconv.Atoi` plus robfig's negative check, with Go's error texts. */
function mustParseInt(expr: string): number {
  const m = /^[+-]?[0-9]+$/.exec(expr);
  if (!m) {
    throw new CronError(
      `Failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: invalid syntax`,
    );
  }
  const big = BigInt(expr);
  if (big > INT64_MAX || big < -INT64_MAX - 1n) {
    throw new CronError(
      `Failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: value out of range`,
    );
  }
  if (big < 0n) throw new CronError(`Negative number (${big}) not allowed: ${expr}`);
  // Values far above any bound only appear in error messages; keep them exact there.
  return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
}

function all(r: Bounds): Field {
  const values = new Set<number>();
  for (let i = r.min; i <= r.max; i++) values.add(i);
  return { values, star: true };
}

function one(v: number): Field {
  return { values: new Set([v]), star: false };
}

function parseDescriptor(descriptor: string): CronSchedule {
  switch (descriptor) {
    case "@yearly":
    case "@annually":
      return new SpecSchedule(descriptor, [one(0), one(0), one(0), one(1), one(1), all(DOW)]);
    case "@monthly":
      return new SpecSchedule(descriptor, [one(0), one(0), one(0), one(1), all(MONTHS), all(DOW)]);
    case "@weekly":
      return new SpecSchedule(descriptor, [one(0), one(0), one(0), all(DOM), all(MONTHS), one(0)]);
    case "@daily":
    case "@midnight":
      return new SpecSchedule(descriptor, [one(0), one(0), one(0), all(DOM), all(MONTHS), all(DOW)]);
    case "@hourly":
      return new SpecSchedule(descriptor, [one(0), one(0), all(HOURS), all(DOM), all(MONTHS), all(DOW)]);
  }
  const every = "@every ";
  if (descriptor.startsWith(every)) {
    let ns: bigint;
    try {
      ns = parseGoDuration(descriptor.slice(every.length));
    } catch (err) {
      throw new CronError(`Failed to parse duration ${descriptor}: ${(err as Error).message}`);
    }
    // cron.Every: below one second rounds up to one second; sub-second parts are truncated.
    const second = 1_000_000_000n;
    if (ns < second) ns = second;
    const delay = Number((ns - (ns % second)) / second);
    return {
      spec: descriptor,
      next: (t: number) => t + delay,
    };
  }
  throw new CronError(`Unrecognized descriptor: ${descriptor}`);
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n, // U+00B5
  μs: 1000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go `time.ParseDuration` (nanoseconds as bigint) with Go's error texts. */
export function parseGoDuration(input: string): bigint {
  const orig = input;
  const invalid = () => new Error(`time: invalid duration ${goQuote(orig)}`);
  let s = input;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw invalid();
  const limit = 1n << 63n;
  let d = 0n;
  while (s !== "") {
    if (!(s[0] === "." || (s[0]! >= "0" && s[0]! <= "9"))) throw invalid();
    const intMatch = /^[0-9]*/.exec(s)![0];
    let v = intMatch === "" ? 0n : BigInt(intMatch);
    if (v >= limit) throw invalid();
    s = s.slice(intMatch.length);
    const pre = intMatch.length > 0;
    let post = false;
    let frac = "";
    if (s !== "" && s[0] === ".") {
      s = s.slice(1);
      frac = /^[0-9]*/.exec(s)![0];
      s = s.slice(frac.length);
      post = frac.length > 0;
    }
    if (!pre && !post) throw invalid();
    let i = 0;
    while (i < s.length && !(s[i] === "." || (s[i]! >= "0" && s[i]! <= "9"))) i++;
    if (i === 0) throw new Error(`time: missing unit in duration ${goQuote(orig)}`);
    const u = s.slice(0, i);
    s = s.slice(i);
    const unit = UNIT_NS[u];
    if (unit === undefined) throw new Error(`time: unknown unit ${goQuote(u)} in duration ${goQuote(orig)}`);
    if (v > limit / unit) throw invalid();
    v *= unit;
    if (frac !== "") {
      // Go keeps at most ~19 significant fraction digits; float64 arithmetic as upstream.
      const digits = frac.replace(/0+$/, "");
      if (digits !== "") {
        const f = Number(`0.${digits}`);
        v += BigInt(Math.floor(f * Number(unit)));
        if (v > limit) throw invalid();
      }
    }
    d += v;
    if (d > limit) throw invalid();
  }
  if (neg) return -d;
  if (d > limit - 1n) throw invalid();
  return d;
}

const YEAR_LIMIT = 5;

class SpecSchedule implements CronSchedule {
  constructor(
    readonly spec: string,
    private readonly f: [Field, Field, Field, Field, Field, Field],
  ) {}

  next(unixSeconds: number): number | undefined {
    const [second, minute, hour, dom, month, dow] = this.f;
    const dayMatches = (d: Date): boolean => {
      const domMatch = dom.values.has(d.getUTCDate());
      const dowMatch = dow.values.has(d.getUTCDay());
      if (dom.star || dow.star) return domMatch && dowMatch;
      return domMatch || dowMatch;
    };
    // Start at the upcoming second (inputs are whole seconds).
    let t = new Date((Math.floor(unixSeconds) + 1) * 1000);
    let added = false;
    const yearLimit = t.getUTCFullYear() + YEAR_LIMIT;
    const date = (y: number, mo: number, d: number, h: number, mi: number, s: number) =>
      new Date(Date.UTC(y, mo, d, h, mi, s));
    for (let guard = 0; guard < 100_000; guard++) {
      if (t.getUTCFullYear() > yearLimit) return undefined;
      let wrapped = false;
      while (!month.values.has(t.getUTCMonth() + 1)) {
        if (!added) {
          added = true;
          t = date(t.getUTCFullYear(), t.getUTCMonth(), 1, 0, 0, 0);
        }
        // AddDate(0, 1, 0): Date.UTC normalises day overflow the same way Go does.
        t = date(
          t.getUTCFullYear(),
          t.getUTCMonth() + 1,
          t.getUTCDate(),
          t.getUTCHours(),
          t.getUTCMinutes(),
          t.getUTCSeconds(),
        );
        if (t.getUTCMonth() === 0) {
          wrapped = true;
          break;
        }
      }
      if (wrapped) continue;
      while (!dayMatches(t)) {
        if (!added) {
          added = true;
          t = date(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), 0, 0, 0);
        }
        t = date(
          t.getUTCFullYear(),
          t.getUTCMonth(),
          t.getUTCDate() + 1,
          t.getUTCHours(),
          t.getUTCMinutes(),
          t.getUTCSeconds(),
        );
        if (t.getUTCDate() === 1) {
          wrapped = true;
          break;
        }
      }
      if (wrapped) continue;
      while (!hour.values.has(t.getUTCHours())) {
        if (!added) {
          added = true;
          t = date(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), 0, 0);
        }
        t = new Date(t.getTime() + 3_600_000);
        if (t.getUTCHours() === 0) {
          wrapped = true;
          break;
        }
      }
      if (wrapped) continue;
      while (!minute.values.has(t.getUTCMinutes())) {
        if (!added) {
          added = true;
          t = new Date(Math.floor(t.getTime() / 60_000) * 60_000);
        }
        t = new Date(t.getTime() + 60_000);
        if (t.getUTCMinutes() === 0) {
          wrapped = true;
          break;
        }
      }
      if (wrapped) continue;
      while (!second.values.has(t.getUTCSeconds())) {
        if (!added) added = true;
        t = new Date(t.getTime() + 1000);
        if (t.getUTCSeconds() === 0) {
          wrapped = true;
          break;
        }
      }
      if (wrapped) continue;
      return Math.floor(t.getTime() / 1000);
    }
    return undefined;
  }
}
