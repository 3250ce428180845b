/** Small shared pieces: errors, state badges, times, loading, copy. */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { errorMessage } from "../api.js";
import { stateClass } from "../model/run-states.js";

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {errorMessage(error)}
    </p>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? <p class="muted">Loading…</p> : null;
}

export function StateBadge({ state }: { state: string | undefined }) {
  const s = state ?? "UNKNOWN";
  return (
    <span class={`badge ${stateClass(s)}`} data-state={s}>
      {s.replace(/^RUNTIME_STATE_/, "")}
    </span>
  );
}

export function Time({ value }: { value: string | undefined }) {
  if (!value || value.startsWith("0001-") || value.startsWith("1970-01-01T00:00:00"))
    return <span class="muted">–</span>;
  const d = new Date(value);
  return <time dateTime={value}>{Number.isNaN(d.getTime()) ? value : d.toLocaleString()}</time>;
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="card">
      <header class="card-head">
        <h2>{title}</h2>
        {actions ? <div class="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          // Clipboard refused (no secure context): select a textarea copy instead.
          const t = document.createElement("textarea");
          t.value = text;
          document.body.append(t);
          t.select();
          document.execCommand("copy");
          t.remove();
        }
        setDone(true);
        setTimeout(() => setDone(false), 1500);
      }}
    >
      {done ? "Copied" : label}
    </button>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre class="code">{JSON.stringify(value, null, 2)}</pre>;
}

/** Save `text` as a file named `name`. */
export function download(name: string, text: string, type = "application/x-yaml"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
