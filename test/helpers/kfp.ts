/**
 * The client the e2e tests use: the library's `Kfp`, on the transport named by `KFP_TS_TRANSPORT`
 * (`fetch` or `undici`; unset = the platform's default, undici on Node). scripts/test-all.mjs runs
 * test/e2e a second time with `KFP_TS_TRANSPORT=fetch`, so every e2e test also holds for fetch.
 * A client given its own dispatcher or transport keeps it.
 */
import { type KfpOptions, Kfp as LibraryKfp } from "../../packages/kfp-ts/src/index.js";

function transportFromEnv(): "fetch" | "undici" | undefined {
  const v = process.env.KFP_TS_TRANSPORT;
  if (v === undefined || v === "") return undefined;
  if (v === "fetch" || v === "undici") return v;
  throw new Error(`KFP_TS_TRANSPORT must be fetch or undici, got ${JSON.stringify(v)}`);
}

/** The transport the e2e tests run on (undefined: the platform's default). */
export const E2E_TRANSPORT = transportFromEnv();

export class Kfp extends LibraryKfp {
  constructor(opts: KfpOptions = {}) {
    const keep = opts.dispatcher !== undefined || opts.transport !== undefined || opts.fetch !== undefined;
    super(E2E_TRANSPORT && !keep ? { ...opts, transport: E2E_TRANSPORT } : opts);
  }
}
