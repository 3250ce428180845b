/** The app-wide context: settings, the library client made from them, and whether /_emulator exists. */
import type { Kfp } from "kfp-ts";
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Settings } from "./settings.js";

export interface AppContext {
  settings: Settings;
  setSettings: (s: Settings) => void;
  kfp: Kfp;
  /** The emulator's control endpoints answer (Requests and Faults are shown). */
  emulator: boolean;
}

export const Ctx = createContext<AppContext | null>(null);

export function useApp(): AppContext {
  const c = useContext(Ctx);
  if (!c) throw new Error("useApp outside the app");
  return c;
}
