/**
 * Every list call of the CLI in one place (the library's list signatures are the part most likely to
 * change), and the paging flags they share: `-m/--max-size`, `--page-token`, `--sort-by`, `--filter`,
 * `--all`.
 */

import type { Kfp, Page } from "../index.js";
import type { AnyCommand } from "./app.js";
import type { CliContext } from "./context.js";
import { usageError } from "./exit-codes.js";

export interface ListFlags {
  maxSize?: string;
  pageToken?: string;
  sortBy?: string;
  filter?: string;
  all?: boolean;
}

export interface ListQuery {
  page_size: number;
  page_token?: string;
  sort_by?: string;
  /** Raw JSON text, or a wire filter object. */
  filter?: string | { predicates: unknown[] };
  namespace?: string;
  experiment_id?: string;
}

/** Add the paging flags (the official CLI's names). */
export function pagingOptions<C extends AnyCommand>(cmd: C, sortExample: string) {
  return cmd
    .option("-m, --max-size <n>", "items per page (1..200)", "100")
    .option("--page-token <token>", "start at this page (printed on stderr when more pages exist)")
    .option("--sort-by <field>", `sort, e.g. "${sortExample}"`)
    .option(
      "--filter <json>",
      'API filter as JSON, e.g. \'{"predicates":[{"key":"name","operation":"EQUALS","string_value":"x"}]}\'',
    )
    .option("--all", "fetch every page");
}

export function listQuery(flags: ListFlags): ListQuery {
  const size = Number(flags.maxSize ?? "100");
  if (!Number.isInteger(size) || size < 1 || size > 200) {
    throw usageError(`--max-size must be an integer from 1 to 200; got "${flags.maxSize}"`);
  }
  if (flags.filter !== undefined) {
    try {
      JSON.parse(flags.filter);
    } catch {
      throw usageError(`--filter must be JSON, e.g. '{"predicates":[...]}'; got ${flags.filter}`);
    }
  }
  const q: ListQuery = { page_size: size };
  if (flags.pageToken) q.page_token = flags.pageToken;
  if (flags.sortBy) q.sort_by = flags.sortBy;
  if (flags.filter) q.filter = flags.filter;
  return q;
}

/** One page, or every page with `--all` (bounded); says on stderr when more pages exist. */
export async function collect<T>(
  ctx: CliContext,
  first: Promise<Page<T>>,
  all: boolean | undefined,
): Promise<T[]> {
  let page = await first;
  const items = [...page.items];
  for (let n = 0; all && page.hasNextPage() && n < 100_000; n++) {
    page = await page.getNextPage();
    items.push(...page.items);
  }
  if (!all && page.next_page_token) {
    ctx.note(ctx.err.dim(`more results: add --page-token ${page.next_page_token} (or --all)`));
  }
  return items;
}

const ns = (q: ListQuery) => (q.namespace === undefined ? {} : { namespace: q.namespace });

export const api = {
  pipelines: (kfp: Kfp, q: ListQuery) => kfp.pipelines.list({ ...q, ...ns(q) }),
  versions: (kfp: Kfp, pipelineId: string, q: ListQuery) => kfp.pipelines.versions.list(pipelineId, q),
  experiments: (kfp: Kfp, q: ListQuery) => kfp.experiments.list(q),
  runs: (kfp: Kfp, q: ListQuery) => kfp.runs.list(q),
  recurringRuns: (kfp: Kfp, q: ListQuery) => kfp.recurringRuns.list(q),
};
