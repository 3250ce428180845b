/**
 * The contract between the execute engine's two halves (issue 13):
 * - the DAG driver (engine/executed.ts and execute/dag*.ts) walks a run's DAG on real values and
 *   decides which task runs next, with which inputs;
 * - the task runner (execute/runner.ts and its helpers) runs ONE task as a local process, by the
 *   protocol in ../shared/kfp-api/EXECUTION.md, and reads its outputs back.
 * Neither half imports the other's internals: only this file.
 */

/** An artifact as the executor sees it (`inputs.artifacts[k].artifacts[]`). */
export interface ArtifactRef {
  name: string;
  /** e.g. `{ schemaTitle: "system.Dataset", schemaVersion: "0.0.1" }` */
  type: { schemaTitle: string; schemaVersion?: string };
  /** Local runs: an absolute file path (or a `file://`-less path under the pipeline root). */
  uri: string;
  metadata: Record<string, unknown>;
}

/** Everything the runner needs to run one task attempt. */
export interface TaskRunRequest {
  runId: string;
  /** The pipeline's name (`pipelineInfo.name`), for `{{$.pipeline_job_name}}` and friends. */
  pipelineName: string;
  /** The run's display name, for `{{$.pipeline_job_name}}` (optional; else the run's resource name). */
  runDisplayName?: string;
  /**
   * The run's resource name (the workflow name the run reports), for
   * `{{$.pipeline_job_resource_name}}` (optional; else `<pipeline-name>-<first 5 of runId>`).
   */
  pipelineJobResourceName?: string;
  /** When the run was created (ms), for `{{$.pipeline_job_create_time_utc}}` (optional; else task start). */
  runCreatedAtMs?: number;
  /** The task's name in its DAG (`pipeline_task_name`). */
  taskName: string;
  /** A unique id for this task attempt (`{{$.pipeline_task_uuid}}`). */
  taskId: string;
  /** `deploymentSpec.executors[<executorLabel>].container` as in the spec (image, command, args, env…). */
  container: Record<string, unknown>;
  /** `components[<componentRef>]` (inputDefinitions, outputDefinitions). */
  component: Record<string, unknown>;
  /** Resolved inputs. Parameters are JSON values (NUMBER_INTEGER kept an integer). */
  inputs: {
    parameters: Record<string, unknown>;
    artifacts: Record<string, ArtifactRef[]>;
  };
  /** The run's pipeline root directory (absolute). */
  pipelineRoot: string;
  /** A directory unique to this DAG path, iteration and attempt (absolute; the runner creates it). */
  taskRoot: string;
  limits: {
    /** Kill the task's process group after this long. */
    timeoutMs: number;
    /** Cap on the bytes of stdout+stderr kept; beyond it output is dropped and the task fails. */
    maxOutputBytes: number;
  };
  /** Stops the task (terminate): the runner kills the whole process group and resolves CANCELED. */
  signal: AbortSignal;
  /** Live log lines (stdout and stderr interleaved as they arrive), for the log endpoint. */
  onLog?: (chunk: string) => void;
  /** Progress of slow one-time work (creating a venv), for the emulator's log. */
  onProgress?: (message: string) => void;
}

export interface TaskRunResult {
  state: "SUCCEEDED" | "FAILED" | "CANCELED";
  /** Process exit code when it exited; undefined when it never started or was killed. */
  exitCode?: number;
  /** Why it failed, in words a user can act on (a missing binary is named; a timeout says so). */
  error?: string;
  outputs: {
    parameters: Record<string, unknown>;
    artifacts: Record<string, ArtifactRef[]>;
  };
  /** Path of the file holding the task's whole (capped) log. */
  logPath: string;
  startedAtMs: number;
  finishedAtMs: number;
}

/** Runs one task attempt. Implemented by execute/runner.ts. */
export type TaskRunner = (req: TaskRunRequest) => Promise<TaskRunResult>;
