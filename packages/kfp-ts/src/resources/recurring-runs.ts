/**
 * Recurring runs (`/recurringruns`; v1beta1 `jobs` through the adapter of routes/recurring-runs.ts):
 * create, get, list, enable, disable, delete. The server's rules are checked before sending (FACTS
 * §7.5): exactly one of cron and interval; cron parsed like robfig/cron v1.2.0 (six fields, seconds
 * first; a five-field Unix cron is accepted by the server but read seconds-first, so it is converted
 * or warned about, see `cronFormat`); interval ≥ 1 s; max_concurrency 1..10; start before end.
 */
import type { CallOptions, Kfp } from "../client.js";
import { ValidationError } from "../core/errors.js";
import type { FilterBuilder, FilterObject, RecurringRunFilterKeys } from "../core/filters.js";
import type { PagePromise } from "../core/pagination.js";
import { checkCron, unixCronToKfp } from "../core/schedule.js";
import { compact } from "../internal/values.js";
import type { DeletePropagationPolicy, RecurringRun, Trigger } from "../types/runs.js";
import { adapterOf } from "./routes/adapter.js";
import type { RecurringRunRoutes } from "./routes/recurring-runs.js";
import {
  type RunConfigParams,
  resolveListScope,
  resolveRunTarget,
  resolveSource,
  runtimeConfig,
} from "./run-source.js";
import { callOpts, type ListParams, lazyList, optionalString, requireString, toRfc3339 } from "./shared.js";

export interface RecurringRunCreateParams extends RunConfigParams {
  display_name: string;
  description?: string;
  /** Required in multi-user mode. Else the default experiment. */
  experiment_id?: string;
  /** Use (or create) the experiment with this name. */
  experiment_name?: string;
  /** Namespace for `experiment_name` / `pipeline_name` lookups (defaults to the client's). */
  namespace?: string;
  /**
   * Cron schedule. Server syntax (robfig/cron v1.2.0): `second minute hour day-of-month month day-of-week`,
   * e.g. `0 0 9 * * 1-5`, or a descriptor (`@hourly`, `@every 2h`). See `cronFormat` for 5-field input.
   */
  cron?: string;
  /**
   * How to read a 5-field `cron`: `"kfp"` (default) sends it as is, as the server reads it — seconds
   * first, so `*\/5 * * * *` fires every 5 seconds — and logs a warning; `"unix"` treats it as a standard
   * Unix cron (`minute hour dom month dow`) and sends `0 <expr>`.
   */
  cronFormat?: "kfp" | "unix";
  /** Periodic schedule: every `interval` seconds (an integer ≥ 1). */
  interval?: number;
  start_time?: Date | string;
  end_time?: Date | string;
  /** Concurrent runs allowed, 1..10 (default 1; the server rejects 0/omitted). */
  max_concurrency?: number;
  /** Start missed runs after a pause (default true; `false` sends `no_catchup: true`). */
  catchup?: boolean;
  /** Default true. */
  enabled?: boolean;
}

export interface RecurringRunListParams
  extends ListParams<FilterBuilder<RecurringRunFilterKeys> | FilterObject<RecurringRunFilterKeys>> {
  /** Multi-user mode needs a namespace or an experiment_id. */
  namespace?: string;
  experiment_id?: string;
}

export interface RecurringRunDeleteOptions extends CallOptions {
  /** What happens to the runs it started (v2beta1/v2 only). */
  propagation_policy?: Exclude<DeletePropagationPolicy, "DELETE_PROPAGATION_POLICY_UNSPECIFIED">;
}

/** Build and check the trigger (exported for tests and the CLI). */
export function buildTrigger(
  params: Pick<RecurringRunCreateParams, "cron" | "cronFormat" | "interval" | "start_time" | "end_time">,
  warn?: (message: string) => void,
): Trigger {
  const hasCron = params.cron !== undefined;
  const hasInterval = params.interval !== undefined;
  if (hasCron === hasInterval) {
    throw new ValidationError(
      hasCron
        ? "pass either cron or interval, not both"
        : "a recurring run needs a schedule: pass cron or interval (seconds)",
      { field: hasCron ? "interval" : "cron" },
    );
  }
  const start = params.start_time !== undefined ? toRfc3339(params.start_time, "start_time") : undefined;
  const end = params.end_time !== undefined ? toRfc3339(params.end_time, "end_time") : undefined;
  if (start && end && Date.parse(start) >= Date.parse(end)) {
    throw new ValidationError(`start_time (${start}) must be before end_time (${end})`, {
      field: "end_time",
    });
  }
  if (hasInterval) {
    const n = params.interval;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
      throw new ValidationError(`interval must be a whole number of seconds ≥ 1, got ${String(n)}`, {
        field: "interval",
      });
    }
    return { periodic_schedule: compact({ interval_second: String(n), start_time: start, end_time: end }) };
  }
  if (typeof params.cron !== "string") throw new ValidationError("cron must be a string", { field: "cron" });
  const format = params.cronFormat ?? "kfp";
  if (format !== "kfp" && format !== "unix") {
    throw new ValidationError(`cronFormat must be "kfp" or "unix", got ${String(format)}`, {
      field: "cronFormat",
    });
  }
  let cron = params.cron.trim();
  let check = checkCron(cron);
  if (format === "unix" && !cron.startsWith("@")) {
    const converted = unixCronToKfp(cron);
    if (!converted) {
      throw new ValidationError(
        `cronFormat "unix" expects 5 fields (minute hour day-of-month month day-of-week), got ${JSON.stringify(params.cron)}`,
        { field: "cron" },
      );
    }
    cron = converted;
    check = checkCron(cron);
  }
  if (check.error) {
    throw new ValidationError(
      `cron ${JSON.stringify(params.cron)} is rejected by the server: ${check.error}. ` +
        'KFP uses six fields: second minute hour day-of-month month day-of-week (e.g. "0 30 9 * * 1-5"), or @hourly/@daily/@every 1h.',
      { field: "cron" },
    );
  }
  if (format === "kfp" && check.fields === 5) {
    warn?.(
      `cron "${cron}" has 5 fields: KFP reads it seconds-first (second minute hour day-of-month month), not as a Unix cron. ` +
        `If you meant a Unix cron, pass cronFormat: "unix" (sends "${unixCronToKfp(cron)}") or write six fields.`,
    );
  }
  return { cron_schedule: compact({ cron, start_time: start, end_time: end }) };
}

function checkMaxConcurrency(v: number | undefined): number {
  const n = v ?? 1;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 10) {
    throw new ValidationError(`max_concurrency must be an integer from 1 to 10, got ${String(v)}`, {
      field: "max_concurrency",
    });
  }
  return n;
}

/** Recurring runs (scheduled runs): `kfp.recurringRuns`. */
export class RecurringRuns {
  readonly #client: Kfp;
  constructor(client: Kfp) {
    this.#client = client;
  }

  /**
   * Create a recurring run. Pipeline source and parameters as for `runs.create`. Not retried once sent
   * (recurring runs are not unique by name, so an unknown outcome cannot be reconciled).
   */
  async create(params: RecurringRunCreateParams, opts?: CallOptions): Promise<RecurringRun> {
    if (params === null || typeof params !== "object") {
      throw new ValidationError("recurringRuns.create needs an object of parameters", { field: "params" });
    }
    const displayName = requireString(params.display_name, "display_name", "recurring run display_name");
    const description = optionalString(params.description, "description");
    const serviceAccount = optionalString(params.service_account, "service_account");
    const trigger = buildTrigger(params, (m) => this.#client._transport.log.warn(m));
    const maxConcurrency = checkMaxConcurrency(params.max_concurrency);
    if (params.catchup !== undefined && typeof params.catchup !== "boolean") {
      throw new ValidationError("catchup must be a boolean", { field: "catchup" });
    }
    if (params.enabled !== undefined && typeof params.enabled !== "boolean") {
      throw new ValidationError("enabled must be a boolean", { field: "enabled" });
    }
    const enabled = params.enabled ?? true;
    const { namespace, experimentId } = await resolveRunTarget(
      this.#client,
      params,
      "The server runs in multi-user mode: a recurring run needs an experiment (its namespace is the experiment's). " +
        "Pass experiment_id, or experiment_name with a namespace.",
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
      max_concurrency: maxConcurrency,
      trigger,
      enabled,
      no_catchup: params.catchup === false ? (true as const) : undefined,
    };
    return routes.create(this.#client, fields, callOpts(opts));
  }

  /** Get a recurring run by id. */
  async get(recurringRunId: string, opts?: CallOptions): Promise<RecurringRun> {
    requireString(recurringRunId, "recurringRunId", "recurring run id");
    return (await this.#routes(opts)).get(this.#client, recurringRunId, callOpts(opts));
  }

  /** One page (await) or every recurring run (`for await`). */
  list(params?: RecurringRunListParams, opts?: CallOptions): PagePromise<RecurringRun> {
    return lazyList<RecurringRun>(this.#client, opts, async () => {
      const scope = await resolveListScope(this.#client, params, "recurring runs", opts);
      return (await this.#routes(opts)).list(params, scope);
    });
  }

  /** Enable a recurring run: it starts runs on its schedule again. */
  async enable(recurringRunId: string, opts?: CallOptions): Promise<void> {
    await this.#action(recurringRunId, "enable", opts);
  }

  /** Disable a recurring run: it starts no runs until enabled. */
  async disable(recurringRunId: string, opts?: CallOptions): Promise<void> {
    await this.#action(recurringRunId, "disable", opts);
  }

  /** Delete a recurring run (`propagation_policy` says what happens to its runs; v2beta1/v2 only). */
  async delete(recurringRunId: string, opts?: RecurringRunDeleteOptions): Promise<void> {
    requireString(recurringRunId, "recurringRunId", "recurring run id");
    const routes = await this.#routes(opts);
    const policy = opts?.propagation_policy;
    if (policy !== undefined && !["FOREGROUND", "BACKGROUND", "ORPHAN"].includes(policy)) {
      throw new ValidationError(
        `propagation_policy must be FOREGROUND, BACKGROUND or ORPHAN, got ${String(policy)}`,
        {
          field: "propagation_policy",
        },
      );
    }
    await routes.delete(this.#client, recurringRunId, callOpts(opts), policy);
  }

  async #action(id: string, verb: "enable" | "disable", opts?: CallOptions): Promise<void> {
    requireString(id, "recurringRunId", "recurring run id");
    await (await this.#routes(opts)).action(this.#client, id, verb, callOpts(opts));
  }

  /** The routes of the client's API version (learned by the first call in auto mode). */
  async #routes(opts: CallOptions | undefined): Promise<RecurringRunRoutes> {
    return (await adapterOf(this.#client, opts)).recurringRuns;
  }
}
