/**
 * `runs.wait()` against a small scripted node:http server: each GET of the run takes the next scripted
 * answer (a run state, an HTTP error, a dropped connection, or no answer at all).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Kfp } from "../../packages/kfp-ts/src/client.js";
import {
  AbortError,
  NotFoundError,
  PermissionDeniedError,
  ServerError,
  TimeoutError,
  ValidationError,
} from "../../packages/kfp-ts/src/core/errors.js";
import { RunFailedError } from "../../packages/kfp-ts/src/core/run-errors.js";
import { RunWaitTimeoutError, type WaitProgress } from "../../packages/kfp-ts/src/core/wait.js";
import type { PipelineTaskDetail, Run, RuntimeState } from "../../packages/kfp-ts/src/types/runs.js";

type Step =
  | { state: RuntimeState; tasks?: PipelineTaskDetail[]; extra?: Partial<Run> }
  | { status: number; body?: unknown }
  | { drop: true }
  | { hang: true };

let server: Server;
let baseUrl: string;
let script: Step[] = [];
/** Answer used when the script is exhausted (repeated). */
let fallback: Step = { state: "RUNNING" };
let requests: Array<{ url: string; at: number }> = [];
const sockets = new Set<Socket>();
const hanging = new Set<ServerResponse>();
/** Called when the server starts holding a request open (a test waits on it instead of polling). */
let onHang: (() => void) | undefined;

function answer(req: IncomingMessage, res: ServerResponse): void {
  requests.push({ url: req.url ?? "", at: Date.now() });
  const m = /^\/apis\/(v2beta1|v2)\/runs\/([^/?]+)(\?.*)?$/.exec(req.url ?? "");
  if (req.method !== "GET" || !m) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: 5, message: "Not Found" }));
    return;
  }
  const step = script.length > 0 ? script.shift()! : fallback;
  if ("drop" in step) {
    req.socket.destroy();
    return;
  }
  if ("hang" in step) {
    hanging.add(res);
    onHang?.();
    return;
  }
  if ("status" in step) {
    res.writeHead(step.status, { "content-type": "application/json" });
    res.end(
      JSON.stringify(
        step.body ?? { code: 14, message: "unavailable", details: [{ message: "unavailable" }] },
      ),
    );
    return;
  }
  const run: Run = {
    run_id: decodeURIComponent(m[2]!),
    display_name: "scripted",
    state: step.state,
    ...step.extra,
  };
  if (step.tasks) run.run_details = { task_details: step.tasks };
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(run));
}

beforeAll(async () => {
  server = createServer(answer);
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  script = [];
  fallback = { state: "RUNNING" };
  requests = [];
  for (const r of hanging) r.destroy();
  hanging.clear();
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(apiVersion: "v2beta1" | "v2" = "v2beta1"): Kfp {
  return new Kfp({ host: baseUrl, apiVersion, logLevel: "off", maxRetries: 0 });
}

const fast = { pollInterval: 2, maxPollInterval: 5, requestTimeout: 2000 };

describe("runs.wait", () => {
  it("returns the run on SUCCEEDED and reports progress on every change", async () => {
    script = [
      { state: "PENDING" },
      { state: "PENDING" },
      { state: "RUNNING", tasks: [{ task_id: "a", display_name: "train", state: "RUNNING" }] },
      { state: "RUNNING", tasks: [{ task_id: "a", display_name: "train", state: "RUNNING" }] },
      { state: "RUNNING", tasks: [{ task_id: "a", display_name: "train", state: "SUCCEEDED" }] },
      { state: "SUCCEEDED", tasks: [{ task_id: "a", display_name: "train", state: "SUCCEEDED" }] },
    ];
    const kfp = client();
    const seen: WaitProgress[] = [];
    const run = await kfp.runs.wait("r1", { ...fast, onProgress: (p) => seen.push(p) });
    expect(run.state).toBe("SUCCEEDED");
    expect(requests).toHaveLength(6);
    expect(seen.map((p) => p.summary)).toEqual([
      "PENDING — no tasks reported yet",
      "RUNNING — 1 task: 1 RUNNING",
      "RUNNING — 1 task: 1 SUCCEEDED",
      "SUCCEEDED — 1 task: 1 SUCCEEDED",
    ]);
    expect(seen.map((p) => p.previousState)).toEqual([undefined, "PENDING", "RUNNING", "RUNNING"]);
    await kfp.close();
  });

  it("throws RunFailedError with the failed tasks and their errors on FAILED", async () => {
    script = [
      { state: "RUNNING" },
      {
        state: "FAILED",
        tasks: [
          { task_id: "a", display_name: "prep", state: "SUCCEEDED" },
          { task_id: "b", display_name: "train", state: "FAILED", error: { message: "exit code 137" } },
        ],
      },
    ];
    const kfp = client();
    const err = await kfp.runs.wait("r2", fast).catch((e) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect(err.state).toBe("FAILED");
    expect(err.runId).toBe("r2");
    expect(err.failedTasks).toEqual([
      { name: "train", task_id: "b", state: "FAILED", error: "exit code 137" },
    ]);
    expect(err.message).toMatch(/Run r2 \("scripted"\) ended FAILED: task "train" FAILED: exit code 137/);
    // With throwOnFailure: false the failed run is returned.
    script = [{ state: "FAILED" }];
    expect((await kfp.runs.wait("r2", { ...fast, throwOnFailure: false })).state).toBe("FAILED");
    await kfp.close();
  });

  it("follows a termination: CANCELING then FAILED (Argo) or CANCELED, both typed errors", async () => {
    const kfp = client();
    script = [{ state: "RUNNING" }, { state: "CANCELING" }, { state: "CANCELING" }, { state: "FAILED" }];
    const states: string[] = [];
    const err = await kfp.runs
      .wait("r3", { ...fast, onProgress: (p) => states.push(p.state) })
      .catch((e) => e);
    expect(err).toBeInstanceOf(RunFailedError);
    expect(states).toEqual(["RUNNING", "CANCELING", "FAILED"]);
    script = [{ state: "CANCELING" }, { state: "CANCELED" }];
    const err2 = await kfp.runs.wait("r3", fast).catch((e) => e);
    expect(err2).toBeInstanceOf(RunFailedError);
    expect(err2.state).toBe("CANCELED");
    // SKIPPED is terminal and returned.
    script = [{ state: "SKIPPED" }];
    expect((await kfp.runs.wait("r3", fast)).state).toBe("SKIPPED");
    await kfp.close();
  });

  it("stops at a requested state (until) or predicate", async () => {
    const kfp = client();
    script = [{ state: "PENDING" }, { state: "RUNNING" }];
    expect((await kfp.runs.wait("r4", { ...fast, until: "RUNNING" })).state).toBe("RUNNING");
    script = [{ state: "PENDING" }, { state: "PAUSED" }];
    expect((await kfp.runs.wait("r4", { ...fast, until: ["PAUSED", "RUNNING"] })).state).toBe("PAUSED");
    script = [{ state: "RUNNING" }, { state: "RUNNING", extra: { description: "ready" } }];
    const r = await kfp.runs.wait("r4", { ...fast, until: (run) => run.description === "ready" });
    expect(r.description).toBe("ready");
    await kfp.close();
  });

  it("times out with a typed error carrying the last known state", async () => {
    const kfp = client();
    fallback = { state: "RUNNING" };
    const started = Date.now();
    const err = await kfp.runs.wait("r5", { ...fast, timeout: 400 }).catch((e) => e);
    expect(err).toBeInstanceOf(RunWaitTimeoutError);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.lastState).toBe("RUNNING");
    expect(err.run?.run_id).toBe("r5");
    expect(err.message).toMatch(/Timed out after 400 ms waiting for run r5; last known state: RUNNING/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(requests.length).toBeGreaterThan(1);
    await kfp.close();
  });

  it("aborts with AbortError when the signal fires", async () => {
    const kfp = client();
    fallback = { state: "RUNNING" };
    const ac = new AbortController();
    const p = kfp.runs.wait("r6", {
      ...fast,
      signal: ac.signal,
      onProgress: () => ac.abort(new Error("user stop")),
    });
    const err = await p.catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    // An already aborted signal sends nothing.
    requests = [];
    const err2 = await kfp.runs.wait("r6", { ...fast, signal: AbortSignal.abort() }).catch((e) => e);
    expect(err2).toBeInstanceOf(AbortError);
    expect(requests).toHaveLength(0);
    // Abort while a poll request is in flight.
    fallback = { hang: true };
    const ac3 = new AbortController();
    const held = new Promise<void>((r) => {
      onHang = r;
    });
    const p3 = kfp.runs.wait("r6", { ...fast, signal: ac3.signal });
    await held;
    onHang = undefined;
    expect(hanging.size).toBe(1);
    ac3.abort();
    expect(await p3.catch((e) => e)).toBeInstanceOf(AbortError);
    await kfp.close();
  });

  it("survives a server that fails twice in the middle of a wait (503, then a dropped connection)", async () => {
    script = [
      { state: "RUNNING" },
      { status: 503 },
      { drop: true },
      { state: "RUNNING" },
      {
        status: 500,
        body: { code: 13, message: "Internal error", details: [{ message: "Internal Server Error" }] },
      },
      { status: 429, body: { code: 8, message: "slow down" } },
      { state: "SUCCEEDED" },
    ];
    const kfp = client();
    const run = await kfp.runs.wait("r7", fast);
    expect(run.state).toBe("SUCCEEDED");
    expect(requests).toHaveLength(7);
    await kfp.close();
  });

  it("tolerates a poll that gets no answer (per-request timeout) and keeps polling", async () => {
    script = [{ state: "RUNNING" }, { hang: true }, { state: "SUCCEEDED" }];
    const kfp = client();
    const run = await kfp.runs.wait("r8", { ...fast, requestTimeout: 100, timeout: 5000 });
    expect(run.state).toBe("SUCCEEDED");
    expect(requests).toHaveLength(3);
    await kfp.close();
  });

  it("gives up after too many transient errors in a row, with the last error", async () => {
    fallback = { status: 503 };
    const kfp = client();
    const err = await kfp.runs.wait("r9", { ...fast, maxConsecutiveErrors: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect(err.status).toBe(503);
    expect(requests).toHaveLength(4);
    await kfp.close();
  });

  it("throws non-transient errors at once (404, 403)", async () => {
    const kfp = client();
    script = [{ state: "RUNNING" }, { status: 404, body: { code: 5, message: "Run r10 not found" } }];
    expect(await kfp.runs.wait("r10", fast).catch((e) => e)).toBeInstanceOf(NotFoundError);
    expect(requests).toHaveLength(2);
    script = [{ status: 403, body: { code: 7, message: "denied" } }];
    expect(await kfp.runs.wait("r10", fast).catch((e) => e)).toBeInstanceOf(PermissionDeniedError);
    await kfp.close();
  });

  it("backs off between polls up to the maximum", async () => {
    script = Array.from({ length: 8 }, () => ({ state: "RUNNING" as const }));
    script.push({ state: "SUCCEEDED" });
    const kfp = client();
    await kfp.runs.wait("r11", { pollInterval: 10, maxPollInterval: 40, requestTimeout: 2000 });
    const gaps = requests.slice(1).map((r, i) => r.at - requests[i]!.at);
    // 10, 15, 22.5, 33.75, then capped at 40: later gaps are longer than the first ones.
    expect(gaps.at(-1)!).toBeGreaterThanOrEqual(35);
    expect(gaps[0]!).toBeLessThan(gaps.at(-1)!);
    await kfp.close();
  });

  it("asks for the task list (view=FULL) on the v2 API and reads v2 tasks", async () => {
    script = [
      {
        state: "FAILED",
        extra: {
          tasks: [{ task_id: "t", name: "train", state: "FAILED", status_metadata: { message: "boom" } }],
        },
      },
    ];
    const kfp = client("v2");
    const err = await kfp.runs.wait("r12", fast).catch((e) => e);
    expect(requests[0]!.url).toBe("/apis/v2/runs/r12?view=FULL");
    expect(err.failedTasks).toEqual([{ name: "train", task_id: "t", state: "FAILED", error: "boom" }]);
    await kfp.close();
  });

  it("rejects bad options before sending", async () => {
    const kfp = client();
    await expect(kfp.runs.wait("", fast)).rejects.toBeInstanceOf(ValidationError);
    await expect(kfp.runs.wait("r", { pollInterval: -1 })).rejects.toThrow(/pollInterval/);
    expect(requests).toHaveLength(0);
    await kfp.close();
  });
});
