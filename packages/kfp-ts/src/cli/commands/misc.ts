/** `kfp-ts version`, `kfp-ts completion bash|zsh|fish`, `kfp-ts requests` (the emulator's inspector). */
import { Command } from "@commander-js/extra-typings";
import { type AnyCommand, type App, example, leafOptions } from "../app.js";
import type { CliContext } from "../context.js";
import { usageError } from "../exit-codes.js";
import { printValue, renderTable } from "../output.js";
import { clientVersion } from "../version.js";

export function versionCommand(app: App): AnyCommand {
  const cmd = leafOptions(
    new Command("version").description("the client's version and, when reachable, the server's"),
  );
  example(cmd, "kfp-ts version -o json");
  cmd.action(
    app.action(async (ctx) => {
      const out: {
        client: string;
        server?: { api_version: string; tag?: string; multi_user: boolean };
        server_error?: string;
      } = {
        client: clientVersion(),
      };
      if (ctx.target.host) {
        try {
          const kfp = await ctx.client();
          const info = await kfp.serverInfo({ signal: AbortSignal.timeout(5000) });
          out.server = {
            api_version: info.apiVersion,
            multi_user: info.multiUser,
            ...(info.tagName ? { tag: info.tagName } : {}),
          };
        } catch (err) {
          out.server_error = (err as Error).message;
        }
      }
      printValue(ctx, out, () =>
        [
          `client: kfp-ts ${out.client}`,
          out.server
            ? `server: ${out.server.tag ?? "unknown version"} (API ${out.server.api_version}, ${out.server.multi_user ? "multi-user" : "single-user"})`
            : out.server_error
              ? `server: unreachable (${out.server_error})`
              : "server: none given (--host)",
          "",
        ].join("\n"),
      );
    }),
  );
  return cmd;
}

/** Every command path and its flags, from the program itself (so completion never drifts). */
function tree(root: Command): { path: string; subs: string[]; flags: string[] }[] {
  const out: { path: string; subs: string[]; flags: string[] }[] = [];
  const walk = (c: Command, path: string[], depth: number) => {
    if (depth > 4) return;
    const subs = c.commands.flatMap((s) => [s.name(), ...s.aliases()]);
    const flags = c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
    out.push({ path: path.join(" "), subs, flags });
    for (const s of c.commands)
      for (const n of [s.name(), ...s.aliases()]) walk(s as Command, [...path, n], depth + 1);
  };
  walk(root, [], 0);
  return out;
}

export function completionScript(shell: string, root: Command): string {
  const t = tree(root);
  if (shell === "bash" || shell === "zsh") {
    const cases = t.map((e) => `    "${e.path}") words="${[...e.subs, ...e.flags].join(" ")}" ;;`).join("\n");
    const body = `_kfp_ts() {
  local cur path="" i w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i=1; i<COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case "\${path:+$path }$w" in
${t.map((e) => `      "${e.path}") ;;`).join("\n")}
      *) continue ;;
    esac
    path="\${path:+$path }$w"
  done
  local words=""
  case "$path" in
${cases}
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -F _kfp_ts kfp-ts
`;
    return shell === "zsh" ? `autoload -U +X bashcompinit && bashcompinit\n${body}` : body;
  }
  if (shell === "fish") {
    const lines = ["complete -c kfp-ts -f"];
    for (const e of t) {
      const cond =
        e.path === "" ? "__fish_use_subcommand" : `__fish_seen_subcommand_from ${e.path.split(" ").pop()}`;
      for (const s of e.subs) lines.push(`complete -c kfp-ts -n '${cond}' -a '${s}'`);
      for (const f of e.flags) {
        if (f.startsWith("--")) lines.push(`complete -c kfp-ts -n '${cond}' -l '${f.slice(2)}'`);
      }
    }
    return `${lines.join("\n")}\n`;
  }
  throw usageError(`completion: choose bash, zsh or fish; got "${shell}"`);
}

export function completionCommand(app: App, root: () => Promise<Command>): AnyCommand {
  const cmd = new Command("completion")
    .description("print a shell completion script")
    .argument("<shell>", "bash, zsh or fish");
  example(
    cmd,
    "source <(kfp-ts completion bash)",
    "kfp-ts completion fish > ~/.config/fish/completions/kfp-ts.fish",
  );
  cmd.action(
    app.action(async (ctx, [shell]) => {
      ctx.io.stdout.write(completionScript(shell, await root()));
    }),
  );
  return cmd;
}

interface Inspected {
  seq: number;
  time: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
}

async function inspected(ctx: CliContext): Promise<Inspected[]> {
  const host = ctx.target.host;
  if (!host) throw usageError("requests: give the emulator with --host URL (or KFP_HOST)");
  const base = /^[a-z]+:\/\//i.test(host) ? host : `http://${host}`;
  const res = await fetch(new URL("/_emulator/requests", base), { signal: AbortSignal.timeout(10_000) });
  if (!res.ok)
    throw usageError(`${base} is not a kfp-ts emulator (GET /_emulator/requests answered ${res.status})`);
  const body = (await res.json()) as { requests?: Inspected[] };
  return body.requests ?? [];
}

export function requestsCommand(app: App): AnyCommand {
  const cmd = leafOptions(
    new Command("requests")
      .description("what the emulator received (its request inspector; credentials redacted)")
      .option("-f, --follow", "keep printing new requests until Ctrl+C")
      .option("--interval <ms>", "poll interval with --follow", "500"),
  );
  example(
    cmd,
    "kfp-ts --host http://127.0.0.1:8888 requests",
    "kfp-ts --host http://127.0.0.1:8888 requests -f -o json",
  );
  cmd.action(
    app.action(async (ctx, _a, o) => {
      const print = (rs: Inspected[], header: boolean) => {
        if (ctx.output === "json") {
          for (const r of rs) ctx.io.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        if (ctx.output === "name") {
          for (const r of rs) ctx.io.stdout.write(`${r.seq}\n`);
          return;
        }
        const text = renderTable(
          ["SEQ", "TIME", "STATUS", "METHOD", "PATH", "MS"],
          rs.map((r) => [String(r.seq), r.time, String(r.status), r.method, r.path, String(r.duration_ms)]),
          [false, false, false, false, true, false],
          ctx.io.stdoutTTY ? ctx.io.columns : undefined,
        );
        ctx.io.stdout.write(header ? text : text.split("\n").slice(1).join("\n"));
      };
      const interval = Number(o.interval);
      if (o.follow && !(interval >= 50))
        throw usageError(`--interval must be at least 50 ms; got "${o.interval}"`);
      const first = await inspected(ctx);
      if (ctx.output === "yaml" && !o.follow) {
        printValue(ctx, first, () => "");
        return;
      }
      print(first, true);
      let seen = first.at(-1)?.seq ?? 0;
      if (!o.follow) return;
      let stop = false;
      let wake: (() => void) | undefined;
      const onSigint = () => {
        stop = true;
        wake?.();
      };
      ctx.io.signals.once("SIGINT", onSigint);
      try {
        while (!stop) {
          await new Promise<void>((res) => {
            wake = res;
            setTimeout(res, interval);
          });
          if (stop) break;
          const rs = (await inspected(ctx)).filter((r) => r.seq > seen);
          if (rs.length) {
            print(rs, false);
            seen = rs.at(-1)?.seq ?? seen;
          }
        }
      } finally {
        ctx.io.signals.removeListener("SIGINT", onSigint);
      }
    }),
  );
  return cmd;
}
