/**
 * The task panel's "Logs" and "Output artifacts": the selected task's executor log (read through
 * `kfp.runs.readLog`, polled while the task runs) and its output artifacts (name, uri, the first bytes
 * through `kfp.runs.readArtifact`, a download). A server without a log for the node (a 404, or the
 * upstream 200-with-error body the library turns into NotFoundError) is a "no log" note, not an error.
 */
import { type ExecutorNode, executorNodes, NotFoundError, type Run, TERMINAL_STATES } from "kfp-ts";
import { useState } from "preact/hooks";
import { useApp } from "../context.js";
import { useLoad, usePoll } from "../hooks.js";
import type { GraphNode } from "../model/graph.js";
import { artifactUri, LOG_TAIL_CHARS, outputArtifactNames, previewOf } from "../model/task-files.js";
import { ErrorBox } from "./common.js";

/** How often a running task's log is read again (the issue asks for ≤ 1 s). */
export const LOG_POLL_MS = 500;

const FINISHED = new Set<string>([...TERMINAL_STATES, "CACHED", "SKIPPED"]);
const finished = (n: ExecutorNode) => FINISHED.has(n.state);

type LogState = { text: string } | { missing: string } | { error: unknown } | undefined;

function NodeLog({ runId, node, label }: { runId: string; node: ExecutorNode; label?: string }) {
  const { kfp } = useApp();
  const [log, setLog] = useState<LogState>();
  const done = finished(node);
  usePoll(
    async (signal) => {
      try {
        setLog({ text: await kfp.runs.readLog(runId, node.nodeId, { signal, maxRetries: 0 }) });
      } catch (err) {
        if (signal.aborted) return "stop";
        if (err instanceof NotFoundError) setLog({ missing: err.shortMessage });
        else setLog({ error: err });
      }
      // A finished task's log no longer changes: read once more after it ended, then stop.
      return done ? "stop" : undefined;
    },
    LOG_POLL_MS,
    [runId, node.nodeId, done],
  );
  return (
    <div class="task-log" data-node-id={node.nodeId}>
      {label ? <h5>{label}</h5> : null}
      {log === undefined ? <p class="muted">Loading the log…</p> : null}
      {log && "text" in log ? (
        log.text ? (
          <pre class="code log" data-testid="task-log" aria-live={done ? "off" : "polite"}>
            {log.text.length > LOG_TAIL_CHARS ? `…${log.text.slice(-LOG_TAIL_CHARS)}` : log.text}
          </pre>
        ) : (
          <p class="muted" data-testid="task-log-empty">
            The log is empty{done ? "." : " so far."}
          </p>
        )
      ) : null}
      {log && "missing" in log ? (
        <p class="muted" data-testid="task-log-none" title={log.missing}>
          No log for this task: the server keeps none for node {node.nodeId} (a simulated run, a pod that is
          gone, or a server without logs).
        </p>
      ) : null}
      {log && "error" in log ? <ErrorBox error={log.error} /> : null}
    </div>
  );
}

function saveBytes(name: string, data: Uint8Array): void {
  const url = URL.createObjectURL(new Blob([data as BlobPart], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function ArtifactRow({ run, node, name }: { run: Run; node: ExecutorNode; name: string }) {
  const { kfp } = useApp();
  const loaded = useLoad(
    async (signal) => {
      try {
        return (await kfp.runs.readArtifact(run.run_id, node.nodeId, name, { signal })).data;
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
    },
    [run.run_id, node.nodeId, name],
  );
  const uri = artifactUri(run, node.taskId, name);
  const data = loaded.value;
  const preview = data ? previewOf(data) : undefined;
  return (
    <li class="artifact" data-artifact={name}>
      <div class="artifact-head">
        <strong>{name}</strong>
        {data ? (
          <button type="button" onClick={() => saveBytes(name, data)}>
            Download ({data.length} bytes)
          </button>
        ) : null}
      </div>
      <div class="muted artifact-uri">{uri ?? "uri not reported by the server"}</div>
      {loaded.loading ? <p class="muted">Loading…</p> : null}
      <ErrorBox error={loaded.error} />
      {!loaded.loading && !loaded.error && !data ? <p class="muted">Not available through the API.</p> : null}
      {preview ? (
        <pre class={`code preview${preview.binary ? " muted" : ""}`} data-testid="artifact-preview">
          {preview.text}
          {preview.truncated && !preview.binary ? "\n…" : ""}
        </pre>
      ) : null}
    </li>
  );
}

/** The Logs and Output artifacts of graph node `node` of `run` (its executor nodes; several in a loop). */
export function TaskFiles({ run, node, spec }: { run: Run; node: GraphNode; spec: unknown }) {
  const nodes = executorNodes(run).filter((n) => n.task === node.task || n.task === node.label);
  const names = outputArtifactNames(spec, node.component);
  const many = nodes.length > 1;
  return (
    <div class="task-files" data-testid="task-files">
      <h4>Logs</h4>
      {nodes.length === 0 ? (
        <p class="muted" data-testid="task-log-none">
          No log yet: the task has not started an executor.
        </p>
      ) : (
        nodes.map((n, i) => (
          <NodeLog key={n.nodeId} runId={run.run_id} node={n} {...(many ? { label: `Run ${i + 1}` } : {})} />
        ))
      )}
      {names.length > 0 ? (
        <>
          <h4>Output artifacts</h4>
          {nodes.filter(finished).length === 0 ? (
            <p class="muted">Shown once the task has finished.</p>
          ) : (
            nodes.filter(finished).map((n, i) => (
              <ul class="artifacts" key={n.nodeId} data-testid="task-artifacts">
                {many ? <li class="muted">Run {i + 1}</li> : null}
                {names.map((name) => (
                  <ArtifactRow key={name} run={run} node={n} name={name} />
                ))}
              </ul>
            ))
          )}
        </>
      ) : null}
    </div>
  );
}
