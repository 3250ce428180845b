/**
 * The glue between commander and a command body: builds the CliContext from the global flags, runs the
 * body, closes the client. Command modules register their commands through `App.action`.
 */
import type { Command } from "@commander-js/extra-typings";
import { CliContext, type GlobalFlags } from "./context.js";
import type { IOStreams } from "./io.js";

/** Any commander command (the typed builder types differ per command). */
export type AnyCommand = Command<any, any, any>;

/** A command body; a number it resolves to is the exit code (a run that did not succeed, an interrupt). */
export type Body = (ctx: CliContext, args: any[], opts: Record<string, any>) => Promise<unknown>;

/** Options that every leaf command also takes after its name (kubectl/gh style): `-o`, `-q`. */
export function leafOptions<C extends AnyCommand>(cmd: C) {
  return cmd
    .option("-o, --output <format>", "table | wide | json | yaml | name")
    .option("-q, --quiet", "no progress or notes on stderr");
}

export class App {
  readonly io: IOStreams;
  /** The exit code a command asked for (a run that did not succeed, an interrupted wait). */
  exitCode = 0;
  constructor(io: IOStreams) {
    this.io = io;
  }

  /** A commander action handler that runs `body` with a context. */
  action(body: Body) {
    return async (...received: unknown[]) => {
      const cmd = received[received.length - 1] as Command;
      const opts = cmd.opts() as Record<string, unknown>;
      // Global flags come from the program only (given before the group, as the official CLI takes
      // them); a leaf's own -o/-q win. Leaf flags of the same name (e.g. runs create -t/--timeout) stay
      // the leaf's.
      let root: Command = cmd;
      for (let i = 0; root.parent && i < 10; i++) root = root.parent as Command;
      const globals = { ...(root.opts() as GlobalFlags) };
      if (opts.output !== undefined) globals.output = opts.output as string;
      if (opts.quiet !== undefined) globals.quiet = opts.quiet as boolean;
      const ctx = new CliContext(this.io, globals);
      try {
        const code = await body(ctx, cmd.processedArgs as unknown[], opts);
        if (typeof code === "number") this.exitCode = code;
      } finally {
        await ctx.close();
      }
    };
  }
}

export function example(cmd: AnyCommand, ...lines: string[]): void {
  cmd.addHelpText(
    "after",
    `\nExample${lines.length > 1 ? "s" : ""}:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`,
  );
}
