/**
 * The bytes behind a run node's log and artifacts. Simulated runs have none on disk: their content is
 * synthesised (engine/report.ts `artifactContent`). In execute mode the engine names real files: a
 * task's log (`main-logs`, live text while the task runs) and the output artifacts it wrote under
 * the pipeline root. Read-only; the api/ handlers go through this instead of the engine or the disk.
 */
import { readFileSync, statSync } from "node:fs";
import { artifactContent } from "../engine/report.js";
import type { EmulatorApp } from "../http/context.js";
import type { TaskRow } from "../model/run.js";

/** Largest file served through the artifact/log endpoints (base64 in one JSON body). */
export const MAX_NODE_FILE_BYTES = 32 << 20;

export type NodeFileRead = { data: Buffer } | { missing: string };

/**
 * The content of `name` (an artifact name, `main-logs` for the log) of the node `row` of a run.
 * Execute mode reads the file the engine names; `missing` says why it cannot (no file, a directory,
 * too large, or the emulator restarted and the execution's files are no longer known).
 */
export function readNodeFile(
  app: Pick<EmulatorApp, "engine">,
  runId: string,
  row: TaskRow,
  name: string,
): NodeFileRead {
  const engine = app.engine;
  if (!engine.nodeFile) return { data: artifactContent(runId, row, name) };
  const file = engine.nodeFile(runId, row.pod_name, name);
  if (!file)
    return {
      missing: `no ${name} is kept for node ${row.pod_name} of run ${runId} (not written, or the emulator restarted since)`,
    };
  if ("text" in file) return { data: Buffer.from(file.text) };
  try {
    const st = statSync(file.path);
    if (st.isDirectory())
      return { missing: `${name} of node ${row.pod_name} is a directory (${file.path}); read it on disk` };
    if (st.size > MAX_NODE_FILE_BYTES) {
      return {
        missing: `${name} of node ${row.pod_name} has ${st.size} bytes, over the ${MAX_NODE_FILE_BYTES} served here; read ${file.path} on disk`,
      };
    }
    return { data: readFileSync(file.path) };
  } catch (err) {
    return {
      missing: `${name} of node ${row.pod_name} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    };
  }
}
