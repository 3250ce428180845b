/**
 * `kfp-ts demo`: the main job, end to end, against an embedded emulator (or a server given with --host).
 *
 *  1. start the emulator on 127.0.0.1 (a free port);
 *  2. upload the example pipeline from a string, then a second version from a stream;
 *  3. publish the same package again: nothing is uploaded, the existing version is returned;
 *  4. show a parameter mistake being caught before anything is sent;
 *  5. start a run with parameters and follow it to its end, with task progress;
 *  6. print what the emulator's request inspector saw (the multipart parts of each upload).
 *
 * Uses only the public client API (src/index.ts); the emulator comes from the `kfp-ts-emulator` package.
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import type { Command } from "@commander-js/extra-typings";
import pc from "picocolors";
import { loadEmulator } from "./emulator-package.js";

const EXAMPLE = new URL("../../examples/word-count.yaml", import.meta.url);

interface InspectedPart {
  name?: string;
  filename?: string;
  content_type?: string;
  contentType?: string;
  size?: number;
}
interface InspectedRequest {
  method: string;
  path: string;
  status?: number;
  query?: Record<string, string | string[]>;
  body?: { kind?: string; parts?: InspectedPart[]; size?: number };
}

function line(msg = ""): void {
  process.stdout.write(`${msg}\n`);
}

function step(n: number, msg: string): void {
  line(`\n${pc.bold(pc.cyan(`[${n}]`))} ${pc.bold(msg)}`);
}

/** The example package with another default for `min_length`: the content of "version 2". */
function secondVersion(text: string): string {
  const out = text.replace(/(min_length:\n\s+parameterType: NUMBER_INTEGER\n\s+defaultValue: )3\.0/, "$14.0");
  if (out === text) throw new Error("example pipeline changed: cannot derive its second version");
  return out;
}

export function addDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("the main job end to end: publish the example pipeline, run it, follow it to its end")
    .option("--host <url>", "use this KFP server instead of the embedded emulator")
    .option("--tick-ms <ms>", "emulator speed: milliseconds per simulated step", "60")
    .addHelpText("after", "\nExamples:\n  $ kfp-ts demo\n  $ kfp-ts demo --host http://localhost:8888\n")
    .action(async (o) => {
      // Loaded here, not at the top: registering the command must not load the library (--help).
      const { Kfp, ParameterError, RunFailedError } = await import("../index.js");
      const tickMs = Number(o.tickMs);
      if (!Number.isFinite(tickMs) || tickMs < 0)
        throw new Error(`--tick-ms must be a number ≥ 0, got "${o.tickMs}"`);

      const emu = o.host
        ? undefined
        : await (await loadEmulator()).startEmulator({ port: 0, lifecycle: { tickMs, podTicks: 2 } });
      const host = o.host ?? emu!.url;
      const kfp = new Kfp({ host });
      try {
        step(1, emu ? `Embedded KFP emulator listening on ${host}` : `Using the KFP server at ${host}`);
        const info = await kfp.serverInfo();
        line(`    API ${info.apiVersion}, ${info.multiUser ? "multi-user" : "single-user"} mode`);

        const text = await readFile(EXAMPLE, "utf8");
        const suffix = Date.now().toString(36);
        const name = `word-count-${suffix}`;

        step(2, "Upload the example pipeline from a string");
        const pipeline = await kfp.pipelines.upload(text, {
          name,
          display_name: "Word count",
          description: "kfp-ts example: counts the distinct words of a text",
          filename: "word-count.yaml",
        });
        line(`    pipeline ${pc.green(pipeline.name ?? "")}  id ${pipeline.pipeline_id}`);

        step(3, "Upload a second version from a stream");
        const v2text = secondVersion(text);
        const chunks = v2text.match(/[\s\S]{1,1024}/g) ?? [];
        const version = await kfp.pipelines.uploadVersion(Readable.from(chunks), {
          pipeline_id: pipeline.pipeline_id,
          name: `${name}-v2`,
          description: "min_length defaults to 4",
          filename: "word-count.yaml",
        });
        line(`    version ${pc.green(version.name ?? "")}  id ${version.pipeline_version_id}`);

        step(4, "Publish the same package again (what a re-run CI job does)");
        const again = await kfp.pipelines.publish(name, v2text, { filename: "word-count.yaml" });
        line(
          `    ${again.created ? pc.yellow("uploaded a new version") : pc.green("unchanged: nothing uploaded")}` +
            ` → version ${again.version.name}`,
        );

        step(5, "A parameter mistake is caught before anything is sent");
        try {
          await kfp.runs.create({
            display_name: "word count (missing a parameter)",
            pipeline_id: pipeline.pipeline_id,
            pipeline_version_id: version.pipeline_version_id,
            parameters: { min_length: "four" },
          });
          line(pc.red("    unexpected: the run was accepted"));
          process.exitCode = 1;
        } catch (err) {
          if (!(err instanceof ParameterError)) throw err;
          line(`    ${pc.yellow("ParameterError")}: ${err.message}`);
        }

        step(6, "Start a run with parameters and follow it to its end");
        const run = await kfp.runs.create({
          display_name: `word count ${suffix}`,
          pipeline_id: pipeline.pipeline_id,
          pipeline_version_id: version.pipeline_version_id,
          parameters: { report_title: "kfp-ts demo", text: "to be or not to be that is the question" },
        });
        line(`    run ${run.run_id} created (${run.state})`);
        let final = run;
        try {
          final = await kfp.runs.wait(run.run_id!, {
            pollInterval: 100,
            maxPollInterval: 500,
            timeout: 120_000,
            onProgress: (p) => line(`    ${pc.dim(`${(p.elapsedMs / 1000).toFixed(1)}s`)} ${p.summary}`),
          });
        } catch (err) {
          if (!(err instanceof RunFailedError)) throw err;
          final = err.run;
          process.exitCode = 1;
        }
        const ok = final.state === "SUCCEEDED";
        line(`    outcome: ${ok ? pc.green(final.state ?? "") : pc.red(final.state ?? "unknown")}`);
        if (!ok) process.exitCode = 1;

        if (emu) {
          step(7, "What the emulator received (request inspector)");
          const seen = (await (await fetch(`${host}/_emulator/requests`)).json()) as
            | { requests?: InspectedRequest[] }
            | InspectedRequest[];
          const requests = Array.isArray(seen) ? seen : (seen.requests ?? []);
          const same = (a: InspectedRequest | undefined, b: InspectedRequest) =>
            a !== undefined && a.method === b.method && a.path === b.path && a.status === b.status;
          for (const [i, r] of requests.entries()) {
            // Consecutive identical requests (the polls of a wait) are shown once, with a count.
            if (same(requests[i - 1], r) && !r.body?.parts?.length) continue;
            let times = 1;
            while (same(requests[i + times], r) && !requests[i + times]?.body?.parts?.length) times++;
            const text = `    ${r.status ?? "   "} ${r.method.padEnd(6)} ${r.path}`;
            line(times > 1 ? `${text} ${pc.dim(`(×${times})`)}` : text);
            for (const part of r.body?.parts ?? []) {
              line(
                pc.dim(
                  `          part name=${part.name} filename=${part.filename} type=${
                    part.content_type ?? part.contentType
                  } ${part.size} bytes`,
                ),
              );
            }
          }
          line(`    (all of it at ${host}/_emulator/requests)`);
        }
      } finally {
        await kfp.close();
        await emu?.close();
      }
    });
}
