/**
 * Runs: create (from a stored pipeline version or an inline spec/package, parameters checked before
 * sending), get, list, archive, unarchive, delete, terminate, retry, read an artifact or a node's log,
 * the task tree, and `wait` / `createAndWait`.
 *
 * Run creation is never retried once the body may have reached the server: runs are not unique by name
 * and the API has no idempotency key, so an unknown outcome cannot be reconciled. The transport then
 * raises a ConnectionError with `outcomeUnknown: true`; list the experiment's runs to find out.
 */
import { platform } from "#platform";
import type { CallOptions, Kfp } from "../client.js";
import { NotFoundError, ServerError, ValidationError } from "../core/errors.js";
import type { FilterBuilder, FilterObject, RunFilterKeys } from "../core/filters.js";
import type { PagePromise } from "../core/pagination.js";
import { type TaskTree, taskTree } from "../core/tasks.js";
import { type WaitOptions, waitForRun } from "../core/wait.js";
import type { Run } from "../types/runs.js";
import { adapterOf } from "./routes/adapter.js";
import type { RunAction, RunRoutes } from "./routes/runs.js";
import {
  type RunConfigParams,
  resolveListScope,
  resolveRunTarget,
  resolveSource,
  runtimeConfig,
} from "./run-source.js";
import { callOpts, type ListParams, lazyList, optionalString, requireString } from "./shared.js";

export interface RunCreateParams extends RunConfigParams {
  /** Required by the server (an empty name is a 500 there). */
  display_name: string;
  description?: string;
  /** Required in multi-user mode (the run's namespace is its experiment's). Else the default experiment. */
  experiment_id?: string;
  /** Use (or create) the experiment with this name instead of `experiment_id`. */
  experiment_name?: string;
  /** Namespace for `experiment_name` and `pipeline_name` lookups (defaults to the client's). */
  namespace?: string;
}

export interface RunListParams
  extends ListParams<FilterBuilder<RunFilterKeys> | FilterObject<RunFilterKeys>> {
  /** Multi-user mode needs a namespace or an experiment_id (the namespace is then the experiment's). */
  namespace?: string;
  experiment_id?: string;
  /** v2 only: `FULL` fills `tasks` of each run. */
  view?: "DEFAULT" | "FULL";
}

export interface RunGetOptions extends CallOptions {
  /** v2 only: `FULL` fills `tasks`. Default: FULL on v2 (cheap for one run), ignored elsewhere. */
  view?: "DEFAULT" | "FULL";
}

/** An artifact read through the API: the decoded bytes. */
export interface RunArtifact {
  data: Uint8Array;
  /** The bytes as UTF-8 text. */
  text(): string;
}

/** Runs: `kfp.runs` (create, read, list, wait, act on runs). */
export class Runs {
  readonly #client: Kfp;
  constructor(client: Kfp) {
    this.#client = client;
  }

  /**
   * Create a run. Exactly one pipeline source: `pipeline_id` (+ `pipeline_version_id` | `version_name`, or
   * alone for the latest version), `pipeline_name` (+ `version_name`), `pipeline_spec`, or `package`.
   * Parameters are checked against the spec's root inputDefinitions first (ParameterError names each problem).
   */
  async create(params: RunCreateParams, opts?: CallOptions): Promise<Run> {
    const { routes, fields } = await this.#createFields(params, opts);
    return routes.create(this.#client, fields, callOpts(opts));
  }

  /** Create a run, then wait for it (see `wait`). */
  async createAndWait(params: RunCreateParams, waitOpts?: WaitOptions): Promise<Run> {
    const callOptions: CallOptions = {};
    if (waitOpts?.signal) callOptions.signal = waitOpts.signal;
    const run = await this.create(params, callOptions);
    return this.wait(run.run_id, waitOpts);
  }

  /** Get a run by id (on `/apis/v2` with its tasks: `view: "FULL"` by default). */
  async get(runId: string, opts?: RunGetOptions): Promise<Run> {
    requireString(runId, "runId", "run id");
    return (await this.#routes(opts)).get(this.#client, runId, callOpts(opts), opts?.view);
  }

  /** One page (await) or every run (`for await`). */
  list(params?: RunListParams, opts?: CallOptions): PagePromise<Run> {
    return lazyList<Run>(this.#client, opts, async () => {
      const scope = await resolveListScope(this.#client, params, "runs", opts);
      return (await this.#routes(opts)).list(params, scope);
    });
  }

  /** Archive a run (it stays readable; lists include it unless filtered on storage_state). */
  async archive(runId: string, opts?: CallOptions): Promise<void> {
    await this.#action(runId, "archive", opts);
  }

  /** Unarchive a run (400 from the server when its experiment is archived). */
  async unarchive(runId: string, opts?: CallOptions): Promise<void> {
    await this.#action(runId, "unarchive", opts);
  }

  /** Terminate a PENDING/RUNNING/PAUSED run: it becomes CANCELING, then (Argo) FAILED. Else 400. */
  async terminate(runId: string, opts?: CallOptions): Promise<void> {
    await this.#action(runId, "terminate", opts);
  }

  /** Retry a failed run: it goes back to PENDING and re-runs the failed part. */
  async retry(runId: string, opts?: CallOptions): Promise<void> {
    await this.#action(runId, "retry", opts);
  }

  /** Delete a run. */
  async delete(runId: string, opts?: CallOptions): Promise<void> {
    requireString(runId, "runId", "run id");
    await (await this.#routes(opts)).delete(this.#client, runId, callOpts(opts));
  }

  /**
   * Read an artifact of a run's node (`GET /runs/{run}/nodes/{node}/artifacts/{name}:read`), decoded
   * from the server's base64.
   */
  async readArtifact(
    runId: string,
    nodeId: string,
    artifactName: string,
    opts?: CallOptions,
  ): Promise<RunArtifact> {
    requireString(runId, "runId", "run id");
    requireString(nodeId, "nodeId", "node id");
    requireString(artifactName, "artifactName", "artifact name");
    const routes = await this.#routes(opts);
    const res = await routes.readArtifact(this.#client, runId, nodeId, artifactName, callOpts(opts));
    const data = platform.fromBase64(res?.data ?? "");
    return { data, text: () => platform.utf8Decode(data) };
  }

  /**
   * Read a node's log as text (`GET /apis/v1alpha1/runs/{run}/nodes/{node}/log`; `/apis/v2/...` on the
   * stable API). `nodeId` is the pod of the task's executor: `executorNodes(run)` lists them (the
   * `child_tasks[].pod_name` of a v2beta1 task, the `EXECUTOR` pod of a v2 task). While the task runs,
   * the log so far. Works with either transport.
   *
   * No log (unknown run or node, a node without a log, a server that keeps none): NotFoundError. The
   * server answers those with HTTP 200 and an `{error_message, error_details}` body; that body becomes
   * the error, never the log text.
   *
   * @example
   * ```ts
   * const run = await kfp.runs.get(runId);
   * for (const { task, nodeId } of executorNodes(run)) {
   *   console.log(`== ${task}`, await kfp.runs.readLog(runId, nodeId));
   * }
   * ```
   */
  async readLog(runId: string, nodeId: string, opts?: CallOptions): Promise<string> {
    requireString(runId, "runId", "run id");
    requireString(nodeId, "nodeId", "node id");
    // The log route is outside the version prefix, so the version must be known before the call.
    const { runs } = await adapterOf(this.#client, opts, true);
    const target = runs.logPath(runId, nodeId);
    const text = await this.#client._send<string>({
      method: "GET",
      path: target,
      responseType: "text",
      ...callOpts(opts),
    });
    const failure = logErrorBody(text);
    if (failure === undefined) return text;
    const init = {
      status: 200,
      shortMessage: failure,
      body: text.length > 2000 ? `${text.slice(0, 2000)}…` : text,
      method: "GET",
      url: this.#client._transport.displayUrl(target),
      hint: "The server has no log for this node.",
    };
    if (/not found|no main-logs|not kept|restarted/i.test(failure)) throw new NotFoundError(init);
    throw new ServerError({ ...init, hint: "The server could not read this node's log." });
  }

  /** The run's tasks as a tree with counts per state (from task_details, v2 tasks, or the v1 workflow). */
  async tasks(runId: string, opts?: CallOptions): Promise<TaskTree> {
    return taskTree(await this.get(runId, { ...callOpts(opts), view: "FULL" }));
  }

  /**
   * Wait until the run reaches a terminal state (SUCCEEDED, FAILED, SKIPPED, CANCELED) or a state in
   * `until`. FAILED and CANCELED throw RunFailedError (with the failed tasks) unless
   * `throwOnFailure: false`; `timeout` → RunWaitTimeoutError; `signal` → AbortError. Transient errors
   * (connection, per-request timeout, 5xx, 429) are tolerated up to `maxConsecutiveErrors` in a row.
   */
  async wait(runId: string, opts?: WaitOptions): Promise<Run> {
    requireString(runId, "runId", "run id");
    const routes = await this.#routes(opts?.signal ? { signal: opts.signal } : undefined);
    const fetchRun = (o: { signal?: AbortSignal; timeout: number }): Promise<Run> => {
      const call: CallOptions = { timeout: o.timeout, maxRetries: 0 };
      if (o.signal) call.signal = o.signal;
      return routes.get(this.#client, runId, call, "FULL");
    };
    return waitForRun(runId, fetchRun, opts);
  }

  async #action(runId: string, verb: RunAction, opts?: CallOptions): Promise<void> {
    requireString(runId, "runId", "run id");
    await (await this.#routes(opts)).action(this.#client, runId, verb, callOpts(opts));
  }

  /** The routes of the client's API version (learned by the first call in auto mode). */
  async #routes(opts: CallOptions | undefined): Promise<RunRoutes> {
    return (await adapterOf(this.#client, opts)).runs;
  }

  /** The checked fields of a create, and the routes of the API version they were resolved for. */
  async #createFields(params: RunCreateParams, opts?: CallOptions) {
    if (params === null || typeof params !== "object") {
      throw new ValidationError("runs.create needs an object of parameters", { field: "params" });
    }
    const displayName = requireString(params.display_name, "display_name", "run display_name");
    const description = optionalString(params.description, "description");
    const serviceAccount = optionalString(params.service_account, "service_account");
    const { namespace, experimentId } = await resolveRunTarget(
      this.#client,
      params,
      "The server runs in multi-user mode: a run needs an experiment (its namespace is the experiment's). " +
        "Pass experiment_id, or experiment_name with a namespace (e.g. kfp.withNamespace(ns).runs.create({ experiment_name, ... })).",
      opts,
    );
    const routes = await this.#routes(opts);
    const source = await resolveSource(this.#client, routes.specAsText, params, namespace, opts);
    const fields = {
      display_name: displayName,
      description,
      experiment_id: experimentId,
      source,
      runtime_config: runtimeConfig(params, source),
      service_account: serviceAccount,
    };
    return { routes, fields };
  }
}

/**
 * The server's error inside a 200 log answer (upstream writes the status before reading the log, so
 * failures come as `{"error_message": ..., "error_details": ...}` with status 200), else undefined.
 */
function logErrorBody(text: string): string | undefined {
  if (!text.startsWith('{"error_message":')) return undefined;
  try {
    const body = JSON.parse(text) as { error_message?: unknown; error_details?: unknown };
    if (typeof body.error_message === "string" && "error_details" in body) return body.error_message;
  } catch {}
  return undefined;
}
