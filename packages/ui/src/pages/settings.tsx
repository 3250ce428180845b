/** Settings: who the UI acts as (a token or an identity header), the namespace, the theme. */
import { useState } from "preact/hooks";
import { Section } from "../components/common.js";
import { useApp } from "../context.js";
import type { AuthMode, Settings, Theme } from "../settings.js";

export function SettingsPage() {
  const { settings, setSettings } = useApp();
  const [draft, setDraft] = useState<Settings>(settings);
  const [saved, setSaved] = useState(false);
  const set = (patch: Partial<Settings>) => {
    setDraft({ ...draft, ...patch });
    setSaved(false);
  };
  const text = (k: keyof Settings) => (e: Event) => set({ [k]: (e.target as HTMLInputElement).value });
  return (
    <Section title="Settings">
      <form
        data-testid="settings"
        onSubmit={(e) => {
          e.preventDefault();
          setSettings(draft);
          setSaved(true);
        }}
      >
        <fieldset>
          <legend>Act as</legend>
          {(
            [
              ["none", "Nobody (a single-user server)"],
              ["token", "A bearer token"],
              ["header", "An identity header (multi-user mode behind a trusted proxy)"],
            ] as [AuthMode, string][]
          ).map(([v, l]) => (
            <label class="choice">
              <input
                type="radio"
                name="auth"
                value={v}
                checked={draft.auth === v}
                onChange={() => set({ auth: v })}
              />{" "}
              {l}
            </label>
          ))}
          {draft.auth === "token" ? (
            <div class="field">
              <label for="token">Token</label>
              <input
                id="token"
                type="password"
                autoComplete="off"
                value={draft.token}
                onInput={text("token")}
              />
            </div>
          ) : null}
          {draft.auth === "header" ? (
            <div class="row wrap">
              <div class="field">
                <label for="header-name">Header</label>
                <input id="header-name" value={draft.headerName} onInput={text("headerName")} />
              </div>
              <div class="field">
                <label for="identity">User</label>
                <input
                  id="identity"
                  value={draft.identity}
                  placeholder="alice@example.com"
                  onInput={text("identity")}
                />
              </div>
            </div>
          ) : null}
        </fieldset>
        <div class="field">
          <label for="namespace">Namespace</label>
          <input
            id="namespace"
            value={draft.namespace}
            placeholder="empty: shared / the server's default"
            onInput={text("namespace")}
          />
          <small class="muted">
            Pipelines, runs and experiments are listed in this namespace (multi-user mode needs one).
          </small>
        </div>
        <div class="field">
          <label for="theme">Theme</label>
          <select
            id="theme"
            value={draft.theme}
            onChange={(e) => set({ theme: (e.target as HTMLSelectElement).value as Theme })}
          >
            <option value="auto">Like the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </div>
        <button class="primary" type="submit">
          Save
        </button>
        {saved ? (
          <span role="status" class="ok">
            {" "}
            Saved in this browser.
          </span>
        ) : null}
        <p class="muted">Kept in this browser's localStorage only; the token is sent only to this server.</p>
      </form>
    </Section>
  );
}
