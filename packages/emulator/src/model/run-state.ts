/** Run states as the v1beta1 API and the run rules see them (upstream `model.RuntimeState`). */
import type { RuntimeState } from "./run.js";

/** The states a run ends in; only a run in one of them can be retried. */
export const TERMINAL_STATES: ReadonlySet<RuntimeState> = new Set([
  "SUCCEEDED",
  "FAILED",
  "SKIPPED",
  "CANCELED",
]);

/** `RuntimeState.ToV1()`: the v1beta1 `status` string. */
export function v1Status(s: RuntimeState): string {
  switch (s) {
    case "PENDING":
    case "PAUSED":
      return "Pending";
    case "RUNNING":
      return "Running";
    case "SUCCEEDED":
      return "Succeeded";
    case "SKIPPED":
      return "Skipped";
    case "FAILED":
    case "CANCELED":
      return "Failed";
    case "CANCELING":
      return "Terminating";
    default:
      return "Unknown";
  }
}
