/**
 * AuthService (FACTS.md §1, §14, §S.1): `GET /apis/v1beta1/auth` and `GET /apis/v2/auth` — not
 * `/apis/v2beta1/auth`, which the server of the v2beta1 schema leaves unserved (gateway 404). The KFP UI
 * asks it whether the user may create, get or delete viewers (TensorBoard) in a namespace. The request
 * is checked (`ValidateAuthorizeRequest`), then authorized like any other call — always allowed in
 * single-user mode, 401/403 in multi-user mode — and answered with `{}`.
 */
import type { RequestContext } from "../http/context.js";
import { ApiError, invalidInput } from "../http/errors.js";
import type { ModuleHost } from "../http/module.js";

const RESOURCES = ["UNASSIGNED_RESOURCES", "VIEWERS"] as const;
const VERBS = ["UNASSIGNED_VERB", "CREATE", "GET", "DELETE"] as const;

function authorizeRequest(ctx: RequestContext): Record<string, never> {
  // The v1beta1 server's messages end with a period; the current server's do not.
  const end = ctx.api === "v1beta1" ? "." : "";
  const namespace = ctx.q("namespace") ?? "";
  const resources = ctx.qEnum("resources", RESOURCES) ?? "UNASSIGNED_RESOURCES";
  const verb = ctx.qEnum("verb", VERBS) ?? "UNASSIGNED_VERB";
  const invalid = (msg: string) => invalidInput(msg).wrap("Authorize request is not valid");
  if (namespace === "") throw invalid(`Namespace is empty. Please specify a valid namespace${end}`);
  if (resources === "UNASSIGNED_RESOURCES")
    throw invalid(`Resources not specified. Please specify a valid resources${end}`);
  if (verb === "UNASSIGNED_VERB") throw invalid(`Verb not specified. Please specify a valid verb${end}`);
  try {
    ctx.authorize(namespace.toLowerCase(), resources.toLowerCase(), verb.toLowerCase());
  } catch (err) {
    throw err instanceof ApiError ? err.wrap("Failed to authorize the request") : err;
  }
  return {};
}

export function register(app: ModuleHost): void {
  app.router.get(["v1beta1", "v2"], "/auth", authorizeRequest);
}
