/**
 * Contract (b): the kfp-ts client, pointed at a recording proxy in front of the emulator, runs every
 * public call of every resource under each API version (v2beta1, v2, v1beta1, and "auto"). Every request
 * it makes is checked against the official swagger of the path's version: the (path, method) exists,
 * every query parameter is declared (with a value of the declared type/enum), the body uses only
 * declared fields with the declared types (closed messages, enum names), uploads are multipart with the
 * declared `uploadfile` part and everything else in the query; a `filter` value is the double-encoded
 * JSON of the swagger's Filter message. The responses the client got are validated too.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { Kfp } from "../../packages/kfp-ts/src/client.js";
import { UnsupportedError } from "../../packages/kfp-ts/src/core/errors.js";
import { type Exchange, RecordingProxy } from "./recorder.js";
import { type SpecVersion, type Swagger, specAvailable, swaggers, versionOf } from "./swagger.js";

const SPEC = (name: string) => `pipelineInfo:
  name: ${name}
root:
  inputDefinitions:
    parameters:
      msg:
        parameterType: STRING
        defaultValue: hi
        isOptional: true
      count:
        parameterType: NUMBER_INTEGER
        defaultValue: 1
        isOptional: true
  dag:
    tasks:
      echo:
        taskInfo:
          name: echo
        componentRef:
          name: comp-echo
        inputs:
          parameters:
            msg:
              componentInputParameter: msg
components:
  comp-echo:
    executorLabel: exec-echo
    inputDefinitions:
      parameters:
        msg:
          parameterType: STRING
deploymentSpec:
  executors:
    exec-echo:
      container:
        image: alpine:3.20
        command:
        - echo
        args:
        - "{{$.inputs.parameters['msg']}}"
schemaVersion: 2.1.0
sdkVersion: kfp-2.17.0
`;

const FAILING_SPEC = (name: string) => SPEC(name).replace(/echo:\n {8}taskInfo/, "boom:\n        taskInfo");

/** The Filter definition of each swagger (v1beta1 uses `op`, v2beta1/v2 `operation`). */
function filterProblems(sw: Swagger, raw: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return "filter is not percent-encoded once more (the server unescapes it again, FACTS.md §6)";
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch {
    return `filter is not JSON after one extra unescape: ${decoded.slice(0, 120)}`;
  }
  const def = sw.version === "v1beta1" ? "apiFilter" : `${sw.version}Filter`;
  return sw.validate("request", { $ref: `#/definitions/${def}` }, parsed);
}

interface Check {
  requests: number;
  problems: string[];
  responseProblems: string[];
  ops: Set<string>;
}

function check(exchanges: Exchange[]): Check {
  const all = swaggers();
  const out: Check = { requests: 0, problems: [], responseProblems: [], ops: new Set() };
  for (const x of exchanges) {
    const v = versionOf(x.path);
    if (!v) {
      out.problems.push(`${x.method} ${x.path}: not under /apis/v1beta1, /apis/v2beta1 or /apis/v2`);
      continue;
    }
    out.requests++;
    const sw = all[v];
    const contentType = x.requestHeaders["content-type"];
    const { op, problems } = sw.checkRequest({
      method: x.method,
      path: x.path,
      query: x.query,
      contentType: Array.isArray(contentType) ? contentType[0] : contentType,
      body: x.requestBody,
    });
    const where = `${x.method} ${x.path}${x.query.size ? `?${x.query}` : ""}`;
    for (const p of problems) out.problems.push(`${where}: ${p}`);
    const filter = x.query.get("filter");
    if (op && filter !== null) {
      const fp = filterProblems(sw, filter);
      if (fp) out.problems.push(`${where}: ${fp}`);
    }
    if (op) {
      out.ops.add(`${op.method} ${op.template}`);
      const r = sw.checkResponse(x.method, x.path, x.status, x.responseContentType, x.responseBody);
      for (const p of r.problems) out.responseProblems.push(`${where} → ${x.status}: ${p}`);
    }
  }
  return out;
}

/** Operations a client has no business calling: not served (FACTS.md §1, §S.1) or internal. */
const NOT_CLIENT_OPS =
  /\/(auth|filters|visualizations\/\{namespace\}|workflows|scheduledworkflows)$|\/artifact|\/tasks|reportMetrics|\/v1beta1\/(healthz)$/;

/** An id from a response (wire types mark every field optional). */
const id = (v: string | undefined): string => v ?? "missing-id";

/** Runs each step; a step may be allowed to be unsupported by an API version. */
class Steps {
  readonly failures: string[] = [];
  readonly unsupported: string[] = [];
  /** `legacy`: v1beta1 lacks some features; the client must then say so with UnsupportedError. */
  constructor(private readonly legacy: boolean) {}
  async run<T>(
    name: string,
    fn: () => Promise<T>,
    opts: { mayBeUnsupported?: boolean } = {},
  ): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if ((opts.mayBeUnsupported || this.legacy) && err instanceof UnsupportedError) {
        this.unsupported.push(name);
        return undefined;
      }
      this.failures.push(`${name}: ${(err as Error).name}: ${(err as Error).message}`);
      return undefined;
    }
  }
}

async function scenario(kfp: Kfp, tag: string, specUrl: string, isV1: boolean): Promise<Steps> {
  const s = new Steps(isV1);
  const v1 = { mayBeUnsupported: isV1 };
  await s.run("healthz.get", () => kfp.healthz.get());
  await s.run("serverInfo", () => kfp.serverInfo());

  // Pipelines and versions.
  const name = `req-${tag}`;
  const p = await s.run("pipelines.upload", () =>
    kfp.pipelines.upload(SPEC(name), {
      name,
      description: "contract",
      ...(isV1 ? {} : { tags: { team: "ml" } }),
    }),
  );
  const pid = p?.pipeline_id ?? "missing";
  const v2 = await s.run("pipelines.uploadVersion(id)", () =>
    kfp.pipelines.uploadVersion(SPEC(name), { pipeline_id: pid, name: "second", description: "v" }),
  );
  await s.run("pipelines.uploadVersion(name)", () =>
    kfp.pipelines.uploadVersion(SPEC(name), { pipeline_name: name, name: "third" }),
  );
  await s.run("pipelines.versions.upload", () =>
    kfp.pipelines.versions.upload(pid, SPEC(name), { name: "fourth" }),
  );
  await s.run("pipelines.get", () => kfp.pipelines.get(pid));
  await s.run("pipelines.getByName", () => kfp.pipelines.getByName(name));
  await s.run("pipelines.list", async () => {
    const out = [];
    for await (const x of kfp.pipelines.list({ page_size: 1, sort_by: "created_at desc" })) {
      out.push(x);
      if (out.length >= 3) break;
    }
    return out;
  });
  await s.run("pipelines.list(filter)", () =>
    kfp.pipelines.list({
      filter: { predicates: [{ key: "name", operation: "EQUALS", string_value: name }] },
    }),
  );
  await s.run(
    "pipelines.update",
    () => kfp.pipelines.update(pid, { display_name: "Req", tags: { a: "b" } }),
    v1,
  );
  await s.run(
    "pipelines.create",
    () => kfp.pipelines.create({ name: `${name}-bare`, description: "bare" }),
    v1,
  );
  await s.run("pipelines.createWithVersion", () =>
    kfp.pipelines.createWithVersion({ name: `${name}-url` }, { package_url: { pipeline_url: specUrl } }),
  );
  await s.run("pipelines.versions.list", () =>
    kfp.pipelines.versions.list(pid, { page_size: 2, sort_by: "name" }),
  );
  const vid = v2?.pipeline_version_id ?? "missing";
  await s.run("pipelines.versions.get", () => kfp.pipelines.versions.get(pid, vid));
  await s.run("pipelines.versions.findByName", () => kfp.pipelines.versions.findByName(pid, "second"));
  await s.run(
    "pipelines.versions.update",
    () => kfp.pipelines.versions.update(pid, vid, { display_name: "2nd" }),
    v1,
  );
  await s.run("pipelines.versions.create", () =>
    kfp.pipelines.versions.create(pid, { name: "from-url", package_url: { pipeline_url: specUrl } }),
  );
  await s.run("pipelines.publish", () => kfp.pipelines.publish(`${name}-pub`, SPEC(`${name}-pub`)));
  await s.run("pipelines.publish (again)", () => kfp.pipelines.publish(`${name}-pub`, SPEC(`${name}-pub`)));

  // Experiments.
  const exp = await s.run("experiments.create", () =>
    kfp.experiments.create({ display_name: `exp-${tag}`, description: "contract" }),
  );
  const eid = exp?.experiment_id ?? "missing";
  await s.run("experiments.get", () => kfp.experiments.get(eid));
  await s.run("experiments.findByName", () => kfp.experiments.findByName(`exp-${tag}`));
  await s.run("experiments.getByName", () => kfp.experiments.getByName(`exp-${tag}`));
  await s.run("experiments.getOrCreate", () => kfp.experiments.getOrCreate({ display_name: `exp2-${tag}` }));
  await s.run("experiments.list", () => kfp.experiments.list({ page_size: 5, sort_by: "display_name desc" }));

  // Runs.
  const run = await s.run("runs.create(version)", () =>
    kfp.runs.create({
      display_name: "by version",
      experiment_id: eid,
      pipeline_id: pid,
      pipeline_version_id: vid,
      parameters: { msg: "x", count: 2 },
      pipeline_root: "minio://mlpipeline/root",
      service_account: "pipeline-runner",
    }),
  );
  await s.run("runs.create(pipeline name)", () =>
    kfp.runs.create({
      display_name: "by name",
      experiment_name: `exp-${tag}`,
      pipeline_name: name,
      version_name: "second",
    }),
  );
  const inline = await s.run("runs.create(package)", () =>
    kfp.runs.create({
      display_name: "inline",
      experiment_id: eid,
      package: SPEC(name),
      enable_caching: false,
    }),
  );
  const failing = await s.run("runs.create(failing)", () =>
    kfp.runs.create({ display_name: "failing", experiment_id: eid, package: FAILING_SPEC(name) }),
  );
  const slowTerm = await s.run("runs.create(to terminate)", () =>
    kfp.runs.create({ display_name: "terminate me", experiment_id: eid, package: SPEC(name) }),
  );
  if (slowTerm) await s.run("runs.terminate", () => kfp.runs.terminate(id(slowTerm.run_id)));
  if (run) {
    await s.run("runs.wait", () =>
      kfp.runs.wait(id(run.run_id), { timeout: 15_000, pollInterval: 20, maxPollInterval: 50 }),
    );
    await s.run("runs.get", () => kfp.runs.get(id(run.run_id)));
    await s.run("runs.archive", () => kfp.runs.archive(id(run.run_id)));
    await s.run("runs.unarchive", () => kfp.runs.unarchive(id(run.run_id)));
  }
  if (failing) {
    await s.run("runs.wait(failing)", () =>
      kfp.runs.wait(id(failing.run_id), {
        timeout: 15_000,
        pollInterval: 20,
        maxPollInterval: 50,
        throwOnFailure: false,
      }),
    );
    await s.run("runs.retry", () => kfp.runs.retry(id(failing.run_id)));
  }
  await s.run("runs.list", () =>
    kfp.runs.list({
      experiment_id: eid,
      page_size: 2,
      sort_by: "created_at",
      filter: { predicates: [{ key: "display_name", operation: "IS_SUBSTRING", string_value: "by" }] },
    }),
  );
  await s.run("runs.list(all pages)", async () => {
    let n = 0;
    for await (const _ of kfp.runs.list({ experiment_id: eid, page_size: 1 })) if (++n > 10) break;
    return n;
  });
  if (inline) await s.run("runs.delete", () => kfp.runs.delete(id(inline.run_id)));

  // Recurring runs.
  const rr = await s.run("recurringRuns.create(interval)", () =>
    kfp.recurringRuns.create({
      display_name: "hourly",
      experiment_id: eid,
      pipeline_id: pid,
      pipeline_version_id: vid,
      interval: 3600,
      start_time: "2030-01-01T00:00:00Z",
      max_concurrency: 2,
      catchup: false,
      parameters: { msg: "tick" },
    }),
  );
  const cron = await s.run("recurringRuns.create(cron, package)", () =>
    kfp.recurringRuns.create({
      display_name: "weekdays",
      experiment_id: eid,
      package: SPEC(name),
      cron: "0 0 9 ? * 2-6",
      enabled: false,
    }),
  );
  if (rr) {
    await s.run("recurringRuns.get", () => kfp.recurringRuns.get(id(rr.recurring_run_id)));
    await s.run("recurringRuns.disable", () => kfp.recurringRuns.disable(id(rr.recurring_run_id)));
    await s.run("recurringRuns.enable", () => kfp.recurringRuns.enable(id(rr.recurring_run_id)));
    await s.run("recurringRuns.delete", () =>
      kfp.recurringRuns.delete(id(rr.recurring_run_id), isV1 ? {} : { propagation_policy: "BACKGROUND" }),
    );
  }
  await s.run("recurringRuns.list", () => kfp.recurringRuns.list({ experiment_id: eid, page_size: 5 }));
  if (cron)
    await s.run("recurringRuns.delete(cron)", () => kfp.recurringRuns.delete(id(cron.recurring_run_id)));

  // Clean-up calls.
  await s.run("experiments.archive", () => kfp.experiments.archive(eid));
  await s.run("experiments.unarchive", () => kfp.experiments.unarchive(eid));
  await s.run("experiments.delete", () => kfp.experiments.delete(eid));
  if (v2) await s.run("pipelines.versions.delete", () => kfp.pipelines.versions.delete(pid, vid));
  await s.run("pipelines.delete(cascade)", () => kfp.pipelines.delete(pid, { cascade: true }), v1);
  return s;
}

describe.skipIf(!specAvailable)("every request the kfp-ts client makes is in the official swagger", () => {
  let emu: Emulator;
  let specServer: Server;
  let specUrl = "";
  beforeAll(async () => {
    emu = await startEmulator({
      allowHttpUrls: true,
      allowLoopbackUrls: true,
      lifecycle: { tickMs: 10, startTicks: 10, failTasks: ["boom"] },
    });
    specServer = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-yaml" });
      res.end(SPEC("from-url"));
    });
    await new Promise<void>((r) => specServer.listen(0, "127.0.0.1", r));
    specUrl = `http://127.0.0.1:${(specServer.address() as AddressInfo).port}/pipeline.yaml`;
  });
  afterAll(async () => {
    await emu?.close();
    specServer?.closeAllConnections();
    await new Promise<void>((r) => (specServer ? specServer.close(() => r()) : r()));
  });

  const modes: ("auto" | SpecVersion)[] = ["auto", "v2beta1", "v2", "v1beta1"];
  for (const mode of modes) {
    it(`apiVersion ${mode}: requests and responses conform`, async () => {
      const proxy = await new RecordingProxy(emu.url).start();
      const kfp = new Kfp({ host: proxy.url, apiVersion: mode, maxRetries: 0, timeout: 15_000 });
      try {
        const steps = await scenario(
          kfp,
          `${mode}-${Math.random().toString(16).slice(2, 8)}`,
          specUrl,
          mode === "v1beta1",
        );
        const result = check(proxy.exchanges);
        expect(result.problems, result.problems.join("\n")).toEqual([]);
        expect(result.responseProblems, result.responseProblems.join("\n")).toEqual([]);
        expect(steps.failures, steps.failures.join("\n")).toEqual([]);
        expect(result.requests).toBeGreaterThan(40);
        if (mode !== "v1beta1") expect(steps.unsupported).toEqual([]);
        const version = mode === "auto" ? "v2beta1" : mode;
        const uncovered = swaggers()
          [version].operations.filter((o) => !NOT_CLIENT_OPS.test(o.template))
          .map((o) => `${o.method} ${o.template}`)
          .filter((o) => !result.ops.has(o));
        // Coverage: the scenario reaches every operation a client may call (v1beta1: the client has no
        // call for a pipeline's templates or for setting a default version).
        const allowed =
          mode === "v1beta1"
            ? [
                "GET /apis/v1beta1/pipelines/{id}/templates",
                "POST /apis/v1beta1/pipelines/{pipeline_id}/default_version/{version_id}",
              ]
            : [];
        expect(uncovered.filter((o) => !allowed.includes(o))).toEqual([]);
        // auto: every call goes to v2beta1 (what every released 2.x server serves; never /apis/v2).
        const prefix = mode === "auto" ? "v2beta1" : mode;
        const other = proxy.exchanges.filter(
          (x) => versionOf(x.path) !== prefix && !x.path.endsWith("/healthz"),
        );
        expect(other.map((x) => `${x.method} ${x.path}`)).toEqual([]);
      } finally {
        await kfp.close();
        await proxy.close();
      }
    });
  }
});
