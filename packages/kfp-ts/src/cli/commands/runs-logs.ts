/**
 * `kfp-ts runs logs RUN_ID [--node NODE | --task TASK]`: a task's log (its executor node's, as the
 * server's log endpoint serves it) on stdout. Without a flag: every task's log, each after a header
 * line `==> TASK (node NODE, STATE) <==`.
 */
import type { Command } from "@commander-js/extra-typings";
import type { ExecutorNode, Kfp } from "../../index.js";
import type { App } from "../app.js";
import { example } from "../app.js";
import type { CliContext } from "../context.js";
import { CliError, EXIT, usageError } from "../exit-codes.js";

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
export function addLogsCommand(group: Command, app: App): void {
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
