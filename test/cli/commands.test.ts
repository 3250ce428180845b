// Every command group in-process (runCli with in-memory streams) against the emulator over real HTTP.
import { EventEmitter } from "node:events";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../packages/emulator/src/index.js";
import { EXIT } from "../../packages/kfp-ts/src/cli/exit-codes.js";
import { repoRoot } from "../helpers/specs.js";
import { cli, isolatedConfig } from "./helpers.js";

const EXAMPLE = join(repoRoot, "packages/kfp-ts/examples/word-count.yaml");
const PARAMS = ["text=to be or not to be", "report_title=t"];

let emu: Emulator;
let host: string[];
let env: Record<string, string>;

async function requestCount(): Promise<number> {
  const r = (await (await fetch(`${emu.url}/_emulator/requests`)).json()) as { requests: unknown[] };
  return r.requests.length;
}

beforeAll(async () => {
  emu = await startEmulator({
    port: 0,
    lifecycle: { tickMs: 5, podTicks: 1, failTasks: ["count-words-fails"] },
  });
  host = ["--host", emu.url];
  env = { KFP_TS_CONFIG: isolatedConfig() };
});
afterAll(async () => {
  await emu?.close();
});

describe("pipelines", () => {
  let pipelineId = "";

  it("create uploads a file and prints the wire object with -o json", async () => {
    const r = await cli([...host, "-o", "json", "pipelines", "create", "-p", "wc", EXAMPLE], { env });
    expect(r.code).toBe(EXIT.OK);
    const p = JSON.parse(r.stdout) as { pipeline_id: string; name: string };
    expect(p.name).toBe("wc");
    expect(p.pipeline_id).toMatch(/^[0-9a-f-]{36}$/);
    pipelineId = p.pipeline_id;
    expect(r.stderr).toContain(`pipeline wc created: ${pipelineId}`);
  });

  it("create again is an 'already exists' exit code", async () => {
    const r = await cli([...host, "pipeline", "create", "-p", "wc", EXAMPLE], { env });
    expect(r.code).toBe(EXIT.ALREADY_EXISTS);
    expect(r.stderr).toMatch(/^kfp-ts: 409 Conflict/);
  });

  it("create-version reads the package from stdin with -", async () => {
    const text = readFileSync(EXAMPLE, "utf8").replace("defaultValue: 3.0", "defaultValue: 4.0");
    const r = await cli([...host, "pipeline", "create-version", "-p", pipelineId, "-v", "v2", "-"], {
      env,
      stdin: text,
    });
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/VERSION ID\s+NAME\s+CREATED\n[0-9a-f-]{36}\s+v2\s+/);
  });

  it("publish is idempotent: the second publish uploads nothing", async () => {
    const first = await cli([...host, "-o", "json", "pipelines", "publish", "pub", EXAMPLE], { env });
    expect(first.code).toBe(EXIT.OK);
    const a = JSON.parse(first.stdout) as {
      created: boolean;
      pipeline_created: boolean;
      version: { pipeline_version_id: string };
    };
    expect(a).toMatchObject({ created: true, pipeline_created: true });
    const second = await cli([...host, "pipelines", "publish", "pub", EXAMPLE, "-o", "name"], { env });
    expect(second.code).toBe(EXIT.OK);
    expect(second.stdout).toBe(`${a.version.pipeline_version_id}\n`);
    expect(second.stderr).toContain("nothing uploaded");
  });

  it("list: table, name, yaml, and paging hints on stderr", async () => {
    const table = await cli([...host, "pipelines", "list"], { env });
    expect(table.stdout.split("\n")[0]).toMatch(/^PIPELINE ID\s+NAME\s+DISPLAY NAME\s+CREATED$/);
    const names = await cli([...host, "-o", "name", "pipelines", "list"], { env });
    expect(names.stdout.trim().split("\n")).toContain(pipelineId);
    const yaml = await cli([...host, "pipelines", "list", "-o", "yaml"], { env });
    expect(yaml.stdout).toContain(`pipeline_id: ${pipelineId}`);
    const paged = await cli([...host, "pipelines", "list", "-m", "1", "-o", "name"], { env });
    expect(paged.stdout.trim().split("\n")).toHaveLength(1);
    expect(paged.stderr).toMatch(/more results: add --page-token \S+/);
    const all = await cli([...host, "pipelines", "list", "-m", "1", "--all", "-o", "name"], { env });
    expect(all.stdout.trim().split("\n").length).toBeGreaterThanOrEqual(2);
  });

  it("list-versions, get, get-version, download", async () => {
    const vs = await cli([...host, "-o", "json", "pipelines", "list-versions", pipelineId], { env });
    const versions = JSON.parse(vs.stdout) as { pipeline_version_id: string; name: string }[];
    expect(versions.map((v) => v.name).sort()).toEqual(["v2", "wc"]);
    const g = await cli([...host, "-o", "json", "pipelines", "get", pipelineId], { env });
    expect(JSON.parse(g.stdout)).toMatchObject({ pipeline_id: pipelineId, name: "wc" });
    const wc = versions.find((v) => v.name === "wc")!;
    const gv = await cli(
      [...host, "-o", "json", "pipelines", "get-version", pipelineId, wc.pipeline_version_id],
      { env },
    );
    expect(JSON.parse(gv.stdout).pipeline_spec.pipelineInfo.name).toBe("kfp-ts-word-count");
    const dl = await cli([...host, "pipelines", "download", pipelineId, wc.pipeline_version_id], { env });
    expect(dl.stdout).toContain("pipelineInfo:\n  name: kfp-ts-word-count");
    expect(dl.stdout).toContain("defaultValue: 3");
    const v2 = versions.find((v) => v.name === "v2")!;
    const file = join(isolatedConfig(), "..", "v2.yaml");
    const toFile = await cli(
      [...host, "pipelines", "download", pipelineId, v2.pipeline_version_id, "-f", file],
      { env },
    );
    expect(toFile.stdout).toBe("");
    expect(readFileSync(file, "utf8")).toContain("defaultValue: 4");
    const newest = await cli([...host, "pipelines", "download", pipelineId], { env });
    expect(newest.stdout).toContain("pipelineInfo:\n  name: kfp-ts-word-count");
  });

  it("update sets the display name and tags", async () => {
    const r = await cli(
      [
        ...host,
        "-o",
        "json",
        "pipelines",
        "update",
        pipelineId,
        "--display-name",
        "Word count",
        "--tag",
        "team=ml",
      ],
      { env },
    );
    expect(r.code).toBe(EXIT.OK);
    expect(JSON.parse(r.stdout)).toMatchObject({ display_name: "Word count", tags: { team: "ml" } });
  });

  it("bad input is a usage error and sends nothing", async () => {
    const before = await requestCount();
    const missing = await cli([...host, "pipelines", "create", "/nonexistent/p.yaml"], { env });
    expect(missing.code).toBe(EXIT.USAGE);
    expect(missing.stderr).toBe("kfp-ts: cannot read the package /nonexistent/p.yaml: no such file\n");
    const bad = join(repoRoot, "package.json");
    const malformed = await cli([...host, "pipelines", "create", bad], { env });
    expect(malformed.code).toBe(EXIT.USAGE);
    expect(malformed.stderr).toMatch(/^kfp-ts: /);
    const flag = await cli([...host, "pipelines", "list", "--bogus"], { env });
    expect(flag.code).toBe(EXIT.USAGE);
    expect(flag.stderr).toContain("unknown option '--bogus'");
    const fmt = await cli([...host, "-o", "xml", "pipelines", "list"], { env });
    expect(fmt.code).toBe(EXIT.USAGE);
    expect(fmt.stderr).toBe('kfp-ts: -o/--output must be one of table, wide, json, yaml, name; got "xml"\n');
    expect(await requestCount()).toBe(before);
  });

  it("get of a missing pipeline exits with 'not found'", async () => {
    const r = await cli([...host, "pipelines", "get", "00000000-0000-0000-0000-000000000000"], { env });
    expect(r.code).toBe(EXIT.NOT_FOUND);
    expect(r.stderr).toMatch(/^kfp-ts: 404 Not Found/);
  });

  it("delete-version and delete --cascade", async () => {
    const p = await cli([...host, "-o", "json", "pipelines", "create", "-p", "gone", EXAMPLE], { env });
    const id = (JSON.parse(p.stdout) as { pipeline_id: string }).pipeline_id;
    const refused = await cli([...host, "pipelines", "delete", id], { env });
    expect(refused.code).not.toBe(EXIT.OK);
    const d = await cli([...host, "pipelines", "delete", id, "--cascade", "-o", "name"], { env });
    expect(d.code).toBe(EXIT.OK);
    expect(d.stdout).toBe(`${id}\n`);
    expect((await cli([...host, "pipelines", "get", id], { env })).code).toBe(EXIT.NOT_FOUND);
  });
});

describe("experiments", () => {
  it("create, get by name, archive, unarchive, delete", async () => {
    const c = await cli([...host, "-o", "json", "experiments", "create", "nightly", "-d", "nightly runs"], {
      env,
    });
    expect(c.code).toBe(EXIT.OK);
    const id = (JSON.parse(c.stdout) as { experiment_id: string }).experiment_id;
    const g = await cli([...host, "-o", "json", "experiment", "get", "--experiment-name", "nightly"], {
      env,
    });
    expect(JSON.parse(g.stdout)).toMatchObject({ experiment_id: id, description: "nightly runs" });
    expect((await cli([...host, "experiments", "archive", id], { env })).code).toBe(EXIT.OK);
    const listed = await cli([...host, "-o", "json", "experiments", "get", id], { env });
    expect(JSON.parse(listed.stdout).storage_state).toBe("ARCHIVED");
    expect((await cli([...host, "experiments", "unarchive", "--experiment-id", id], { env })).code).toBe(
      EXIT.OK,
    );
    const dup = await cli([...host, "experiments", "create", "nightly"], { env });
    expect(dup.code).toBe(EXIT.ALREADY_EXISTS);
    expect((await cli([...host, "experiments", "delete", id], { env })).code).toBe(EXIT.OK);
    expect((await cli([...host, "experiments", "get", id], { env })).code).toBe(EXIT.NOT_FOUND);
  });
});

describe("runs", () => {
  let pipelineId = "";
  beforeAll(async () => {
    const r = await cli([...host, "-o", "json", "pipelines", "publish", "runs-wc", EXAMPLE], { env });
    pipelineId = (JSON.parse(r.stdout) as { pipeline: { pipeline_id: string } }).pipeline.pipeline_id;
  });

  it("create --wait follows the run to SUCCEEDED, typed parameters, plain lines on a non-TTY", async () => {
    const r = await cli(
      [
        ...host,
        "-o",
        "json",
        "runs",
        "create",
        "-e",
        "ci",
        "-r",
        "ok-1",
        "-p",
        pipelineId,
        "--wait",
        ...PARAMS,
        "min_length=2",
      ],
      { env },
    );
    expect(r.code).toBe(EXIT.OK);
    const run = JSON.parse(r.stdout) as {
      state: string;
      runtime_config: { parameters: Record<string, unknown> };
    };
    expect(run.state).toBe("SUCCEEDED");
    expect(run.runtime_config.parameters.min_length).toBe(2);
    expect(r.stderr).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ run \S+ /m);
    expect(r.stderr).toContain("✓ count-words  SUCCEEDED");
    expect(r.stderr).not.toContain("\u001b[");
  });

  it("a run that fails: runs wait exits 6 and names the failed task", async () => {
    const text = readFileSync(EXAMPLE, "utf8").replaceAll("count-words", "count-words-fails");
    const c = await cli([...host, "-o", "name", "runs", "create", "-f", "-", "-r", "bad-1", ...PARAMS], {
      env,
      stdin: text,
    });
    expect(c.code).toBe(EXIT.OK);
    const id = c.stdout.trim();
    const w = await cli([...host, "runs", "wait", id], { env });
    expect(w.code).toBe(EXIT.RUN_NOT_SUCCEEDED);
    expect(w.stderr).toMatch(new RegExp(`run ${id} ended FAILED; failed tasks: .*count-words-fails`));
  });

  it("an unknown parameter or a wrong type is a usage error and creates nothing", async () => {
    const before = await cli([...host, "-o", "name", "runs", "list", "--all"], { env });
    const unknown = await cli([...host, "runs", "create", "-p", pipelineId, ...PARAMS, "nope=1"], { env });
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(unknown.stderr).toContain(
      'parameter "nope" is not declared by the pipeline (the pipeline takes: text, min_length, report_title)',
    );
    const typed = await cli([...host, "runs", "create", "-p", pipelineId, ...PARAMS, "min_length=two"], {
      env,
    });
    expect(typed.code).toBe(EXIT.USAGE);
    expect(typed.stderr).toBe(
      'kfp-ts: parameter min_length: "two" is not an integer (the pipeline declares NUMBER_INTEGER)\n',
    );
    const after = await cli([...host, "-o", "name", "runs", "list", "--all"], { env });
    expect(after.stdout).toBe(before.stdout);
  });

  it("--params-file, list filters, get with the task tree", async () => {
    const file = join(isolatedConfig(), "..", "params.json");
    writeFileSync(file, JSON.stringify({ text: "a b", report_title: "from file", min_length: 1 }));
    const c = await cli(
      [
        ...host,
        "-o",
        "name",
        "runs",
        "create",
        "-n",
        "runs-wc",
        "-r",
        "pf-1",
        "--params-file",
        file,
        "--wait",
      ],
      { env },
    );
    expect(c.code).toBe(EXIT.OK);
    const id = c.stdout.trim();
    const ok = await cli(
      [...host, "-o", "name", "runs", "list", "--state", "SUCCEEDED", "--since", "1h", "--all"],
      { env },
    );
    expect(ok.stdout.split("\n")).toContain(id);
    const failed = await cli([...host, "-o", "name", "runs", "list", "--state", "failed", "--all"], { env });
    expect(failed.stdout.split("\n")).not.toContain(id);
    const byPipeline = await cli([...host, "-o", "name", "runs", "list", "--pipeline", pipelineId, "--all"], {
      env,
    });
    expect(byPipeline.stdout.split("\n")).toContain(id);
    const g = await cli([...host, "runs", "get", id], { env });
    expect(g.stdout).toMatch(/RUN ID\s+NAME\s+STATE/);
    expect(g.stdout).toMatch(/Tasks:\n(.*\n)* +✓ count-words {2}SUCCEEDED/);
    const bad = await cli([...host, "runs", "list", "--state", "DONE"], { env });
    expect(bad.code).toBe(EXIT.USAGE);
  });

  it("read-artifact prints an output artifact, or writes it to a file; a missing one is 'not found'", async () => {
    const c = await cli(
      [...host, "-o", "name", "runs", "create", "-p", pipelineId, "-r", "art-1", "--wait", ...PARAMS],
      { env },
    );
    expect(c.code).toBe(EXIT.OK);
    const id = c.stdout.trim();
    const stored = emu.store.get("runs", id)!;
    const node = stored.tasks.find((t) => t.artifacts?.includes("main-logs"))!;
    const r = await cli([...host, "runs", "read-artifact", id, node.pod_name, "main-logs"], { env });
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toContain(`of run ${id}`);
    const file = join(isolatedConfig(), "..", "logs.tgz");
    const f = await cli([...host, "runs", "artifact", id, node.pod_name, "main-logs", "-f", file], { env });
    expect(f.stderr).toMatch(/^\d+ bytes written to /m);
    expect(readFileSync(file, "utf8")).toBe(r.stdout);
    // A missing artifact is the API's own 404 ({error_message} body), in auto mode on a process's first
    // call too: never read as an unknown route (which would end in "no KFP API found").
    for (const pin of [[], ["--api-version", "v2beta1"]]) {
      const missing = await cli([...host, ...pin, "runs", "read-artifact", id, node.pod_name, "nope"], {
        env,
      });
      expect(missing.code).toBe(EXIT.NOT_FOUND);
      expect(missing.stderr).toMatch(/^kfp-ts: 404 Not Found: artifact not found/);
    }
  });

  it("terminate, archive, unarchive, delete, retry", async () => {
    const c = await cli([...host, "-o", "name", "runs", "create", "-p", pipelineId, "-r", "t-1", ...PARAMS], {
      env,
    });
    const id = c.stdout.trim();
    expect((await cli([...host, "runs", "terminate", id], { env })).code).toBe(EXIT.OK);
    const w = await cli([...host, "runs", "wait", id, "-t", "30"], { env });
    expect(w.code).toBe(EXIT.RUN_NOT_SUCCEEDED);
    expect(w.stderr).toMatch(new RegExp(`run ${id} ended (CANCELED|FAILED)`));
    const retry = await cli([...host, "runs", "retry", id], { env });
    expect([EXIT.OK, EXIT.USAGE]).toContain(retry.code);
    expect((await cli([...host, "runs", "archive", id], { env })).code).toBe(EXIT.OK);
    const archived = await cli([...host, "-o", "name", "runs", "list", "--archived", "--all"], { env });
    expect(archived.stdout.split("\n")).toContain(id);
    expect((await cli([...host, "runs", "unarchive", id], { env })).code).toBe(EXIT.OK);
    expect((await cli([...host, "runs", "delete", id], { env })).code).toBe(EXIT.OK);
    expect((await cli([...host, "runs", "get", id], { env })).code).toBe(EXIT.NOT_FOUND);
  });

  it("Ctrl+C while waiting stops the wait, leaves the run alone and exits 130", async () => {
    const slow = await startEmulator({ port: 0, lifecycle: { tickMs: 60_000 } });
    try {
      const h = ["--host", slow.url];
      const pub = await cli([...h, "-o", "json", "pipelines", "publish", "slow", EXAMPLE], { env });
      const pid = (JSON.parse(pub.stdout) as { pipeline: { pipeline_id: string } }).pipeline.pipeline_id;
      const c = await cli([...h, "-o", "name", "runs", "create", "-p", pid, ...PARAMS], { env });
      const id = c.stdout.trim();
      const signals = new EventEmitter();
      const waiting = cli([...h, "runs", "wait", id], {
        env,
        signals,
        onStderr: (s) => {
          if (s.includes(`run ${id}`)) signals.emit("SIGINT");
        },
      });
      const r = await waiting;
      expect(r.code).toBe(EXIT.INTERRUPTED);
      expect(r.stderr).toContain(`interrupted: stopped waiting; run ${id} was left`);
      expect(r.stderr).toContain(`kfp-ts runs terminate ${id}`);
      const after = await cli([...h, "-o", "json", "runs", "get", id], { env });
      expect(["PENDING", "RUNNING"]).toContain(JSON.parse(after.stdout).state);
    } finally {
      await slow.close();
    }
  });

  it("Ctrl+C with --terminate-on-interrupt terminates the run", async () => {
    const slow = await startEmulator({ port: 0, lifecycle: { tickMs: 60_000 } });
    try {
      const h = ["--host", slow.url];
      const pub = await cli([...h, "-o", "json", "pipelines", "publish", "slow", EXAMPLE], { env });
      const pid = (JSON.parse(pub.stdout) as { pipeline: { pipeline_id: string } }).pipeline.pipeline_id;
      const signals = new EventEmitter();
      const r = await cli(
        [...h, "runs", "create", "-p", pid, "-r", "stop-me", "--wait", "--terminate-on-interrupt", ...PARAMS],
        {
          env,
          signals,
          onStderr: (s) => {
            if (/^\d{4}-.*Z run /m.test(s)) signals.emit("SIGINT");
          },
        },
      );
      expect(r.code).toBe(EXIT.INTERRUPTED);
      const id = /run stop-me created: (\S+)/.exec(r.stderr)?.[1] as string;
      expect(r.stderr).toContain(`interrupted: run ${id} terminated (--terminate-on-interrupt)`);
      const after = await cli([...h, "-o", "json", "runs", "get", id], { env });
      expect(["CANCELING", "CANCELED", "FAILED"]).toContain(JSON.parse(after.stdout).state);
    } finally {
      await slow.close();
    }
  });

  it("a wait timeout exits 7", async () => {
    const slow = await startEmulator({ port: 0, lifecycle: { tickMs: 60_000 } });
    try {
      const h = ["--host", slow.url];
      const pub = await cli([...h, "-o", "json", "pipelines", "publish", "slow", EXAMPLE], { env });
      const pid = (JSON.parse(pub.stdout) as { pipeline: { pipeline_id: string } }).pipeline.pipeline_id;
      const r = await cli([...h, "runs", "create", "-p", pid, "-w", "-t", "300ms", ...PARAMS], { env });
      expect(r.code).toBe(EXIT.TIMEOUT);
      expect(r.stderr).toMatch(/kfp-ts: timed out waiting for run \S+; last state \w+\. The run goes on\./);
    } finally {
      await slow.close();
    }
  });
});

describe("recurring runs", () => {
  it("create (cron, interval), the seconds-first warning, list, get, disable, enable, delete", async () => {
    const pub = await cli([...host, "-o", "json", "pipelines", "publish", "rr-wc", EXAMPLE], { env });
    const pid = (JSON.parse(pub.stdout) as { pipeline: { pipeline_id: string } }).pipeline.pipeline_id;
    const warn = await cli(
      [
        ...host,
        "-o",
        "json",
        "recurring-runs",
        "create",
        "--job-name",
        "five",
        "--cron-expression",
        "*/5 * * * *",
        "-p",
        pid,
        ...PARAMS,
        "--disabled",
      ],
      { env },
    );
    expect(warn.code).toBe(EXIT.OK);
    expect(warn.stderr).toContain("seconds-first");
    expect(warn.stderr).toContain("--cron-format unix");
    const unix = await cli(
      [
        ...host,
        "-o",
        "json",
        "recurring-run",
        "create",
        "--job-name",
        "hourly",
        "--cron-expression",
        "0 * * * *",
        "--cron-format",
        "unix",
        "-p",
        pid,
        ...PARAMS,
      ],
      { env },
    );
    const rr = JSON.parse(unix.stdout) as {
      recurring_run_id: string;
      trigger: { cron_schedule: { cron: string } };
    };
    expect(rr.trigger.cron_schedule.cron).toBe("0 0 * * * *");
    const every = await cli(
      [
        ...host,
        "-o",
        "json",
        "recurring-runs",
        "create",
        "--job-name",
        "every",
        "--interval-second",
        "3600",
        "-p",
        pid,
        ...PARAMS,
      ],
      { env },
    );
    expect(JSON.parse(every.stdout).trigger.periodic_schedule.interval_second).toBe("3600");
    const list = await cli([...host, "recurring-runs", "list"], { env });
    expect(list.stdout).toMatch(/hourly\s+ENABLED\s+cron 0 0 \* \* \* \*/);
    expect(list.stdout).toMatch(/every\s+ENABLED\s+every 3600s/);
    const id = rr.recurring_run_id;
    expect((await cli([...host, "recurring-runs", "disable", id], { env })).code).toBe(EXIT.OK);
    const g = await cli([...host, "-o", "json", "recurring-runs", "get", id], { env });
    expect(JSON.parse(g.stdout).status).toBe("DISABLED");
    expect((await cli([...host, "recurring-runs", "enable", id], { env })).code).toBe(EXIT.OK);
    expect((await cli([...host, "recurring-runs", "delete", id], { env })).code).toBe(EXIT.OK);
    expect((await cli([...host, "recurring-runs", "get", id], { env })).code).toBe(EXIT.NOT_FOUND);
  });

  it("takes the official CLI's --enabled/--catchup flags; caching flags apply to a package file", async () => {
    const r = await cli(
      [
        ...host,
        "-o",
        "json",
        "recurring-runs",
        "create",
        "--job-name",
        "compat",
        "--interval-second",
        "600",
        "--enabled",
        "--catchup",
        "--pipeline-package-path",
        EXAMPLE,
        "--disable-caching",
        ...PARAMS,
      ],
      { env },
    );
    expect(r.code).toBe(EXIT.OK);
    const rr = JSON.parse(r.stdout) as {
      status: string;
      no_catchup?: boolean;
      pipeline_spec: {
        root: { dag: { tasks: Record<string, { cachingOptions?: { enableCache?: boolean } }> } };
      };
    };
    expect(rr.status).toBe("ENABLED");
    expect(rr.no_catchup ?? false).toBe(false);
    const tasks = Object.values(rr.pipeline_spec.root.dag.tasks);
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.every((t) => t.cachingOptions?.enableCache !== true)).toBe(true);
    const both = await cli(
      [
        ...host,
        "recurring-runs",
        "create",
        "--job-name",
        "x",
        "--interval-second",
        "60",
        "--enabled",
        "--disabled",
        "-p",
        "p",
      ],
      { env },
    );
    expect(both.code).toBe(EXIT.USAGE);
  });

  it("the official CLI's IAP / OAuth client flags are refused with what to use instead", async () => {
    const r = await cli([...host, "--iap-client-id", "abc", "pipeline", "list"], { env });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain("pass it with --token or --token-file");
  });

  it("a malformed cron expression is a usage error and sends nothing", async () => {
    const before = await requestCount();
    const r = await cli(
      [...host, "recurring-runs", "create", "--job-name", "x", "--cron-expression", "every day", "-p", "abc"],
      { env },
    );
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(
      /^kfp-ts: cron "every day" is rejected by the server: Expected 5 to 6 fields, found 2/,
    );
    expect(await requestCount()).toBe(before);
  });
});

describe("config contexts", () => {
  it("set-context writes a 0600 file; the context supplies the host; flags and env win over it", async () => {
    const cfgEnv = { KFP_TS_CONFIG: isolatedConfig() };
    const s = await cli(["config", "set-context", "local", "--host", emu.url, "--namespace", "ns1"], {
      env: cfgEnv,
    });
    expect(s.code).toBe(EXIT.OK);
    expect(statSync(cfgEnv.KFP_TS_CONFIG).mode & 0o777).toBe(0o600);
    expect((await cli(["config", "current-context"], { env: cfgEnv })).stdout).toBe("local\n");
    const viaContext = await cli(["-o", "name", "pipelines", "list"], { env: cfgEnv });
    expect(viaContext.code).toBe(EXIT.OK);
    expect(viaContext.stdout.length).toBeGreaterThan(0);
    await cli(["config", "set-context", "broken", "--host", "http://127.0.0.1:9"], { env: cfgEnv });
    await cli(["config", "use-context", "broken"], { env: cfgEnv });
    const envWins = await cli(["-o", "name", "pipelines", "list"], { env: { ...cfgEnv, KFP_HOST: emu.url } });
    expect(envWins.code).toBe(EXIT.OK);
    const flagWins = await cli(["--host", emu.url, "-o", "name", "pipelines", "list"], { env: cfgEnv });
    expect(flagWins.code).toBe(EXIT.OK);
    const sdkEnv = await cli(["-o", "name", "pipelines", "list"], {
      env: { ...cfgEnv, KF_PIPELINES_ENDPOINT: emu.url },
    });
    expect(sdkEnv.code).toBe(EXIT.OK);
    const refused = await cli(["pipelines", "list"], { env: cfgEnv });
    expect(refused.code).toBe(EXIT.FAILED);
    const contexts = await cli(["config", "get-contexts"], { env: cfgEnv });
    expect(contexts.stdout).toMatch(/^\s+local\s+http:\/\/127\.0\.0\.1:\d+\s+ns1/m);
    expect(contexts.stdout).toMatch(/^\*\s+broken\s+/m);
    const json = await cli(["config", "get-contexts", "-o", "json"], { env: cfgEnv });
    expect(JSON.parse(json.stdout)).toMatchObject({
      "current-context": "broken",
      contexts: { local: { namespace: "ns1" } },
    });
    expect((await cli(["config", "delete-context", "broken"], { env: cfgEnv })).code).toBe(EXIT.OK);
    const none = await cli(["config", "current-context"], { env: cfgEnv });
    expect(none.code).toBe(EXIT.USAGE);
    const unknown = await cli(["--context", "nope", "pipelines", "list"], { env: cfgEnv });
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(unknown.stderr).toContain('no context "nope" (known: local)');
  });

  it("no host anywhere: a usage error that says how to give one", async () => {
    const r = await cli(["pipelines", "list"], { env: { KFP_TS_CONFIG: isolatedConfig() } });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain("no KFP server given: pass --host URL, set KFP_HOST");
  });
});

describe("tables", () => {
  it("fit the terminal: long names are cut with …; piped output is never cut", async () => {
    const long = `a-very-long-pipeline-name-${"x".repeat(80)}`;
    await cli([...host, "pipelines", "create", "-p", long, EXAMPLE], { env });
    const tty = await cli([...host, "pipelines", "list", "-m", "200"], {
      env,
      stdoutTTY: true,
      columns: 100,
    });
    const lines = tty.stdout.trimEnd().split("\n");
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    // NAME and DISPLAY NAME share what is left, evenly: (100 - 36 - 19 - 3 gaps × 3) / 2 = 18 each.
    expect(tty.stdout).toMatch(/ {3}a-very-long-pipel… {3}a-very-long-pipel… {3}\d{4}-/);
    const piped = await cli([...host, "pipelines", "list", "-m", "200"], { env, columns: 100 });
    expect(piped.stdout).toContain(long);
    // Times are local: the CREATED column is the local rendering of created_at.
    const json = JSON.parse(
      (await cli([...host, "-o", "json", "pipelines", "list", "-m", "200"], { env })).stdout,
    ) as {
      name: string;
      created_at: string;
    }[];
    const p = json.find((x) => x.name === long)!;
    const d = new Date(p.created_at);
    const two = (n: number) => String(n).padStart(2, "0");
    const local = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    expect(piped.stdout.split("\n").find((l) => l.includes(long))).toContain(local);
  });
});

describe("doctor, version, completion, requests, help", () => {
  it("doctor passes against the emulator and fails (exit 1) on a closed port, with -o json", async () => {
    const ok = await cli([...host, "doctor"], { env });
    expect(ok.code).toBe(EXIT.OK);
    expect(ok.stdout).toMatch(/✓ pass {2}reachable/);
    expect(ok.stdout).toMatch(/api +v2, v2beta1, v1beta1 served; using v2/);
    const bad = await cli(["--host", "http://127.0.0.1:9", "-o", "json", "doctor"], { env });
    expect(bad.code).toBe(EXIT.FAILED);
    const report = JSON.parse(bad.stdout) as {
      ok: boolean;
      checks: { check: string; ok: boolean; fix?: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.check === "reachable")).toMatchObject({ ok: false });
    expect(report.checks.find((c) => c.check === "reachable")?.fix).toContain("port-forward");
  });

  it("doctor on a multi-user server without a namespace says to pass -n", async () => {
    const mu = await startEmulator({ port: 0, multiUser: true });
    try {
      const r = await cli(["--host", mu.url, "--token", "t", "doctor", "-o", "json"], { env });
      const report = JSON.parse(r.stdout) as { checks: { check: string; ok: boolean; fix?: string }[] };
      expect(r.code).toBe(EXIT.FAILED);
      expect(report.checks.at(-1)).toMatchObject({ check: "namespace", ok: false });
    } finally {
      await mu.close();
    }
  });

  it("version shows the client and the server", async () => {
    const r = await cli([...host, "version", "-o", "json"], { env });
    const v = JSON.parse(r.stdout) as { client: string; server: { api_version: string } };
    expect(v.client).toMatch(/^\d+\.\d+\.\d+/);
    // The library settles on v2beta1 with a 2.x server unless v2 is asked for.
    expect(v.server.api_version).toBe("v2beta1");
    const v2 = await cli([...host, "--api-version", "v2", "version", "-o", "json"], { env });
    expect(JSON.parse(v2.stdout).server.api_version).toBe("v2");
  });

  it("completion scripts list the groups and their subcommands", async () => {
    const bash = await cli(["completion", "bash"], { env });
    expect(bash.stdout).toContain("complete -F _kfp_ts kfp-ts");
    expect(bash.stdout).toContain(
      '"runs") words="create list get wait watch terminate retry archive unarchive delete',
    );
    const fish = await cli(["completion", "fish"], { env });
    expect(fish.stdout).toContain("complete -c kfp-ts -n '__fish_use_subcommand' -a 'pipelines'");
    expect((await cli(["completion", "tcsh"], { env })).code).toBe(EXIT.USAGE);
  });

  it("requests lists what the emulator received", async () => {
    const r = await cli([...host, "requests", "-o", "json"], { env });
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { path: string });
    expect(lines.some((l) => l.path.endsWith("/pipelines/upload"))).toBe(true);
  });

  it("requests --follow prints new requests as they come, until Ctrl+C (exit 0)", async () => {
    const signals = new EventEmitter();
    let sentProbe = false;
    const r = await cli([...host, "requests", "--follow", "--interval", "50", "-o", "json"], {
      env,
      signals,
      onStdout: (chunk) => {
        if (!sentProbe) {
          sentProbe = true;
          // A request after the first listing: it must show up in a later poll.
          void fetch(`${emu.url}/apis/v2beta1/healthz?probe=follow`);
        } else if (chunk.includes("probe") || chunk.includes('"path":"/apis/v2beta1/healthz"'))
          signals.emit("SIGINT");
      },
    });
    expect(r.code).toBe(EXIT.OK);
    const last = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { path: string; query: Record<string, string> });
    expect(last.some((q) => q.path === "/apis/v2beta1/healthz" && q.query.probe === "follow")).toBe(true);
  });

  it("every command's --help has an example and needs no server", async () => {
    const groups: Record<string, string[]> = {
      pipelines: [
        "create",
        "create-version",
        "publish",
        "list",
        "list-versions",
        "get",
        "get-version",
        "update",
        "delete",
        "delete-version",
        "download",
      ],
      experiments: ["create", "list", "get", "archive", "unarchive", "delete"],
      runs: [
        "create",
        "list",
        "get",
        "wait",
        "watch",
        "terminate",
        "retry",
        "archive",
        "unarchive",
        "delete",
        "read-artifact",
      ],
      "recurring-runs": ["create", "list", "get", "enable", "disable", "delete"],
      config: ["set-context", "use-context", "get-contexts", "current-context", "delete-context"],
    };
    for (const [g, subs] of Object.entries(groups)) {
      for (const s of subs) {
        const r = await cli([g, s, "--help"], { env: { KFP_HOST: "http://127.0.0.1:9" } });
        expect(r.code, `${g} ${s}`).toBe(EXIT.OK);
        expect(r.stdout, `${g} ${s}`).toMatch(/\nExamples?:\n {2}\$ kfp-ts /);
      }
    }
    for (const c of [
      "pipelines",
      "experiments",
      "runs",
      "recurring-runs",
      "config",
      "doctor",
      "version",
      "requests",
      "completion",
      "demo",
    ]) {
      expect((await cli([c, "--help"], { env })).stdout, c).toMatch(/\nExamples?:\n {2}\$ /);
    }
  });
});
