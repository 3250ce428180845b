/**
 * Who the UI acts as, kept in localStorage: nobody (single-user servers), a bearer token, or an
 * identity header (multi-user mode behind a trusted proxy: `kubeflow-userid: alice@example.com`);
 * plus the namespace to list and the colour theme.
 */

export type AuthMode = "none" | "token" | "header";
export type Theme = "auto" | "light" | "dark";

export interface Settings {
  auth: AuthMode;
  token: string;
  headerName: string;
  identity: string;
  namespace: string;
  theme: Theme;
}

const KEY = "kfp-ts-ui.settings";

export const DEFAULT_SETTINGS: Settings = {
  auth: "none",
  token: "",
  headerName: "kubeflow-userid",
  identity: "",
  namespace: "",
  theme: "auto",
};

export function loadSettings(): Settings {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return { ...DEFAULT_SETTINGS };
    const s = JSON.parse(raw) as Partial<Settings>;
    const out = { ...DEFAULT_SETTINGS };
    for (const k of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
      if (typeof s[k] === "string") (out as Record<string, string>)[k] = s[k] as string;
    }
    return out;
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function saveSettings(s: Settings): void {
  localStorage.setItem(KEY, JSON.stringify(s));
}

/** The headers that identify the user (for the library's `headers` option and for /_emulator calls). */
export function authHeaders(s: Settings): Record<string, string> {
  if (s.auth === "token" && s.token) return { authorization: `Bearer ${s.token}` };
  if (s.auth === "header" && s.headerName && s.identity) return { [s.headerName.toLowerCase()]: s.identity };
  return {};
}

export function applyTheme(theme: Theme): void {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}
