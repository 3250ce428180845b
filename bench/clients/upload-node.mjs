// One upload client variant in a fresh process (so process.cpuUsage() covers only this variant).
//
//   node bench/clients/upload-node.mjs --variant raw|kfp-bytes|kfp-bytes-fresh|kfp-path|kfp-bytes-validate|kfp-bytes-validate-fresh
//     --base http://127.0.0.1:PORT --file /tmp/.../pipeline.yaml --concurrency 32
//     --warmup 5000 --warmup-ms 20000
//
// Warms up, reports `@@BENCH {"ready":true,...}`, then measures windows on command from stdin
// (drive.mjs commandLoop): uploads/s, client CPU per upload, latencies of each window.
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Agent, request } from "undici";
import { AGENT_SETTINGS, multipartParts, num, parseArgs, REPO_ROOT, report } from "../lib/common.mjs";
import { commandLoop, drive } from "./drive.mjs";

const args = parseArgs(process.argv.slice(2));
const variant = String(args.variant);
const base = String(args.base);
const file = String(args.file);
const concurrency = num(args.concurrency, 1);
const warmup = num(args.warmup, 5000);
const warmupMs = num(args["warmup-ms"], 20_000);
const bytes = readFileSync(file);
const filename = basename(file);
const tag = `${process.pid}`;

/** @type {(i: number) => Promise<unknown>} */
let upload;
/** @type {() => Promise<void>} */
let close;

if (variant === "raw") {
  // The baseline: undici.request, a prebuilt multipart body, a keep-alive Agent with a connection
  // per in-flight request, and the JSON response parsed (as any client must).
  const boundary = `----kfpbench${Date.now().toString(16)}`;
  const { head, tail } = multipartParts(boundary, filename);
  const body = Buffer.concat([head, bytes, tail]);
  const headers = { "content-type": `multipart/form-data; boundary=${boundary}` };
  const dispatcher = new Agent({ ...AGENT_SETTINGS, connections: concurrency });
  upload = async (i) => {
    const res = await request(`${base}/apis/v2beta1/pipelines/upload?name=bench-${tag}-${i}`, {
      method: "POST",
      headers,
      body,
      dispatcher,
    });
    const json = await res.body.json();
    if (res.statusCode !== 200 || !json.pipeline_id) {
      throw new Error(`raw upload: HTTP ${res.statusCode} ${JSON.stringify(json)}`);
    }
    return json;
  };
  close = () => dispatcher.close();
} else if (variant.startsWith("kfp-")) {
  const mod = await import(pathToFileURL(resolve(REPO_ROOT, "packages/kfp-ts/dist/index.js")).href);
  const kfp = new mod.Kfp({ host: base, maxRetries: 0, logLevel: "off" });
  const validate = variant.includes("-validate");
  const fromPath = variant.startsWith("kfp-path");
  // "-fresh": every upload is a different document of the same size (the first 12 bytes of the
  // leading comment line carry the upload's number), so nothing can be remembered between uploads.
  const fresh = variant.endsWith("-fresh");
  if (fresh && bytes.subarray(0, 12).toString() !== "# Generated ") {
    throw new Error("the -fresh variant needs the generated pipeline (first line '# Generated ...')");
  }
  const pathSource = () => (typeof mod.fromPath === "function" ? mod.fromPath(file) : { path: file });
  upload = async (i) => {
    let source = bytes;
    if (fromPath) source = pathSource();
    else if (fresh) {
      source = Buffer.from(bytes);
      source.write(`#${String(i).padStart(11, "0")}`, 0, "latin1");
    }
    const p = await kfp.pipelines.upload(source, { name: `bench-${tag}-${i}`, validate });
    if (!p?.pipeline_id) throw new Error(`kfp-ts upload returned no pipeline_id: ${JSON.stringify(p)}`);
    return p;
  };
  close = () => kfp.close();
} else {
  throw new Error(`unknown variant ${variant}`);
}

// Warm-up (not measured): lets the JIT, the connection pool and the server reach steady state. Then
// measured windows on command (see drive.mjs commandLoop).
const w = await drive(upload, { concurrency, max: warmup, ms: warmupMs, start: 0 });
await commandLoop(upload, {
  concurrency,
  start: w.count,
  close,
  report,
  ready: {
    variant,
    runtime: `node ${process.version}`,
    concurrency,
    fileBytes: bytes.length,
    warmupCount: w.count,
    warmupMs: w.elapsedMs,
  },
});
