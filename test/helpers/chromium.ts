/**
 * Headless Chromium driven over the DevTools protocol (undici's WebSocket; no browser library): open a
 * page, evaluate an async expression in it, get its JSON result. Only loopback traffic; every wait is
 * bounded. `findChromium()` says where the browser is (CI installs Debian's chromium).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "undici";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export function findChromium(): string | undefined {
  const env = process.env.CHROMIUM_PATH;
  if (env && existsSync(env)) return env;
  return CANDIDATES.find((p) => existsSync(p));
}

export interface Browser {
  /** Open `url` in a new tab and wait for its load event. */
  open(url: string): Promise<Page>;
  close(): Promise<void>;
}

export interface Page {
  /** Evaluate an expression (a promise is awaited) and return its value as JSON. */
  evaluate<T>(expression: string, timeoutMs?: number): Promise<T>;
}

export async function launchChromium(executable: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "kfp-ts-chromium-"));
  const child: ChildProcess = spawn(
    executable,
    [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const wsUrl = await new Promise<string>((resolve, reject) => {
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`Chromium printed no DevTools URL in 20 s:\n${err}`)),
      20_000,
    );
    child.stderr?.on("data", (d) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}) before listening:\n${err}`));
    });
  });
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("cannot connect to Chromium's DevTools")), {
      once: true,
    });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const events: { method: string; sessionId?: string; params: unknown }[] = [];
  const waiters: { match: (e: { method: string; sessionId?: string }) => boolean; resolve: () => void }[] =
    [];
  ws.addEventListener("message", (ev) => {
    const msg = JSON.parse(String(ev.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
      method?: string;
      sessionId?: string;
      params?: unknown;
    };
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message));
      else p?.resolve(msg.result);
      return;
    }
    if (msg.method) {
      const e = { method: msg.method, sessionId: msg.sessionId, params: msg.params };
      events.push(e);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]?.match(e)) waiters.splice(i, 1)[0]?.resolve();
      }
    }
  });
  const send = <T>(method: string, params: object = {}, sessionId?: string, timeoutMs = 30_000) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method}: no answer from Chromium in ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  const waitFor = (match: (e: { method: string; sessionId?: string }) => boolean, ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (events.some(match)) return resolve();
      const timer = setTimeout(() => reject(new Error(`no matching DevTools event in ${ms} ms`)), ms);
      waiters.push({
        match,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });

  return {
    async open(url) {
      const { targetId } = await send<{ targetId: string }>("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await send<{ sessionId: string }>("Target.attachToTarget", {
        targetId,
        flatten: true,
      });
      await send("Page.enable", {}, sessionId);
      await send("Page.navigate", { url }, sessionId);
      await waitFor((e) => e.method === "Page.loadEventFired" && e.sessionId === sessionId, 20_000);
      return {
        async evaluate<T>(expression: string, timeoutMs = 60_000): Promise<T> {
          const r = await send<{
            result: { value?: unknown };
            exceptionDetails?: { text: string; exception?: { description?: string } };
          }>(
            "Runtime.evaluate",
            { expression, awaitPromise: true, returnByValue: true },
            sessionId,
            timeoutMs,
          );
          if (r.exceptionDetails) {
            throw new Error(
              `in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`,
            );
          }
          return r.result.value as T;
        },
      };
    },
    async close() {
      ws.close();
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          resolve();
        }, 5_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      child.kill("SIGTERM");
      await exited;
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
