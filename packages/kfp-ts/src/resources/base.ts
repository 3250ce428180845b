/** Base of the resource classes: holds the client. */
import type { Kfp } from "../client.js";

export abstract class APIResource {
  protected readonly _client: Kfp;
  constructor(client: Kfp) {
    this._client = client;
  }
}
