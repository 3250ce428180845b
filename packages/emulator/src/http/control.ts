/**
 * The emulator's own control endpoints, `/_emulator/*` (never faulted, never recorded):
 *   /_emulator/faults       GET list, POST add rules, PUT replace all, DELETE clear
 *   /_emulator/faults/{id}  DELETE one rule
 *   /_emulator/requests     GET the inspector's entries, DELETE clear them
 *   /_emulator/routes       GET the route table
 *
 * Access: in single-user mode all are open (a local tool). In multi-user mode they are the admin's:
 * the admin credential set at start (`adminToken`, sent as `Authorization: Bearer <token>` or
 * `X-Emulator-Admin-Token`) opens everything; without one configured, faults and clearing are closed
 * to everybody. An identified user (the same identity header or bearer token as the API) may read
 * `/_emulator/requests`, filtered to that user's own requests, and `/_emulator/routes`.
 * Errors are `{code, message}` with gRPC codes, like the gateway's own.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { identify, type ResolvedMultiUser } from "../auth.js";
import type { FaultRule, Faults } from "./faults.js";
import type { Inspector } from "./inspector.js";
import { checkJsonText } from "./limits.js";
import type { Router } from "./router.js";

export interface ControlDeps {
  faults: Faults;
  inspector: Inspector;
  router: Router;
  multiUser: ResolvedMultiUser | undefined;
  adminToken: string | undefined;
}

/** Who is asking: the admin, a user of the API, or nobody known. */
export type ControlCaller = { kind: "admin" } | { kind: "user"; user: string } | { kind: "anonymous" };

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The caller of a control request. In single-user mode everybody is the admin. */
export function controlCaller(
  req: IncomingMessage,
  deps: Pick<ControlDeps, "multiUser" | "adminToken">,
): ControlCaller {
  if (!deps.multiUser) return { kind: "admin" };
  const token = deps.adminToken;
  if (token) {
    const header = req.headers["x-emulator-admin-token"];
    if (typeof header === "string" && sameSecret(header, token)) return { kind: "admin" };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    if (m && sameSecret(m[1]!, token)) return { kind: "admin" };
  }
  const { user } = identify({ headers: req.headers, rawHeaders: req.rawHeaders, multiUser: deps.multiUser });
  return user ? { kind: "user", user } : { kind: "anonymous" };
}

/** Answer one control request (always answers; `true` for the caller's `return`) whose body was already read (`body`, at most MAX_CONTROL_BODY_BYTES). */
export function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  body: Buffer,
  deps: ControlDeps,
): true {
  const reply = (status: number, payload: unknown) => {
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
    return true as const;
  };
  const CODES: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 405: 12 };
  const fail = (status: number, message: string) => reply(status, { code: CODES[status] ?? 2, message });
  const caller = controlCaller(req, deps);
  const needAdmin = (): boolean => {
    if (caller.kind === "admin") return true;
    if (caller.kind === "anonymous")
      fail(401, "the emulator's control endpoints need an identity in multi-user mode");
    else if (!deps.adminToken)
      fail(403, "control endpoints are closed in multi-user mode: start the emulator with an admin token");
    else fail(403, `user '${caller.user}' is not the emulator's admin: send the admin token`);
    return false;
  };

  if (path === "/_emulator/faults") {
    if (!needAdmin()) return true;
    if (method === "GET") return reply(200, { faults: deps.faults.list() });
    if (method === "DELETE") {
      deps.faults.clear();
      return reply(200, {});
    }
    if (method === "POST" || method === "PUT") {
      const text = body.toString("utf8") || "[]";
      let parsed: unknown;
      try {
        checkJsonText(text, "fault rules");
        parsed = JSON.parse(text);
      } catch {
        return fail(400, "body must be a JSON fault rule or a list of rules");
      }
      const rules = (parsed as { faults?: unknown })?.faults ?? parsed;
      try {
        if (method === "PUT") deps.faults.clear();
        return reply(200, { faults: deps.faults.add(rules as FaultRule[]) });
      } catch (err) {
        return fail(400, (err as Error).message);
      }
    }
    return fail(405, "use GET, POST, PUT or DELETE");
  }
  const faultId = /^\/_emulator\/faults\/([^/]+)$/.exec(path);
  if (faultId && method === "DELETE") {
    if (!needAdmin()) return true;
    let id: string;
    try {
      id = decodeURIComponent(faultId[1]!);
    } catch {
      return fail(400, "malformed fault rule id");
    }
    return deps.faults.remove(id) ? reply(200, {}) : fail(404, "no such fault rule");
  }
  if (path === "/_emulator/requests") {
    if (method === "GET") {
      if (caller.kind === "admin") return reply(200, { requests: deps.inspector.list() });
      if (caller.kind === "anonymous") {
        return fail(401, "the emulator's control endpoints need an identity in multi-user mode");
      }
      return reply(200, { requests: deps.inspector.list(caller.user) });
    }
    if (method === "DELETE") {
      if (!needAdmin()) return true;
      deps.inspector.clear();
      return reply(200, {});
    }
    return fail(405, "use GET or DELETE");
  }
  if (path === "/_emulator/routes" && method === "GET") {
    if (caller.kind === "anonymous") {
      return fail(401, "the emulator's control endpoints need an identity in multi-user mode");
    }
    return reply(200, { routes: deps.router.list() });
  }
  return fail(404, "Not Found");
}
