/**
 * One generated corpus for the twin checks (the client's and the emulator's cron, spec and parameter
 * checks): deterministic (a seeded generator), so a disagreement always reproduces.
 */

/** Mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;

const ATOMS = [
  "*",
  "?",
  "0",
  "1",
  "5",
  "7",
  "12",
  "13",
  "23",
  "24",
  "31",
  "32",
  "59",
  "60",
  "+5",
  "-1",
  "007",
  "jan",
  "JAN",
  "dec",
  "sun",
  "Mon",
  "sat",
  "fri",
  "L",
  "W",
  "x",
  "",
  "99999999999999999999",
  "9223372036854775807",
  "9223372036854775808",
  "1.5",
  "١",
  "0x1",
  "\u00e9",
];

function rangeExpr(rnd: () => number, atoms: readonly string[]): string {
  const r = rnd();
  const a = pick(rnd, atoms);
  if (r < 0.4) return a;
  if (r < 0.6) return `${a}-${pick(rnd, atoms)}`;
  if (atoms !== ATOMS) return `${a}/${pick(rnd, ["1", "2", "5"])}`;
  if (r < 0.75) return `${a}/${pick(rnd, ["0", "1", "2", "7", "60", "x", ""])}`;
  if (r < 0.85) return `${a}-${pick(rnd, atoms)}/${pick(rnd, ["1", "3", "0"])}`;
  if (r < 0.9) return `${a}-${pick(rnd, atoms)}-${pick(rnd, atoms)}`;
  return `${a}/1/2`;
}

// Go's strings.Fields separators (U+FEFF is not one: see test/unit/schedule.test.ts).
const SEPARATORS = [" ", " ", " ", "  ", "\t", "\n", "\u00a0", "\u0085", "\u2003", "\u3000", "\v"];
/** Values each field accepts (seconds, minutes, hours, day of month, month, day of week). */
const VALID_BY_FIELD: readonly (readonly string[])[] = [
  ["*", "?", "0", "5", "30", "59"],
  ["*", "0", "15", "59"],
  ["*", "?", "0", "9", "23"],
  ["*", "?", "1", "15", "31"],
  ["*", "1", "6", "12", "jan", "Dec"],
  ["*", "?", "0", "3", "6", "sun", "MON", "fri"],
];

/** Cron expressions: robfig's own table, then generated field lists and descriptors. */
export function cronCorpus(count = 600, seed = 15): string[] {
  const rnd = prng(seed);
  const out = new Set<string>([
    "",
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
    "@reboot",
    "@Daily",
    "@every 1h30m",
    "@every 0",
    "@every -1s",
    "@every 1.5s",
    "@every 1",
    "@every ",
    "@every 1d",
    "@every 5µs",
    "@every 5μs",
    "@every .5s",
    "@every 1..5s",
    "@every 99999999999999999999h",
    "@every +3m",
    " @daily",
    "@daily ",
    "* * * 0 * *",
    "* * * * 0 *",
    "60 * * * * *",
    "* * * 31-1 * *",
    "0 0 9 * * 1-5",
    "*/5 * * * *",
    "0 */5 * * * *",
    "0 0 0 1 1 * *",
    "* * * *",
  ]);
  for (let i = 0; out.size < count && i < count * 4; i++) {
    // Mostly plausible expressions (valid atoms, 5 or 6 fields), the rest anything.
    const plausible = rnd() < 0.6;
    const n = plausible ? pick(rnd, [5, 6, 6]) : pick(rnd, [4, 5, 5, 6, 6, 6, 7]);
    const fields: string[] = [];
    for (let f = 0; f < n; f++) {
      const parts = rnd() < 0.2 ? 2 + Math.floor(rnd() * 2) : 1;
      const atoms = plausible ? VALID_BY_FIELD[f]! : ATOMS;
      fields.push(Array.from({ length: parts }, () => rangeExpr(rnd, atoms)).join(rnd() < 0.05 ? ",," : ","));
    }
    let spec = fields[0] ?? "";
    for (const f of fields.slice(1)) spec += pick(rnd, SEPARATORS) + f;
    if (rnd() < 0.05) spec = ` ${spec}`;
    out.add(spec);
  }
  return [...out];
}

/** Values of every JSON kind, for each parameter of a spec. */
export const PARAMETER_VALUES: readonly unknown[] = [
  "text",
  "",
  0,
  3,
  -2,
  1.5,
  1e21,
  true,
  false,
  null,
  [],
  ["a", 1],
  {},
  { a: { b: [1] } },
];
