/** `kfp-ts recurring-runs` (alias `recurring-run`): create, list, get, enable, disable, delete. */
import { Command } from "@commander-js/extra-typings";
import type { RecurringRunCreateParams } from "../../index.js";
import { type AnyCommand, type App, example, leafOptions } from "../app.js";
import { usageError } from "../exit-codes.js";
import { api, collect, listQuery, pagingOptions } from "../lists.js";
import { KINDS, printList, printOne } from "../output.js";
import { runParameters, runSource } from "./runs.js";

export function recurringRunsCommand(app: App): AnyCommand {
  const group = new Command("recurring-runs")
    .alias("recurring-run")
    .description("recurring runs (schedules): create, list, get, enable, disable, delete");
  example(
    group,
    "kfp-ts recurring-runs create --job-name nightly --cron-expression '0 0 2 * * *' -p 1f3c...",
  );

  const create = leafOptions(
    group
      .command("create")
      .description("schedule a pipeline: a cron expression or an interval")
      .argument("[parameters...]", "run parameters as key=value")
      .option("--job-name <name>", "name of the recurring run (required)")
      .option(
        "--cron-expression <expr>",
        "cron schedule; the server reads 6 fields, seconds first (see --cron-format)",
      )
      .option(
        "--cron-format <format>",
        "kfp (default: as the server reads it) or unix (5 fields, minute first)",
      )
      .option("--interval-second <n>", "or: every n seconds")
      .option("--pipeline-package-path <file>", "a pipeline package to run inline")
      .option("-p, --pipeline-id <id>", "a stored pipeline (its newest version unless --version-id)")
      .option("-n, --pipeline-name <name>", "a stored pipeline by name")
      .option("--version-id <id>", "the pipeline version id")
      .option("-e, --experiment-name <name>", "experiment by name (created when missing)")
      .option("--experiment-id <id>", "experiment by id")
      .option("--params-file <file>", "parameters from a JSON or YAML mapping")
      .option("--description <text>", "description")
      .option("--max-concurrency <n>", "concurrent runs allowed, 1..10", "1")
      .option("--start-time <time>", "no runs before this time (RFC 3339)")
      .option("--end-time <time>", "no runs after this time (RFC 3339)")
      .option("--catchup", "start the runs missed while paused (the default)")
      .option("--no-catchup", "do not start the runs missed while paused")
      .option("--enabled", "create it enabled (the default)")
      .option("--disabled", "create it disabled")
      .option("--enable-caching", "with a package file: turn caching on for every task")
      .option("--disable-caching", "with a package file: turn caching off for every task"),
  );
  example(
    create,
    "kfp-ts recurring-runs create --job-name nightly --cron-expression '0 0 2 * * *' -p 1f3c... epochs=3",
    "kfp-ts recurring-run create --job-name hourly --cron-expression '0 * * * *' --cron-format unix -p 1f3c...",
  );
  create.action(
    app.action(async (ctx, [args], o) => {
      if (!o.jobName) throw usageError("--job-name is required");
      if ((o.cronExpression === undefined) === (o.intervalSecond === undefined)) {
        throw usageError("give exactly one of --cron-expression and --interval-second");
      }
      if (o.cronFormat !== undefined && o.cronFormat !== "kfp" && o.cronFormat !== "unix") {
        throw usageError(`--cron-format must be kfp or unix; got "${o.cronFormat}"`);
      }
      if (o.enabled && o.disabled) throw usageError("give --enabled or --disabled, not both");
      if (o.enableCaching && o.disableCaching)
        throw usageError("give --enable-caching or --disable-caching, not both");
      const lib = await ctx.lib();
      // The schedule is checked before anything is looked up or sent (a malformed cron: exit 2).
      const schedule: Parameters<typeof lib.buildTrigger>[0] = {};
      if (o.cronExpression !== undefined) schedule.cron = o.cronExpression;
      if (o.cronFormat) schedule.cronFormat = o.cronFormat as "kfp" | "unix";
      if (o.intervalSecond !== undefined) schedule.interval = Number(o.intervalSecond);
      if (o.startTime) schedule.start_time = o.startTime;
      if (o.endTime) schedule.end_time = o.endTime;
      lib.buildTrigger(schedule, () => {});
      const flags: Parameters<typeof runSource>[1] = {};
      if (o.pipelinePackagePath) flags.packageFile = o.pipelinePackagePath;
      if (o.pipelineId) flags.pipelineId = o.pipelineId;
      if (o.pipelineName) flags.pipelineName = o.pipelineName;
      if (o.versionId) flags.version = o.versionId;
      const { source, spec } = await runSource(ctx, flags);
      const parameters = await runParameters(ctx, spec, args, o.paramsFile);
      const maxConcurrency = Number(o.maxConcurrency);
      if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 10) {
        throw usageError(`--max-concurrency must be an integer from 1 to 10; got "${o.maxConcurrency}"`);
      }
      const params: RecurringRunCreateParams = {
        ...source,
        display_name: o.jobName,
        max_concurrency: maxConcurrency,
      };
      if (o.cronExpression !== undefined) params.cron = o.cronExpression;
      if (o.cronFormat) params.cronFormat = o.cronFormat as "kfp" | "unix";
      if (o.intervalSecond !== undefined) {
        const n = Number(o.intervalSecond);
        if (!Number.isInteger(n) || n < 1)
          throw usageError(`--interval-second must be a whole number ≥ 1; got "${o.intervalSecond}"`);
        params.interval = n;
      }
      if (Object.keys(parameters).length) params.parameters = parameters;
      if (o.experimentName) params.experiment_name = o.experimentName;
      if (o.experimentId) params.experiment_id = o.experimentId;
      if (o.description) params.description = o.description;
      if (o.startTime) params.start_time = o.startTime;
      if (o.endTime) params.end_time = o.endTime;
      if (o.catchup === false) params.catchup = false;
      if (o.disabled) params.enabled = false;
      if (o.enableCaching || o.disableCaching) params.enable_caching = o.enableCaching === true;
      const kfp = await ctx.client();
      const rr = await kfp.recurringRuns.create(params);
      ctx.note(`recurring run ${rr.display_name} created: ${rr.recurring_run_id}`);
      printOne(ctx, KINDS.recurringRun, rr);
    }),
  );

  const list = leafOptions(
    pagingOptions(group.command("list").description("list recurring runs"), "created_at desc")
      .option("-e, --experiment-id <id>", "of this experiment")
      .option("--namespace <ns>", "namespace (default: the context's)"),
  );
  example(list, "kfp-ts recurring-runs list -o wide");
  list.action(
    app.action(async (ctx, _a, o) => {
      const q = listQuery(o);
      if (o.experimentId) q.experiment_id = o.experimentId;
      if (o.namespace) q.namespace = o.namespace;
      const kfp = await ctx.client();
      printList(ctx, KINDS.recurringRun, await collect(ctx, api.recurringRuns(kfp, q), o.all));
    }),
  );

  const get = leafOptions(
    group.command("get").description("show a recurring run").argument("<recurring-run-id>"),
  );
  example(get, "kfp-ts recurring-runs get 3b4c... -o yaml");
  get.action(
    app.action(async (ctx, [id]) => {
      const kfp = await ctx.client();
      printOne(ctx, KINDS.recurringRun, await kfp.recurringRuns.get(id));
    }),
  );

  for (const [verb, done] of [
    ["enable", "enabled"],
    ["disable", "disabled"],
    ["delete", "deleted"],
  ] as const) {
    const cmd = leafOptions(
      group.command(verb).description(`${verb} a recurring run`).argument("<recurring-run-id...>"),
    );
    example(cmd, `kfp-ts recurring-runs ${verb} 3b4c...`);
    cmd.action(
      app.action(async (ctx, [ids]) => {
        const kfp = await ctx.client();
        for (const id of ids as string[]) {
          await kfp.recurringRuns[verb](id);
          ctx.note(`recurring run ${id} ${done}`);
          if (ctx.output === "name") ctx.io.stdout.write(`${id}\n`);
        }
      }),
    );
  }
  return group;
}
