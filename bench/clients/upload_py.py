"""Python upload peers for the kfp-ts benchmark, one variant per process.

    python bench/clients/upload_py.py --variant aiohttp|kfp-sdk --base http://127.0.0.1:PORT
        --file /tmp/.../pipeline.yaml --concurrency 32 --warmup 300 --warmup-ms 20000

aiohttp: a hand-built upload (prebuilt multipart body, one ClientSession, a TCPConnector with a
connection per in-flight request), the Python counterpart of the raw undici baseline.
kfp-sdk: the official SDK as users call it, `kfp.Client(host).upload_pipeline(path, pipeline_name)`,
driven by `concurrency` threads sharing one client (the SDK is synchronous).

Same protocol as bench/clients/drive.mjs `commandLoop`: warm up, print `@@BENCH {"ready": true, ...}`,
then read JSON commands from stdin (`measure` → one `@@BENCH {...}` window report; `exit` or EOF → exit).
"""

import argparse
import json
import math
import os
import sys
import threading
import time
import warnings

MARK = "@@BENCH "


def report(obj):
    sys.stdout.write(MARK + json.dumps(obj) + "\n")
    sys.stdout.flush()


def summarize(lat):
    if not lat:
        return {}
    s = sorted(lat)

    def at(p):
        return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]

    return {"p50Ms": at(50), "p90Ms": at(90), "p99Ms": at(99), "maxMs": s[-1]}


def phase(count, elapsed, cpu, lat):
    return {"count": count, "elapsed": elapsed, "cpu": cpu, "lat": lat}


class AiohttpDriver:
    """Hand-built aiohttp upload; `drive()` runs a bounded window on a persistent event loop."""

    def __init__(self, a, data, filename):
        import asyncio

        import aiohttp

        self.version = f"aiohttp {aiohttp.__version__}"
        self.a = a
        boundary = "----kfpbenchpy%x" % int(time.time() * 1000)
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="uploadfile"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        self.body = head + data + tail
        self.headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
        self.tag = os.getpid()
        self.loop = asyncio.new_event_loop()

        async def make():
            connector = aiohttp.TCPConnector(limit=a.concurrency, keepalive_timeout=30)
            return aiohttp.ClientSession(connector=connector)

        self.session = self.loop.run_until_complete(make())
        self.asyncio = asyncio

    async def one(self, i):
        url = f"{self.a.base}/apis/v2beta1/pipelines/upload?name=bench-{self.tag}-{i}"
        async with self.session.post(url, data=self.body, headers=self.headers) as r:
            j = await r.json(content_type=None)
            if r.status != 200 or "pipeline_id" not in j:
                raise RuntimeError(f"aiohttp upload: HTTP {r.status} {j}")

    def drive(self, start, max_n, ms, want_lat):
        async def run():
            state = {"issued": 0, "done": 0}
            lat = []
            deadline = time.perf_counter() + ms / 1000
            t0 = time.perf_counter()
            c0 = time.process_time()

            async def worker():
                while state["issued"] < max_n and time.perf_counter() < deadline:
                    i = state["issued"]
                    state["issued"] += 1
                    s = time.perf_counter()
                    await self.one(start + i)
                    if want_lat:
                        lat.append((time.perf_counter() - s) * 1000)
                    state["done"] += 1

            await self.asyncio.gather(*(worker() for _ in range(self.a.concurrency)))
            return phase(state["done"], time.perf_counter() - t0, time.process_time() - c0, lat)

        return self.loop.run_until_complete(run())

    def close(self):
        self.loop.run_until_complete(self.session.close())
        self.loop.close()


class KfpSdkDriver:
    """The official SDK: one kfp.Client shared by `concurrency` threads."""

    def __init__(self, a, path):
        warnings.simplefilter("ignore")
        import logging

        logging.disable(logging.WARNING)  # urllib3 "connection pool is full" at high concurrency
        import kfp

        self.version = f"kfp {kfp.__version__}"
        self.a = a
        self.path = path
        self.client = kfp.Client(host=a.base)
        self.tag = os.getpid()

    def drive(self, start, max_n, ms, want_lat):
        lock = threading.Lock()
        state = {"issued": 0, "done": 0, "error": None}
        lat = []
        deadline = time.perf_counter() + ms / 1000
        t0 = time.perf_counter()
        c0 = time.process_time()

        def worker():
            while True:
                with lock:
                    if (
                        state["error"] is not None
                        or state["issued"] >= max_n
                        or time.perf_counter() >= deadline
                    ):
                        return
                    i = state["issued"]
                    state["issued"] += 1
                s = time.perf_counter()
                try:
                    p = self.client.upload_pipeline(
                        self.path, pipeline_name=f"bench-{self.tag}-{start + i}"
                    )
                    if not getattr(p, "pipeline_id", None):
                        raise RuntimeError(f"kfp upload_pipeline returned {p!r}")
                except Exception as e:  # noqa: BLE001 - reported to the orchestrator
                    with lock:
                        state["error"] = state["error"] or e
                    return
                with lock:
                    if want_lat:
                        lat.append((time.perf_counter() - s) * 1000)
                    state["done"] += 1

        threads = [threading.Thread(target=worker) for _ in range(self.a.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if state["error"] is not None:
            raise state["error"]
        return phase(state["done"], time.perf_counter() - t0, time.process_time() - c0, lat)

    def close(self):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--variant", required=True, choices=["aiohttp", "kfp-sdk"])
    p.add_argument("--base", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--warmup-ms", dest="warmup_ms", type=float, default=20000)
    a = p.parse_args()
    with open(a.file, "rb") as f:
        data = f.read()
    if a.variant == "aiohttp":
        d = AiohttpDriver(a, data, os.path.basename(a.file))
    else:
        d = KfpSdkDriver(a, a.file)
    w = d.drive(0, a.warmup, a.warmup_ms, False)
    counter = w["count"]
    report(
        {
            "ready": True,
            "variant": a.variant,
            "runtime": f"python {sys.version.split()[0]}, {d.version}",
            "concurrency": a.concurrency,
            "fileBytes": len(data),
            "warmupCount": w["count"],
            "warmupMs": w["elapsed"] * 1000,
        }
    )
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd["cmd"] == "exit":
            break
        if cmd["cmd"] != "measure":
            raise RuntimeError(f"unknown command {line!r}")
        pre = d.drive(counter, cmd.get("pre", 0), cmd.get("preMs", 5000), False)
        counter += pre["count"]
        m = d.drive(counter, cmd["max"], cmd["ms"], True)
        counter += m["count"]
        out = {
            "count": m["count"],
            "sent": pre["count"] + m["count"],
            "elapsedMs": m["elapsed"] * 1000,
            "rate": m["count"] / m["elapsed"] if m["elapsed"] > 0 else 0,
            "cpuUs": m["cpu"] * 1e6,
            "cpuPerCallUs": m["cpu"] * 1e6 / m["count"] if m["count"] else None,
        }
        out.update(summarize(m["lat"]))
        report(out)
    d.close()


if __name__ == "__main__":
    main()
