/** Small hooks: the hash route, loading a value, and polling with a bounded interval. */
import { useEffect, useRef, useState } from "preact/hooks";

/** The route as path segments of `location.hash` (`#/runs/abc` → ["runs", "abc"]). */
export function useRoute(): string[] {
  const read = () =>
    location.hash
      .replace(/^#\/?/, "")
      .split("?")[0]!
      .split("/")
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

/** `#/a/b` with each segment encoded. */
export function href(...segments: string[]): string {
  return `#/${segments.map((s) => encodeURIComponent(s)).join("/")}`;
}

export interface Loaded<T> {
  value: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Run `load` when `deps` change; the latest call wins. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ value: T | undefined; error: unknown; loading: boolean }>({
    value: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(ac.signal).then(
      (value) => !ac.signal.aborted && setState({ value, error: undefined, loading: false }),
      (error: unknown) => !ac.signal.aborted && setState({ value: undefined, error, loading: false }),
    );
    return () => ac.abort();
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/**
 * Call `poll` now and then `intervalMs` after each answer while the component is shown and `poll`
 * does not return "stop". A failed call is retried at the same pace (the page shows the error).
 */
export function usePoll(
  poll: (signal: AbortSignal) => Promise<"stop" | undefined>,
  intervalMs: number,
  deps: unknown[],
): void {
  const pollRef = useRef(poll);
  pollRef.current = poll;
  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const step = async () => {
      let again = true;
      try {
        again = (await pollRef.current(ac.signal)) !== "stop";
      } catch {
        again = true;
      }
      if (again && !ac.signal.aborted) timer = setTimeout(step, intervalMs);
    };
    void step();
    return () => {
      ac.abort();
      if (timer) clearTimeout(timer);
    };
  }, deps);
}
