/**
 * Package URLs of a create from URL: the URL checks (`validation.ValidatePipelineURL`: scheme, port,
 * domain allowlist, blocked address ranges after DNS) and the bounded download with redirects checked
 * like the first URL; Go's `path.Base` and `url.ParseRequestURI`.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { RequestContext } from "../http/context.js";
import { internal, invalidInput } from "../http/errors.js";

export function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

export const BLOCKED_V4: [string, number][] = [
  ["127.0.0.0", 8],
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["169.254.0.0", 16],
  ["0.0.0.0", 8],
];

/** Private, loopback, link-local, metadata or unspecified addresses (`blockedCIDRs`). */
export function isBlockedIp(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const n = ipv4ToInt(ip);
    return BLOCKED_V4.some(([base, bits]) => {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return (n & mask) >>> 0 === (ipv4ToInt(base) & mask) >>> 0;
    });
  }
  if (v === 6) {
    const lower = ip.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return isBlockedIp(mapped[1]!);
    if (lower === "::1" || lower === "::") return true;
    const first = Number.parseInt(lower.split(":")[0] || "0", 16);
    if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7
    if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10
    return false;
  }
  return false;
}

/** `validation.ValidatePipelineURL` (the reason is logged upstream; the client sees a generic 400). */
export async function validatePipelineUrl(ctx: RequestContext, raw: string): Promise<string | undefined> {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `invalid URL: parse ${JSON.stringify(raw)}: invalid URI for request`;
  }
  const scheme = u.protocol.replace(/:$/, "");
  const allowHttp = ctx.config.allowHttpUrls;
  if (scheme !== "https" && (scheme !== "http" || !allowHttp))
    return `URL scheme "${scheme}" not allowed, use https`;
  if (ctx.config.allowLoopbackUrls) return undefined;
  const defaultPort = scheme === "https" ? "443" : "80";
  if (u.port !== "" && u.port !== defaultPort) {
    return `${scheme.toUpperCase()} requires port ${defaultPort}, got "${u.port}"`;
  }
  const host = u.hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
  const allowed = ctx.config.allowedUrlDomains.some((d) =>
    new RegExp(`^${d.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(host),
  );
  if (!allowed) return `URL domain "${host}" not in allowlist`;
  try {
    const addrs = isIP(host) ? [{ address: host }] : await lookup(host, { all: true });
    for (const a of addrs)
      if (isBlockedIp(a.address)) return `URL resolves to blocked IP range: ${a.address}`;
  } catch (err) {
    return `DNS resolution failed for "${host}": ${(err as Error).message}`;
  }
  return undefined;
}

/** Download a package (30 s timeout, 32 MiB, redirects validated like the first URL). */
export async function downloadPackage(
  ctx: RequestContext,
  url: string,
  prefixes: { fetchFailed: (status: string) => string; error: string },
): Promise<Buffer> {
  let current = url;
  const deadline = AbortSignal.timeout(ctx.config.urlFetchTimeoutMs);
  for (let hop = 0; hop < 10; hop++) {
    let res: Response;
    try {
      res = await fetch(current, { redirect: "manual", signal: deadline });
    } catch (err) {
      throw internal(`${prefixes.error} ${current}`, err as Error);
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
      await res.body?.cancel().catch(() => {});
      const next = new URL(res.headers.get("location")!, current).toString();
      const problem = await validatePipelineUrl(ctx, next);
      if (problem) throw invalidInput(`redirect blocked: ${problem}`);
      current = next;
      continue;
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      throw invalidInput(prefixes.fetchFailed(`${res.status} ${res.statusText}`.trim()));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    if (res.body) {
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          size += chunk.length;
          if (size > ctx.config.maxUploadBytes) break;
          chunks.push(Buffer.from(chunk));
        }
      } catch (err) {
        throw internal(`${prefixes.error} ${current}`, err as Error);
      }
    }
    if (size > ctx.config.maxUploadBytes) {
      // readPipelineFile reports the size error exactly like the upstream loadFile.
      return Buffer.alloc(ctx.config.maxUploadBytes + 1);
    }
    return Buffer.concat(chunks);
  }
  throw internal(`${prefixes.error} ${url}`, new Error("stopped after 10 redirects"));
}

/** Go `path.Base`. */
export function pathBase(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Go `url.ParseRequestURI`: an absolute URI (or absolute path). */
export function parseRequestUri(raw: string): boolean {
  if (raw === "") return false;
  if (raw.startsWith("/")) return true;
  try {
    new URL(raw);
    return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(raw);
  } catch {
    return false;
  }
}
