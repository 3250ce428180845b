/**
 * Lists: `await client.pipelines.list()` gives one page; `for await (const p of client.pipelines.list())`
 * walks every item across pages, fetching each page only when needed (a `break` stops fetching);
 * `.pages()` walks page by page.
 *
 * KFP lists use keyset pagination: a `next_page_token` is present only when another page exists; a
 * list with no items is `{}` on the wire (FACTS.md §2.1), which becomes `{ items: [], total_size: 0 }`.
 */
import { ApiVersionFallback, redoPage } from "../internal/api-version.js";
import type { Query } from "../internal/path.js";
import { KfpError } from "./errors.js";

/** One page of a list: its items, the total count, and the way to the next page. */
export interface Page<Item> {
  /** Items of this page (never undefined). */
  items: Item[];
  /** Count of all items matching the query (not just this page); 0 when the server omits it. */
  total_size: number;
  /** Token of the next page, absent on the last page. */
  next_page_token?: string;
  /** Whether another page exists. */
  hasNextPage(): boolean;
  /** Fetch the next page; throws when there is none. */
  getNextPage(): Promise<Page<Item>>;
}

/** Fetches the page for a token (`undefined` = first page). */
export type PageFetcher<Item> = (pageToken: string | undefined) => Promise<{
  items: Item[];
  total_size: number;
  next_page_token?: string | undefined;
}>;

/** Upper bound on pages walked by one iteration (200 items each at most → 2 million items). */
const MAX_PAGES = 10_000;

class PageImpl<Item> implements Page<Item> {
  items: Item[];
  total_size: number;
  next_page_token?: string;
  readonly #fetch: PageFetcher<Item>;
  readonly #token: string | undefined;

  constructor(
    data: { items: Item[]; total_size: number; next_page_token?: string | undefined },
    fetch: PageFetcher<Item>,
    token: string | undefined,
  ) {
    this.items = data.items;
    this.total_size = data.total_size;
    if (data.next_page_token) this.next_page_token = data.next_page_token;
    this.#fetch = fetch;
    this.#token = token;
  }

  hasNextPage(): boolean {
    return Boolean(this.next_page_token);
  }

  async getNextPage(): Promise<Page<Item>> {
    const next = this.next_page_token;
    if (!next) throw new KfpError("no next page: check hasNextPage() first");
    if (next === this.#token) {
      throw new KfpError("the server returned the same page token twice; stopping to avoid an endless loop");
    }
    return new PageImpl(await this.#fetch(next), this.#fetch, next);
  }
}

/** Make the first page of a list. */
async function firstPage<Item>(fetch: PageFetcher<Item>, token?: string): Promise<Page<Item>> {
  return new PageImpl(await fetch(token), fetch, token);
}

/**
 * A list call: awaitable as its first page, async-iterable over every item. Nothing is requested until
 * it is awaited or iterated.
 */
export class PagePromise<Item> extends Promise<Page<Item>> implements AsyncIterable<Item> {
  /** `then()` and friends return plain Promises. */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  readonly #fetch: PageFetcher<Item>;
  readonly #startToken: string | undefined;
  #first: Promise<Page<Item>> | undefined;

  /** Lists are made by the resources (`kfp.runs.list()`) or `kfp.getList()`. */
  constructor(fetch: PageFetcher<Item>, startToken?: string) {
    super((resolve) => resolve(undefined as unknown as Page<Item>));
    // A list sent before the client learned its server's API version is sent again (internal/api-version.ts).
    this.#fetch = redoPage(fetch);
    this.#startToken = startToken;
  }

  #firstPage(): Promise<Page<Item>> {
    this.#first ??= firstPage(this.#fetch, this.#startToken);
    return this.#first;
  }

  // biome-ignore lint/suspicious/noThenProperty: a PagePromise is a Promise whose request starts lazily
  override then<R1 = Page<Item>, R2 = never>(
    onfulfilled?: ((value: Page<Item>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#firstPage().then(onfulfilled, onrejected);
  }

  override catch<R = never>(
    onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<Page<Item> | R> {
    return this.#firstPage().catch(onrejected);
  }

  override finally(onfinally?: (() => void) | null): Promise<Page<Item>> {
    return this.#firstPage().finally(onfinally);
  }

  /** Every page, starting with the first. */
  async *pages(): AsyncGenerator<Page<Item>, void, undefined> {
    let page = await this.#firstPage();
    for (let n = 1; ; n++) {
      yield page;
      if (!page.hasNextPage()) return;
      if (n >= MAX_PAGES) throw new KfpError(`stopped after ${MAX_PAGES} pages`);
      page = await page.getNextPage();
    }
  }

  /** Every item of every page. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Item, void, undefined> {
    for await (const page of this.pages()) {
      yield* page.items;
    }
  }

  /** Collect every item into an array (stops with an error beyond `limit` items, default 100 000). */
  async toArray(limit = 100_000): Promise<Item[]> {
    const out: Item[] = [];
    for await (const item of this) {
      if (out.length >= limit)
        throw new KfpError(`more than ${limit} items; pass a higher limit to toArray()`);
      out.push(item);
    }
    return out;
  }
}

/** What one list call sends, worked out once (API version, namespace, filter) before its first page. */
export interface ListRequest<Item> {
  /** Path of the list (relative to the version prefix, or `/apis/...`). */
  path: string;
  /** Query of the first page; a `page_token` in it starts from that page. */
  query: Query;
  /** Key of the item array in the answer: `runs`, `pipelines`, `recurringRuns`... */
  itemsKey: string;
  /** Per-item conversion (the v1beta1 adapter). */
  map?: ((raw: unknown) => Item) | undefined;
}

/** Sends one GET of a list page and returns the decoded body. */
export type ListGetter = (path: string, query: Query) => Promise<unknown>;

/**
 * The one list engine: every resource list and `client.getList()` go through it. `prepare`
 * runs once, on the first await or iteration (a failure rejects every use); each page is one GET, its
 * answer read by `readListPage`; pages after the first send only what the page token does not carry
 * (`pageQuery`).
 */
export function listPages<Item>(
  get: ListGetter,
  prepare: () => Promise<ListRequest<Item>>,
): PagePromise<Item> {
  let prepared: Promise<ListRequest<Item>> | undefined;
  return new PagePromise<Item>(async (token) => {
    prepared ??= prepare();
    const req = await prepared;
    const start = typeof req.query.page_token === "string" ? req.query.page_token : undefined;
    const t = token ?? start;
    const query = t ? pageQuery(req.query, t) : req.query;
    const body = await get(req.path, query).catch((err: unknown) => {
      // The server has another API version than presumed: prepare again for it (the page is redone).
      if (err instanceof ApiVersionFallback) prepared = undefined;
      throw err;
    });
    return readListPage(body, req.itemsKey, req.map);
  });
}

/**
 * One page of a list answer (`{<itemsKey>: [...], total_size, next_page_token}`): a missing
 * or non-array item list is empty (an empty list is `{}` on the wire), a missing or unreadable total 0,
 * an empty token none.
 */
export function readListPage<Item>(
  body: unknown,
  itemsKey: string,
  map?: (raw: unknown) => Item,
): { items: Item[]; total_size: number; next_page_token?: string } {
  const raw = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const list = Array.isArray(raw[itemsKey]) ? (raw[itemsKey] as unknown[]) : [];
  const total = Number(raw.total_size ?? 0);
  const out: { items: Item[]; total_size: number; next_page_token?: string } = {
    items: map ? list.map(map) : (list as Item[]),
    total_size: Number.isFinite(total) ? total : 0,
  };
  if (typeof raw.next_page_token === "string" && raw.next_page_token)
    out.next_page_token = raw.next_page_token;
  return out;
}

/**
 * The query of a page after the first. The page token carries the sort and the filter, and
 * the server compares any sort_by/filter sent with a token against the token's copy only after a JSON
 * round trip, so numeric, timestamp and IN filters resent with a token never match (400). `tags.<key>`
 * predicates are the exception: they are applied apart from the token and must be sent on every page
 * (FACTS.md §6, §6.1). So: drop sort_by, and keep only the tag predicates of the filter.
 */
export function pageQuery(first: Query, token: string): Query {
  const { sort_by: _sort, filter, page_token: _token, ...rest } = first;
  const q: Query = { ...rest, page_token: token };
  if (typeof filter === "string" && filter.includes("tags.")) {
    const parsed = JSON.parse(decodeURIComponent(filter)) as { predicates?: { key?: unknown }[] };
    const tags = (parsed.predicates ?? []).filter(
      (p) => typeof p.key === "string" && p.key.startsWith("tags."),
    );
    if (tags.length > 0) q.filter = encodeURIComponent(JSON.stringify({ predicates: tags }));
  }
  return q;
}
