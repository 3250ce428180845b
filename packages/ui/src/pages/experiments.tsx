/** Experiments and recurring runs: lists and one of each. */
import { runFilter } from "kfp-ts";
import { ErrorBox, Json, Loading, Section, StateBadge, Time } from "../components/common.js";
import { useApp } from "../context.js";
import { href, useLoad } from "../hooks.js";

export function ExperimentsPage() {
  const { kfp, settings } = useApp();
  const list = useLoad(
    (signal) =>
      kfp.experiments.list(
        {
          page_size: 100,
          sort_by: "created_at desc",
          ...(settings.namespace ? { namespace: settings.namespace } : {}),
        },
        { signal },
      ),
    [settings],
  );
  return (
    <Section title="Experiments">
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.value} />
      <table class="list" data-testid="experiments">
        <thead>
          <tr>
            <th>Name</th>
            <th>Description</th>
            <th>State</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {(list.value?.items ?? []).map((e) => (
            <tr key={e.experiment_id}>
              <td>
                <a href={href("experiments", e.experiment_id)}>{e.display_name || e.experiment_id}</a>
              </td>
              <td>{e.description ?? ""}</td>
              <td>{e.storage_state ?? ""}</td>
              <td>
                <Time value={e.created_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

export function ExperimentPage({ experimentId }: { experimentId: string }) {
  const { kfp } = useApp();
  const exp = useLoad((signal) => kfp.experiments.get(experimentId, { signal }), [experimentId]);
  const runs = useLoad(
    (signal) =>
      kfp.runs.list({ experiment_id: experimentId, page_size: 50, sort_by: "created_at desc" }, { signal }),
    [experimentId],
  );
  const recurring = useLoad(
    (signal) => kfp.recurringRuns.list({ experiment_id: experimentId, page_size: 50 }, { signal }),
    [experimentId],
  );
  return (
    <>
      <nav class="crumbs">
        <a href={href("experiments")}>Experiments</a> / {exp.value?.display_name ?? experimentId}
      </nav>
      <ErrorBox error={exp.error} />
      {exp.value ? (
        <Section title={exp.value.display_name || experimentId}>
          <dl class="facts">
            <dt>Id</dt>
            <dd>{exp.value.experiment_id}</dd>
            <dt>Namespace</dt>
            <dd>{exp.value.namespace || "–"}</dd>
            <dt>State</dt>
            <dd>{exp.value.storage_state}</dd>
            <dt>Created</dt>
            <dd>
              <Time value={exp.value.created_at} />
            </dd>
          </dl>
        </Section>
      ) : null}
      <Section title="Runs">
        <ErrorBox error={runs.error} />
        <ul class="plain">
          {(runs.value?.items ?? []).map((r) => (
            <li key={r.run_id}>
              <StateBadge state={r.state} /> <a href={href("runs", r.run_id)}>{r.display_name || r.run_id}</a>
            </li>
          ))}
          {runs.value?.items.length === 0 ? <li class="muted">No runs.</li> : null}
        </ul>
      </Section>
      <Section title="Recurring runs">
        <ErrorBox error={recurring.error} />
        <ul class="plain">
          {(recurring.value?.items ?? []).map((r) => (
            <li key={r.recurring_run_id}>
              <a href={href("recurring", r.recurring_run_id)}>{r.display_name || r.recurring_run_id}</a> (
              {r.status ?? r.mode})
            </li>
          ))}
          {recurring.value?.items.length === 0 ? <li class="muted">No recurring runs.</li> : null}
        </ul>
      </Section>
    </>
  );
}

export function RecurringRunsPage() {
  const { kfp, settings } = useApp();
  const list = useLoad(
    (signal) =>
      kfp.recurringRuns.list(
        { page_size: 100, ...(settings.namespace ? { namespace: settings.namespace } : {}) },
        { signal },
      ),
    [settings],
  );
  return (
    <Section title="Recurring runs">
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.value} />
      <table class="list" data-testid="recurring-runs">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Trigger</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {(list.value?.items ?? []).map((r) => (
            <tr key={r.recurring_run_id}>
              <td>
                <a href={href("recurring", r.recurring_run_id)}>{r.display_name || r.recurring_run_id}</a>
              </td>
              <td>{r.status ?? ""}</td>
              <td>
                <code>
                  {r.trigger?.cron_schedule?.cron ??
                    (r.trigger?.periodic_schedule
                      ? `every ${r.trigger.periodic_schedule.interval_second}s`
                      : "")}
                </code>
              </td>
              <td>
                <Time value={r.created_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

export function RecurringRunPage({ id }: { id: string }) {
  const { kfp } = useApp();
  const rr = useLoad((signal) => kfp.recurringRuns.get(id, { signal }), [id]);
  const runs = useLoad(
    (signal) => kfp.runs.list({ filter: runFilter().eq("recurring_run_id", id), page_size: 50 }, { signal }),
    [id],
  );
  return (
    <>
      <nav class="crumbs">
        <a href={href("recurring")}>Recurring runs</a> / {rr.value?.display_name ?? id}
      </nav>
      <ErrorBox error={rr.error} />
      {rr.value ? (
        <Section title={rr.value.display_name || id}>
          <Json value={rr.value} />
        </Section>
      ) : null}
      <Section title="Runs it started">
        <ErrorBox error={runs.error} />
        <ul class="plain">
          {(runs.value?.items ?? []).map((r) => (
            <li key={r.run_id}>
              <StateBadge state={r.state} /> <a href={href("runs", r.run_id)}>{r.display_name || r.run_id}</a>
            </li>
          ))}
        </ul>
      </Section>
    </>
  );
}
