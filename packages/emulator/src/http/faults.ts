/**
 * Fault injection for client resilience tests. A rule matches by method and a path regex (tested
 * against the URL path, without the query) and fires on matching requests number `after + 1` to
 * `after + times` (every match when `times` is absent).
 *
 * Actions:
 * - `latency`: wait `latencyMs` before handling (the request then proceeds normally);
 * - `unavailable`: answer `status` (default 503) with a gateway error body and `Retry-After`;
 * - `reset-before-body`: destroy the connection before the request body is read (nothing happens);
 * - `reset-after-body`: handle the request fully (a create DOES happen), then destroy the connection
 *   instead of answering — the client sees an unknown outcome;
 * - `truncate`: handle the request, send the status line and headers (with the full Content-Length)
 *   and only the first half of the body, then destroy the connection.
 * `latencyMs` may be combined with any action (the delay comes first).
 */
import { z } from "zod";

export type FaultAction = "latency" | "unavailable" | "reset-before-body" | "reset-after-body" | "truncate";

export interface FaultRule {
  /** Assigned when added; pass one to replace a rule. */
  id?: string;
  /** HTTP method (case-insensitive); absent = any. */
  method?: string;
  /** Regular expression source tested against the request path (e.g. "^/apis/v2beta1/runs$"). */
  path: string;
  action: FaultAction;
  /** Fire this many times, then stop (absent = unlimited). */
  times?: number;
  /** Let this many matching requests through first. */
  after?: number;
  latencyMs?: number;
  /** For `unavailable`: HTTP status (default 503). */
  status?: number;
  /** For `unavailable`: Retry-After seconds (default 1; 0 omits the header). */
  retryAfter?: number;
}

export interface ActiveFault extends FaultRule {
  id: string;
  /** Matching requests seen so far. */
  seen: number;
  /** Times the fault fired. */
  fired: number;
}

const ruleSchema = z
  .object({
    id: z.string().min(1).optional(),
    method: z.string().min(1).optional(),
    path: z.string().min(1),
    action: z.enum(["latency", "unavailable", "reset-before-body", "reset-after-body", "truncate"]),
    times: z.number().int().positive().optional(),
    after: z.number().int().nonnegative().optional(),
    latencyMs: z.number().int().nonnegative().max(600_000).optional(),
    status: z.number().int().min(400).max(599).optional(),
    retryAfter: z.number().int().nonnegative().optional(),
  })
  .strict();

/** Validate rules given as JSON (POST /_emulator/faults) or options; throws an Error naming the problem. */
export function parseFaultRules(input: unknown): FaultRule[] {
  const list = Array.isArray(input) ? input : [input];
  return list.map((raw, i) => {
    const r = ruleSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      const where = issue?.path.length ? issue.path.join(".") : "rule";
      throw new Error(`fault rule ${i}: ${where}: ${issue?.message ?? "invalid"}`);
    }
    try {
      new RegExp(r.data.path);
    } catch (err) {
      throw new Error(`fault rule ${i}: path is not a valid regular expression: ${(err as Error).message}`);
    }
    if (r.data.action === "latency" && r.data.latencyMs === undefined) {
      throw new Error(`fault rule ${i}: action "latency" needs latencyMs`);
    }
    return r.data as FaultRule;
  });
}

export class Faults {
  private rules: (ActiveFault & { re: RegExp })[] = [];
  private seq = 0;

  /** Add rules (validated); returns them with their ids. A rule with an existing id replaces it. */
  add(rules: FaultRule | FaultRule[]): ActiveFault[] {
    const parsed = parseFaultRules(rules);
    const added: ActiveFault[] = [];
    for (const r of parsed) {
      const id = r.id ?? `fault-${++this.seq}`;
      const active = { ...r, id, seen: 0, fired: 0, re: new RegExp(r.path) };
      const idx = this.rules.findIndex((x) => x.id === id);
      if (idx >= 0) this.rules[idx] = active;
      else this.rules.push(active);
      added.push(publicView(active));
    }
    return added;
  }

  remove(id: string): boolean {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== n;
  }

  clear(): void {
    this.rules = [];
  }

  list(): ActiveFault[] {
    return this.rules.map(publicView);
  }

  /** The first rule that fires for this request (counting matches on every candidate rule). */
  take(method: string, path: string): ActiveFault | undefined {
    let hit: ActiveFault | undefined;
    for (const r of this.rules) {
      if (r.method && r.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!r.re.test(path)) continue;
      r.seen++;
      if (r.times !== undefined && r.fired >= r.times) continue;
      if (r.seen <= (r.after ?? 0)) continue;
      if (hit) continue;
      r.fired++;
      hit = publicView(r);
    }
    return hit;
  }
}

function publicView(r: ActiveFault & { re?: RegExp }): ActiveFault {
  const { re: _re, ...rest } = r;
  return { ...rest };
}
