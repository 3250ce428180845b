/** `kfp-ts config`: saved contexts, like kubectl's (set-context, use-context, get-contexts, ...). */
import { Command } from "@commander-js/extra-typings";
import { type AnyCommand, type App, example, leafOptions } from "../app.js";
import { type ContextSettings, configPath, readConfig, writeConfig } from "../config-file.js";
import { usageError } from "../exit-codes.js";
import { printValue, renderTable } from "../output.js";

export function configCommand(app: App): AnyCommand {
  const group = new Command("config").description(
    "saved contexts (server, namespace, credentials files) in $XDG_CONFIG_HOME/kfp-ts/config.yaml",
  );
  example(
    group,
    "kfp-ts config set-context local --host http://localhost:8888",
    "kfp-ts config get-contexts",
  );

  const set = group
    .command("set-context")
    .description(
      "create or change a context (only the settings given change) and make it current unless it exists",
    )
    .argument("<name>")
    .option("--host <url>", "KFP API endpoint")
    .option("--namespace <ns>", "default namespace")
    .option(
      "--token-file <path>",
      "file holding a bearer token (re-read when it rotates); tokens themselves are never saved",
    )
    .option("--ca-file <path>", "CA certificate(s) (PEM) for TLS")
    .option("--insecure", "skip TLS verification")
    .option("--no-insecure", "verify TLS (the default)")
    .option("--timeout <seconds>", "per-request timeout in seconds");
  example(
    set,
    "kfp-ts config set-context prod --host https://kubeflow.example.com/pipeline --namespace ml --token-file /var/run/secrets/kfp/token",
  );
  set.action(
    app.action(async (ctx, [name], o) => {
      const cfg = readConfig(ctx.io);
      const existed = cfg.contexts[name] !== undefined;
      const c: ContextSettings = { ...(cfg.contexts[name] ?? {}) };
      if (o.host !== undefined) c.host = o.host;
      if (o.namespace !== undefined) c.namespace = o.namespace;
      if (o.tokenFile !== undefined) c["token-file"] = o.tokenFile;
      if (o.caFile !== undefined) c["ca-file"] = o.caFile;
      if (o.insecure !== undefined) c.insecure = o.insecure;
      if (c.insecure && c["ca-file"]) throw usageError("give --ca-file or --insecure, not both");
      if (o.timeout !== undefined) {
        const t = Number(o.timeout);
        if (!(t > 0)) throw usageError(`--timeout must be a number of seconds > 0; got "${o.timeout}"`);
        c.timeout = t;
      }
      cfg.contexts[name] = c;
      if (!existed && !cfg["current-context"]) cfg["current-context"] = name;
      const file = writeConfig(ctx.io, cfg);
      ctx.note(`context "${name}" ${existed ? "updated" : "created"} in ${file}`);
    }),
  );

  const use = group.command("use-context").description("make a context the current one").argument("<name>");
  example(use, "kfp-ts config use-context prod");
  use.action(
    app.action(async (ctx, [name]) => {
      const cfg = readConfig(ctx.io);
      if (!cfg.contexts[name])
        throw usageError(`no context "${name}": create it with kfp-ts config set-context ${name} --host URL`);
      cfg["current-context"] = name;
      writeConfig(ctx.io, cfg);
      ctx.note(`switched to context "${name}"`);
    }),
  );

  const get = leafOptions(
    group.command("get-contexts").description("list the contexts (* marks the current one)"),
  );
  example(get, "kfp-ts config get-contexts -o yaml");
  get.action(
    app.action(async (ctx) => {
      const cfg = readConfig(ctx.io);
      const names = Object.keys(cfg.contexts);
      if (ctx.output === "name") {
        for (const n of names) ctx.io.stdout.write(`${n}\n`);
        return;
      }
      printValue(ctx, cfg, () =>
        renderTable(
          ["CURRENT", "NAME", "HOST", "NAMESPACE", "TOKEN FILE", "CA FILE"],
          names.map((n) => {
            const c = cfg.contexts[n] as ContextSettings;
            return [
              n === cfg["current-context"] ? "*" : "",
              n,
              c.host ?? "",
              c.namespace ?? "",
              c["token-file"] ?? "",
              c.insecure ? "(insecure)" : (c["ca-file"] ?? ""),
            ];
          }),
          [false, false, true, false, true, true],
          ctx.io.stdoutTTY ? ctx.io.columns : undefined,
        ),
      );
    }),
  );

  const current = group.command("current-context").description("print the current context's name");
  example(current, "kfp-ts config current-context");
  current.action(
    app.action(async (ctx) => {
      const cfg = readConfig(ctx.io);
      const name = ctx.flags.context ?? ctx.io.env.KFP_CONTEXT ?? cfg["current-context"];
      if (!name)
        throw usageError(
          `no current context: set one with kfp-ts config use-context NAME (file: ${configPath(ctx.io)})`,
        );
      ctx.io.stdout.write(`${name}\n`);
    }),
  );

  const del = group.command("delete-context").description("delete a context").argument("<name>");
  example(del, "kfp-ts config delete-context old");
  del.action(
    app.action(async (ctx, [name]) => {
      const cfg = readConfig(ctx.io);
      if (!cfg.contexts[name]) throw usageError(`no context "${name}"`);
      delete cfg.contexts[name];
      if (cfg["current-context"] === name) delete cfg["current-context"];
      writeConfig(ctx.io, cfg);
      ctx.note(`context "${name}" deleted`);
    }),
  );
  return group;
}
