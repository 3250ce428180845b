// A minimal stand-in for the KFP upload endpoint: node:http + busboy, run in its own process.
// It parses the multipart body, stream-discards the `uploadfile` part (counting its bytes, no size
// limit) and answers like KFP: 200 with a v2beta1 Pipeline JSON (pipeline_id, name, display_name,
// created_at). It also serves healthz (v2beta1 and v1beta1; /apis/v2 answers 404 like a 2.17 server,
// so every client talks v2beta1), a fixed pipeline list page (a floor for the emulator's list figure)
// and two bench-only endpoints: GET /bench/stats and POST /bench/reset.
//
// Usage: node bench/servers/busboy-server.mjs [--list-items 20]
// Prints `@@BENCH {"port":N}` once listening; exits on SIGTERM/SIGINT or when its parent goes away.
import { randomUUID } from "node:crypto";
import http from "node:http";
import busboy from "busboy";
import { num, parseArgs, report, watchParent } from "../lib/common.mjs";

const args = parseArgs(process.argv.slice(2));
const listItems = num(args["list-items"], 20);

const HEALTHZ_V2BETA1 = JSON.stringify({
  commit_sha: "bench",
  tag_name: "bench",
  multi_user: false,
  pipeline_store: "database",
});
const HEALTHZ_V1 = JSON.stringify({ commit_sha: "bench", tag_name: "bench", multi_user: false });
const NOT_FOUND = JSON.stringify({ code: 5, message: "Not Found", details: [] });

const created = new Date("2026-01-01T00:00:00Z");
const LIST_PAGE = JSON.stringify({
  pipelines: Array.from({ length: listItems }, (_, i) => ({
    pipeline_id: randomUUID(),
    display_name: `bench-${i}`,
    name: `bench-${i}`,
    created_at: new Date(created.getTime() + i * 1000).toISOString().replace(".000Z", "Z"),
  })),
  total_size: listItems,
});

const stats = { uploads: 0, fileBytes: 0, minFile: null, maxFile: null, errors: 0 };
function resetStats() {
  stats.uploads = 0;
  stats.fileBytes = 0;
  stats.minFile = null;
  stats.maxFile = null;
  stats.errors = 0;
}

function send(res, status, body, type = "application/json") {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function uploadError(req, res, message) {
  stats.errors++;
  const body = JSON.stringify({ error_message: message, error_details: message });
  // Drain what is left of the request before answering, so keep-alive stays usable.
  if (req.complete) send(res, 400, body, "text/plain; charset=utf-8");
  else {
    req.resume();
    req.once("end", () => send(res, 400, body, "text/plain; charset=utf-8"));
  }
}

function handleUpload(req, res, url) {
  let bb;
  try {
    bb = busboy({ headers: req.headers });
  } catch {
    uploadError(req, res, "Failed to read pipeline from file");
    return;
  }
  let fileBytes = -1;
  let failed = false;
  bb.on("file", (field, stream, info) => {
    if (field !== "uploadfile" || !info.filename || fileBytes >= 0) {
      stream.resume();
      return;
    }
    let n = 0;
    stream.on("data", (chunk) => {
      n += chunk.length;
    });
    stream.on("end", () => {
      fileBytes = n;
    });
  });
  bb.on("error", () => {
    if (failed) return;
    failed = true;
    uploadError(req, res, "Failed to read pipeline from file");
  });
  bb.on("close", () => {
    if (failed) return;
    if (fileBytes < 0) {
      uploadError(req, res, "Failed to read pipeline from file");
      return;
    }
    stats.uploads++;
    stats.fileBytes += fileBytes;
    if (stats.minFile === null || fileBytes < stats.minFile) stats.minFile = fileBytes;
    if (stats.maxFile === null || fileBytes > stats.maxFile) stats.maxFile = fileBytes;
    const name = url.searchParams.get("name") || url.searchParams.get("display_name") || "pipeline.yaml";
    const body = JSON.stringify({
      pipeline_id: randomUUID(),
      display_name: url.searchParams.get("display_name") || name,
      name,
      created_at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    });
    send(res, 200, body);
  });
  req.pipe(bb);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  const p = url.pathname;
  if (p === "/apis/v2beta1/healthz") return send(res, 200, HEALTHZ_V2BETA1);
  if (p === "/apis/v1beta1/healthz") return send(res, 200, HEALTHZ_V1);
  if (req.method === "POST" && /^\/apis\/(v2beta1|v2|v1beta1)\/pipelines\/upload$/.test(p)) {
    return handleUpload(req, res, url);
  }
  if (req.method === "GET" && p === "/apis/v2beta1/pipelines") return send(res, 200, LIST_PAGE);
  if (p === "/bench/stats") return send(res, 200, JSON.stringify(stats));
  if (p === "/bench/reset" && req.method === "POST") {
    resetStats();
    return send(res, 200, "{}");
  }
  req.resume();
  send(res, 404, NOT_FOUND);
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.requestTimeout = 0; // a 200 MiB upload may take a while on a busy machine

server.listen(0, "127.0.0.1", () => {
  report({ port: server.address().port, pid: process.pid });
});

function shutdown() {
  server.close();
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 200).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
watchParent(shutdown);
