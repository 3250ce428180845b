import type { CallOptions } from "../client.js";
import type { HealthzResponse } from "../types/common.js";
import { APIResource } from "./base.js";

/** `GET /apis/<version>/healthz`: build info and whether the server runs in multi-user mode. */
export class Healthz extends APIResource {
  /** Ask the server (not cached; `client.serverInfo()` is the cached form). */
  async get(opts: CallOptions = {}): Promise<HealthzResponse> {
    return this._client.get<HealthzResponse>("/healthz", opts);
  }
}
