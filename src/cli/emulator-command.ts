/**
 * `kfp-ts emulator`: run the local KFP-compatible API server until SIGINT/SIGTERM.
 */
import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { type EmulatorOptions, startEmulator } from "../emulator/index.js";

const usersFileSchema = z.object({
  userIdHeader: z.string().min(1).optional(),
  userIdPrefix: z.string().optional(),
  sharedRead: z.boolean().optional(),
  requireNamespaceForPipelines: z.boolean().optional(),
  kfpNamespace: z.string().optional(),
  users: z
    .record(
      z.string(),
      z.object({
        namespaces: z.array(z.string()).optional(),
        tokens: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

function int(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
    }
    return n;
  };
}

function ratio(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(`--fail-rate must be a number from 0 to 1, got "${v}"`);
  return n;
}

async function loadUsersFile(file: string): Promise<z.infer<typeof usersFileSchema>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read --users file ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new Error(`--users file ${file} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  const parsed = usersFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`--users file ${file}: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}

export function addEmulatorCommand(program: Command): void {
  program
    .command("emulator")
    .description("run a local KFP-compatible API server (no cluster needed)")
    .option("-p, --port <port>", "TCP port (0 = any free port)", int("--port", 0, 65535), 8888)
    .option("-H, --host <host>", "interface to listen on", "127.0.0.1")
    .option("--db <file>", "persist everything in this SQLite file (default: in memory)")
    .option("--multi-user", "multi-user mode: identity from the kubeflow-userid header or a bearer token")
    .option(
      "--users <file>",
      "multi-user config (YAML/JSON): users, their namespaces and tokens; implies --multi-user",
    )
    .option("--userid-header <name>", "multi-user identity header", "kubeflow-userid")
    .option("--userid-prefix <prefix>", "prefix stripped from the identity header value", "")
    .option("--allow-loopback-urls", "accept package URLs on loopback/private hosts (tests only)")
    .option("--allow-http-urls", "accept http:// package URLs")
    .option(
      "--tick-ms <ms>",
      "simulated run speed: milliseconds per lifecycle step",
      int("--tick-ms", 0, 600_000),
    )
    .option("--fail-task <key...>", "make the named pipeline task(s) fail in every run")
    .option("--fail-rate <ratio>", "share of runs (0..1) in which a random task fails", ratio)
    .option("--seed <n>", "seed for --fail-rate", int("--seed", 0, 2 ** 31 - 1))
    .option("--inspector-size <n>", "requests kept by the inspector", int("--inspector-size", 0, 100_000))
    .option("-q, --quiet", "print only the URL")
    .action(async (o) => {
      const multiUserFile = o.users ? await loadUsersFile(o.users) : undefined;
      const multi = o.multiUser || multiUserFile !== undefined;
      const lifecycle: Record<string, unknown> = {};
      if (o.tickMs !== undefined) lifecycle.tickMs = o.tickMs;
      if (o.failTask) lifecycle.failTasks = o.failTask;
      if (o.failRate !== undefined) lifecycle.failRate = o.failRate;
      if (o.seed !== undefined) lifecycle.seed = o.seed;
      const opts: EmulatorOptions = {
        port: o.port,
        host: o.host,
        lifecycle,
        allowLoopbackUrls: o.allowLoopbackUrls ?? false,
        allowHttpUrls: o.allowHttpUrls ?? false,
      };
      if (o.db) opts.db = o.db;
      if (o.inspectorSize !== undefined) opts.inspectorSize = o.inspectorSize;
      if (multi) {
        opts.multiUser = {
          userIdHeader: o.useridHeader,
          userIdPrefix: o.useridPrefix,
          ...(multiUserFile ?? {}),
        };
      }
      if (!o.quiet) {
        opts.logger = {
          debug() {},
          info: (msg: string) => process.stderr.write(`${msg}\n`),
          warn: (msg: string) => process.stderr.write(`warn: ${msg}\n`),
          error: (msg: string) => process.stderr.write(`error: ${msg}\n`),
        };
      }
      const emu = await startEmulator(opts);
      process.stdout.write(`${emu.url}\n`);
      if (!o.quiet) {
        process.stderr.write(
          `KFP emulator listening on ${emu.url} (${multi ? "multi-user" : "single-user"}, ${
            o.db ? `SQLite ${o.db}` : "in memory"
          })\n` +
            `  API:       ${emu.url}/apis/v2beta1/healthz\n` +
            `  inspector: ${emu.url}/_emulator/requests\n` +
            "Press Ctrl+C to stop.\n",
        );
      }
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          if (!o.quiet) process.stderr.write(`\n${signal}: shutting down\n`);
          emu.close().then(resolve, (err: unknown) => {
            process.stderr.write(`error while shutting down: ${(err as Error).message}\n`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    });
}
