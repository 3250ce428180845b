/** Runs: the list (state, duration; filter by state and experiment) and one run, coloured live. */
import { type Run, runFilter, TERMINAL_STATES } from "kfp-ts";
import { useMemo, useState } from "preact/hooks";
import { errorMessage } from "../api.js";
import { ErrorBox, Json, Loading, Section, StateBadge, Time } from "../components/common.js";
import { GraphView } from "../components/graph-view.js";
import { TaskFiles } from "../components/task-logs.js";
import { useApp } from "../context.js";
import { href, useLoad, usePoll } from "../hooks.js";
import { specToGraph } from "../model/graph.js";
import { durationSeconds, formatDuration, nodeStates } from "../model/run-states.js";

const STATES = [
  "",
  "PENDING",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "SKIPPED",
  "CANCELING",
  "CANCELED",
  "PAUSED",
];
/** How often a run's page asks for the run while it moves (the issue asks for ≤ 1 s). */
export const RUN_POLL_MS = 500;

function runDuration(r: Run): string {
  const end = r.finished_at && !r.finished_at.startsWith("1970-") ? r.finished_at : undefined;
  return formatDuration(
    durationSeconds(
      r.created_at,
      end ?? (TERMINAL_STATES.has(r.state as never) ? undefined : new Date().toISOString()),
    ),
  );
}

export function RunsPage() {
  const { kfp, settings } = useApp();
  const [state, setState] = useState("");
  const [experiment, setExperiment] = useState("");
  const [runs, setRuns] = useState<Run[] | undefined>();
  const [error, setError] = useState<unknown>();
  const experiments = useLoad(
    (signal) =>
      kfp.experiments.list(
        { page_size: 100, ...(settings.namespace ? { namespace: settings.namespace } : {}) },
        { signal },
      ),
    [settings],
  );
  usePoll(
    async (signal) => {
      try {
        const page = await kfp.runs.list(
          {
            page_size: 50,
            sort_by: "created_at desc",
            ...(state ? { filter: runFilter().eq("state", state as never) } : {}),
            ...(experiment
              ? { experiment_id: experiment }
              : settings.namespace
                ? { namespace: settings.namespace }
                : {}),
          },
          { signal },
        );
        setRuns(page.items);
        setError(undefined);
      } catch (err) {
        if (!signal.aborted) setError(err);
      }
      return undefined;
    },
    2000,
    [state, experiment, settings],
  );
  const expName = new Map((experiments.value?.items ?? []).map((e) => [e.experiment_id, e.display_name]));
  return (
    <Section
      title="Runs"
      actions={
        <>
          <label>
            State{" "}
            <select
              value={state}
              onChange={(e) => setState((e.target as HTMLSelectElement).value)}
              data-testid="state-filter"
            >
              {STATES.map((s) => (
                <option value={s}>{s || "Any"}</option>
              ))}
            </select>
          </label>
          <label>
            Experiment{" "}
            <select value={experiment} onChange={(e) => setExperiment((e.target as HTMLSelectElement).value)}>
              <option value="">Any</option>
              {(experiments.value?.items ?? []).map((x) => (
                <option value={x.experiment_id}>{x.display_name}</option>
              ))}
            </select>
          </label>
        </>
      }
    >
      <ErrorBox error={error} />
      <Loading when={!runs && !error} />
      {runs ? (
        <table class="list" data-testid="runs">
          <thead>
            <tr>
              <th>Run</th>
              <th>State</th>
              <th>Duration</th>
              <th>Experiment</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.run_id} data-run-id={r.run_id}>
                <td>
                  <a href={href("runs", r.run_id)}>{r.display_name || r.run_id}</a>
                </td>
                <td>
                  <StateBadge state={r.state} />
                </td>
                <td>{runDuration(r)}</td>
                <td>
                  {r.experiment_id ? (
                    <a href={href("experiments", r.experiment_id)}>
                      {expName.get(r.experiment_id) ?? r.experiment_id.slice(0, 8)}
                    </a>
                  ) : (
                    ""
                  )}
                </td>
                <td>
                  <Time value={r.created_at} />
                </td>
              </tr>
            ))}
            {runs.length === 0 ? (
              <tr>
                <td colSpan={5} class="muted">
                  No runs.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      ) : null}
    </Section>
  );
}

export function RunPage({ runId }: { runId: string }) {
  const { kfp } = useApp();
  const [run, setRun] = useState<Run | undefined>();
  const [error, setError] = useState<unknown>();
  const [selected, setSelected] = useState<string | undefined>();
  const [action, setAction] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  usePoll(
    async (signal) => {
      try {
        const r = await kfp.runs.get(runId, { signal });
        setRun(r);
        setError(undefined);
        return TERMINAL_STATES.has(r.state as never) ? "stop" : undefined;
      } catch (err) {
        if (!signal.aborted) setError(err);
        return undefined;
      }
    },
    RUN_POLL_MS,
    [runId, tick],
  );
  const ref = run?.pipeline_version_reference;
  const spec = useLoad(
    async (signal) => {
      if (run?.pipeline_spec) return run.pipeline_spec;
      if (!ref?.pipeline_id || !ref.pipeline_version_id) return undefined;
      return (await kfp.pipelines.versions.get(ref.pipeline_id, ref.pipeline_version_id, { signal }))
        .pipeline_spec;
    },
    [ref?.pipeline_id, ref?.pipeline_version_id, Boolean(run?.pipeline_spec)],
  );
  const graph = useMemo(() => specToGraph(spec.value), [spec.value]);
  const states = useMemo(() => nodeStates(graph.nodes, run), [graph, run]);
  const node = graph.nodes.find((n) => n.id === selected);
  const nodeState = selected ? states.get(selected) : undefined;
  const terminal = run ? TERMINAL_STATES.has(run.state as never) : false;

  const act = async (what: "terminate" | "retry") => {
    setAction(undefined);
    try {
      await (what === "terminate" ? kfp.runs.terminate(runId) : kfp.runs.retry(runId));
      setAction(what === "terminate" ? "Termination requested." : "Retry requested.");
      setTick((t) => t + 1);
    } catch (err) {
      setAction(errorMessage(err));
    }
  };

  return (
    <>
      <nav class="crumbs">
        <a href={href("runs")}>Runs</a> / {run?.display_name ?? runId}
      </nav>
      <ErrorBox error={error} />
      <Loading when={!run && !error} />
      {run ? (
        <>
          <Section
            title={run.display_name || runId}
            actions={
              <>
                <StateBadge state={run.state} />
                <button type="button" disabled={terminal} onClick={() => act("terminate")}>
                  Terminate
                </button>
                <button
                  type="button"
                  disabled={!(run.state === "FAILED" || run.state === "CANCELED")}
                  onClick={() => act("retry")}
                >
                  Retry
                </button>
              </>
            }
          >
            {action ? <p role="status">{action}</p> : null}
            <dl class="facts" data-testid="run-facts">
              <dt>State</dt>
              <dd data-testid="run-state">{run.state}</dd>
              <dt>Created</dt>
              <dd>
                <Time value={run.created_at} />
              </dd>
              <dt>Finished</dt>
              <dd>
                <Time value={run.finished_at} />
              </dd>
              <dt>Duration</dt>
              <dd>{runDuration(run)}</dd>
              {ref?.pipeline_id ? (
                <>
                  <dt>Pipeline</dt>
                  <dd>
                    <a href={href("pipelines", ref.pipeline_id, "versions", ref.pipeline_version_id ?? "")}>
                      version
                    </a>
                  </dd>
                </>
              ) : null}
              {run.error?.message ? (
                <>
                  <dt>Error</dt>
                  <dd class="error">{run.error.message}</dd>
                </>
              ) : null}
            </dl>
          </Section>
          <Section title="Graph">
            <ErrorBox error={spec.error} />
            <div class="split">
              <GraphView graph={graph} states={states} selected={selected} onSelect={setSelected} />
              {node ? (
                <aside class="details" aria-label="Task details" data-testid="task-details">
                  <h3>{node.label}</h3>
                  <p>
                    <StateBadge state={nodeState?.state ?? "not started"} />
                  </p>
                  <dl class="facts">
                    <dt>Component</dt>
                    <dd>{node.component}</dd>
                    {node.image ? (
                      <>
                        <dt>Image</dt>
                        <dd>{node.image}</dd>
                      </>
                    ) : null}
                  </dl>
                  {(nodeState?.instances ?? []).map((i, n) => (
                    <div class="instance" key={i.taskId}>
                      <h4>
                        {nodeState && nodeState.instances.length > 1 ? `Instance ${n + 1}: ` : ""}
                        <StateBadge state={i.state} />
                      </h4>
                      {i.error ? <p class="error">{i.error}</p> : null}
                      <ol class="history">
                        {i.history.map((h) => (
                          <li>
                            <Time value={h.time} /> {h.state}
                          </li>
                        ))}
                      </ol>
                      {i.inputs !== undefined ? (
                        <>
                          <h5>Inputs</h5>
                          <Json value={i.inputs} />
                        </>
                      ) : null}
                      {i.outputs !== undefined ? (
                        <>
                          <h5>Outputs</h5>
                          <Json value={i.outputs} />
                        </>
                      ) : null}
                    </div>
                  ))}
                  {node.kind === "container" ? <TaskFiles run={run} node={node} spec={spec.value} /> : null}
                </aside>
              ) : null}
            </div>
          </Section>
          <Section title="Run parameters">
            <Json value={run.runtime_config?.parameters ?? {}} />
          </Section>
        </>
      ) : null}
    </>
  );
}
