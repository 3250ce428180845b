/**
 * `/apis/{v2beta1,v2}/healthz` and `/apis/v1beta1/healthz` (FACTS.md §10): plain handlers answering any
 * method with Go `encoding/json` of the health struct; v1beta1 omits `pipeline_store`.
 */
import type { EmulatorApp } from "./context.js";
import { ALL_V2 } from "./router.js";

export function register(app: EmulatorApp): void {
  const { config } = app;
  app.router.plain(ALL_V2, "/healthz", () => ({
    commit_sha: config.commitSha,
    tag_name: config.tagName,
    multi_user: config.multiUser !== undefined,
    pipeline_store: config.pipelineStore,
  }));
  app.router.plain("v1beta1", "/healthz", () => ({
    commit_sha: config.commitSha,
    tag_name: config.tagName,
    multi_user: config.multiUser !== undefined,
  }));
}
