/**
 * The UI's only ways out: the kfp-ts library for the KFP REST API, and plain fetch for the emulator's
 * own `/_emulator/*` endpoints (inspector, faults), which a real KFP server does not have.
 */
import { ApiError, Kfp } from "kfp-ts";
import { authHeaders, type Settings } from "./settings.js";

/** A client acting as the user of `settings`, talking to the server that served the page. */
export function makeClient(settings: Settings): Kfp {
  const opts: ConstructorParameters<typeof Kfp>[0] = {
    host: location.origin,
    maxRetries: 1,
    timeout: 30_000,
  };
  if (settings.auth === "token" && settings.token) opts.token = settings.token;
  if (settings.auth === "header" && settings.identity) opts.headers = authHeaders(settings);
  if (settings.namespace) opts.namespace = settings.namespace;
  return new Kfp(opts);
}

/** The message to show for a failed call: the server's message, else the error's. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return `${err.status ?? ""} ${err.message}`.trim();
  if (err instanceof Error) return err.message;
  return String(err);
}

export class ControlUnavailable extends Error {
  constructor(path: string, status: number) {
    super(`${path} answered ${status}: this server has no emulator control endpoints`);
    this.name = "ControlUnavailable";
  }
}

/** A call to `/_emulator/<path>`; a 404 means "not an emulator" (the view hides itself). */
export async function control<T>(settings: Settings, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${location.origin}/_emulator/${path}`, {
    ...init,
    headers: { ...authHeaders(settings), ...(init.body ? { "content-type": "application/json" } : {}) },
  });
  const text = await res.text();
  if (res.status === 404 && !text.includes('"code"')) throw new ControlUnavailable(path, 404);
  if (!res.ok) {
    let msg = text;
    try {
      msg = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {}
    throw new Error(`${res.status} ${msg}`);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

/** Whether the server has the emulator's control endpoints (GET /_emulator/routes answers). */
export async function hasControl(settings: Settings): Promise<boolean> {
  try {
    const res = await fetch(`${location.origin}/_emulator/routes`, { headers: authHeaders(settings) });
    return res.status !== 404;
  } catch {
    return false;
  }
}
