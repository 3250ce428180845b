/**
 * Multi-user identity and authorization (FACTS.md §8).
 *
 * Identity, tried in order like the real authenticators:
 *   1. the user-id header (default `kubeflow-userid`, prefix "" — the Kubeflow manifests' setting);
 *   2. `Authorization: Bearer <token>` mapped to a user by the config (stands in for a TokenReview).
 * Each fails when its header is absent, repeated or lacks the prefix; no identity → 401 with the real
 * external message. Authorization stands in for the SubjectAccessReview: a user may act in the
 * namespaces listed for it (`"*"` = all); denied → 403 with the real message shape.
 * With no `users` table at all, every identified user is allowed everywhere (authentication only).
 */
import type { IncomingHttpHeaders } from "node:http";
import { ApiError, GrpcCode } from "./http/errors.js";

export interface MultiUserUser {
  /** Namespaces the user may act in; "*" grants all. */
  namespaces?: string[];
  /** Bearer tokens that identify this user. */
  tokens?: string[];
}

export interface MultiUserConfig {
  /** Identity header (default `kubeflow-userid`). */
  userIdHeader?: string;
  /** Prefix stripped from the header value (default ""); a value without it is rejected. */
  userIdPrefix?: string;
  /** Users by identity; absent → any identified user is authorized everywhere. */
  users?: Record<string, MultiUserUser>;
  /** `MULTIUSER_SHARED_READ`: skip authorization for get/list. */
  sharedRead?: boolean;
  /** `REQUIRE_NAMESPACE_FOR_PIPELINES`: pipelines must have a namespace. */
  requireNamespaceForPipelines?: boolean;
  /** The server's own namespace (`POD_NAMESPACE`), used to authorize writes to shared pipelines. */
  kfpNamespace?: string;
}

export interface ResolvedMultiUser {
  userIdHeader: string;
  userIdPrefix: string;
  users: Map<string, { namespaces: Set<string> }> | undefined;
  tokens: Map<string, string>;
  sharedRead: boolean;
  requireNamespaceForPipelines: boolean;
  kfpNamespace: string;
}

export function resolveMultiUser(opt: boolean | MultiUserConfig | undefined): ResolvedMultiUser | undefined {
  if (!opt) return undefined;
  const cfg: MultiUserConfig = opt === true ? {} : opt;
  const tokens = new Map<string, string>();
  let users: ResolvedMultiUser["users"];
  if (cfg.users) {
    users = new Map();
    for (const [name, u] of Object.entries(cfg.users)) {
      users.set(name, { namespaces: new Set(u.namespaces ?? []) });
      for (const t of u.tokens ?? []) {
        if (tokens.has(t)) throw new Error(`multi-user config: a token is assigned to more than one user`);
        tokens.set(t, name);
      }
    }
  }
  return {
    userIdHeader: (cfg.userIdHeader ?? "kubeflow-userid").toLowerCase(),
    userIdPrefix: cfg.userIdPrefix ?? "",
    users,
    tokens,
    sharedRead: cfg.sharedRead ?? false,
    requireNamespaceForPipelines: cfg.requireNamespaceForPipelines ?? false,
    kfpNamespace: cfg.kfpNamespace ?? "kubeflow",
  };
}

/** What authorize() needs from a request context. */
export interface AuthSubject {
  readonly headers: IncomingHttpHeaders;
  /** Raw header lines (to detect a repeated header). */
  readonly rawHeaders: readonly string[];
  readonly multiUser: ResolvedMultiUser | undefined;
}

export type AuthVerb =
  | "get"
  | "list"
  | "create"
  | "update"
  | "delete"
  | "archive"
  | "unarchive"
  | "terminate"
  | "retry"
  | "enable"
  | "disable"
  | "readArtifact"
  | "reportMetrics";

export type AuthResource =
  | "pipelines"
  | "pipelineversions"
  | "experiments"
  | "runs"
  | "jobs"
  | "recurringruns"
  | "viewers"
  | "visualizations";

function headerValues(subject: AuthSubject, name: string): string[] {
  const out: string[] = [];
  const raw = subject.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  }
  return out;
}

/** The request's user, or undefined with the reasons each authenticator failed. */
export function identify(subject: AuthSubject): { user?: string; errors: string[] } {
  const mu = subject.multiUser;
  const errors: string[] = [];
  if (!mu) return { errors };
  const ids = headerValues(subject, mu.userIdHeader);
  if (ids.length === 0) {
    errors.push("Request header error: there is no user identity header.");
  } else if (ids.length > 1) {
    errors.push(
      "Request header error: unexpected number of user identity header. Expect 1 got " + ids.length,
    );
  } else if (!ids[0]!.startsWith(mu.userIdPrefix)) {
    errors.push("Request header error: user identity value is not prefixed by " + mu.userIdPrefix);
  } else {
    const user = ids[0]!.slice(mu.userIdPrefix.length);
    if (user !== "") return { user, errors };
    errors.push("Request header error: user identity value is empty.");
  }
  const auths = headerValues(subject, "authorization");
  if (auths.length !== 1) {
    errors.push(
      auths.length === 0
        ? "Request header error: there is no authorization header."
        : "Request header error: unexpected number of authorization header.",
    );
  } else {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auths[0]!);
    const user = m ? mu.tokens.get(m[1]!) : undefined;
    if (user) return { user, errors };
    errors.push(
      m
        ? "Failed to authenticate token review. Review.Status: {Authenticated:false}"
        : "Request header error: authorization header is not a bearer token.",
    );
  }
  return { errors };
}

/** The 401 of `IsAuthorized` when no authenticator yields a user. */
export function unauthenticatedError(errors: string[]): ApiError {
  const external = "Failed to check authorization. User identity is empty in the request header";
  return new ApiError(
    GrpcCode.Unauthenticated,
    external,
    `Unauthenticated: ${external}: [${errors.join(", ")}]`,
  );
}

function resourceAttributes(namespace: string, verb: string, resource: string, name: string): string {
  // `rbacResourceTypeToGroup`: viewers belong to the kubeflow.org group, everything else to pipelines'.
  const group = resource === "viewers" ? "kubeflow.org" : "pipelines.kubeflow.org";
  return `&ResourceAttributes{Namespace:${namespace},Verb:${verb},Group:${group},Version:v1beta1,Resource:${resource},Subresource:,Name:${name},}`;
}

/** Whether `user` may act in `namespace` according to the config (stand-in for the SubjectAccessReview). */
export function userAllowed(mu: ResolvedMultiUser, user: string, namespace: string): boolean {
  if (!mu.users) return true;
  const u = mu.users.get(user);
  if (!u) return false;
  return u.namespaces.has("*") || u.namespaces.has(namespace);
}

/**
 * `ResourceManager.IsAuthorized`: no-op in single-user mode; shared-read skips get/list; otherwise an
 * identity is required (401) and must be granted the namespace (403).
 * Callers add their own context prefix with `err.wrap(...)`, as the upstream handlers do.
 */
export function authorize(
  subject: AuthSubject,
  namespace: string,
  resource: AuthResource | string,
  verb: AuthVerb | string,
  name = "",
): void {
  const mu = subject.multiUser;
  if (!mu) return;
  if (mu.sharedRead && (verb === "get" || verb === "list")) return;
  const { user, errors } = identify(subject);
  if (!user) throw unauthenticatedError(errors);
  if (!userAllowed(mu, user, namespace)) {
    // Upstream prints the resource's name here; the emulator leaves it out, so a denied caller who
    // knows only an id never learns the name of another namespace's resource (isolation matrix).
    void name;
    const external = `User '${user}' is not authorized with reason:  (request: ${resourceAttributes(namespace, verb, resource, "")})`;
    throw new ApiError(
      GrpcCode.PermissionDenied,
      external,
      `PermissionDenied: ${external}: Unauthorized access`,
    );
  }
}
