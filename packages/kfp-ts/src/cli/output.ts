/**
 * Output formats: `table` and `wide` (fit to the terminal, local times), `json` and `yaml` (the API's
 * wire objects, snake_case, so jq written against the REST API works), `name` (one id per line).
 */
import { createRequire } from "node:module";
import type { CliContext } from "./context.js";

type Obj = Record<string, unknown>;

export interface Column {
  header: string;
  value: (o: Obj) => string;
  /** Only in `-o wide`. */
  wide?: boolean;
  /** May be cut to fit the terminal. */
  flex?: boolean;
}

export interface Kind {
  /** Singular noun for messages. */
  noun: string;
  id: (o: Obj) => string;
  columns: Column[];
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `2026-12-07 15:54:37` in local time; "" for no time or the zero time. */
export function localTime(t: unknown): string {
  if (typeof t !== "string" || t === "" || t.startsWith("0001-01-01") || t.startsWith("1970-01-01T00:00:00"))
    return "";
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return t;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(
    d.getMinutes(),
  )}:${pad2(d.getSeconds())}`;
}

/** `1m05s`, `3.2s`, `2h01m`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${pad2(s % 60)}s`;
  return `${Math.floor(m / 60)}h${pad2(m % 60)}m`;
}

export function between(start: unknown, end: unknown): string {
  if (typeof start !== "string" || typeof end !== "string" || !localTime(start) || !localTime(end)) return "";
  return duration(Date.parse(end) - Date.parse(start));
}

const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));
const field =
  (k: string) =>
  (o: Obj): string =>
    str(o[k]);

function tags(o: Obj): string {
  const t = o.tags;
  if (!t || typeof t !== "object") return "";
  return Object.entries(t as Obj)
    .map(([k, v]) => `${k}=${str(v)}`)
    .join(",");
}

export const KINDS = {
  pipeline: {
    noun: "pipeline",
    id: field("pipeline_id"),
    columns: [
      { header: "PIPELINE ID", value: field("pipeline_id") },
      { header: "NAME", value: field("name"), flex: true },
      { header: "DISPLAY NAME", value: field("display_name"), flex: true },
      { header: "CREATED", value: (o) => localTime(o.created_at) },
      { header: "NAMESPACE", value: field("namespace"), wide: true },
      { header: "TAGS", value: tags, wide: true, flex: true },
      { header: "DESCRIPTION", value: field("description"), wide: true, flex: true },
    ],
  },
  version: {
    noun: "pipeline version",
    id: field("pipeline_version_id"),
    columns: [
      { header: "VERSION ID", value: field("pipeline_version_id") },
      { header: "NAME", value: field("name"), flex: true },
      { header: "DISPLAY NAME", value: field("display_name"), flex: true, wide: true },
      { header: "CREATED", value: (o) => localTime(o.created_at) },
      { header: "PIPELINE ID", value: field("pipeline_id"), wide: true },
      { header: "TAGS", value: tags, wide: true, flex: true },
      { header: "DESCRIPTION", value: field("description"), wide: true, flex: true },
    ],
  },
  experiment: {
    noun: "experiment",
    id: field("experiment_id"),
    columns: [
      { header: "EXPERIMENT ID", value: field("experiment_id") },
      { header: "NAME", value: field("display_name"), flex: true },
      { header: "CREATED", value: (o) => localTime(o.created_at) },
      { header: "STORAGE", value: field("storage_state") },
      { header: "NAMESPACE", value: field("namespace"), wide: true },
      { header: "LAST RUN", value: (o) => localTime(o.last_run_created_at), wide: true },
      { header: "DESCRIPTION", value: field("description"), wide: true, flex: true },
    ],
  },
  run: {
    noun: "run",
    id: field("run_id"),
    columns: [
      { header: "RUN ID", value: field("run_id") },
      { header: "NAME", value: field("display_name"), flex: true },
      { header: "STATE", value: field("state") },
      { header: "CREATED", value: (o) => localTime(o.created_at) },
      { header: "DURATION", value: (o) => between(o.created_at, o.finished_at) },
      { header: "EXPERIMENT ID", value: field("experiment_id"), wide: true },
      {
        header: "PIPELINE VERSION",
        value: (o) => str((o.pipeline_version_reference as Obj | undefined)?.pipeline_version_id),
        wide: true,
      },
      { header: "STORAGE", value: field("storage_state"), wide: true },
      { header: "RECURRING RUN", value: field("recurring_run_id"), wide: true },
    ],
  },
  recurringRun: {
    noun: "recurring run",
    id: field("recurring_run_id"),
    columns: [
      { header: "RECURRING RUN ID", value: field("recurring_run_id") },
      { header: "NAME", value: field("display_name"), flex: true },
      { header: "STATUS", value: field("status") },
      { header: "TRIGGER", value: trigger },
      { header: "CREATED", value: (o) => localTime(o.created_at) },
      { header: "EXPERIMENT ID", value: field("experiment_id"), wide: true },
      { header: "MAX CONCURRENCY", value: field("max_concurrency"), wide: true },
      { header: "NO CATCHUP", value: field("no_catchup"), wide: true },
    ],
  },
} satisfies Record<string, Kind>;

function trigger(o: Obj): string {
  const t = (o.trigger ?? {}) as Obj;
  const cron = t.cron_schedule as Obj | undefined;
  if (cron?.cron) return `cron ${str(cron.cron)}`;
  const p = t.periodic_schedule as Obj | undefined;
  if (p?.interval_second) return `every ${str(p.interval_second)}s`;
  return "";
}

/** Rows to text: columns padded to their width; when `width` is given, flexible columns are cut to fit. */
export function renderTable(headers: string[], rows: string[][], flex: boolean[], width?: number): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const gap = 3;
  if (width !== undefined) {
    let total = widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
    // Shrink the widest flexible column down to the next widest (so wide columns end up even), never
    // below its header or 8 characters; bounded.
    const min = (i: number) => Math.max(8, (headers[i] ?? "").length);
    for (let guard = 0; total > width && guard < 10_000; guard++) {
      const flexible = widths.map((w, i) => ({ w, i })).filter(({ w, i }) => flex[i] && w > min(i));
      if (flexible.length === 0) break;
      flexible.sort((a, b) => b.w - a.w);
      const top = flexible[0] as { w: number; i: number };
      const next = Math.max(flexible[1]?.w ?? 0, min(top.i));
      const cut = Math.max(1, Math.min(total - width, top.w - next));
      widths[top.i] = top.w - cut;
      total -= cut;
    }
  }
  const cell = (s: string, w: number) => (s.length > w ? `${s.slice(0, Math.max(0, w - 1))}…` : s.padEnd(w));
  const line = (r: string[]) =>
    r
      .map((c, i) => cell(c, widths[i] as number))
      .join(" ".repeat(gap))
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join("\n")}\n`;
}

function yamlText(value: unknown): string {
  const yaml = createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yaml.stringify(value, { lineWidth: 0 });
}

/** Print a list of resources in the chosen format. */
export function printList(ctx: CliContext, kind: Kind, items: readonly unknown[]): void {
  const out = ctx.io.stdout;
  const objs = items as Obj[];
  switch (ctx.output) {
    case "json":
      out.write(`${JSON.stringify(objs, null, 2)}\n`);
      return;
    case "yaml":
      out.write(objs.length ? yamlText(objs) : "[]\n");
      return;
    case "name":
      for (const o of objs) out.write(`${kind.id(o)}\n`);
      return;
    default: {
      if (objs.length === 0) {
        ctx.note(`No ${kind.noun}s found.`);
        return;
      }
      const wide = ctx.output === "wide";
      const cols = kind.columns.filter((c) => wide || !c.wide);
      const text = renderTable(
        cols.map((c) => c.header),
        objs.map((o) => cols.map((c) => c.value(o).replace(/\s+/g, " "))),
        cols.map((c) => c.flex === true),
        ctx.io.stdoutTTY ? ctx.io.columns : undefined,
      );
      out.write(text);
    }
  }
}

/** Print one resource: json/yaml as the wire object, table as a one-row table, name as its id. */
export function printOne(ctx: CliContext, kind: Kind, item: unknown): void {
  if (ctx.output === "json") {
    ctx.io.stdout.write(`${JSON.stringify(item, null, 2)}\n`);
  } else if (ctx.output === "yaml") {
    ctx.io.stdout.write(yamlText(item));
  } else {
    printList(ctx, kind, [item]);
  }
}

/** Print any JSON value in json/yaml, or a text for the other formats. */
export function printValue(ctx: CliContext, value: unknown, text: () => string): void {
  if (ctx.output === "json") ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else if (ctx.output === "yaml") ctx.io.stdout.write(yamlText(value));
  else ctx.io.stdout.write(text());
}

export { yamlText };
