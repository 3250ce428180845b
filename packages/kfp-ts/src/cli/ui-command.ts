/**
 * `kfp-ts ui [--host URL] [--port N] [--listen ADDR] [--open]`: the web UI on this machine, pointed at
 * a KFP server (the global target: --host, KFP_HOST, the saved context) with the CLI's credentials
 * added server-side (ui-server.ts), or at an embedded emulator when no server is given. Runs until
 * Ctrl+C / SIGTERM.
 */
import { spawn } from "node:child_process";
import { type Command, Option } from "@commander-js/extra-typings";
import type { App } from "./app.js";
import { CliContext, type GlobalFlags } from "./context.js";
import { loadEmulator } from "./emulator-package.js";
import { usageError } from "./exit-codes.js";

/** `Name: value` → [name, value] (for --header). */
export function parseHeader(spec: string): [string, string] {
  const i = spec.indexOf(":");
  const name = i > 0 ? spec.slice(0, i).trim() : "";
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
    throw usageError(
      `--header must be "Name: value" (e.g. "kubeflow-userid: alice@example.com"); got "${spec}"`,
    );
  }
  return [name.toLowerCase(), spec.slice(i + 1).trim()];
}

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(cmd as string, args as string[], { stdio: "ignore", detached: true });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // No browser to open: the URL is printed anyway.
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function interrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(sig);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

export function addUiCommand(program: Command, app: App): void {
  const cmd = program
    .command("ui")
    .description("the web UI on this machine: an embedded emulator, or a KFP server with your credentials")
    .option("--host <url>", "KFP server to show (default: the global target, else an embedded emulator)")
    .option("--port <n>", "port to listen on (default: any free one)", "0")
    .option("--listen <address>", "address to listen on", "127.0.0.1")
    .option("--open", "open the UI in the default browser")
    .option(
      "--header <header>",
      'header added to every API call, e.g. "kubeflow-userid: alice@example.com" (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option("--token <token>", "bearer token (as the global --token)")
    .option("--token-file <path>", "file holding a bearer token (as the global --token-file)")
    .option("-n, --namespace <ns>", "namespace (as the global -n)")
    .option("--context <name>", "use this saved context")
    .option("--verbose", "log each forwarded request on stderr (method, path, status; never headers)")
    .addOption(new Option("--assets <dir>", "directory of a built UI (env KFP_TS_UI_DIR)").hideHelp())
    .addHelpText(
      "after",
      `
The browser talks only to this server; it forwards /apis/**, /_emulator/** and /healthz to the KFP
server and adds the credentials (--token, --token-file, --header, the context) itself: the page never
sees them. It listens on 127.0.0.1 unless --listen says otherwise.

Examples:
  $ kfp-ts ui
  $ kfp-ts ui --host https://kubeflow.example.com/pipeline --token-file ~/.kfp-token --open
  $ kfp-ts --context prod ui --port 8080
`,
    );
  cmd.action(async (o, command) => {
    let root: Command = command as unknown as Command;
    for (let i = 0; root.parent && i < 10; i++) root = root.parent as Command;
    // The leaf's flags win over the global ones of the same name.
    const flags: GlobalFlags = { ...(root.opts() as GlobalFlags) };
    if (o.host !== undefined) flags.host = o.host;
    if (o.token !== undefined) flags.token = o.token;
    if (o.tokenFile !== undefined) flags.tokenFile = o.tokenFile;
    if (o.namespace !== undefined) flags.namespace = o.namespace;
    if (o.context !== undefined) flags.context = o.context;
    if (o.verbose) flags.verbose = true;
    const port = Number(o.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw usageError(`--port must be a whole number from 0 to 65535; got "${o.port}"`);
    }
    const headers = Object.fromEntries(o.header.map(parseHeader));
    const ctx = new CliContext(app.io, flags);
    const { uiAssetsDir } = await import("./ui-assets.js");
    let assets: string;
    try {
      assets = uiAssetsDir(o.assets ?? (app.io.env.KFP_TS_UI_DIR || undefined));
    } catch (err) {
      throw usageError((err as Error).message);
    }
    const emulator = ctx.target.host
      ? undefined
      : await (await loadEmulator()).startEmulator({ port: 0, host: "127.0.0.1" });
    const { Kfp } = await ctx.lib();
    const opts = ctx.clientOptions(emulator?.url);
    opts.headers = { ...opts.headers, ...headers };
    const client = new Kfp(opts);
    const { startUiServer } = await import("./ui-server.js");
    const target = ctx.target;
    let server: Awaited<ReturnType<typeof startUiServer>> | undefined;
    try {
      server = await startUiServer({
        assets,
        target: client.host,
        credentials: () => client._credentialHeaders(),
        listen: o.listen,
        port,
        ca: target.caFile ? (await import("node:fs")).readFileSync(target.caFile) : undefined,
        insecure: target.insecure,
        timeoutMs: target.timeoutMs,
        log: ctx.verbose ? (line) => app.io.stderr.write(`${ctx.err.dim("[ui]")} ${line}\n`) : undefined,
      });
      app.io.stdout.write(
        `kfp-ts ui: ${server.url} → ${emulator ? `embedded emulator (${emulator.url})` : client.host}\n`,
      );
      if (o.listen !== "127.0.0.1" && o.listen !== "localhost" && o.listen !== "::1") {
        ctx.note(
          `kfp-ts ui: listening on ${o.listen}: anyone who can reach it acts with your credentials on ${client.host}`,
        );
      }
      if (o.open) openBrowser(server.url);
      await interrupted();
    } finally {
      await server?.close();
      await client.close();
      await emulator?.close();
    }
  });
}
