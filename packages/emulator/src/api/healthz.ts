import type { ModuleHost } from "../http/module.js";
import { ALL_V2 } from "../http/router.js";

export function register(app: ModuleHost): void {
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
