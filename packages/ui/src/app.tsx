/** The app shell: navigation, the hash routes, settings and the client in context. */
import { useEffect, useMemo, useState } from "preact/hooks";
import { hasControl, makeClient } from "./api.js";
import { Ctx } from "./context.js";
import { href, useRoute } from "./hooks.js";
import { ExperimentPage, ExperimentsPage, RecurringRunPage, RecurringRunsPage } from "./pages/experiments.js";
import { FaultsPage } from "./pages/faults.js";
import { PipelinePage, PipelinesPage } from "./pages/pipelines.js";
import { RequestsPage } from "./pages/requests.js";
import { RunPage, RunsPage } from "./pages/runs.js";
import { SettingsPage } from "./pages/settings.js";
import { RunFormPage, VersionPage } from "./pages/version.js";
import { applyTheme, loadSettings, type Settings, saveSettings } from "./settings.js";

function Page({ route, emulator }: { route: string[]; emulator: boolean }) {
  const [a = "pipelines", b, c, d, e] = route;
  if (a === "pipelines" && b && c === "versions" && d && e === "run")
    return <RunFormPage pipelineId={b} versionId={d} />;
  if (a === "pipelines" && b && c === "versions" && d) return <VersionPage pipelineId={b} versionId={d} />;
  if (a === "pipelines" && b) return <PipelinePage pipelineId={b} />;
  if (a === "pipelines") return <PipelinesPage />;
  if (a === "runs" && b) return <RunPage runId={b} />;
  if (a === "runs") return <RunsPage />;
  if (a === "experiments" && b) return <ExperimentPage experimentId={b} />;
  if (a === "experiments") return <ExperimentsPage />;
  if (a === "recurring" && b) return <RecurringRunPage id={b} />;
  if (a === "recurring") return <RecurringRunsPage />;
  if (a === "requests" && emulator) return <RequestsPage />;
  if (a === "faults" && emulator) return <FaultsPage />;
  if (a === "settings") return <SettingsPage />;
  return (
    <p class="error" role="alert">
      No page at <code>{location.hash}</code>
      {(a === "requests" || a === "faults") && !emulator
        ? ": this server has no emulator inspector or faults"
        : ""}
      .
    </p>
  );
}

const NAV: [string, string, boolean][] = [
  ["pipelines", "Pipelines", false],
  ["runs", "Runs", false],
  ["experiments", "Experiments", false],
  ["recurring", "Recurring runs", false],
  ["requests", "Requests", true],
  ["faults", "Faults", true],
  ["settings", "Settings", false],
];

export function App() {
  const [settings, setSettingsState] = useState<Settings>(loadSettings);
  const [emulator, setEmulator] = useState(false);
  const route = useRoute();
  const kfp = useMemo(() => makeClient(settings), [settings]);
  useEffect(() => applyTheme(settings.theme), [settings.theme]);
  useEffect(() => {
    let live = true;
    void hasControl(settings).then((ok) => live && setEmulator(ok));
    return () => {
      live = false;
    };
  }, [settings]);
  const setSettings = (s: Settings) => {
    saveSettings(s);
    setSettingsState(s);
  };
  const who = settings.auth === "header" ? settings.identity : settings.auth === "token" ? "token user" : "";
  const current = route[0] ?? "pipelines";
  const toggleTheme = () => {
    const dark =
      settings.theme === "dark" ||
      (settings.theme === "auto" && matchMedia("(prefers-color-scheme: dark)").matches);
    setSettings({ ...settings, theme: dark ? "light" : "dark" });
  };
  return (
    <Ctx.Provider value={{ settings, setSettings, kfp, emulator }}>
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href={href("pipelines")}>
          kfp-ts
        </a>
        <nav aria-label="Main">
          {NAV.filter(([, , emu]) => !emu || emulator).map(([id, label]) => (
            <a key={id} href={href(id)} aria-current={current === id ? "page" : undefined} data-nav={id}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who muted" data-testid="who">
          {who ? `as ${who}` : ""}
          {settings.namespace ? ` · ${settings.namespace}` : ""}
        </span>
        <button type="button" class="theme" onClick={toggleTheme} aria-label="Switch light/dark theme">
          ◐
        </button>
      </header>
      <main id="main" tabIndex={-1} key={JSON.stringify(route)}>
        <Page route={route} emulator={emulator} />
      </main>
    </Ctx.Provider>
  );
}
