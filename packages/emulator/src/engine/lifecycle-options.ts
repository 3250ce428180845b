/** The simulated lifecycle's tunables (server option `lifecycle`) and the seeded RNG of its failure injection. */

/** Tunables of the simulated lifecycle (server option `lifecycle`). */
export interface LifecycleOptions {
  /** Milliseconds between ticks (one reconciliation + report each). Default 5. */
  tickMs?: number;
  /** Ticks a Pod stays Running before it finishes. Default 1. */
  podTicks?: number;
  /** Ticks before the first report (the run stays PENDING). Default 1. */
  startTicks?: number;
  /** Task keys whose executor (or importer) pod fails. */
  failTasks?: string[];
  /** Share of runs (0..1) in which one randomly chosen container task fails. */
  failRate?: number;
  /** Seed of the RNG used by `failRate`. Default 1. */
  seed?: number;
  /** Also fail the configured tasks again after a retry (default: only the first attempt fails). */
  failOnRetry?: boolean;
  /** Task keys whose `triggerPolicy.condition` evaluates to false (others are true). */
  falseConditions?: string[];
  /** Iterations of a loop whose items cannot be resolved before run time (task outputs). Default 2. */
  loopCount?: number;
}

export interface ResolvedLifecycleOptions {
  tickMs: number;
  podTicks: number;
  startTicks: number;
  failTasks: ReadonlySet<string>;
  failRate: number;
  seed: number;
  failOnRetry: boolean;
  falseConditions: ReadonlySet<string>;
  loopCount: number;
}

export function resolveLifecycleOptions(o: LifecycleOptions = {}): ResolvedLifecycleOptions {
  const num = (v: unknown, d: number, min: number) =>
    typeof v === "number" && Number.isFinite(v) && v >= min ? v : d;
  const keys = (v: unknown): Set<string> =>
    new Set(Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  return {
    tickMs: num(o.tickMs, 5, 0),
    podTicks: Math.floor(num(o.podTicks, 1, 1)),
    startTicks: Math.floor(num(o.startTicks, 1, 1)),
    failTasks: keys(o.failTasks),
    failRate: Math.min(1, num(o.failRate, 0, 0)),
    seed: Math.floor(num(o.seed, 1, Number.NEGATIVE_INFINITY)),
    failOnRetry: o.failOnRetry === true,
    falseConditions: keys(o.falseConditions),
    loopCount: Math.floor(num(o.loopCount, 2, 0)),
  };
}

/** mulberry32: a small seeded PRNG for failure injection. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
