/**
 * `kfp-ts/testing`: start a local KFP API emulator from tests.
 *
 *     import { startEmulator } from "kfp-ts/testing";
 *     const emu = await startEmulator();
 *     afterAll(() => emu.close());
 */

export type {
  ActiveFault,
  ApiVersion,
  Emulator,
  EmulatorOptions,
  FaultAction,
  FaultRule,
  InspectedRequest,
  MultiUserConfig,
  MultiUserUser,
} from "../emulator/index.js";
export { startEmulator } from "../emulator/index.js";
