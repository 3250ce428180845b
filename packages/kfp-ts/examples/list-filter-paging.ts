// Lists: `await` gives one page, `for await` walks every item (pages are fetched as you go), `.pages()`
// walks page by page. Filters are typed per resource; sort_by and page_size are the server's names.
//   KFP_HOST=... npx tsx list-filter-paging.ts
import { Kfp, runFilter } from "kfp-ts";

const kfp = new Kfp();

// One page: the items, the total count, and whether there is more.
const page = await kfp.pipelines.list({ page_size: 5, sort_by: "created_at desc" });
console.log(`${page.total_size} pipelines; newest: ${page.items.map((p) => p.name).join(", ") || "none"}`);

// Every successful run of the last week whose name contains "word", newest first, 50 per request.
const since = new Date(Date.now() - 7 * 24 * 3600_000);
const recent = runFilter()
  .eq("state", "SUCCEEDED")
  .gte("created_at", since)
  .substring("display_name", "word");
let count = 0;
for await (const run of kfp.runs.list({ filter: recent, sort_by: "created_at desc", page_size: 50 })) {
  if (count++ < 3) console.log(`${run.created_at} ${run.display_name}`);
}
console.log(`${count} matching runs`);

// Page by page, e.g. to show progress or stop early; a plain object is a filter too.
let pages = 0;
for await (const p of kfp.runs
  .list({ filter: { state: { in: ["FAILED", "SUCCEEDED"] } }, page_size: 2 })
  .pages()) {
  pages++;
  if (!p.hasNextPage() || pages === 3) break;
}
console.log(`walked ${pages} page(s) of finished runs`);

// Per-call options come second, as for every call.
const versions = await kfp.pipelines.versions
  .list(page.items[0]?.pipeline_id ?? "none", { page_size: 10 }, { timeout: 5_000 })
  .catch(() => undefined);
console.log(`${versions?.items.length ?? 0} versions of the newest pipeline`);
await kfp.close();
