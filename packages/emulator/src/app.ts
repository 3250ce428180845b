/**
 * The composition root: builds the emulator's application object with every part wired by name and
 * by type — store, router, config, run engine, scheduler — and registers each API module's routes.
 * No module is looked up by a string and no service by a key: adding a module is one import and
 * one line in `MODULES`, and a missing one fails the build, not the start.
 */
import { randomUUID } from "node:crypto";
import { register as registerAuthService } from "./api/auth-service.js";
import { register as registerExperiments } from "./api/experiments.js";
import { register as registerHealthz } from "./api/healthz.js";
import { register as registerPipelines } from "./api/pipelines.js";
import { register as registerPipelinesV1 } from "./api/pipelines-v1.js";
import { register as registerRecurringRuns } from "./api/recurring-runs.js";
import { register as registerRuns } from "./api/runs.js";
import { register as registerV1Runs } from "./api/v1-runs.js";
import { register as registerV2Tasks } from "./api/v2-task-routes.js";
import { type MultiUserConfig, resolveMultiUser } from "./auth.js";
import type { RecurringRunScheduler, RunEngine } from "./engine/engine.js";
import { createExecutedEngine } from "./engine/executed-setup.js";
import type { LifecycleOptions } from "./engine/lifecycle-options.js";
import { Scheduler } from "./engine/scheduler.js";
import { SimulatedRunEngine } from "./engine/simulated.js";
import type { ExecuteLimits } from "./execute/dag.js";
import type { TaskRunner } from "./execute/task.js";
import type { EmulatorConfig, EmulatorLogger } from "./http/context.js";
import { MAX_REQUEST_BODY_BYTES, MAX_UPLOAD_BYTES } from "./http/limits.js";
import type { ModuleHost } from "./http/module.js";
import { OutputPool } from "./http/out-pool.js";
import { Router } from "./http/router.js";
import type { ExperimentArchiveHooks } from "./model/experiment.js";
import type { Store } from "./storage/kinds.js";
import { openStore } from "./storage/open.js";

/** The API modules, registered in this order (routes of earlier modules match first). */
const MODULES: readonly ((app: ModuleHost) => void)[] = [
  registerHealthz,
  registerPipelines,
  registerPipelinesV1,
  registerExperiments,
  registerRuns,
  registerV2Tasks,
  registerRecurringRuns,
  registerV1Runs,
  registerAuthService,
];

/** The startEmulator options the application object reads (server.ts `EmulatorOptions` has them all). */
export interface AppOptions {
  db?: string;
  store?: Store;
  multiUser?: boolean | MultiUserConfig;
  clock?: () => number;
  idGenerator?: () => string;
  allowLoopbackUrls?: boolean;
  allowHttpUrls?: boolean;
  allowedUrlDomains?: string[];
  urlFetchTimeoutMs?: number;
  blockV1Pipelines?: string[];
  logger?: EmulatorLogger;
  commitSha?: string;
  tagName?: string;
  lifecycle?: LifecycleOptions;
  defaultServiceAccount?: string;
  runDurations?: unknown;
  /** Execute mode (issue 13): runs execute their tasks as local processes. Default false. */
  execute?: boolean;
  /** Execute mode: directory of the runs' task roots (default `<db dir or tmp>/pipeline-root`). */
  pipelineRoot?: string;
  /** Execute mode: caps (concurrent tasks, task timeout, output bytes, retry backoff). */
  executeLimits?: Partial<ExecuteLimits>;
  /** Execute mode: the task runner (tests); default the local process runner. */
  taskRunner?: TaskRunner;
}

const SILENT: EmulatorLogger = { info() {}, warn() {}, error() {}, debug() {} };

export function resolveConfig(opts: AppOptions): EmulatorConfig {
  return {
    multiUser: resolveMultiUser(opts.multiUser),
    allowHttpUrls: opts.allowHttpUrls ?? false,
    allowLoopbackUrls: opts.allowLoopbackUrls ?? false,
    allowedUrlDomains: opts.allowedUrlDomains ?? [
      "storage.googleapis.com",
      "s3.amazonaws.com",
      "github.com",
      "raw.githubusercontent.com",
    ],
    urlFetchTimeoutMs: opts.urlFetchTimeoutMs ?? 30_000,
    maxUploadBytes: MAX_UPLOAD_BYTES,
    maxJsonBodyBytes: MAX_REQUEST_BODY_BYTES,
    blockV1Pipelines: opts.blockV1Pipelines ?? [],
    commitSha: opts.commitSha ?? "unknown",
    tagName: opts.tagName ?? "unknown",
    pipelineStore: "database",
    defaultServiceAccount: opts.defaultServiceAccount ?? "",
  };
}

function runDurations(v: unknown): { tickMs?: number; podTicks?: number } | number | undefined {
  if (typeof v === "number") return v;
  if (v !== null && typeof v === "object") return v as { tickMs?: number; podTicks?: number };
  return undefined;
}

/** Build the app (store, engine, scheduler, routes) without listening. */
export async function createApp(opts: AppOptions = {}): Promise<ModuleHost & { close(): Promise<void> }> {
  const clock = opts.clock ?? Date.now;
  const idGen = opts.idGenerator ?? randomUUID;
  const store = opts.store ?? (await openStore(opts.db));
  const closers: (() => void | Promise<void>)[] = [];
  const log = opts.logger ?? SILENT;
  const parts: {
    engine?: RunEngine;
    scheduler?: RecurringRunScheduler;
  } = {};
  const experimentArchive: ExperimentArchiveHooks = {};
  const app: ModuleHost & { close(): Promise<void> } = {
    router: new Router(),
    store,
    config: resolveConfig(opts),
    log,
    now: () => Math.floor(clock() / 1000),
    nowMs: () => clock(),
    newId: () => idGen(),
    onClose: (fn) => closers.push(fn),
    get engine(): RunEngine {
      if (!parts.engine) throw new Error("emulator: the run engine is used before it was created");
      return parts.engine;
    },
    get scheduler(): RecurringRunScheduler {
      if (!parts.scheduler) throw new Error("emulator: the scheduler is used before it was created");
      return parts.scheduler;
    },
    experimentArchive,
    outputPool: new OutputPool(),
    async close() {
      for (const fn of closers.splice(0).reverse()) {
        try {
          await fn();
        } catch (err) {
          log.error(`emulator: close hook failed: ${(err as Error).message}`);
        }
      }
      store.close();
    },
  };
  try {
    const engine: RunEngine = opts.execute
      ? await createExecutedEngine(app, opts)
      : new SimulatedRunEngine(app, opts.lifecycle ?? {}, runDurations(opts.runDurations));
    parts.engine = engine;
    app.onClose(() => engine.close());
    const scheduler = new Scheduler(app);
    parts.scheduler = scheduler;
    app.onClose(() => scheduler.close());
    for (const register of MODULES) register(app);
    engine.resumeAll();
    scheduler.start();
  } catch (err) {
    await app.close();
    throw err;
  }
  return app;
}
