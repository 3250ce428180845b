/**
 * kfp-ts: a typed client for the Kubeflow Pipelines REST API.
 *
 * ```ts
 * import { Kfp, fromPath } from "kfp-ts";
 * const kfp = new Kfp({ host: "http://localhost:8888" });
 * const { version, created } = await kfp.pipelines.publish("my-pipeline", fromPath("pipeline.yaml"));
 * ```
 */

// Client
export {
  type ApiVersion,
  type CallOptions,
  type FetchLike,
  Kfp,
  type KfpOptions,
  type ListCallOptions,
  type Logger,
  type LogLevel,
  type Query,
  type ReconcileContext,
  type RequestOptions,
  type ServerInfo,
} from "./client.js";
// Errors
export {
  AbortError,
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  KfpError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  TimeoutError,
  UnsupportedError,
  ValidationError,
} from "./core/errors.js";
export { type ExecutorNode, executorNodes } from "./core/executor-nodes.js";
// Filters
export {
  type ExperimentFilterKeys,
  experimentFilter,
  type Filter,
  FilterBuilder,
  type FilterCondition,
  type FilterLike,
  type FilterObject,
  type FilterOperation,
  filter,
  type PipelineFilterKeys,
  type PipelineVersionFilterKeys,
  type Predicate,
  pipelineFilter,
  pipelineVersionFilter,
  type RecurringRunFilterKeys,
  type RunFilterKeys,
  recurringRunFilter,
  runFilter,
} from "./core/filters.js";
// Pagination
export { type Page, PagePromise } from "./core/pagination.js";
// Run parameters and schedules
export {
  checkRunParameters,
  effectiveRunParameters,
  findParameterProblems,
  type ParameterType,
  type RunParameterInfo,
  runParameterDefinitions,
} from "./core/params.js";
export { type FailedTask, ParameterError, type ParameterProblem, RunFailedError } from "./core/run-errors.js";
export { checkCron, unixCronToKfp } from "./core/schedule.js";
export {
  type CheckDepth,
  checkPackageBytes,
  checkPackageText,
  type PipelinePackage,
  parsePipelinePackage,
  readArchiveSpec,
  SpecValidationError,
  specHash,
  specsEqual,
} from "./core/spec.js";
export { formatTaskTree, summarizeTasks, type TaskNode, type TaskTree, taskTree } from "./core/tasks.js";
// Uploads and specs
export {
  FileSource,
  fromPath,
  MAX_UPLOAD_BYTES,
  type PipelineSource,
  type PipelineSpecObject,
} from "./core/uploads.js";
export {
  isTransientError,
  type RunFetcher,
  RunWaitTimeoutError,
  TERMINAL_STATES,
  type WaitOptions,
  type WaitProgress,
  waitForRun,
} from "./core/wait.js";
export type { TokenProvider } from "./internal/auth.js";
export type { BackoffOptions } from "./internal/retry.js";
// Resources
export type {
  ExperimentCreateParams,
  ExperimentListParams,
  NamespaceOption,
} from "./resources/experiments.js";
export { Experiments } from "./resources/experiments.js";
export { Healthz } from "./resources/healthz.js";
export type { PipelineVersionListParams } from "./resources/pipeline-versions.js";
export { PipelineVersions } from "./resources/pipeline-versions.js";
export type {
  PipelineListParams,
  PublishOptions,
  PublishResult,
  UploadOptions,
  UploadPipelineOptions,
  UploadVersionOptions,
} from "./resources/pipelines.js";
export { Pipelines } from "./resources/pipelines.js";
export type {
  RecurringRunCreateParams,
  RecurringRunDeleteOptions,
  RecurringRunListParams,
} from "./resources/recurring-runs.js";
export { buildTrigger, RecurringRuns } from "./resources/recurring-runs.js";
export type { PipelineSourceParams, RunConfigParams } from "./resources/run-source.js";
export type { RunArtifact, RunCreateParams, RunGetOptions, RunListParams } from "./resources/runs.js";
export { Runs } from "./resources/runs.js";
export type { ListParams } from "./resources/shared.js";
// Wire types
export type * from "./types/common.js";
export type * from "./types/pipelines.js";
export type {
  CronSchedule,
  DeletePropagationPolicy,
  Experiment,
  JsonValue,
  ListExperimentsResponse,
  ListRecurringRunsResponse,
  ListRunsResponse,
  PeriodicSchedule,
  PipelineTask,
  PipelineTaskDetail,
  PipelineTaskState,
  PipelineTaskType,
  PipelineVersionReference,
  ReadArtifactResponse,
  RecurringRun,
  RecurringRunMode,
  RecurringRunStatus,
  Run,
  RunDetails,
  RuntimeConfig,
  RuntimeState,
  RuntimeStatus,
  StorageState,
  Trigger,
} from "./types/runs.js";
export type * from "./types/v1-pipelines.js";
