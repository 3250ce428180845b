/**
 * The web UI's files (packages/ui, built into this package's `dist/ui`), served at `/`: GET and HEAD
 * of paths outside `/apis/` and `/_emulator/` (the server sends only those here). `/assets/*` are
 * Vite's content-hashed files (cached for a year, immutable); `index.html` is never cached; any other
 * path without a file extension gets `index.html` (the UI routes in the page). Text files are sent
 * gzipped when the client accepts it (compressed once per file version, kept in memory). Decoded paths
 * with `..`, backslashes or NUL, and files outside the directory, are refused with 404. When the UI was
 * not built, `/` answers with one line that says so. No dependency: node:fs, node:zlib.
 */
import { readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** This package's built UI: `dist/ui` (from `src/http` in a checkout and from `dist/http` once built). */
export function defaultUiDir(): string {
  return fileURLToPath(new URL("../../dist/ui/", import.meta.url));
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
  ".woff2": "font/woff2",
};

export const NOT_BUILT_MESSAGE =
  "The kfp-ts web UI is not built here: run `npm run build` (packages/ui) to serve it at /.\n";

/** The page's rules: its own scripts and styles only, API calls to this server only. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzip: Buffer | undefined;
  etag: string;
}

function plain(res: ServerResponse, status: number, text: string, head: boolean): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "x-content-type-options": "nosniff",
  });
  res.end(head ? undefined : text);
}

/** The safe relative path of a request path inside the UI directory, or undefined when refused. */
export function uiRelativePath(urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const segments = decoded.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.some((s) => s === "..")) return undefined;
  return segments.join("/");
}

export class UiStatic {
  private readonly dir: string;
  private readonly cache = new Map<string, CachedFile>();

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** The file under the UI directory, read (and gzipped) once per version; undefined when absent. */
  private file(rel: string): CachedFile | undefined {
    const full = path.resolve(this.dir, rel);
    if (full !== this.dir && !full.startsWith(this.dir + path.sep)) return undefined;
    let st: import("node:fs").Stats;
    try {
      st = statSync(full);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const hit = this.cache.get(rel);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    let body: Buffer;
    try {
      body = readFileSync(full);
    } catch {
      return undefined;
    }
    const type = TYPES[path.extname(rel).toLowerCase()] ?? "";
    const textual = /^text\/|javascript|json|svg/.test(type);
    const gzip = textual && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined;
    const entry: CachedFile = {
      mtimeMs: st.mtimeMs,
      size: st.size,
      body,
      gzip,
      etag: `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
    };
    if (this.cache.size > 256) this.cache.clear(); // a built UI has a handful of files
    this.cache.set(rel, entry);
    return entry;
  }

  /** Answer a GET or HEAD for `urlPath` (a path outside the API). Always answers. */
  serve(req: IncomingMessage, res: ServerResponse, method: string, urlPath: string): void {
    const head = method === "HEAD";
    const rel = uiRelativePath(urlPath);
    if (rel === undefined) {
      plain(res, 404, "404 page not found\n", head);
      return;
    }
    const index = this.file("index.html");
    if (!index) {
      if (rel === "" || rel === "index.html") {
        plain(res, 404, NOT_BUILT_MESSAGE, head);
        return;
      }
      plain(res, 404, "404 page not found\n", head);
      return;
    }
    let name = rel;
    let found = rel === "" ? undefined : this.file(rel);
    if (!found) {
      // A missing asset or file is a 404; any other path is a page of the UI.
      if (rel.startsWith("assets/") || path.extname(rel) !== "") {
        plain(res, 404, "404 page not found\n", head);
        return;
      }
      name = "index.html";
      found = index;
    }
    const isIndex = name === "index.html";
    const headers: Record<string, string | number> = {
      "content-type": TYPES[path.extname(name).toLowerCase()] ?? "application/octet-stream",
      "cache-control": name.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache",
      etag: found.etag,
      vary: "accept-encoding",
      "x-content-type-options": "nosniff",
    };
    if (isIndex) {
      headers["content-security-policy"] = CSP;
      headers["referrer-policy"] = "no-referrer";
    }
    if (req.headers["if-none-match"] === found.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const gzip =
      found.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? "")) ? found.gzip : undefined;
    if (gzip) headers["content-encoding"] = "gzip";
    const body = gzip ?? found.body;
    headers["content-length"] = body.length;
    res.writeHead(200, headers);
    res.end(head ? undefined : body);
  }
}
