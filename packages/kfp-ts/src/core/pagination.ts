/**
 * Lists: `await client.pipelines.list()` gives one page; `for await (const p of client.pipelines.list())`
 * walks every item across pages, fetching each page only when needed (a `break` stops fetching);
 * `.pages()` walks page by page.
 *
 * KFP lists use keyset pagination: a `next_page_token` is present only when another page exists; a
 * list with no items is `{}` on the wire (FACTS.md §2.1), which becomes `{ items: [], total_size: 0 }`.
 */
import { redoPage } from "../internal/api-version.js";
import { KfpError } from "./errors.js";

export interface Page<Item> {
  /** Items of this page (never undefined). */
  items: Item[];
  /** Count of all items matching the query (not just this page); 0 when the server omits it. */
  total_size: number;
  /** Token of the next page, absent on the last page. */
  next_page_token?: string;
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

/** Make the first page of a list (also used by resources that build pages themselves). */
export async function firstPage<Item>(fetch: PageFetcher<Item>, token?: string): Promise<Page<Item>> {
  return new PageImpl(await fetch(token), fetch, token);
}

/**
 * A list call: awaitable as its first page, async-iterable over every item. Nothing is requested until
 * it is awaited or iterated.
 */
export class PagePromise<Item> extends Promise<Page<Item>> implements AsyncIterable<Item> {
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  readonly #fetch: PageFetcher<Item>;
  readonly #startToken: string | undefined;
  #first: Promise<Page<Item>> | undefined;

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
