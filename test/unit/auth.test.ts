import { mkdtemp, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kfp } from "../../packages/kfp-ts/src/client.js";
import { ValidationError } from "../../packages/kfp-ts/src/core/errors.js";
import {
  Auth,
  cookieHeader,
  TOKEN_FILE_MAX_AGE_MS,
  TokenFile,
} from "../../packages/kfp-ts/src/internal/auth.js";
import { Log, Redactor } from "../../packages/kfp-ts/src/internal/log.js";
import { startRecorder } from "../helpers/recorder.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "kfp-ts-auth-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function deps(now?: () => number) {
  const redactor = new Redactor();
  const lines: string[] = [];
  const log = new Log(
    {
      debug: (m) => lines.push(m),
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      error: (m) => lines.push(m),
    },
    "debug",
    redactor,
  );
  return { redactor, log, lines, ...(now ? { now } : {}) };
}

describe("token file", () => {
  it("reads the file, trims it, and caches it between stat checks", async () => {
    const f = path.join(dir, "t1");
    await writeFile(f, "token-one\n");
    let clock = 1_000_000;
    const d = deps(() => clock);
    const tf = new TokenFile(f, d);
    expect(await tf.get()).toBe("token-one");
    // Fresh: answered synchronously from the cache.
    expect(tf.get()).toBe("token-one");
    expect(d.redactor.scrub("x token-one y")).toBe("x *** y");
    clock += 500;
    expect(tf.get()).toBe("token-one");
  });

  it("re-reads when the file changes (mtime/size/inode), after the stat interval", async () => {
    const f = path.join(dir, "t2");
    await writeFile(f, "first-token");
    let clock = 1_000_000;
    const d = deps(() => clock);
    const tf = new TokenFile(f, d);
    expect(await tf.get()).toBe("first-token");
    // Rotate the way kubelet does: write a new file and rename it over the old one.
    await writeFile(`${f}.new`, "second-token-longer");
    await rename(`${f}.new`, f);
    expect(await tf.get()).toBe("first-token"); // within 1 s: cached
    clock += 1_001;
    expect(await tf.get()).toBe("second-token-longer");
    expect(d.lines.some((l) => l.includes("rotated"))).toBe(true);
    expect(d.lines.join("\n")).not.toContain("second-token-longer");
  });

  it("re-reads a file older than 60 s even when stat looks the same", async () => {
    const f = path.join(dir, "t3");
    await writeFile(f, "aaaa-1");
    const fixed = new Date("2026-01-01T00:00:00Z");
    await utimes(f, fixed, fixed);
    let clock = 1_000_000;
    let reads = 0;
    const d = deps(() => clock);
    const tf = new TokenFile(f, {
      ...d,
      fs: {
        stat: async (p) => (await import("node:fs/promises")).stat(p),
        readFile: async (p) => {
          reads++;
          return (await import("node:fs/promises")).readFile(p, "utf8");
        },
      },
    });
    await tf.get();
    // Same size and mtime (a rotation that kept both): only age triggers the re-read.
    await writeFile(f, "bbbb-2");
    await utimes(f, fixed, fixed);
    clock += 2_000;
    expect(await tf.get()).toBe("aaaa-1");
    expect(reads).toBe(1);
    clock += TOKEN_FILE_MAX_AGE_MS;
    expect(await tf.get()).toBe("bbbb-2");
    expect(reads).toBe(2);
  });

  it("keeps the last token when a re-read fails, and fails clearly when there never was one", async () => {
    const f = path.join(dir, "t4");
    await writeFile(f, "keep-me");
    let clock = 0;
    const d = deps(() => clock);
    const tf = new TokenFile(f, d);
    expect(await tf.get()).toBe("keep-me");
    await rm(f);
    clock += 5_000;
    expect(await tf.get()).toBe("keep-me");
    expect(d.lines.some((l) => l.includes("keeping the last token"))).toBe(true);
    const missing = new TokenFile(path.join(dir, "nope"), deps());
    await expect(missing.get()).rejects.toThrow(/cannot read token file .*nope: ENOENT/);
    await writeFile(path.join(dir, "empty"), "  \n");
    await expect(new TokenFile(path.join(dir, "empty"), deps()).get()).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it("a client re-reads a rotated token file and sends the new token", async () => {
    const rec = await startRecorder();
    const f = path.join(dir, "client-token");
    await writeFile(f, "client-tok-1");
    const kfp = new Kfp({ host: rec.url, apiVersion: "v2beta1", tokenFile: f, env: {}, logLevel: "off" });
    try {
      await kfp.pipelines.get("a");
      await writeFile(`${f}.tmp`, "client-tok-2");
      await rename(`${f}.tmp`, f);
      // A 401 makes the client read the file again at once and retry.
      rec.enqueue({ status: 401, body: { code: 16, message: "expired" } });
      await kfp.pipelines.get("b");
      expect(rec.requests.map((r) => r.headers.authorization)).toEqual([
        "Bearer client-tok-1",
        "Bearer client-tok-1",
        "Bearer client-tok-2",
      ]);
    } finally {
      await kfp.close();
      await rec.close();
    }
  });
});

describe("credential selection", () => {
  it("static token, provider, file, default file, none", async () => {
    const d = deps();
    expect(new Auth({ token: "abcd" }, d).authorization()).toBe("Bearer abcd");
    expect(await new Auth({ tokenProvider: async () => "pppp" }, d).authorization()).toBe("Bearer pppp");
    const f = path.join(dir, "sel");
    await writeFile(f, "ffff");
    expect(await new Auth({ tokenFile: f }, d).authorization()).toBe("Bearer ffff");
    expect(await new Auth({ defaultTokenFile: f }, d).authorization()).toBe("Bearer ffff");
    expect(await new Auth({ defaultTokenFile: path.join(dir, "absent") }, d).authorization()).toBeUndefined();
    expect(new Auth({}, d).authorization()).toBeUndefined();
    // A cookie means a session: the default file is not used.
    expect(new Auth({ defaultTokenFile: f, cookies: "a=b" }, d).kind).toBe("none");
  });

  it("refuses tokens that would break the header", async () => {
    expect(() => new Auth({ token: "a\r\nX: y" }, deps())).toThrow(ValidationError);
    await expect(
      Promise.resolve(new Auth({ tokenProvider: () => 42 as never }, deps()).authorization()),
    ).rejects.toThrow(/must return a string/);
    await expect(
      Promise.resolve(
        new Auth(
          {
            tokenProvider: () => {
              throw new Error("idp down");
            },
          },
          deps(),
        ).authorization(),
      ),
    ).rejects.toThrow(/tokenProvider failed: idp down/);
  });

  it("builds cookie headers and refuses bad ones", () => {
    expect(cookieHeader({ a: "1", b: "x.y" })).toBe("a=1; b=x.y");
    expect(cookieHeader("session=abc")).toBe("session=abc");
    expect(cookieHeader(undefined)).toBeUndefined();
    expect(() => cookieHeader({ "bad name": "x" })).toThrow(/invalid cookie name/);
    expect(() => cookieHeader({ a: "x;y" })).toThrow(/not allowed in a cookie/);
    expect(() => cookieHeader("a=b\r\nX: 1")).toThrow(ValidationError);
    expect(() => cookieHeader("a=b\r\nX: 1")).toThrow(
      "cookies contain characters not allowed in an HTTP header",
    );
  });
});
