/** `kfp-ts experiments` (alias `experiment`): create, list, get, archive, unarchive, delete. */
import { Command } from "@commander-js/extra-typings";
import { type AnyCommand, type App, example, leafOptions } from "../app.js";
import type { CliContext } from "../context.js";
import { usageError } from "../exit-codes.js";
import { api, collect, listQuery, pagingOptions } from "../lists.js";
import { KINDS, printList, printOne } from "../output.js";

/** An experiment id from a positional id or the official CLI's `--experiment-id` / `--experiment-name`. */
async function experimentId(
  ctx: CliContext,
  id: string | undefined,
  o: { experimentId?: string; experimentName?: string },
) {
  const given = [id, o.experimentId, o.experimentName].filter((v) => v !== undefined);
  if (given.length !== 1)
    throw usageError("give the experiment: an ID argument, --experiment-id or --experiment-name");
  if (o.experimentName !== undefined) {
    const kfp = await ctx.client();
    return (await kfp.experiments.getByName(o.experimentName)).experiment_id as string;
  }
  return (id ?? o.experimentId) as string;
}

export function experimentsCommand(app: App): AnyCommand {
  const group = new Command("experiments")
    .alias("experiment")
    .description("experiments: create, list, get, archive, delete");
  example(group, "kfp-ts experiments create nightly", "kfp-ts experiment list -o name");

  const create = leafOptions(
    group
      .command("create")
      .description("create an experiment")
      .argument("<name>")
      .option("-d, --description <text>", "description")
      .option("--namespace <ns>", "namespace (multi-user servers; default: the context's)"),
  );
  example(create, "kfp-ts experiments create nightly -d 'nightly training runs'");
  create.action(
    app.action(async (ctx, [name], o) => {
      const kfp = await ctx.client();
      const params: { display_name: string; description?: string; namespace?: string } = {
        display_name: name,
      };
      if (o.description) params.description = o.description;
      if (o.namespace) params.namespace = o.namespace;
      const e = await kfp.experiments.create(params);
      ctx.note(`experiment ${e.display_name} created: ${e.experiment_id}`);
      printOne(ctx, KINDS.experiment, e);
    }),
  );

  const list = leafOptions(
    pagingOptions(group.command("list").description("list experiments"), "created_at desc").option(
      "--namespace <ns>",
      "namespace (default: the context's)",
    ),
  );
  example(list, "kfp-ts experiments list --sort-by 'created_at desc' -m 10");
  list.action(
    app.action(async (ctx, _a, o) => {
      const q = listQuery(o);
      if (o.namespace) q.namespace = o.namespace;
      const kfp = await ctx.client();
      printList(ctx, KINDS.experiment, await collect(ctx, api.experiments(kfp, q), o.all));
    }),
  );

  const get = leafOptions(
    group
      .command("get")
      .description("show an experiment")
      .argument("[experiment-id]")
      .option("--experiment-id <id>", "the experiment's id")
      .option("--experiment-name <name>", "or its name"),
  );
  example(get, "kfp-ts experiments get 5d1e...", "kfp-ts experiments get --experiment-name nightly -o json");
  get.action(
    app.action(async (ctx, [id], o) => {
      const kfp = await ctx.client();
      if (o.experimentName !== undefined && id === undefined && o.experimentId === undefined) {
        printOne(ctx, KINDS.experiment, await kfp.experiments.getByName(o.experimentName));
        return;
      }
      printOne(ctx, KINDS.experiment, await kfp.experiments.get(await experimentId(ctx, id, o)));
    }),
  );

  for (const verb of ["archive", "unarchive", "delete"] as const) {
    const cmd = leafOptions(
      group
        .command(verb)
        .description(`${verb} an experiment${verb === "archive" ? " (and its runs)" : ""}`)
        .argument("[experiment-id]")
        .option("--experiment-id <id>", "the experiment's id")
        .option("--experiment-name <name>", "or its name"),
    );
    example(
      cmd,
      `kfp-ts experiments ${verb} 5d1e...`,
      `kfp-ts experiments ${verb} --experiment-name nightly`,
    );
    cmd.action(
      app.action(async (ctx, [id], o) => {
        const eid = await experimentId(ctx, id, o);
        const kfp = await ctx.client();
        await kfp.experiments[verb](eid);
        ctx.note(`experiment ${eid} ${verb === "delete" ? "deleted" : `${verb}d`}`);
        if (ctx.output === "name") ctx.io.stdout.write(`${eid}\n`);
      }),
    );
  }
  return group;
}
