/**
 * The task runner on real processes (issue 13): shell and plain commands, a missing binary, exit codes,
 * the timeout and abort killing the whole process group (nothing left: `kill(-pgid, 0)` throws ESRCH),
 * the output cap, a scrubbed environment, artifacts through files, and placeholder errors.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTaskRunner, taskPaths } from "../../packages/emulator/src/execute/runner.js";
import { executorOf, loadSpec, request, TEST_VENV_CACHE, tempRoot } from "./helpers/execute-task.js";
import { hasShared, repoRoot } from "./helpers/shared.js";

const runTask = createTaskRunner({ cacheDir: TEST_VENV_CACHE, killGraceMs: 300 });

/** Processes of group `pgid` that are not dead or zombies (Linux /proc). */
function liveMembers(pgid: number): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") out.push(`${pid}:${fields[0]}`);
  }
  return out;
}

function expectGroupGone(pgid: number): void {
  expect(Number.isInteger(pgid) && pgid > 1).toBe(true);
  expect(() => process.kill(-pgid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
}

describe.runIf(hasShared)("a plain command from a real package", () => {
  it("runs valid/hello_world.yaml's echo and keeps its log", async () => {
    const { container, component } = executorOf(loadSpec("hello_world.yaml"), "comp-echo");
    const chunks: string[] = [];
    const res = await runTask(request({ container, component, onLog: (c) => chunks.push(c) }));
    expect(res.error).toBeUndefined();
    expect(res.state).toBe("SUCCEEDED");
    expect(res.exitCode).toBe(0);
    expect(readFileSync(res.logPath, "utf8")).toBe("hello world\n");
    expect(chunks.join("")).toBe("hello world\n");
    expect(res.finishedAtMs).toBeGreaterThanOrEqual(res.startedAtMs);
  });

  it("names a binary this machine does not have (valid/container_with_if_placeholder.yaml's my_program)", async () => {
    const spec = loadSpec("container_with_if_placeholder.yaml");
    const { container, component } = executorOf(spec, "comp-container-with-if-placeholder");
    const res = await runTask(request({ container, component }));
    expect(res.state).toBe("FAILED");
    expect(res.exitCode).toBeUndefined();
    expect(res.error).toMatch(/^command not found: my_program \(/);
  });
});

describe("shell commands", () => {
  const secretName = "KFP_TS_TEST_FAKE_SECRET";
  beforeAll(() => {
    process.env[secretName] = "do-not-leak-7f3e";
  });
  afterAll(() => {
    delete process.env[secretName];
  });

  it("writes an output parameter file that is read back by its declared type", async () => {
    const res = await runTask(
      request({
        container: {
          command: ["sh", "-c", 'printf "%s!" "$0" > "$1"; printf "%s" 41 > "$2"; printf TRUE > "$3"'],
          args: [
            "{{$.inputs.parameters['text']}}",
            "{{$.outputs.parameters['said'].output_file}}",
            "{{$.outputs.parameters['n'].output_file}}",
            "{{$.outputs.parameters['ok'].output_file}}",
          ],
        },
        component: {
          inputDefinitions: { parameters: { text: { parameterType: "STRING", defaultValue: "hi" } } },
          outputDefinitions: {
            parameters: {
              said: { parameterType: "STRING" },
              n: { parameterType: "NUMBER_INTEGER" },
              ok: { parameterType: "BOOLEAN" },
            },
          },
        },
      }),
    );
    expect(res.error).toBeUndefined();
    expect(res.outputs.parameters).toEqual({ said: "hi!", n: 41, ok: true });
  });

  it("does not read back an output file an earlier attempt left in the same root", async () => {
    const req = request({
      container: {
        command: [
          "sh",
          "-c",
          'test -n "$1" || printf first > "$0"',
          "{{$.outputs.parameters['o'].output_file}}",
          "{{$.inputs.parameters['skip']}}",
        ],
      },
      component: { outputDefinitions: { parameters: { o: { parameterType: "STRING" } } } },
      inputs: { parameters: { skip: "" }, artifacts: {} },
    });
    expect((await runTask(req)).outputs.parameters).toEqual({ o: "first" });
    const again = await runTask({ ...req, inputs: { parameters: { skip: "yes" }, artifacts: {} } });
    expect(again.state).toBe("SUCCEEDED");
    expect(again.outputs.parameters).toEqual({});
  });

  it("fills run and task names, ids, times and the pipeline root from the request", async () => {
    const req = request({
      container: {
        command: ["echo", "{{$.pipeline_job_name}}|{{$.pipeline_job_resource_name}}|{{$.pipeline_job_uuid}}"],
        args: [
          "{{$.pipeline_task_name}}|{{$.pipeline_task_uuid}}|{{$.pipeline_job_create_time_utc}}|{{$.pipeline_root}}",
        ],
      },
      runDisplayName: "nightly",
      pipelineJobResourceName: "test-pipeline-q8x2k",
      runCreatedAtMs: Date.UTC(2026, 11, 7, 12, 0, 0),
    });
    const res = await runTask(req);
    expect(readFileSync(res.logPath, "utf8")).toBe(
      `nightly|test-pipeline-q8x2k|${req.runId} task|task-uuid-1|2026-12-07T12:00:00.000Z|${req.pipelineRoot}\n`,
    );
  });

  it("plain commands find `python` and `python3`: links to the configured interpreter, first on PATH", async () => {
    const res = await runTask(
      request({
        container: { command: ["sh", "-c", 'command -v python; command -v python3; python -c "print(6*7)"'] },
      }),
    );
    expect(res.error).toBeUndefined();
    expect(readFileSync(res.logPath, "utf8")).toBe(
      `${join(TEST_VENV_CACHE, "bin", "python")}\n${join(TEST_VENV_CACHE, "bin", "python3")}\n42\n`,
    );
  });

  it("fails a task whose output parameter file does not hold its declared type", async () => {
    const res = await runTask(
      request({
        container: {
          command: ["sh", "-c", 'printf "not json" > "$0"', "{{$.outputs.parameters['n'].output_file}}"],
        },
        component: { outputDefinitions: { parameters: { n: { parameterType: "NUMBER_INTEGER" } } } },
      }),
    );
    expect(res.state).toBe("FAILED");
    expect(res.exitCode).toBe(0);
    expect(res.error).toBe(`output parameter 'n' (NUMBER_INTEGER) is not valid JSON: "not json"`);
    expect(readFileSync(res.logPath, "utf8")).toBe(`${res.error}\n`);
  });

  it("fails with the exit code and the last line of output", async () => {
    const res = await runTask(
      request({ container: { command: ["sh", "-c", "echo working; echo boom >&2; exit 3"] } }),
    );
    expect(res.state).toBe("FAILED");
    expect(res.exitCode).toBe(3);
    expect(res.error).toBe("the command exited with code 3: boom");
    expect(readFileSync(res.logPath, "utf8")).toBe("working\nboom\n");
  });

  it("scrubs the environment: no emulator variable, HOME and TMPDIR per task, the component's env", async () => {
    const req = request({
      container: { command: ["sh", "-c", "env; pwd"], env: [{ name: "GREETING", value: "hello" }] },
    });
    const res = await runTask(req);
    expect(res.state).toBe("SUCCEEDED");
    const log = readFileSync(res.logPath, "utf8");
    expect(log).not.toContain("do-not-leak-7f3e");
    expect(log).not.toContain(secretName);
    const paths = taskPaths(req.taskRoot);
    expect(log).toContain(`HOME=${paths.tmp}\n`);
    expect(log).toContain(`TMPDIR=${paths.tmp}\n`);
    expect(log).toContain("GREETING=hello\n");
    expect(log.trim().split("\n").pop()).toBe(paths.work);
    const names = log
      .split("\n")
      .filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
      .map((l) => l.slice(0, l.indexOf("=")));
    // sh adds PWD (and may add OLDPWD/SHLVL); nothing else of the emulator's environment.
    expect(names.filter((n) => !["PWD", "OLDPWD", "SHLVL", "_"].includes(n)).sort()).toEqual(
      ["GREETING", "HOME", "LANG", "PATH", "TMPDIR"].sort(),
    );
  });

  it("passes artifacts as files: an input artifact's path in, an output artifact's uri back", async () => {
    const root = tempRoot();
    const inFile = join(root, "upstream", "data");
    mkdirSync(join(root, "upstream"));
    writeFileSync(inFile, "3\n4\n");
    const res = await runTask(
      request(
        {
          container: {
            command: ["sh", "-c", 'sort -r "$0" > "$1"'],
            args: ["{{$.inputs.artifacts['data'].path}}", "{{$.outputs.artifacts['sorted'].path}}"],
          },
          component: {
            outputDefinitions: {
              artifacts: {
                sorted: { artifactType: { schemaTitle: "system.Dataset", schemaVersion: "0.0.1" } },
              },
            },
          },
          inputs: {
            parameters: {},
            artifacts: {
              data: [{ name: "data", type: { schemaTitle: "system.Dataset" }, uri: inFile, metadata: {} }],
            },
          },
        },
        root,
      ),
    );
    expect(res.error).toBeUndefined();
    const [out] = res.outputs.artifacts.sorted ?? [];
    expect(out).toEqual({
      name: "sorted",
      type: { schemaTitle: "system.Dataset", schemaVersion: "0.0.1" },
      uri: join(root, "task", "sorted"),
      metadata: {},
    });
    expect(readFileSync(out?.uri ?? "", "utf8")).toBe("4\n3\n");
  });

  it("fails, without running, on a placeholder for an input the task does not have", async () => {
    const res = await runTask(
      request({ container: { command: ["echo", "{{$.inputs.parameters['missing']}}"] } }),
    );
    expect(res.state).toBe("FAILED");
    expect(res.error).toBe(
      "{{$.inputs.parameters['missing']}}: input parameter 'missing' has no value and no default",
    );
    // Nothing ran; the log says why (the log endpoint shows it).
    expect(readFileSync(res.logPath, "utf8")).toBe(`${res.error}\n`);
  });

  it("fails on an argument over 128 KiB", async () => {
    const res = await runTask(
      request({
        container: { command: ["echo", "{{$.inputs.parameters['big']}}"] },
        inputs: { parameters: { big: "x".repeat(200 * 1024) }, artifacts: {} },
      }),
    );
    expect(res.state).toBe("FAILED");
    expect(res.error).toMatch(/^argument 1 is 204800 bytes after placeholder substitution, over the 128 KiB/);
  });
});

describe("limits and cancellation kill the whole process group", () => {
  it("times out a task that never ends; SIGTERM ignored, SIGKILL after the grace; no process left", async () => {
    const root = tempRoot();
    const pidFile = join(root, "pid");
    const res = await runTask(
      request(
        {
          container: {
            command: ["sh", "-c", 'trap "" TERM; echo $$ > "$0"; sleep 1000 & sleep 1000 & wait', pidFile],
          },
          limits: { timeoutMs: 400, maxOutputBytes: 1 << 20 },
        },
        root,
      ),
    );
    expect(res.state).toBe("FAILED");
    expect(res.error).toBe("timed out after 0.4s");
    expect(res.exitCode).toBeUndefined();
    expectGroupGone(Number(readFileSync(pidFile, "utf8")));
  });

  it("caps a task that prints 100 MB: the log keeps the cap, the task fails and is stopped", async () => {
    const cap = 1 << 20;
    const t0 = Date.now();
    const res = await runTask(
      request({
        container: { command: ["sh", "-c", "head -c 104857600 /dev/zero | tr '\\0' x; echo done"] },
        limits: { timeoutMs: 20_000, maxOutputBytes: cap },
      }),
    );
    expect(res.state).toBe("FAILED");
    expect(res.error).toBe(`output over ${cap} bytes (the cap on a task's log); the task was stopped`);
    expect(statSync(res.logPath).size).toBe(cap);
    expect(readFileSync(res.logPath, "utf8")).not.toContain("done");
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it("abort (terminate) kills the group and resolves CANCELED", async () => {
    const root = tempRoot();
    const pidFile = join(root, "pid");
    const ac = new AbortController();
    const res = await runTask(
      request(
        {
          container: { command: ["sh", "-c", 'echo $$ > "$0"; echo started; sleep 1000 & wait', pidFile] },
          signal: ac.signal,
          onLog: (chunk) => {
            if (chunk.includes("started")) ac.abort();
          },
        },
        root,
      ),
    );
    expect(res.state).toBe("CANCELED");
    expect(res.error).toBe("canceled: the run was terminated");
    expectGroupGone(Number(readFileSync(pidFile, "utf8")));
  });

  it("the emulator's process exiting kills the tasks it still runs", () => {
    const root = tempRoot();
    const pidFile = join(root, "pid");
    const processJs = pathToFileURL(join(repoRoot, "packages/emulator/dist/execute/process.js")).href;
    // A separate Node process (the emulator) starts a task that never ends, then exits once it started.
    const script = `
      import { runProcess } from ${JSON.stringify(processJs)};
      void runProcess({
        argv: ["sh", "-c", 'echo $$ > "$0"; echo started; sleep 1000 & sleep 1000', ${JSON.stringify(pidFile)}],
        cwd: ${JSON.stringify(root)}, env: { PATH: process.env.PATH }, logPath: ${JSON.stringify(join(root, "log"))},
        timeoutMs: 60000, maxOutputBytes: 65536, signal: new AbortController().signal,
        onLog: (c) => { if (c.includes("started")) process.exit(0); },
      });`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      timeout: 20_000,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const pgid = Number(readFileSync(pidFile, "utf8"));
    expect(pgid).toBeGreaterThan(1);
    // Killed at once; what init has not reaped yet is a zombie, not a running process.
    expect(liveMembers(pgid)).toEqual([]);
  });

  it("does not start a task whose signal is already aborted", async () => {
    const ac = new AbortController();
    ac.abort();
    const root = tempRoot();
    const res = await runTask(
      request(
        { container: { command: ["sh", "-c", 'touch "$0"', join(root, "ran")] }, signal: ac.signal },
        root,
      ),
    );
    expect(res.state).toBe("CANCELED");
    expect(existsSync(join(root, "ran"))).toBe(false);
  });
});
