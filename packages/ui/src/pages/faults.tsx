/** Faults: the emulator's fault rules — list, add, remove, clear. */
import { useState } from "preact/hooks";
import { control, errorMessage } from "../api.js";
import { ErrorBox, Section } from "../components/common.js";
import { useApp } from "../context.js";
import { useLoad } from "../hooks.js";

interface Fault {
  id: string;
  method?: string;
  path: string;
  action: string;
  times?: number;
  after?: number;
  latencyMs?: number;
  status?: number;
  seen?: number;
  fired?: number;
}

const ACTIONS = ["unavailable", "latency", "reset-before-body", "reset-after-body", "truncate"];

export function FaultsPage() {
  const { settings } = useApp();
  const list = useLoad(() => control<{ faults: Fault[] }>(settings, "faults"), [settings]);
  const [method, setMethod] = useState("");
  const [path, setPath] = useState("^/apis/v2beta1/runs$");
  const [action, setAction] = useState("unavailable");
  const [times, setTimes] = useState("");
  const [latency, setLatency] = useState("");
  const [message, setMessage] = useState<string | undefined>();

  const call = async (fn: () => Promise<unknown>) => {
    setMessage(undefined);
    try {
      await fn();
      list.reload();
    } catch (err) {
      setMessage(errorMessage(err));
    }
  };
  const add = (e: Event) => {
    e.preventDefault();
    const rule: Record<string, unknown> = { path, action };
    if (method) rule.method = method;
    if (times.trim()) rule.times = Number(times);
    if (latency.trim()) rule.latencyMs = Number(latency);
    void call(() => control(settings, "faults", { method: "POST", body: JSON.stringify(rule) }));
  };
  return (
    <>
      <Section
        title="Fault rules"
        actions={
          <button type="button" onClick={() => call(() => control(settings, "faults", { method: "DELETE" }))}>
            Remove all
          </button>
        }
      >
        <ErrorBox error={list.error} />
        <table class="list" data-testid="faults">
          <thead>
            <tr>
              <th>Method</th>
              <th>Path</th>
              <th>Action</th>
              <th>Times</th>
              <th>Fired</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(list.value?.faults ?? []).map((f) => (
              <tr key={f.id} data-fault-id={f.id}>
                <td>{f.method ?? "any"}</td>
                <td>
                  <code>{f.path}</code>
                </td>
                <td>
                  {f.action}
                  {f.latencyMs ? ` (+${f.latencyMs} ms)` : ""}
                </td>
                <td>{f.times ?? "∞"}</td>
                <td>{f.fired ?? 0}</td>
                <td>
                  <button
                    type="button"
                    onClick={() =>
                      call(() =>
                        control(settings, `faults/${encodeURIComponent(f.id)}`, { method: "DELETE" }),
                      )
                    }
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
            {list.value && list.value.faults.length === 0 ? (
              <tr>
                <td colSpan={6} class="muted">
                  No fault rules: every request is answered normally.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </Section>
      <Section title="Add a rule">
        <form class="row wrap" onSubmit={add} data-testid="fault-form">
          <label>
            Method{" "}
            <select value={method} onChange={(e) => setMethod((e.target as HTMLSelectElement).value)}>
              {["", "GET", "POST", "PATCH", "PUT", "DELETE"].map((m) => (
                <option value={m}>{m || "any"}</option>
              ))}
            </select>
          </label>
          <label>
            Path (regular expression){" "}
            <input value={path} onInput={(e) => setPath((e.target as HTMLInputElement).value)} required />
          </label>
          <label>
            Action{" "}
            <select value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)}>
              {ACTIONS.map((a) => (
                <option value={a}>{a}</option>
              ))}
            </select>
          </label>
          <label>
            Times{" "}
            <input
              value={times}
              inputMode="numeric"
              placeholder="every time"
              onInput={(e) => setTimes((e.target as HTMLInputElement).value)}
              size={8}
            />
          </label>
          <label>
            Latency ms{" "}
            <input
              value={latency}
              inputMode="numeric"
              placeholder="0"
              onInput={(e) => setLatency((e.target as HTMLInputElement).value)}
              size={8}
            />
          </label>
          <button class="primary" type="submit">
            Add rule
          </button>
        </form>
        {message ? (
          <p class="error" role="alert">
            {message}
          </p>
        ) : null}
      </Section>
    </>
  );
}
