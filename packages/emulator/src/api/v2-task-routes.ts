/**
 * The `/apis/v2` task handlers (upstream `task_server.go`): GetTask and ListTasks over the tasks that
 * resource/run-reads.ts rebuilds from a run's node rows; the other task and artifact calls answer 501.
 */
import { listResponse } from "../http/encode.js";
import { ApiError, GrpcCode, invalidInput, notFound } from "../http/errors.js";
import type { ModuleHost } from "../http/module.js";
import { checkListOptions, listRows } from "../list/list.js";
import { canAccessRun } from "../resource/access.js";
import { taskOfOtherRun, tasksOfRunId } from "../resource/run-reads.js";
import { apiTask, TASK_LIST_SPEC } from "../v2-tasks.js";

function unimplemented(operation: string, route: string): ApiError {
  const msg = `${operation} (${route}) is not implemented by the kfp-ts emulator`;
  return new ApiError(GrpcCode.Unimplemented, msg, msg);
}

/** The `/apis/v2` task API (GetTask, ListTasks; the rest 501 like upstream). */
export function register(app: ModuleHost): void {
  const r = app.router;

  r.get("v2", "/runs/{run_id}/tasks", (ctx) => {
    const q = ctx.listQuery();
    // ListTasksRequest has `order_by` (no `sort_by`: the gateway ignores it).
    const orderBy = ctx.q("order_by");
    const listQuery = { ...q, sort_by: orderBy ?? null };
    const runId = ctx.param("run_id");
    const parentId = ctx.q("parent_id") ?? "";
    try {
      canAccessRun(ctx, runId, "", "get");
    } catch (err) {
      throw err instanceof ApiError ? err.wrap("Failed to authorize task listing") : err;
    }
    const tasks = tasksOfRunId(ctx.app, runId);
    if (parentId !== "" && !tasks.some((t) => t.task_id === parentId)) {
      if (taskOfOtherRun(ctx.app, runId, parentId)) {
        throw invalidInput("parent_task_id must belong to the same run as run_id");
      }
      throw notFound("task", parentId).wrap("Failed to get parent task for authorization");
    }
    const listOpts = checkListOptions(listQuery, TASK_LIST_SPEC, "v2", "Failed to create list options");
    const scoped = parentId === "" ? tasks : tasks.filter((t) => t.parent_task_id === parentId);
    const page = listRows(scoped, listQuery, TASK_LIST_SPEC, "v2", listOpts);
    return listResponse("tasks", page.items.map(apiTask), page.total_size, page.next_page_token);
  });

  r.get("v2", "/runs/{run_id}/tasks/{task_id}", (ctx) => {
    const runId = ctx.param("run_id");
    const taskId = ctx.param("task_id");
    const task = tasksOfRunId(ctx.app, runId).find((t) => t.task_id === taskId);
    if (!task) {
      if (taskOfOtherRun(ctx.app, runId, taskId)) {
        throw invalidInput("Task run_id in path parameter does not match the existing task run_id");
      }
      throw notFound("task", taskId).wrap("Failed to get task");
    }
    try {
      canAccessRun(ctx, runId, "", "get");
    } catch (err) {
      throw err instanceof ApiError ? err.wrap("Failed to authorize task access") : err;
    }
    return apiTask(task);
  });

  // Declared in the v2 swagger but not emulated (driver/launcher-facing writes, the artifact store).
  const notEmulated: [string, string, string][] = [
    ["POST", "/runs/{run_id}/tasks", "create_task"],
    ["PATCH", "/runs/{run_id}/tasks/{task_id}", "update_task"],
    ["POST", "/runs/{run_id}/tasks:batchUpdate", "batch_update_tasks"],
    ["POST", "/tasks:findCached", "find_cached_task"],
    ["GET", "/artifacts", "list_artifacts"],
    ["POST", "/artifacts", "create_artifact"],
    ["GET", "/artifacts/{artifact_id}", "get_artifact"],
    ["POST", "/artifacts:batchCreate", "batch_create_artifacts"],
    ["GET", "/artifact_tasks", "list_artifact_tasks"],
    ["POST", "/artifact_tasks", "create_artifact_task"],
    ["POST", "/artifact_tasks:batchCreate", "batch_create_artifact_tasks"],
  ];
  for (const [method, pattern, op] of notEmulated) {
    r.add(method, "v2", pattern, () => {
      throw unimplemented(op, `${method} /apis/v2${pattern}`);
    });
  }
}
