#!/usr/bin/env node
// Runs a batch of kfp-ts client calls for the interop tests (pytest compares what kfp-ts and the official
// SDK store). Reads a JSON array of commands on stdin, runs them in order, writes a JSON array with one
// result per command on stdout.
//
// Commands (all take `host`; `token`, `namespace` and `apiVersion` are optional client options):
//   {"op": "uploadPipeline", "file", "name"?, "description"?, "namespace"?, "validate"?}
//       → {"ok": true, "pipeline": <wire Pipeline>, "versions": [<wire PipelineVersion with spec>]}
//   {"op": "uploadVersion", "file", "pipelineId"? | "pipelineName"?, "name"?, "validate"?}
//       → {"ok": true, "version": <wire PipelineVersion>}
// A failed call gives {"ok": false, "error": <class name>, "status"?: <HTTP status>, "message",
// "validation": <true for a ValidationError, i.e. refused by the client before sending>}.
import { Kfp, ValidationError } from "../../packages/kfp-ts/dist/index.js";

// Only the options given here count: the environment must not redirect or authenticate the client.
for (const name of Object.keys(process.env)) {
  if (/^(KFP_|KF_PIPELINES_)/.test(name)) delete process.env[name];
}

const clients = new Map();
function client(cmd) {
  const key = JSON.stringify([cmd.host, cmd.token ?? null, cmd.namespace ?? null, cmd.apiVersion ?? "auto"]);
  let c = clients.get(key);
  if (!c) {
    const opts = { host: cmd.host, timeout: 20_000, maxRetries: 0 };
    if (cmd.token) opts.token = cmd.token;
    if (cmd.namespace) opts.namespace = cmd.namespace;
    if (cmd.apiVersion) opts.apiVersion = cmd.apiVersion;
    c = new Kfp(opts);
    clients.set(key, c);
  }
  return c;
}

function uploadOptions(cmd) {
  const o = {};
  if (cmd.name !== undefined) o.name = cmd.name;
  if (cmd.description !== undefined) o.description = cmd.description;
  if (cmd.validate !== undefined) o.validate = cmd.validate;
  return o;
}

async function allVersions(kfp, pipelineId) {
  const out = [];
  for await (const v of kfp.pipelines.versions.list(pipelineId)) {
    out.push(await kfp.pipelines.versions.get(pipelineId, v.pipeline_version_id));
    if (out.length > 50) break;
  }
  return out;
}

const ops = {
  async uploadPipeline(cmd) {
    const kfp = client(cmd);
    const opts = uploadOptions(cmd);
    if (cmd.namespace) opts.namespace = cmd.namespace;
    else opts.namespace = null;
    const pipeline = await kfp.pipelines.upload({ path: cmd.file }, opts);
    return { pipeline, versions: await allVersions(kfp, pipeline.pipeline_id) };
  },
  async uploadVersion(cmd) {
    const kfp = client(cmd);
    const opts = uploadOptions(cmd);
    if (cmd.pipelineId !== undefined) opts.pipeline_id = cmd.pipelineId;
    if (cmd.pipelineName !== undefined) {
      opts.pipeline_name = cmd.pipelineName;
      opts.namespace = cmd.namespace ?? null;
    }
    const version = await kfp.pipelines.uploadVersion({ path: cmd.file }, opts);
    return { version };
  },
};

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

const commands = JSON.parse(await readStdin());
if (!Array.isArray(commands)) {
  process.stderr.write("kfpts.mjs: stdin must be a JSON array of commands\n");
  process.exit(2);
}
const results = [];
for (const cmd of commands) {
  const fn = ops[cmd?.op];
  if (!fn) {
    results.push({ ok: false, error: "UnknownCommand", message: `unknown op ${JSON.stringify(cmd?.op)}` });
    continue;
  }
  try {
    results.push({ ok: true, ...(await fn(cmd)) });
  } catch (err) {
    const r = {
      ok: false,
      error: err?.name ?? err?.constructor?.name ?? "Error",
      message: String(err?.message ?? err),
    };
    if (typeof err?.status === "number") r.status = err.status;
    // A client-side refusal (nothing was sent); subclasses such as SpecValidationError count too.
    r.validation = err instanceof ValidationError;
    results.push(r);
  }
}
for (const c of clients.values()) await c.close();
process.stdout.write(JSON.stringify(results));
