/**
 * The emulator's public entry: a KFP API server that needs no cluster.
 *
 *     const emu = await startEmulator({ port: 0 });
 *     // ... talk to emu.url ...
 *     await emu.close();
 *
 * This module (and everything under src/emulator) never imports the client code.
 */
import { type Emulator, type EmulatorOptions, startServer } from "./http/server.js";

export type { MultiUserConfig, MultiUserUser } from "./auth.js";
export type { ExecuteLimits } from "./execute/dag.js";
export type { ArtifactRef, TaskRunner, TaskRunRequest, TaskRunResult } from "./execute/task.js";
export type { EmulatorApp, EmulatorConfig, EmulatorLogger } from "./http/context.js";
export type { ActiveFault, FaultAction, FaultRule } from "./http/faults.js";
export type { BodySummary, InspectedRequest, PartSummary } from "./http/inspector.js";
export type { ApiVersion } from "./http/router.js";
export type { Emulator, EmulatorOptions } from "./http/server.js";
export type { Store } from "./storage/kinds.js";

/** Start an emulator listening on `host:port` (default 127.0.0.1, a free port). */
export function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  return startServer(opts);
}
