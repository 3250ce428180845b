/** Requests: the emulator's inspector, live — each request opens to its headers, body and response. */
import { useState } from "preact/hooks";
import { control } from "../api.js";
import { CopyButton, ErrorBox, Section } from "../components/common.js";
import { useApp } from "../context.js";
import { usePoll } from "../hooks.js";
import {
  describePart,
  type InspectedRequest,
  matchesFilter,
  partPreview,
  prettyJson,
  queryString,
  REDACTED,
  toCurl,
} from "../model/inspected.js";

function statusClass(s: number): string {
  if (s === 0 || s >= 500) return "state-failed";
  if (s >= 400) return "state-canceled";
  return "state-succeeded";
}

function Headers({ headers }: { headers: Record<string, string | string[]> }) {
  return (
    <table class="kv" data-testid="headers">
      <tbody>
        {Object.entries(headers).map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td class={v === REDACTED ? "redacted" : ""}>{Array.isArray(v) ? v.join(", ") : v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Detail({ r }: { r: InspectedRequest }) {
  const body = r.body;
  const json = prettyJson(body?.prefix);
  return (
    <div class="request-detail" data-testid="request-detail">
      <dl class="facts">
        <dt>Method</dt>
        <dd>{r.method}</dd>
        <dt>Path</dt>
        <dd>
          <code>{r.path}</code>
        </dd>
        <dt>Query</dt>
        <dd>
          <code>{queryString(r.query) || "–"}</code>
        </dd>
        <dt>Status</dt>
        <dd>{r.status || "no response (connection dropped)"}</dd>
        <dt>Duration</dt>
        <dd>{r.duration_ms.toFixed(1)} ms</dd>
        {r.route ? (
          <>
            <dt>Route</dt>
            <dd>
              <code>{r.route}</code>
            </dd>
          </>
        ) : null}
        {r.fault ? (
          <>
            <dt>Fault</dt>
            <dd class="error">{r.fault}</dd>
          </>
        ) : null}
        {r.user ? (
          <>
            <dt>User</dt>
            <dd>{r.user}</dd>
          </>
        ) : null}
      </dl>
      <h4>Headers</h4>
      <Headers headers={r.headers} />
      <h4>Body</h4>
      {!body ? <p class="muted">No body.</p> : null}
      {body?.truncated ? <p class="error">The body was over the server's limit and was discarded.</p> : null}
      {body?.parts ? (
        <table class="list" data-testid="parts">
          <thead>
            <tr>
              <th>Part</th>
              <th>Filename</th>
              <th>Content type</th>
              <th>Size</th>
              <th>Holds</th>
            </tr>
          </thead>
          <tbody>
            {body.parts.map((p) => (
              <>
                <tr key={p.name} data-part={p.name}>
                  <td>{p.name}</td>
                  <td>{p.filename ?? ""}</td>
                  <td>{p.content_type ?? ""}</td>
                  <td>{p.size} B</td>
                  <td>{describePart(p)}</td>
                </tr>
                <tr class="preview">
                  <td colSpan={5}>
                    <pre class="code">{partPreview(p)}</pre>
                  </td>
                </tr>
              </>
            ))}
          </tbody>
        </table>
      ) : body?.prefix !== undefined ? (
        <>
          <p class="muted">
            {body.size} bytes{body.content_type ? `, ${body.content_type}` : ""}
            {body.prefix.length < body.size ? ` (first ${body.prefix.length} shown)` : ""}
          </p>
          <pre class="code">{json ?? body.prefix}</pre>
        </>
      ) : null}
      <h4>Response</h4>
      {r.response ? (
        <>
          <p class="muted">
            {r.status} · {r.response.size} bytes
            {r.response.content_type ? `, ${r.response.content_type}` : ""}
          </p>
          {r.response.prefix !== undefined ? (
            <pre class="code" data-testid="response">
              {prettyJson(r.response.prefix) ?? r.response.prefix}
            </pre>
          ) : null}
        </>
      ) : (
        <p class="muted">Status {r.status || "none"}.</p>
      )}
      <h4>As curl</h4>
      <pre class="code" data-testid="curl">
        {toCurl(r, location.origin)}
      </pre>
      <CopyButton text={toCurl(r, location.origin)} label="Copy as curl" />
    </div>
  );
}

export function RequestsPage() {
  const { settings } = useApp();
  const [requests, setRequests] = useState<InspectedRequest[]>([]);
  const [error, setError] = useState<unknown>();
  const [open, setOpen] = useState<number | undefined>();
  const [path, setPath] = useState("");
  const [status, setStatus] = useState("");
  const [live, setLive] = useState(true);
  usePoll(
    async () => {
      if (!live) return "stop";
      try {
        const r = await control<{ requests: InspectedRequest[] }>(settings, "requests");
        setRequests(r.requests);
        setError(undefined);
      } catch (err) {
        setError(err);
      }
      return undefined;
    },
    1000,
    [settings, live],
  );
  const shown = requests.filter((r) => matchesFilter(r, { path, status })).reverse();
  const clear = async () => {
    try {
      await control(settings, "requests", { method: "DELETE" });
      setRequests([]);
      setOpen(undefined);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section
      title="Requests"
      actions={
        <>
          <label>
            Path{" "}
            <input
              type="search"
              value={path}
              placeholder="contains"
              onInput={(e) => setPath((e.target as HTMLInputElement).value)}
            />
          </label>
          <label>
            Status{" "}
            <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
              <option value="">Any</option>
              <option value="2xx">2xx</option>
              <option value="4xx">4xx</option>
              <option value="5xx">5xx</option>
              <option value="error">Errors</option>
            </select>
          </label>
          <label>
            <input
              type="checkbox"
              checked={live}
              onChange={(e) => setLive((e.target as HTMLInputElement).checked)}
            />{" "}
            Live
          </label>
          <button type="button" onClick={clear}>
            Clear
          </button>
        </>
      }
    >
      <ErrorBox error={error} />
      <p class="muted">
        {shown.length} of {requests.length} requests (the emulator keeps the last ones; secrets are redacted
        by the emulator before they are stored).
      </p>
      <ul class="requests" data-testid="requests">
        {shown.map((r) => (
          <li key={r.seq} data-seq={r.seq} data-path={r.path}>
            <button
              type="button"
              class="request-row"
              aria-expanded={open === r.seq}
              onClick={() => setOpen(open === r.seq ? undefined : r.seq)}
            >
              <span class={`badge ${statusClass(r.status)}`}>{r.status || "—"}</span>
              <span class="method">{r.method}</span>
              <code class="path">{r.path}</code>
              <span class="muted">{r.duration_ms.toFixed(1)} ms</span>
              <span class="muted">{new Date(r.time).toLocaleTimeString()}</span>
            </button>
            {open === r.seq ? <Detail r={r} /> : null}
          </li>
        ))}
      </ul>
    </Section>
  );
}
