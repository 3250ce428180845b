// One streamed upload of a large generated body in a fresh process, reporting the process's peak RSS.
//
//   node --expose-gc bench/clients/memory-node.mjs --variant raw|kfp-stream|kfp-webstream
//     --base http://127.0.0.1:PORT --bytes 209715200
//
// The source is a Readable that produces `bytes` of YAML-ish text in fresh 64 KiB chunks (nothing on
// disk). raw: undici.request with an async-iterable multipart body (chunked transfer encoding), the
// baseline. kfp-stream: kfp.pipelines.upload(readable, { validate: false }). kfp-webstream: the same
// source as a web ReadableStream. Peak RSS is sampled every 10 ms (process.memoryUsage.rss()) and also
// read from /proc/self/status (VmHWM) at the end.
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { Agent, request } from "undici";
import {
  AGENT_SETTINGS,
  multipartParts,
  num,
  parseArgs,
  REPO_ROOT,
  report,
  rssSampler,
  yamlishStream,
} from "../lib/common.mjs";

const args = parseArgs(process.argv.slice(2));
const variant = String(args.variant);
const base = String(args.base);
const total = num(args.bytes, 200 * 1024 * 1024);
const name = `bench-mem-${process.pid}`;

let run;
let close;
let warm;
if (variant === "raw") {
  const dispatcher = new Agent({ ...AGENT_SETTINGS, connections: 1 });
  const boundary = `----kfpbench${Date.now().toString(16)}`;
  const { head, tail } = multipartParts(boundary, "pipeline.yaml");
  run = async () => {
    const source = yamlishStream(total);
    async function* body() {
      yield head;
      for await (const chunk of source) yield chunk;
      yield tail;
    }
    const res = await request(`${base}/apis/v2beta1/pipelines/upload?name=${name}`, {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: body(),
      dispatcher,
    });
    const json = await res.body.json();
    if (res.statusCode !== 200 || !json.pipeline_id) {
      throw new Error(`raw upload: HTTP ${res.statusCode} ${JSON.stringify(json)}`);
    }
  };
  warm = async () => {
    const res = await request(`${base}/apis/v2beta1/healthz`, { dispatcher });
    await res.body.json();
  };
  close = () => dispatcher.close();
} else if (variant === "kfp-stream" || variant === "kfp-webstream") {
  const mod = await import(pathToFileURL(resolve(REPO_ROOT, "packages/kfp-ts/dist/index.js")).href);
  const kfp = new mod.Kfp({ host: base, maxRetries: 0, logLevel: "off" });
  run = async () => {
    const node = yamlishStream(total);
    const source = variant === "kfp-webstream" ? Readable.toWeb(node) : node;
    // kfp-ts does not limit streams of unknown size unless `maxSize` is given (the server judges);
    // should a build refuse the size anyway, that is reported as `refused` (the orchestrator then
    // measures at 32 MiB instead).
    let p;
    try {
      p = await kfp.pipelines.upload(source, {
        name,
        filename: "pipeline.yaml",
        validate: false,
      });
    } catch (err) {
      if (err?.name === "ValidationError" && /bytes/.test(err.message)) {
        report({ variant, bytes: total, refused: err.message });
        process.exit(0);
      }
      throw err;
    }
    if (!p?.pipeline_id) throw new Error(`kfp-ts upload returned no pipeline_id: ${JSON.stringify(p)}`);
  };
  // kfp-ts asks healthz which API the server speaks before its first call; do it here, outside the
  // measurement, as the raw variant makes its one warm-up request.
  warm = async () => {
    await kfp.apiVersion();
  };
  close = () => kfp.close();
} else {
  throw new Error(`unknown variant ${variant}`);
}

// Like for like: each variant has made one request on its connection pool before the measurement
// (a process's first request warms up undici and V8, which moves the peak by ~20 MiB).
await warm();

// The baseline RSS: after imports and client construction, after a full GC when --expose-gc is on.
globalThis.gc?.();
const baseRss = process.memoryUsage.rss();
const sampler = rssSampler(10);
const t0 = performance.now();
await run();
const elapsedMs = performance.now() - t0;
const { peakRss, vmHwm } = sampler.stop();
await close();
report({
  variant,
  bytes: total,
  elapsedMs,
  mibPerSec: total / 1024 / 1024 / (elapsedMs / 1000),
  baseRss,
  peakRss,
  vmHwm,
  growth: peakRss - baseRss,
});
