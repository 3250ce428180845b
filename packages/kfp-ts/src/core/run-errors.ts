/** Errors about runs: a run that ended badly, and run parameters that do not fit the pipeline. */
import type { RpcStatus, Run, RuntimeState } from "../types/runs.js";
import { KfpError, ValidationError } from "./errors.js";

/** A task that did not succeed, as carried by RunFailedError. */
export interface FailedTask {
  /** Task name (display name; v2 task name when no display name). */
  name: string;
  task_id?: string;
  state: string;
  /** The task's error message, when the server reports one. */
  error?: string;
}

/**
 * A run ended FAILED (or CANCELED): thrown by `runs.wait()` / `runs.createAndWait()` unless
 * `throwOnFailure: false`. Carries the final run and the failed tasks with their errors.
 */
export class RunFailedError extends KfpError {
  readonly run: Run;
  readonly runId: string;
  readonly state: RuntimeState;
  readonly failedTasks: FailedTask[];
  /** The run-level error, when the server set one (the Argo backend usually does not). */
  readonly runError: RpcStatus | undefined;

  constructor(run: Run, failedTasks: FailedTask[]) {
    const state = run.state ?? "FAILED";
    const name = run.display_name ? ` ("${run.display_name}")` : "";
    const parts: string[] = [];
    if (run.error?.message) parts.push(run.error.message);
    for (const t of failedTasks.slice(0, 5)) {
      parts.push(`task "${t.name}" ${t.state}${t.error ? `: ${t.error}` : ""}`);
    }
    if (failedTasks.length > 5) parts.push(`and ${failedTasks.length - 5} more failed tasks`);
    super(`Run ${run.run_id ?? "?"}${name} ended ${state}${parts.length ? `: ${parts.join("; ")}` : ""}`);
    this.name = "RunFailedError";
    this.run = run;
    this.runId = run.run_id ?? "";
    this.state = state;
    this.failedTasks = failedTasks;
    this.runError = run.error;
  }
}

/** One problem with a run parameter. */
export interface ParameterProblem {
  /** The parameter's name ("" when the whole parameters object is wrong). */
  parameter: string;
  /** missing: required and absent; unknown: not declared; type: wrong JSON kind or literal; not_allowed: cannot be given; default: the spec's default does not fit. */
  kind: "missing" | "unknown" | "type" | "not_allowed" | "default";
  /** The declared parameterType, when the parameter is declared. */
  expected?: string;
  message: string;
}

/** Run parameters do not fit the pipeline's root inputDefinitions. Lists every problem. */
export class ParameterError extends ValidationError {
  readonly problems: ParameterProblem[];
  /** Name of the first offending parameter. */
  readonly parameter: string | undefined;

  constructor(message: string, problems: ParameterProblem[]) {
    super(message, { field: problems[0]?.parameter ? `parameters.${problems[0].parameter}` : "parameters" });
    this.name = "ParameterError";
    this.problems = problems;
    this.parameter = problems[0]?.parameter || undefined;
  }
}
