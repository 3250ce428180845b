/** Pipelines: the list (search, sort, namespace), one pipeline's versions, and upload. */
import { type Pipeline, pipelineFilter } from "kfp-ts";
import { useState } from "preact/hooks";
import { ErrorBox, Loading, Section, Time } from "../components/common.js";
import { UploadZone } from "../components/upload.js";
import { useApp } from "../context.js";
import { href, useLoad } from "../hooks.js";

const SORTS = [
  ["created_at desc", "Newest first"],
  ["created_at asc", "Oldest first"],
  ["display_name asc", "Name A–Z"],
  ["display_name desc", "Name Z–A"],
] as const;

export function PipelinesPage() {
  const { kfp, settings } = useApp();
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState<string>(SORTS[0][0]);
  const [token, setToken] = useState<string | undefined>(undefined);
  const [tokens, setTokens] = useState<(string | undefined)[]>([]);
  const list = useLoad(
    (signal) =>
      kfp.pipelines.list(
        {
          page_size: 25,
          sort_by: sort,
          ...(query.trim() ? { filter: pipelineFilter().substring("display_name", query.trim()) } : {}),
          ...(token ? { page_token: token } : {}),
          ...(settings.namespace ? { namespace: settings.namespace } : {}),
        },
        { signal },
      ),
    [query, sort, token, settings],
  );
  const page = list.value;
  return (
    <>
      <Section
        title="Pipelines"
        actions={
          <>
            <label>
              Search{" "}
              <input
                type="search"
                value={query}
                placeholder="name contains"
                onInput={(e) => {
                  setQuery((e.target as HTMLInputElement).value);
                  setToken(undefined);
                  setTokens([]);
                }}
              />
            </label>
            <label>
              Sort{" "}
              <select value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value)}>
                {SORTS.map(([v, l]) => (
                  <option value={v}>{l}</option>
                ))}
              </select>
            </label>
            <span class="muted">namespace: {settings.namespace || "(shared)"}</span>
          </>
        }
      >
        <ErrorBox error={list.error} />
        <Loading when={list.loading && !page} />
        {page ? (
          <>
            <table class="list" data-testid="pipelines">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Description</th>
                  <th>Namespace</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((p: Pipeline) => (
                  <tr key={p.pipeline_id} data-pipeline-id={p.pipeline_id}>
                    <td>
                      <a href={href("pipelines", p.pipeline_id)}>
                        {p.display_name || p.name || p.pipeline_id}
                      </a>
                    </td>
                    <td>{p.description ?? ""}</td>
                    <td>{p.namespace || <span class="muted">shared</span>}</td>
                    <td>
                      <Time value={p.created_at} />
                    </td>
                  </tr>
                ))}
                {page.items.length === 0 ? (
                  <tr>
                    <td colSpan={4} class="muted">
                      No pipelines{query ? ` whose name contains "${query}"` : ""}.
                    </td>
                  </tr>
                ) : null}
              </tbody>
            </table>
            <div class="pager">
              <button
                type="button"
                disabled={tokens.length === 0}
                onClick={() => {
                  setToken(tokens[tokens.length - 1]);
                  setTokens(tokens.slice(0, -1));
                }}
              >
                Previous
              </button>
              <span class="muted">{page.total_size} in all</span>
              <button
                type="button"
                disabled={!page.next_page_token}
                onClick={() => {
                  setTokens([...tokens, token]);
                  setToken(page.next_page_token);
                }}
              >
                Next
              </button>
            </div>
          </>
        ) : null}
      </Section>
      <Section title="Upload a pipeline">
        <UploadZone onDone={() => list.reload()} />
      </Section>
    </>
  );
}

export function PipelinePage({ pipelineId }: { pipelineId: string }) {
  const { kfp } = useApp();
  const pipeline = useLoad((signal) => kfp.pipelines.get(pipelineId, { signal }), [pipelineId]);
  const versions = useLoad(
    (signal) =>
      kfp.pipelines.versions.list(pipelineId, { page_size: 100, sort_by: "created_at desc" }, { signal }),
    [pipelineId],
  );
  const p = pipeline.value;
  return (
    <>
      <nav class="crumbs">
        <a href={href("pipelines")}>Pipelines</a> / {p?.display_name ?? pipelineId}
      </nav>
      <ErrorBox error={pipeline.error} />
      {p ? (
        <Section title={p.display_name || p.name || pipelineId}>
          <dl class="facts">
            <dt>Id</dt>
            <dd>{p.pipeline_id}</dd>
            <dt>Name</dt>
            <dd>{p.name}</dd>
            <dt>Namespace</dt>
            <dd>{p.namespace || "shared"}</dd>
            <dt>Created</dt>
            <dd>
              <Time value={p.created_at} />
            </dd>
            {p.description ? (
              <>
                <dt>Description</dt>
                <dd>{p.description}</dd>
              </>
            ) : null}
          </dl>
        </Section>
      ) : null}
      <Section title="Versions">
        <ErrorBox error={versions.error} />
        <Loading when={versions.loading && !versions.value} />
        {versions.value ? (
          <table class="list" data-testid="versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>Created</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {versions.value.items.map((v) => (
                <tr key={v.pipeline_version_id}>
                  <td>
                    <a href={href("pipelines", pipelineId, "versions", v.pipeline_version_id)}>
                      {v.display_name || v.name || v.pipeline_version_id}
                    </a>
                  </td>
                  <td>
                    <Time value={v.created_at} />
                  </td>
                  <td>
                    <a
                      class="button"
                      href={href("pipelines", pipelineId, "versions", v.pipeline_version_id, "run")}
                    >
                      Start a run
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Section>
      <Section title="Upload a new version">
        <UploadZone pipelineId={pipelineId} onDone={() => versions.reload()} />
      </Section>
    </>
  );
}
