// One upload client variant in a fresh process (so process.cpuUsage() covers only this variant).
//
//   node bench/clients/upload-node.mjs --variant raw-new|kfp-new|kfp-new-full|kfp-new-novalidate|raw|kfp-path
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

/**
 * The upload's document. "-new" variants upload a different document each time, as users do: a copy of
 * the file with the upload's number in the first 12 bytes of its leading comment line (same size), made
 * the same way on both sides of a comparison and counted in the client's CPU.
 */
const fresh = /-new(-|$)/.test(variant) || variant.endsWith("-fresh");
if (fresh && bytes.subarray(0, 12).toString() !== "# Generated ") {
  throw new Error("the -new variants need the generated pipeline (first line '# Generated ...')");
}
const newDocument = (i) => {
  const doc = Buffer.from(bytes);
  doc.write(`#${String(i).padStart(11, "0")}`, 0, "latin1");
  return doc;
};

if (variant === "raw" || variant === "raw-new") {
  // The baseline: undici.request, a multipart body (prebuilt for "raw"; for "raw-new" framed around each
  // new document, as a raw client must), a keep-alive Agent with a connection per in-flight request,
  // and the JSON response parsed (as any client must).
  const boundary = `----kfpbench${Date.now().toString(16)}`;
  const { head, tail } = multipartParts(boundary, filename);
  const same = Buffer.concat([head, bytes, tail]);
  const headers = { "content-type": `multipart/form-data; boundary=${boundary}` };
  const dispatcher = new Agent({ ...AGENT_SETTINGS, connections: concurrency });
  upload = async (i) => {
    const body = fresh ? Buffer.concat([head, newDocument(i), tail]) : same;
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
  // "kfp-new": default options (validation on), a new document each time — the headline variant.
  // "kfp-new-full": the same with validate: "full" (every line checked). "kfp-new-novalidate": the same
  // with validate: false. "kfp-path": fromPath() of the same file.
  const options = variant.includes("novalidate")
    ? { validate: false }
    : variant.endsWith("-full")
      ? { validate: "full" }
      : {};
  const fromPath = variant.startsWith("kfp-path");
  const pathSource = () => (typeof mod.fromPath === "function" ? mod.fromPath(file) : { path: file });
  upload = async (i) => {
    const source = fromPath ? pathSource() : fresh ? newDocument(i) : bytes;
    const p = await kfp.pipelines.upload(source, { name: `bench-${tag}-${i}`, ...options });
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
