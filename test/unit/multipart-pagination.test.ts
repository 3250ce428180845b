import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { KfpError, ValidationError } from "../../packages/kfp-ts/src/core/errors.js";
import { type PageFetcher, PagePromise } from "../../packages/kfp-ts/src/core/pagination.js";
import {
  escapeFilename,
  multipartBody,
  multipartBuffer,
  multipartHead,
  multipartLength,
  multipartTail,
  newBoundary,
} from "../../packages/kfp-ts/src/internal/multipart.js";
import { checkFraming, parseMultipart } from "../helpers/multipart.js";

async function collect(it: Uint8Array | AsyncIterable<Uint8Array>): Promise<Buffer> {
  if (it instanceof Uint8Array) return Buffer.from(it);
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describe("multipart framing", () => {
  it("boundaries are random, prefixed and valid", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const b = newBoundary();
      expect(b).toMatch(/^kfp-ts-[0-9a-f]{24}$/);
      seen.add(b);
    }
    expect(seen.size).toBe(1000);
  });

  it("escapes what could end the quoted filename or add a line", () => {
    expect(escapeFilename('a"b')).toBe("a%22b");
    expect(escapeFilename("a\r\nb")).toBe("a%0D%0Ab");
    expect(escapeFilename("a\\b\0c\x7f")).toBe("a%5Cb%00c%7F");
    expect(escapeFilename("ünïcode ok.yaml")).toBe("ünïcode ok.yaml");
  });

  it("writes head, content and tail exactly, byte by byte", () => {
    const data = Buffer.from("a: 1\r\n--not-a-boundary\r\n");
    const body = multipartBuffer("BOUND", "p.yaml", "application/x-yaml", data);
    const expected = Buffer.concat([
      Buffer.from(
        '--BOUND\r\nContent-Disposition: form-data; name="uploadfile"; filename="p.yaml"\r\nContent-Type: application/x-yaml\r\n\r\n',
      ),
      data,
      Buffer.from("\r\n--BOUND--\r\n"),
    ]);
    expect(expected.equals(body)).toBe(true);
    expect(multipartLength("BOUND", "p.yaml", "application/x-yaml", data.length)).toBe(expected.length);
    expect(multipartHead("B", "x", "t\r\nInjected: 1").toString()).toContain(
      "Content-Type: tInjected: 1\r\n\r\n",
    );
    expect(multipartTail("B").toString()).toBe("\r\n--B--\r\n");
  });

  it("busboy reads what we write, including an escaped filename", async () => {
    const src = {
      filename: 'we"ird\r\nname.yaml',
      contentType: "application/x-yaml",
      size: 5,
      data: Buffer.from("hello"),
      open: undefined,
      reopenable: true,
      description: "bytes",
    };
    const body = multipartBody(src, 1e9, () => new Error("limit"));
    const buf = await collect(body.take());
    expect(body.length).toBe(buf.length);
    const { files } = await parseMultipart(body.contentType, buf);
    expect(files).toEqual([
      {
        field: "uploadfile",
        filename: "we%22ird%0D%0Aname.yaml",
        mimeType: "application/x-yaml",
        data: Buffer.from("hello"),
      },
    ]);
    checkFraming(body.contentType, buf);
  });

  it("frames a stream without buffering it and knows when it was touched", async () => {
    const chunks = ["abc", "def", "ghi"];
    const src = {
      filename: "s.yaml",
      contentType: "application/x-yaml",
      size: undefined,
      data: undefined,
      open: () => Readable.from(chunks),
      reopenable: false,
      description: "stream",
    };
    const body = multipartBody(src, 1e9, () => new Error("limit"));
    expect(body.length).toBeUndefined();
    expect(body.canReplay()).toBe(true);
    const it = body.take() as AsyncIterable<Uint8Array>;
    const seen: string[] = [];
    for await (const c of it) seen.push(Buffer.from(c).toString());
    expect(seen.slice(1, 4)).toEqual(chunks);
    expect(seen).toHaveLength(5);
    expect(body.touched).toBe(true);
    expect(body.canReplay()).toBe(false);
  });

  it("stops a stream over the limit and one that is not the announced size", async () => {
    const over = multipartBody(
      {
        filename: "s",
        contentType: "x",
        size: undefined,
        data: undefined,
        open: () => Readable.from([Buffer.alloc(10), Buffer.alloc(10)]),
        reopenable: false,
        description: "stream",
      },
      15,
      (n) => new ValidationError(`too big ${n}`),
    );
    await expect(collect(over.take())).rejects.toThrow("too big 20");
    const short = multipartBody(
      {
        filename: "s",
        contentType: "x",
        size: 30,
        data: undefined,
        open: () => Readable.from([Buffer.alloc(10)]),
        reopenable: true,
        description: "file f",
      },
      100,
      () => new Error("x"),
    );
    expect(short.length).toBe(multipartLength(String(short.contentType.split("=")[1]), "s", "x", 30));
    await expect(collect(short.take())).rejects.toThrow(/changed size while it was being sent/);
  });
});

describe("in-memory bodies are built once per content", () => {
  const memSrc = (data: Buffer | undefined, text?: string, filename = "p.yaml") => ({
    filename,
    contentType: "application/x-yaml",
    size: text !== undefined ? Buffer.byteLength(text) : data?.length,
    data,
    text,
    open: undefined,
    reopenable: true,
    description: "bytes",
  });
  const limit = () => new Error("limit");

  it("every upload gets a body of its own (nothing is kept between uploads)", async () => {
    const data = Buffer.from("a: 1\n");
    const first = multipartBody(memSrc(data), 1e9, limit);
    const again = multipartBody(memSrc(Buffer.from("a: 1\n")), 1e9, limit);
    expect(again.take()).not.toBe(first.take());
    expect(again.contentType).not.toBe(first.contentType);
    expect(first.take()).toBe(first.take()); // a retry re-sends the same bytes
    const renamed = multipartBody(memSrc(data, undefined, "q.yaml"), 1e9, limit);
    const { files } = await parseMultipart(renamed.contentType, renamed.take() as Buffer);
    expect(files[0]?.filename).toBe("q.yaml");
    // An explicit boundary is used as given.
    const explicit = multipartBody(memSrc(data), 1e9, limit, "BOUND");
    expect(explicit.contentType).toBe("multipart/form-data; boundary=BOUND");
    checkFraming(explicit.contentType, explicit.take() as Buffer);
  });

  it("a buffer changed after an upload is sent with its new content", async () => {
    const data = Buffer.from("name: one\n");
    const before = multipartBody(memSrc(data), 1e9, limit);
    data.write("two", 6);
    const after = multipartBody(memSrc(data), 1e9, limit);
    const read = async (b: typeof before) =>
      (await parseMultipart(b.contentType, b.take() as Buffer)).files[0]?.data.toString();
    expect(await read(before)).toBe("name: one\n");
    expect(await read(after)).toBe("name: two\n");
  });

  it("text is encoded straight into the body as UTF-8", async () => {
    const text = "é: ü\n";
    const a = multipartBody(memSrc(undefined, text), 1e9, limit);
    const { files } = await parseMultipart(a.contentType, a.take() as Buffer);
    expect(files[0]?.data.toString("utf8")).toBe(text);
    expect(a.length).toBe((a.take() as Buffer).length);
  });
});

function fakeList(
  total: number,
  pageSize: number,
): { fetch: PageFetcher<number>; calls: (string | undefined)[] } {
  const calls: (string | undefined)[] = [];
  const fetch: PageFetcher<number> = async (token) => {
    calls.push(token);
    const start = token ? Number(token) : 0;
    const items = Array.from({ length: Math.max(0, Math.min(pageSize, total - start)) }, (_, i) => start + i);
    const next = start + pageSize < total ? String(start + pageSize) : undefined;
    return { items, total_size: total, next_page_token: next };
  };
  return { fetch, calls };
}

describe("PagePromise", () => {
  it("is lazy: nothing is fetched until awaited or iterated", async () => {
    const { fetch, calls } = fakeList(5, 2);
    const p = new PagePromise(fetch);
    expect(p).toBeInstanceOf(Promise);
    expect(calls).toHaveLength(0);
    const page = await p;
    expect(page.items).toEqual([0, 1]);
    expect(page.total_size).toBe(5);
    expect(page.hasNextPage()).toBe(true);
    const next = await page.getNextPage();
    expect(next.items).toEqual([2, 3]);
    expect(calls).toEqual([undefined, "2"]);
  });

  it("iterates every item across pages", async () => {
    const { fetch, calls } = fakeList(7, 3);
    const all: number[] = [];
    for await (const n of new PagePromise(fetch)) all.push(n);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(calls).toEqual([undefined, "3", "6"]);
  });

  it("stops fetching on break", async () => {
    const { fetch, calls } = fakeList(100, 10);
    for await (const n of new PagePromise(fetch)) if (n === 12) break;
    expect(calls).toEqual([undefined, "10"]);
  });

  it("walks pages and collects arrays", async () => {
    const { fetch } = fakeList(5, 2);
    const sizes: number[] = [];
    for await (const page of new PagePromise(fetch).pages()) sizes.push(page.items.length);
    expect(sizes).toEqual([2, 2, 1]);
    expect(await new PagePromise(fakeList(5, 2).fetch).toArray()).toEqual([0, 1, 2, 3, 4]);
    await expect(new PagePromise(fakeList(5, 2).fetch).toArray(3)).rejects.toBeInstanceOf(KfpError);
  });

  it("an empty list is one empty page", async () => {
    const page = await new PagePromise<number>(async () => ({ items: [], total_size: 0 }));
    expect(page.items).toEqual([]);
    expect(page.hasNextPage()).toBe(false);
    await expect(page.getNextPage()).rejects.toThrow(/no next page/);
  });

  it("refuses a server that repeats the same page token", async () => {
    const p = new PagePromise<number>(async () => ({ items: [1], total_size: 9, next_page_token: "same" }));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of p) seen.push(n);
      })(),
    ).rejects.toThrow(/same page token twice/);
    expect(seen).toEqual([1, 1]);
  });

  it("then/catch/finally behave like a promise", async () => {
    const failing = new PagePromise<number>(async () => {
      throw new Error("boom");
    });
    await expect(failing).rejects.toThrow("boom");
    expect(await failing.catch((e: unknown) => (e as Error).message)).toBe("boom");
    let ran = false;
    await new PagePromise(fakeList(1, 1).fetch).finally(() => {
      ran = true;
    });
    expect(ran).toBe(true);
  });
});
