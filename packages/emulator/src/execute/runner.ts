/**
 * Runs ONE task attempt as a local process (the `TaskRunner` of execute/task.ts):
 * executor input → argv with placeholders resolved → (Lightweight Python: venv) → process → outputs.
 *
 * Use: `const runTask = createTaskRunner({ cacheDir: join(stateDir, "venvs") })`, once per emulator;
 * the runner keeps its venv cache and the interpreter it inspected. Options:
 * - `cacheDir`: where venvs live (`<cacheDir>/<hash>`), created on demand;
 * - `python`: the interpreter venvs are made from (default `python3` on PATH), or a list tried in
 *   order (the first that runs wins: e.g. `["python3", "<some venv>/bin/python"]` as a fallback);
 * - `killGraceMs`: SIGTERM → SIGKILL grace (default 2 s).
 *
 * Layout under `taskRoot`: outputs by their names (`<k>`, `executor_output.json`), and the task's own
 * `.task/work` (cwd), `.task/tmp` (HOME and TMPDIR) and `.task/log`. Output names are identifiers,
 * so they never collide with `.task`.
 *
 * Environment: nothing of the emulator's but PATH (with the venv's `bin`, then `<cacheDir>/bin`
 * holding `python`/`python3` links to the interpreter, first) and LANG; HOME/TMPDIR per task; the
 * component's `container.env` (PATH, HOME, TMPDIR and LANG stay ours); and for Python components
 * `_KFP_RUNTIME=true` and `PYTHONUNBUFFERED=1` (so logs are live). `image` is not used: commands run
 * as they are on this machine (a missing binary fails the task naming it and the image).
 *
 * Results: SUCCEEDED (exit 0, outputs read); FAILED with `error` (exit code and last output line,
 * "timed out after Ns", "output over N bytes…", "command not found: <name> …", a placeholder or venv
 * problem; whatever failed before the process started is also written to the log); CANCELED when
 * `signal` aborts (the group is killed first). Never throws for a task's own problems.
 */
import { appendFile, mkdir, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { asRecord, field } from "../template/params.js";
import { buildExecutorInput, type ExecutorInput } from "./executor-input.js";
import { OutputError, readOutputs } from "./outputs.js";
import {
  type PlaceholderContext,
  PlaceholderError,
  resolveArgv,
  resolveSelfReferences,
  workspaceDir,
} from "./placeholders.js";
import { findExecutable, type ProcessOutcome, runProcess } from "./process.js";
import {
  type Interpreter,
  inspectInterpreter,
  PythonEnvError,
  parsePythonCommand,
  VenvManager,
} from "./python-env.js";
import type { TaskRunner, TaskRunRequest, TaskRunResult } from "./task.js";

export interface TaskRunnerOptions {
  /** Directory of the venv cache (the emulator's `<stateDir>/venvs`). */
  cacheDir: string;
  /** Interpreter the venvs are made from (default `python3`); a list is tried in order. */
  python?: string | readonly string[];
  /** Grace between SIGTERM and SIGKILL of a task's group (default 2000 ms). */
  killGraceMs?: number;
}

/** The files and directories of one task attempt under its root. */
export function taskPaths(taskRoot: string): { work: string; tmp: string; log: string } {
  return {
    work: join(taskRoot, ".task", "work"),
    tmp: join(taskRoot, ".task", "tmp"),
    log: join(taskRoot, ".task", "log"),
  };
}

function containerEnv(container: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const env = field(container, "env");
  if (!Array.isArray(env)) return out;
  for (const e of env) {
    const r = asRecord(e);
    const name = field(r, "name");
    const value = field(r, "value");
    if (typeof name === "string" && name) out[name] = typeof value === "string" ? value : String(value ?? "");
  }
  return out;
}

function asStrings(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function outcomeError(o: ProcessOutcome, req: TaskRunRequest, logTail: string): string | undefined {
  switch (o.kind) {
    case "exited":
      return o.exitCode === 0 ? undefined : `the command exited with code ${o.exitCode}${logTail}`;
    case "signaled":
      return `the command was killed by ${o.signal}${logTail}`;
    case "timeout":
      return `timed out after ${Math.round(req.limits.timeoutMs / 100) / 10}s`;
    case "aborted":
      return "canceled: the run was terminated";
    case "overflow":
      return `output over ${req.limits.maxOutputBytes} bytes (the cap on a task's log); the task was stopped`;
    case "spawn-error":
      return `the command could not start: ${o.message}`;
  }
}

/** `p`'s value, or undefined as soon as `signal` aborts (p still runs to its end). */
async function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return undefined;
  let onAbort = () => {};
  const aborted = new Promise<undefined>((r) => {
    onAbort = () => r(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * A directory with `python` and `python3` pointing at the interpreter, first on every task's PATH:
 * components written for a `python:3.x` image call either name, and a machine may have only one
 * (Debian has no `python`) or a slow wrapper (pyenv shims). Made once, atomically (symlink + rename).
 */
async function pythonShims(dir: string, executable: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const name of ["python", "python3"]) {
    const link = join(dir, name);
    try {
      if ((await readlink(link)) === executable) continue;
    } catch {
      // missing: made below
    }
    const tmp = `${link}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await symlink(executable, tmp);
    await rename(tmp, link);
  }
  return dir;
}

/** The first of `candidates` that runs; the error names them all when none does. */
async function firstInterpreter(candidates: readonly string[]): Promise<Interpreter> {
  const errors: string[] = [];
  for (const c of candidates) {
    try {
      return await inspectInterpreter(c);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  throw new PythonEnvError(
    errors.length ? `no usable Python interpreter: ${errors.join("; ")}` : "no Python interpreter configured",
  );
}

/** A runner bound to a venv cache; see the file comment. */
export function createTaskRunner(opts: TaskRunnerOptions): TaskRunner {
  let interpreter: Promise<Interpreter> | undefined;
  const getInterpreter = () => {
    interpreter ??= firstInterpreter(
      typeof opts.python === "string" ? [opts.python] : (opts.python ?? ["python3"]),
    );
    interpreter.catch(() => {
      interpreter = undefined;
    });
    return interpreter;
  };
  const venvs = new VenvManager({ cacheDir: opts.cacheDir, interpreter: getInterpreter });
  let shims: Promise<string> | undefined;
  const getPythonShims = () => {
    shims ??= getInterpreter().then((py) => pythonShims(join(opts.cacheDir, "bin"), py.executable));
    shims.catch(() => {
      shims = undefined;
    });
    return shims;
  };

  return async function runTask(req: TaskRunRequest): Promise<TaskRunResult> {
    const startedAtMs = Date.now();
    const paths = taskPaths(req.taskRoot);
    const empty = { parameters: {}, artifacts: {} };
    const done = (r: Omit<TaskRunResult, "logPath" | "startedAtMs" | "finishedAtMs">): TaskRunResult => ({
      ...r,
      logPath: paths.log,
      startedAtMs,
      finishedAtMs: Date.now(),
    });
    // Failing before the process starts: the log says why, so the log endpoint shows it too.
    const fail = async (error: string): Promise<TaskRunResult> => {
      await writeFile(paths.log, `${error}\n`).catch(() => undefined);
      return done({ state: "FAILED", error, outputs: empty });
    };
    const canceledBeforeStart = () =>
      done({ state: "CANCELED", error: "canceled before it started", outputs: empty });
    if (req.signal.aborted) return canceledBeforeStart();

    await mkdir(paths.work, { recursive: true });
    await mkdir(paths.tmp, { recursive: true });

    let ei: ExecutorInput;
    let argv: string[];
    try {
      ei = buildExecutorInput(req);
      const ctx: PlaceholderContext = {
        executorInput: ei,
        pipelineName: req.pipelineName,
        runId: req.runId,
        taskName: req.taskName,
        taskId: req.taskId,
        pipelineRoot: req.pipelineRoot,
        workspacePath: workspaceDir(req.pipelineRoot),
        ...(req.runDisplayName ? { runDisplayName: req.runDisplayName } : {}),
        ...(req.pipelineJobResourceName ? { jobResourceName: req.pipelineJobResourceName } : {}),
        createTimeUtc: new Date(req.runCreatedAtMs ?? startedAtMs).toISOString(),
      };
      resolveSelfReferences(ctx);
      const elements = [
        ...asStrings(field(req.container, "command")),
        ...asStrings(field(req.container, "args")),
      ];
      argv = resolveArgv(elements, ctx);
      if (argv.some((a) => a.includes(ctx.workspacePath)))
        await mkdir(ctx.workspacePath, { recursive: true });
    } catch (e) {
      if (e instanceof PlaceholderError) return fail(e.message);
      throw e;
    }
    // Output artifacts' parent directories exist before the task writes them; output files left by
    // an earlier attempt in the same root must not be read back as this attempt's.
    for (const list of Object.values(ei.outputs.artifacts)) {
      for (const a of list.artifacts) await mkdir(dirname(a.uri), { recursive: true });
    }
    for (const f of [
      ei.outputs.outputFile,
      ...Object.values(ei.outputs.parameters).map((p) => p.outputFile),
    ]) {
      await rm(f, { force: true });
    }

    const env: Record<string, string> = {};
    const pathDirs: string[] = [];
    const python = parsePythonCommand(argv);
    if (python) {
      try {
        // A terminate while a venv is being made cancels the task; the venv is still finished for later.
        const bin = await untilAborted(venvs.ensure(python, req.onProgress), req.signal);
        if (bin === undefined) return canceledBeforeStart();
        pathDirs.push(bin);
      } catch (e) {
        if (e instanceof PythonEnvError) return fail(e.message);
        throw e;
      }
      argv = python.argv;
    }
    if (req.signal.aborted) return canceledBeforeStart();
    try {
      pathDirs.push(await getPythonShims());
    } catch {
      // No usable Python: plain commands still run.
    }
    const PATH = [...pathDirs, ...(process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":")]
      .filter((d, i, all) => d && all.indexOf(d) === i)
      .join(":");
    Object.assign(env, containerEnv(req.container), {
      PATH,
      HOME: paths.tmp,
      TMPDIR: paths.tmp,
      LANG: process.env.LANG || "C.UTF-8",
    });
    if (python) Object.assign(env, { _KFP_RUNTIME: "true", PYTHONUNBUFFERED: "1" });

    const bin = argv[0];
    if (!bin) return fail("the component has no command to run (empty command and args)");
    if (!findExecutable(bin, env.PATH ?? "", paths.work)) {
      return fail(
        `command not found: ${bin} (the task runs on this machine, not in its image` +
          `${typeof req.container.image === "string" ? ` ${req.container.image}` : ""}; install ${bin} or put it on PATH)`,
      );
    }

    let tail = "";
    const outcome = await runProcess({
      argv,
      cwd: paths.work,
      env,
      logPath: paths.log,
      timeoutMs: req.limits.timeoutMs,
      maxOutputBytes: req.limits.maxOutputBytes,
      signal: req.signal,
      killGraceMs: opts.killGraceMs,
      onLog: (chunk) => {
        tail = (tail + chunk).slice(-2_000);
        req.onLog?.(chunk);
      },
    });
    const lastLine = tail.trim().split("\n").pop()?.trim().slice(-300);
    const error = outcomeError(outcome, req, lastLine ? `: ${lastLine}` : "");
    const exitCode = outcome.kind === "exited" ? outcome.exitCode : undefined;
    if (outcome.kind === "aborted") return done({ state: "CANCELED", error, outputs: empty });
    if (error !== undefined) return done({ state: "FAILED", exitCode, error, outputs: empty });
    try {
      return done({ state: "SUCCEEDED", exitCode, outputs: await readOutputs(req.component, ei) });
    } catch (e) {
      if (e instanceof OutputError) {
        await appendFile(paths.log, `${e.message}\n`).catch(() => undefined);
        return done({ state: "FAILED", exitCode, error: e.message, outputs: empty });
      }
      throw e;
    }
  };
}

let defaultRunner: TaskRunner | undefined;

/**
 * A runner with default options (venvs under `<os tmp>/kfp-ts-emulator/venvs`). The emulator makes
 * its own with `createTaskRunner` so venvs live in its state directory.
 */
export const runTask: TaskRunner = (req) => {
  defaultRunner ??= createTaskRunner({ cacheDir: join(tmpdir(), "kfp-ts-emulator", "venvs") });
  return defaultRunner(req);
};
