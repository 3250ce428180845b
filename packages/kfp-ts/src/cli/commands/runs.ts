/** `kfp-ts runs` (alias `run`): create, list, get, wait, watch, terminate, retry, archive, delete, artifacts, logs. */
import { readFileSync, writeFileSync } from "node:fs";
import { Command } from "@commander-js/extra-typings";
import type { ExecutorNode, Kfp, RunCreateParams } from "../../index.js";
import { type AnyCommand, type App, example, leafOptions } from "../app.js";
import { type CliContext, parseSeconds } from "../context.js";
import { CliError, EXIT, usageError } from "../exit-codes.js";
import { coerceParameter, parsePairs, readParamsFile } from "../inputs.js";
import { api, collect, listQuery, pagingOptions } from "../lists.js";
import { KINDS, printList, printOne } from "../output.js";
import { followRun, treeLines } from "../watch.js";

export interface SourceFlags {
  packageFile?: string;
  pipelineId?: string;
  pipelineName?: string;
  version?: string;
  versionName?: string;
}

/** Read stdin fully (a package given as `-f -`). */
async function stdinText(ctx: CliContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.io.stdin) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

/**
 * The pipeline source of a run (`-f FILE`, `-p ID [-v VERSION_ID]`, `-n NAME [--version-name V]`) and
 * the spec to read parameter types from. Shared by runs and recurring runs.
 */
export async function runSource(
  ctx: CliContext,
  o: SourceFlags,
): Promise<{ source: Partial<RunCreateParams>; spec: unknown; label: string }> {
  const count = [o.packageFile, o.pipelineId, o.pipelineName].filter((v) => v !== undefined).length;
  if (count !== 1) {
    throw usageError(
      "give the pipeline: -f/--package-file FILE, -p/--pipeline-id ID or -n/--pipeline-name NAME (one of them)",
    );
  }
  const lib = await ctx.lib();
  if (o.packageFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = o.packageFile === "-" ? await stdinText(ctx) : readFileSync(o.packageFile);
    } catch (err) {
      throw usageError(`cannot read the package ${o.packageFile}: ${(err as Error).message}`);
    }
    let spec: unknown;
    let label = o.packageFile;
    if (bytes[0] !== 0x50 && bytes[0] !== 0x1f) {
      const pkg = lib.parsePipelinePackage(bytes.toString("utf8"));
      spec = pkg.pipelineSpec;
      label = pkg.name ?? label;
    }
    return { source: { package: new Uint8Array(bytes) }, spec, label };
  }
  const kfp = await ctx.client();
  let pipelineId = o.pipelineId;
  if (pipelineId === undefined) {
    const p = await kfp.pipelines.getByName(o.pipelineName as string);
    pipelineId = p.pipeline_id;
  }
  let version: import("../../index.js").PipelineVersion | undefined;
  if (o.version) version = await kfp.pipelines.versions.get(pipelineId as string, o.version);
  else if (o.versionName) {
    version = await kfp.pipelines.versions.findByName(pipelineId as string, o.versionName);
    if (!version) throw usageError(`pipeline ${pipelineId} has no version named "${o.versionName}"`);
  } else {
    const page = await api.versions(kfp, pipelineId as string, { page_size: 1, sort_by: "created_at desc" });
    version = page.items[0];
    if (!version) throw usageError(`pipeline ${pipelineId} has no versions to run`);
  }
  return {
    source: { pipeline_id: pipelineId as string, pipeline_version_id: version.pipeline_version_id },
    spec: version.pipeline_spec,
    label: o.pipelineName ?? version.name ?? pipelineId ?? "run",
  };
}

/** `key=value` arguments (typed by the spec) over `--params-file` values. */
export async function runParameters(
  ctx: CliContext,
  spec: unknown,
  args: readonly string[],
  paramsFile: string | undefined,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = paramsFile ? readParamsFile(paramsFile) : {};
  const pairs = parsePairs(args, "a parameter");
  if (Object.keys(pairs).length === 0) return out;
  const types = new Map<string, string>();
  if (spec !== undefined) {
    const { runParameterDefinitions } = await ctx.lib();
    try {
      for (const d of runParameterDefinitions(spec)) types.set(d.name, d.type);
    } catch {
      // An Argo workflow or an odd spec: send the strings; the server judges them.
    }
  }
  for (const [k, v] of Object.entries(pairs)) out[k] = coerceParameter(k, v, types.get(k));
  return out;
}

function sinceTime(value: string): Date {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)?$/.test(value)) {
    const days = /^(\d+)d$/.exec(value);
    const ms = days ? Number(days[1]) * 86_400_000 : parseSeconds(value, "--since");
    return new Date(Date.now() - ms);
  }
  const t = new Date(value);
  if (Number.isNaN(t.getTime()))
    throw usageError(
      `--since must be a duration (30m, 12h, 7d) or a time (2026-01-31T00:00:00Z); got "${value}"`,
    );
  return t;
}

const STATES = ["PENDING", "RUNNING", "SUCCEEDED", "SKIPPED", "FAILED", "CANCELING", "CANCELED", "PAUSED"];

export function runsCommand(app: App): AnyCommand {
  const group = new Command("runs")
    .alias("run")
    .description("runs: create, list, get, wait, watch, terminate, retry, archive, delete");
  example(group, "kfp-ts runs create -e nightly -p 1f3c... --wait epochs=3", "kfp-ts runs watch 7c9d...");

  const create = leafOptions(
    group
      .command("create")
      .description("start a run of a package file, a stored pipeline (by id or name) or a version")
      .argument("[parameters...]", "run parameters as key=value (typed by the pipeline's declarations)")
      .option("-f, --package-file <file>", "a pipeline package to run inline; - reads stdin")
      .option("-p, --pipeline-id <id>", "a stored pipeline (its newest version unless -v)")
      .option("-n, --pipeline-name <name>", "a stored pipeline by name")
      .option("-v, --version <id>", "the pipeline version id")
      .option("--version-name <name>", "the pipeline version by name")
      .option("-r, --run-name <name>", "run name (default: the pipeline's name and the time)")
      .option("-e, --experiment-name <name>", "experiment by name (created when missing)")
      .option("--experiment-id <id>", "experiment by id")
      .option("--params-file <file>", "parameters from a JSON or YAML mapping (key=value arguments win)")
      .option("-d, --description <text>", "description")
      .option("--service-account <name>", "Kubernetes service account of the run")
      .option("--pipeline-root <uri>", "where the run's artifacts go")
      .option("-w, --watch", "follow the run and draw its tasks until it ends")
      .option("--wait", "wait for the run to end (same as -w)")
      .option("-t, --timeout <seconds>", "with -w/--wait: give up after this long (exit 7)")
      .option("--terminate-on-interrupt", "with -w/--wait: Ctrl+C terminates the run instead of leaving it"),
  );
  example(
    create,
    "kfp-ts runs create -e nightly -r train-1 -p 1f3c... epochs=3 lr=0.01",
    "kfp-ts runs create -f pipeline.yaml --params-file params.yaml --wait -t 3600",
  );
  create.action(
    app.action(async (ctx, [args], o) => {
      if (o.experimentName && o.experimentId)
        throw usageError("give -e/--experiment-name or --experiment-id, not both");
      const { source, spec, label } = await runSource(ctx, o);
      const parameters = await runParameters(ctx, spec, args, o.paramsFile);
      const timeoutMs = o.timeout === undefined ? undefined : parseSeconds(o.timeout, "-t/--timeout");
      const params: RunCreateParams = {
        ...source,
        display_name: o.runName ?? `${label} ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
      };
      if (Object.keys(parameters).length) params.parameters = parameters;
      if (o.experimentName) params.experiment_name = o.experimentName;
      if (o.experimentId) params.experiment_id = o.experimentId;
      if (o.description) params.description = o.description;
      if (o.serviceAccount) params.service_account = o.serviceAccount;
      if (o.pipelineRoot) params.pipeline_root = o.pipelineRoot;
      const kfp = await ctx.client();
      const run = await kfp.runs.create(params);
      ctx.note(`run ${run.display_name} created: ${run.run_id}`);
      if (o.watch || o.wait) {
        const follow: Parameters<typeof followRun>[2] = {};
        if (timeoutMs !== undefined) follow.timeoutMs = timeoutMs;
        if (o.terminateOnInterrupt) follow.terminateOnInterrupt = true;
        const poll = Number(ctx.io.env.KFP_TS_POLL_MS);
        if (poll > 0) follow.pollMs = poll;
        return followRun(ctx, run.run_id as string, follow);
      }
      printOne(ctx, KINDS.run, run);
      return undefined;
    }),
  );

  const list = leafOptions(
    pagingOptions(group.command("list").description("list runs"), "created_at desc")
      .option("-e, --experiment-id <id>", "runs of this experiment")
      .option("--experiment <name>", "runs of the experiment with this name")
      .option("--state <state>", `only runs in this state (${STATES.join(", ")})`)
      .option("--pipeline <id>", "only runs of this pipeline id (checked on each page)")
      .option("--since <when>", "created after: a duration (30m, 12h, 7d) or a time")
      .option("--archived", "archived runs instead of available ones")
      .option("--namespace <ns>", "namespace (default: the context's)"),
  );
  example(
    list,
    "kfp-ts runs list --state FAILED --since 24h",
    "kfp-ts runs list -o json | jq -r '.[].run_id'",
  );
  list.action(
    app.action(async (ctx, _a, o) => {
      const q = listQuery(o);
      const lib = await ctx.lib();
      const f = lib.runFilter();
      let b = f;
      if (o.state) {
        const s = o.state.toUpperCase();
        if (!STATES.includes(s))
          throw usageError(`--state must be one of ${STATES.join(", ")}; got "${o.state}"`);
        b = b.eq("state", s as never);
      }
      if (o.since) b = b.gt("created_at", sinceTime(o.since));
      if (o.archived) b = b.eq("storage_state", "ARCHIVED");
      if (b.predicates.length) {
        const user =
          typeof q.filter === "string" ? (JSON.parse(q.filter) as { predicates?: unknown[] }) : undefined;
        q.filter = { predicates: [...(user?.predicates ?? []), ...(b.toJSON().predicates as unknown[])] };
      }
      if (o.namespace) q.namespace = o.namespace;
      const kfp = await ctx.client();
      if (o.experiment && o.experimentId)
        throw usageError("give -e/--experiment-id or --experiment, not both");
      if (o.experimentId) q.experiment_id = o.experimentId;
      if (o.experiment)
        q.experiment_id = (await kfp.experiments.getByName(o.experiment)).experiment_id as string;
      let runs = await collect(ctx, api.runs(kfp, q), o.all);
      if (o.pipeline) runs = runs.filter((r) => r.pipeline_version_reference?.pipeline_id === o.pipeline);
      printList(ctx, KINDS.run, runs);
    }),
  );

  const get = leafOptions(
    group
      .command("get")
      .description("show a run with its task tree")
      .argument("<run-id>")
      .option("-w, --watch", "follow the run until it ends")
      .option("-d, --detail", "(accepted for the official CLI; the task tree is always shown)"),
  );
  example(get, "kfp-ts runs get 7c9d...", "kfp-ts runs get 7c9d... -o json | jq .state");
  get.action(
    app.action(async (ctx, [id], o) => {
      if (o.watch) return followRun(ctx, id);
      const kfp = await ctx.client();
      const run = await kfp.runs.get(id);
      printOne(ctx, KINDS.run, run);
      if (ctx.output === "table" || ctx.output === "wide") {
        const { taskTree } = await ctx.lib();
        const lines = treeLines(ctx, taskTree(run), Date.now());
        if (lines.length) ctx.io.stdout.write(`\nTasks:\n${lines.join("\n")}\n`);
        if (run.error?.message) ctx.io.stdout.write(`\nError: ${run.error.message}\n`);
      }
      return undefined;
    }),
  );

  for (const [verb, live] of [
    ["wait", false],
    ["watch", true],
  ] as const) {
    const cmd = leafOptions(
      group
        .command(verb)
        .description(
          live
            ? "draw a run's tasks live until it ends (plain lines when not a terminal)"
            : "wait until a run ends; exit 0 only when it SUCCEEDED (6 otherwise, 7 on timeout)",
        )
        .argument("<run-id>")
        .option("-t, --timeout <seconds>", "give up after this long (exit 7); the run goes on")
        .option("--terminate-on-interrupt", "Ctrl+C terminates the run instead of leaving it"),
    );
    example(cmd, `kfp-ts runs ${verb} 7c9d... --timeout 1h`);
    cmd.action(
      app.action(async (ctx, [id], o) => {
        const follow: Parameters<typeof followRun>[2] = {};
        if (o.timeout !== undefined) follow.timeoutMs = parseSeconds(o.timeout, "-t/--timeout");
        if (o.terminateOnInterrupt) follow.terminateOnInterrupt = true;
        const poll = Number(ctx.io.env.KFP_TS_POLL_MS);
        if (poll > 0) follow.pollMs = poll;
        return followRun(ctx, id, follow);
      }),
    );
  }

  const verbs = [
    ["terminate", "stop a running run", "terminated"],
    ["retry", "retry a failed run", "retried"],
    ["archive", "archive a run", "archived"],
    ["unarchive", "restore an archived run", "unarchived"],
    ["delete", "delete a run", "deleted"],
  ] as const;
  for (const [verb, what, done] of verbs) {
    const cmd = leafOptions(
      group.command(verb).description(what).argument("<run-id...>", "one or more run ids"),
    );
    example(
      cmd,
      `kfp-ts runs ${verb} 7c9d...`,
      `kfp-ts runs list --state FAILED -o name | xargs kfp-ts runs ${verb}`,
    );
    cmd.action(
      app.action(async (ctx, [ids]) => {
        const kfp = await ctx.client();
        for (const id of ids as string[]) {
          await kfp.runs[verb](id);
          ctx.note(`run ${id} ${done}`);
          if (ctx.output === "name") ctx.io.stdout.write(`${id}\n`);
        }
      }),
    );
  }

  const artifact = group
    .command("read-artifact")
    .alias("artifact")
    .description("read an output artifact of a run's node (as the API serves it) to stdout or a file")
    .argument("<run-id>")
    .argument("<node-id>", "the task's node id (kfp-ts runs get RUN -o json)")
    .argument("<artifact-name>")
    .option("-f, --file <path>", "write here instead of stdout");
  example(artifact, "kfp-ts runs read-artifact 7c9d... word-count-abc12 output-metrics -f metrics.tgz");
  artifact.action(
    app.action(async (ctx, [id, node, name], o) => {
      const kfp = await ctx.client();
      const a = await kfp.runs.readArtifact(id, node, name);
      if (o.file) {
        writeFileSync(o.file, a.data);
        ctx.note(`${a.data.length} bytes written to ${o.file}`);
      } else ctx.io.stdout.write(a.data);
    }),
  );
  addLogsCommand(group, app);
  return group;
}

// --- `runs logs RUN_ID [--node NODE | --task TASK]`: a task's log (its executor node's) on stdout;
// without a flag every task's log, each after a header line `==> TASK (node NODE, STATE) <==`.

interface LogFlags {
  node?: string;
  task?: string;
}

function header(n: ExecutorNode): string {
  return `==> ${n.task} (node ${n.nodeId}, ${n.state}) <==\n`;
}

function withNewline(text: string): string {
  return text.length === 0 || text.endsWith("\n") ? text : `${text}\n`;
}

/** Print each node's log after its header; a node without a log is a note, the rest still print. */
async function printAll(ctx: CliContext, kfp: Kfp, runId: string, nodes: ExecutorNode[]): Promise<void> {
  const lib = await ctx.lib();
  let printed = 0;
  for (const n of nodes) {
    try {
      const log = await kfp.runs.readLog(runId, n.nodeId);
      ctx.io.stdout.write(header(n) + withNewline(log));
      printed++;
    } catch (err) {
      if (!(err instanceof lib.NotFoundError)) throw err;
      ctx.note(`no log for task ${n.task} (node ${n.nodeId}): ${err.shortMessage}`);
    }
  }
  if (printed === 0) {
    throw new CliError(`no log could be read for run ${runId} (see the notes above)`, EXIT.NOT_FOUND);
  }
}

/** Add `logs` to the `runs` group. */
function addLogsCommand(group: AnyCommand, app: App): void {
  const cmd = group
    .command("logs")
    .alias("log")
    .description(
      "print a task's log (stdout and stderr of its executor) as the server's log endpoint serves it",
    )
    .argument("<run-id>")
    .option("--node <node-id>", "the executor node (pod) id")
    .option("--task <task-name>", "the pipeline task's name (its executor node is looked up)")
    .option("-q, --quiet", "no notes on stderr");
  example(
    cmd,
    "kfp-ts runs logs 7c9d...                 # every task, a header line each",
    "kfp-ts runs logs 7c9d... --task train    # one task's log",
  );
  cmd.action(
    app.action(async (ctx, [runId], o: LogFlags) => {
      if (o.node !== undefined && o.task !== undefined) throw usageError("give --node or --task, not both");
      const kfp = await ctx.client();
      if (o.node !== undefined) {
        ctx.io.stdout.write(await kfp.runs.readLog(runId, o.node));
        return;
      }
      const lib = await ctx.lib();
      const nodes = lib.executorNodes(await kfp.runs.get(runId));
      if (o.task !== undefined) {
        const mine = nodes.filter((n) => n.task === o.task);
        if (mine.length === 0) {
          const names = [...new Set(nodes.map((n) => n.task))];
          throw usageError(
            `run ${runId} has no task "${o.task}" with an executor node` +
              (names.length ? `; its tasks: ${names.join(", ")}` : " (no task has started yet)"),
          );
        }
        if (mine.length === 1) {
          ctx.io.stdout.write(await kfp.runs.readLog(runId, mine[0]!.nodeId));
          return;
        }
        await printAll(ctx, kfp, runId, mine);
        return;
      }
      if (nodes.length === 0) {
        throw new CliError(`run ${runId} has no task with a log yet`, EXIT.NOT_FOUND);
      }
      await printAll(ctx, kfp, runId, nodes);
    }),
  );
}
