/** A pipeline version: its graph, its parameters (types, defaults), the spec as YAML, and the run form. */
import { runParameterDefinitions } from "kfp-ts";
import type { JSX } from "preact";
import { useMemo, useState } from "preact/hooks";
import { errorMessage } from "../api.js";
import { download, ErrorBox, Loading, Section } from "../components/common.js";
import { GraphView } from "../components/graph-view.js";
import { useApp } from "../context.js";
import { href, useLoad } from "../hooks.js";
import { specToGraph, unwrapSpec } from "../model/graph.js";
import { type FormField, formFields, readForm } from "../model/param-form.js";
import { toYaml } from "../model/yaml.js";

export function VersionPage({ pipelineId, versionId }: { pipelineId: string; versionId: string }) {
  const { kfp } = useApp();
  const version = useLoad(
    (signal) => kfp.pipelines.versions.get(pipelineId, versionId, { signal }),
    [pipelineId, versionId],
  );
  const [selected, setSelected] = useState<string | undefined>();
  const [showYaml, setShowYaml] = useState(false);
  const v = version.value;
  const graph = useMemo(() => specToGraph(v?.pipeline_spec), [v]);
  const params = useMemo(() => runParameterDefinitions(v?.pipeline_spec ?? {}), [v]);
  const yaml = useMemo(() => (v?.pipeline_spec ? toYaml(unwrapSpec(v.pipeline_spec)) : ""), [v]);
  const node = graph.nodes.find((n) => n.id === selected);
  const name = v?.display_name || v?.name || versionId;
  return (
    <>
      <nav class="crumbs">
        <a href={href("pipelines")}>Pipelines</a> / <a href={href("pipelines", pipelineId)}>pipeline</a> /{" "}
        {name}
      </nav>
      <ErrorBox error={version.error} />
      <Loading when={version.loading && !v} />
      {v ? (
        <>
          <Section
            title={`Graph of ${name}`}
            actions={
              <a class="button primary" href={href("pipelines", pipelineId, "versions", versionId, "run")}>
                Start a run
              </a>
            }
          >
            <div class="split">
              <GraphView graph={graph} selected={selected} onSelect={setSelected} />
              {node ? (
                <aside class="details" aria-label="Task details" data-testid="task-details">
                  <h3>{node.label}</h3>
                  <dl class="facts">
                    <dt>Task</dt>
                    <dd>{node.id}</dd>
                    <dt>Component</dt>
                    <dd>{node.component}</dd>
                    <dt>Kind</dt>
                    <dd>{node.group ?? node.kind}</dd>
                    {node.image ? (
                      <>
                        <dt>Image</dt>
                        <dd>{node.image}</dd>
                      </>
                    ) : null}
                    {node.detail ? (
                      <>
                        <dt>{node.group === "loop" ? "Iterates" : "Condition"}</dt>
                        <dd>
                          <code>{node.detail}</code>
                        </dd>
                      </>
                    ) : null}
                  </dl>
                </aside>
              ) : null}
            </div>
          </Section>
          <Section title="Parameters">
            {params.length === 0 ? (
              <p class="muted">This pipeline takes no parameters.</p>
            ) : (
              <table class="list" data-testid="parameters">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Type</th>
                    <th>Default</th>
                    <th>Required</th>
                  </tr>
                </thead>
                <tbody>
                  {params.map((p) => (
                    <tr key={p.name}>
                      <td>{p.name}</td>
                      <td>{p.type}</td>
                      <td>
                        <code>{p.hasDefault ? JSON.stringify(p.defaultValue) : ""}</code>
                      </td>
                      <td>{p.required ? "yes" : "no"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section
            title="Spec"
            actions={
              <>
                <button type="button" onClick={() => setShowYaml(!showYaml)} aria-expanded={showYaml}>
                  {showYaml ? "Hide YAML" : "Show YAML"}
                </button>
                <button type="button" onClick={() => download(`${v.name || "pipeline"}.yaml`, yaml)}>
                  Download YAML
                </button>
              </>
            }
          >
            {showYaml ? (
              <pre class="code" data-testid="spec-yaml">
                {yaml}
              </pre>
            ) : null}
          </Section>
        </>
      ) : null}
    </>
  );
}

function Field({ f, value, onInput }: { f: FormField; value: string; onInput: (v: string) => void }) {
  const id = `param-${f.name}`;
  const input = (e: Event) => onInput((e.target as HTMLInputElement).value);
  let control: JSX.Element;
  if (f.control === "checkbox")
    control = (
      <input
        id={id}
        name={f.name}
        type="checkbox"
        checked={value === "true"}
        onChange={(e) => onInput((e.target as HTMLInputElement).checked ? "true" : "false")}
      />
    );
  else if (f.control === "select")
    control = (
      <select id={id} name={f.name} value={value} onChange={input}>
        {(f.options ?? []).map((o) => (
          <option value={o}>{o}</option>
        ))}
      </select>
    );
  else if (f.control === "json")
    control = <textarea id={id} name={f.name} rows={3} value={value} onInput={input} />;
  else
    control = (
      <input
        id={id}
        name={f.name}
        type="text"
        inputMode={f.control === "number" ? "decimal" : undefined}
        value={value}
        onInput={input}
      />
    );
  return (
    <div class="field">
      <label for={id}>
        {f.name}{" "}
        <span class="muted">
          ({f.type}
          {f.required ? ", required" : ""})
        </span>
      </label>
      {control}
      <small class="muted">{f.description ?? f.hint}</small>
    </div>
  );
}

export function RunFormPage({ pipelineId, versionId }: { pipelineId: string; versionId: string }) {
  const { kfp, settings } = useApp();
  const version = useLoad(
    (signal) => kfp.pipelines.versions.get(pipelineId, versionId, { signal }),
    [pipelineId, versionId],
  );
  const experiments = useLoad(
    (signal) =>
      kfp.experiments.list(
        { page_size: 100, ...(settings.namespace ? { namespace: settings.namespace } : {}) },
        { signal },
      ),
    [settings],
  );
  const spec = version.value?.pipeline_spec;
  const fields = useMemo(() => formFields(spec ?? {}), [spec]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [runName, setRunName] = useState("");
  const [experimentId, setExperimentId] = useState("");
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!spec) return;
    const form = readForm(spec, fields, values);
    setProblems(form.problems);
    if (form.problems.length) return;
    setBusy(true);
    setError(undefined);
    try {
      const run = await kfp.runs.create({
        display_name:
          runName.trim() ||
          `${version.value?.display_name || "run"} ${new Date().toISOString().slice(0, 19)}`,
        pipeline_id: pipelineId,
        pipeline_version_id: versionId,
        parameters: form.parameters,
        ...(experimentId ? { experiment_id: experimentId } : {}),
      });
      location.hash = href("runs", run.run_id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <nav class="crumbs">
        <a href={href("pipelines")}>Pipelines</a> /{" "}
        <a href={href("pipelines", pipelineId, "versions", versionId)}>version</a> / start a run
      </nav>
      <ErrorBox error={version.error} />
      <Section title={`Start a run of ${version.value?.display_name ?? "…"}`}>
        <form onSubmit={submit} noValidate data-testid="run-form">
          <div class="field">
            <label for="run-name">Run name</label>
            <input
              id="run-name"
              value={runName}
              placeholder="generated when empty"
              onInput={(e) => setRunName((e.target as HTMLInputElement).value)}
            />
          </div>
          <div class="field">
            <label for="run-experiment">Experiment</label>
            <select
              id="run-experiment"
              value={experimentId}
              onChange={(e) => setExperimentId((e.target as HTMLSelectElement).value)}
            >
              <option value="">Default</option>
              {(experiments.value?.items ?? []).map((x) => (
                <option value={x.experiment_id}>{x.display_name}</option>
              ))}
            </select>
          </div>
          {fields.map((f) => (
            <Field
              key={f.name}
              f={f}
              value={values[f.name] ?? f.initial}
              onInput={(v) => setValues({ ...values, [f.name]: v })}
            />
          ))}
          {problems.length ? (
            <ul class="error" role="alert" data-testid="form-problems">
              {problems.map((p) => (
                <li>{p}</li>
              ))}
            </ul>
          ) : null}
          {error ? (
            <p class="error" role="alert">
              {error}
            </p>
          ) : null}
          <button class="primary" type="submit" disabled={busy || !spec}>
            {busy ? "Starting…" : "Start run"}
          </button>
        </form>
      </Section>
    </>
  );
}
