/**
 * Shared pieces of the fuzz suite: the seed (printed, replayable with FUZZ_SEED), the budget (a fixed
 * one in the normal run; `npm run fuzz` sets FUZZ_LONG=1 for a long one), an HTTP sender that never
 * throws, the error-shape checks per endpoint family, and the "still serving" checks every property
 * ends with: healthz answers, every list works, every stored pipeline reads back, memory stays bounded.
 */
import { randomInt } from "node:crypto";
import { request } from "node:http";
import fc from "fast-check";
import { expect } from "vitest";
import { UNEXPECTED_ERROR_TEXT } from "../../packages/emulator/src/http/errors.js";
import type { Emulator } from "../../packages/emulator/src/index.js";

export const LONG = process.env.FUZZ_LONG === "1";
export const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31 - 1);
/** RSS ceiling while attacked (issue 14: "RSS stays under 512 MiB while attacked"). */
export const RSS_LIMIT_BYTES = 512 * 1024 * 1024;

/** Inputs tried per family in this process (printed at the end of each file). */
export const tried = new Map<string, number>();

/** fast-check parameters: a time budget per property (ms), the seed, no shrinking beyond the budget. */
export function params(family: string, budgetMs: number): fc.Parameters<unknown> {
  const longMs = Number(process.env.FUZZ_TIME_MS ?? 300_000);
  console.log(
    `[fuzz] ${family}: seed=${SEED} (replay: FUZZ_SEED=${SEED} npx vitest run test/fuzz)${LONG ? ` long run ${longMs} ms` : ""}`,
  );
  return {
    seed: SEED,
    numRuns: LONG ? 10_000_000 : 100_000,
    interruptAfterTimeLimit: LONG ? longMs : budgetMs,
    markInterruptAsFailure: false,
    endOnFailure: true,
  };
}

export function count(family: string): void {
  tried.set(family, (tried.get(family) ?? 0) + 1);
}

export function report(): void {
  for (const [family, n] of tried) {
    console.log(`[fuzz] ${family}: ${n} inputs, 0 crashes, ${faithful500s} faithful 500s (as upstream)`);
  }
}

export interface RawReply {
  status: number;
  contentType: string;
  text: string;
  json: any;
}

/** One request with raw control over path and body; a dropped connection is a failure (status 0). */
export function send(
  emu: Emulator,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<RawReply> {
  const url = new URL(emu.url);
  return new Promise((resolve) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            text,
            json,
          });
        });
        res.on("error", () =>
          resolve({ status: 0, contentType: "", text: "response error", json: undefined }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => resolve({ status: 0, contentType: "", text: String(err), json: undefined }));
    req.end(body);
  });
}

/** 500s the real server also answers (e.g. conversion errors of an empty name), seen in this process. */
export let faithful500s = 0;

/**
 * A 500 the real server gives for the same input: KFP's gateway shape with an InternalServerError
 * chain (`util.NewInternalServerError`) or a plain "Internal error: <reason>" — never the emulator's
 * own "failed unexpectedly" answer to a bug, which fails the fuzz.
 */
export function isFaithful500(r: RawReply): boolean {
  if (!isGatewayError(r) || r.json.code !== 13) return false;
  if (r.json.message.includes(UNEXPECTED_ERROR_TEXT)) return false;
  return Array.isArray(r.json.details) && r.json.details.length === 1;
}

/** A grpc-gateway error body: `{code, message[, details]}`. */
export function isGatewayError(r: RawReply): boolean {
  return (
    r.contentType.startsWith("application/json") &&
    typeof r.json?.code === "number" &&
    typeof r.json?.message === "string"
  );
}

/** The upload handlers' `{error_message, error_details}` or Go's `http.Error` text. */
export function isUploadError(r: RawReply): boolean {
  if (typeof r.json?.error_message === "string" && typeof r.json?.error_details === "string") return true;
  return r.contentType === "text/plain; charset=utf-8" && r.text.endsWith("\n") && r.text.length > 1;
}

/** Go's plain 404 outside /apis/ and for unmatched plain paths. */
export function isPlainNotFound(r: RawReply): boolean {
  return r.status === 404 && r.text === "404 page not found\n";
}

/**
 * The answer is not a server failure: success, or a 4xx in one of KFP's error shapes (a 501
 * UNIMPLEMENTED, code 12, is a deliberate answer: a method the gateway does not route, or an API the
 * emulator does not implement).
 */
export function expectClientOutcome(r: RawReply, what: string): void {
  const label = `${what} → ${r.status} ${r.text.slice(0, 300)}`;
  if (r.status === 501 && isGatewayError(r) && r.json.code === 12) return;
  if (r.status === 500 && isFaithful500(r)) {
    faithful500s++;
    if (process.env.FUZZ_DEBUG) console.log("500", what, r.json.message.slice(0, 160));
    return;
  }
  expect(r.status, label).toBeGreaterThanOrEqual(200);
  expect(r.status, label).toBeLessThan(500);
  if (r.status >= 400) expect(isGatewayError(r) || isUploadError(r) || isPlainNotFound(r), label).toBe(true);
}

const LISTS = [
  "/apis/v2beta1/pipelines",
  "/apis/v2beta1/experiments",
  "/apis/v2beta1/runs",
  "/apis/v2beta1/recurringruns",
  "/apis/v2/runs",
  "/apis/v1beta1/pipelines",
  "/apis/v1beta1/experiments",
  "/apis/v1beta1/runs",
  "/apis/v1beta1/jobs",
];

/** healthz answers, every list serves (all pages, bounded), every stored pipeline reads back. */
export async function expectServing(emu: Emulator): Promise<void> {
  const h = await send(emu, "GET", "/apis/v2beta1/healthz");
  expect(h.status, h.text).toBe(200);
  for (const path of LISTS) {
    let token = "";
    for (let page = 0; page < 50; page++) {
      const r = await send(
        emu,
        "GET",
        `${path}?page_size=200${token ? `&page_token=${encodeURIComponent(token)}` : ""}`,
      );
      expect(r.status, `${path}: ${r.text.slice(0, 300)}`).toBe(200);
      token = r.json?.next_page_token ?? "";
      if (path === "/apis/v2beta1/pipelines") {
        for (const p of r.json?.pipelines ?? []) {
          const one = await send(emu, "GET", `/apis/v2beta1/pipelines/${p.pipeline_id}`);
          expect(one.status, one.text).toBe(200);
          const versions = await send(
            emu,
            "GET",
            `/apis/v2beta1/pipelines/${p.pipeline_id}/versions?page_size=200`,
          );
          expect(versions.status, versions.text).toBe(200);
        }
      }
      if (!token) break;
    }
  }
  expect(process.memoryUsage().rss).toBeLessThan(RSS_LIMIT_BYTES);
}

/** Strings that have broken path handling elsewhere: separators, dots, encodings, controls. */
export const NASTY_SEGMENTS = [
  "..",
  ".",
  "%2F",
  "%2f..%2f",
  "a%2Fb",
  "..%2F..%2Fetc%2Fpasswd",
  "%00",
  "%",
  "%zz",
  "%E2%82",
  "%C0%AF",
  "a:b",
  ":archive",
  "%3Aarchive",
  "%20",
  "~",
  "names",
  "0",
  "-1",
  "x".repeat(300),
  "%u002F",
  "%252F",
];

/** A path segment: nasty, random ASCII (percent-encoded when needed), or unicode. */
export const segment = fc.oneof(
  fc.constantFrom(...NASTY_SEGMENTS),
  fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s)),
  fc.string({ unit: "binary", maxLength: 20 }).map((s) => encodeURIComponent(s)),
  fc.uuid(),
);

/** The route table, as `/_emulator/routes` lists it: `METHOD pattern` (METHOD `*` for plain routes). */
export async function routeTable(emu: Emulator): Promise<{ method: string; pattern: string }[]> {
  const r = await send(emu, "GET", "/_emulator/routes");
  expect(r.status, r.text).toBe(200);
  return (r.json.routes as string[]).map((line) => {
    const [method, pattern] = line.split(" ") as [string, string];
    return { method, pattern };
  });
}
