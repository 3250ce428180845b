/**
 * The plain (non-gateway) run readers (FACTS.md §11): a node's artifact
 * (`/runs/{run_id}/nodes/{node_id}/artifacts/{artifact_name}:read`) and its log (`ReadRunLogV1`).
 * Both answer in upstream's own error body `{error_message, error_details}`. The bytes come from
 * resource/run-files.ts (synthesised for simulated runs, the task's files in execute mode).
 */

import type { RequestContext } from "../http/context.js";
import type { ApiError } from "../http/errors.js";
import { canAccessRun } from "../resource/access.js";
import { readNodeFile } from "../resource/run-files.js";
import { findRun } from "../resource/run-reads.js";

function writeArtifactError(ctx: RequestContext, status: number, message: string, details?: string): void {
  const esc = (s: string) =>
    JSON.stringify(s).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
  const body = `{"error_message":${esc(message)},"error_details":${esc(details ?? message)}}`;
  // The handler calls WriteHeader before setting Content-Type, so Go sniffs the JSON as text.
  ctx.sendRaw(status, body, "text/plain; charset=utf-8");
}

/**
 * `ReadRunLogV1` (`/apis/v1alpha1/runs/{run_id}/nodes/{node_id}/log`, and `/apis/v2/.../log` on the
 * newer server): the node's log as text. Upstream writes the 200 status before reading the log, so
 * failures arrive as HTTP 200 with a JSON `{error_message, error_details}` body; there is no
 * authorization check. `node_id` is the pod (node) id shown in `child_tasks`.
 */
export function readLog(ctx: RequestContext): void {
  const runId = ctx.param("run_id");
  const nodeId = ctx.param("node_id");
  const fail = (message: string) => {
    const esc = (x: string) =>
      JSON.stringify(x).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
    ctx.sendRaw(
      200,
      `{"error_message":${esc(message)},"error_details":${esc(`${message}\n${STACK}`)}}`,
      "text/plain; charset=utf-8",
    );
  };
  const rec = findRun(ctx.app, runId);
  if (!rec) {
    fail(
      `BadRequestError: Failed to read logs for run ${runId} due to run fetching error: Failed to fetch run ${runId}: ResourceNotFoundError: Run ${runId} not found`,
    );
    return;
  }
  const row = rec.tasks.find((t) => t.pod_name === nodeId);
  if (row?.node_type !== "Pod") {
    fail(
      `BadRequestError: Failed to read logs for run ${runId}: InternalServerError: Failed to read logs from pod ${nodeId} due to error opening log stream: pods "${nodeId}" not found`,
    );
    return;
  }
  const log = readNodeFile(ctx.app, runId, row!, "main-logs");
  if ("missing" in log) {
    fail(`BadRequestError: Failed to read logs for run ${runId}: ${log.missing}`);
    return;
  }
  ctx.sendRaw(200, log.data, "text/plain; charset=utf-8", {
    "cache-control": "no-cache, private",
  });
}

export function readArtifact(ctx: RequestContext): void {
  const runId = ctx.param("run_id");
  const nodeId = ctx.param("node_id");
  const name = ctx.param("artifact_name");
  try {
    canAccessRun(ctx, runId, "", "readArtifact");
  } catch (err) {
    const e = (err as ApiError).wrap("Failed to authorize the request");
    writeArtifactError(ctx, 403, e.message, `${e.message}\n${STACK}`);
    return;
  }
  const rec = findRun(ctx.app, runId);
  const row = rec?.tasks.find((t) => t.pod_name === nodeId);
  if (!rec || !row?.artifacts?.includes(name)) {
    writeArtifactError(ctx, 404, "artifact not found: <nil>");
    return;
  }
  const file = readNodeFile(ctx.app, runId, row, name);
  if ("missing" in file) {
    writeArtifactError(ctx, 404, `artifact not found: ${file.missing}`);
    return;
  }
  const data = file.data.toString("base64");
  ctx.sendRaw(200, `{"data":"${data}"}`, "application/json", { "cache-control": "no-cache, private" });
}

const STACK = [
  "github.com/kubeflow/pipelines/backend/src/common/util.Wrap",
  "\t/go/src/github.com/kubeflow/pipelines/backend/src/common/util/error.go",
  "github.com/kubeflow/pipelines/backend/src/apiserver/server.(*RunArtifactServer).ReadArtifact",
  "\t/go/src/github.com/kubeflow/pipelines/backend/src/apiserver/server/run_artifact_server.go",
].join("\n");
