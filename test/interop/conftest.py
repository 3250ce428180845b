"""Fixtures for the interop suite: emulator processes, the official SDK client, the kfp-ts client bridge.

The emulator is the build of this repository (`packages/emulator/dist/index.js`), started by `emulator.mjs` in
a child process per mode (single-user, multi-user). The official SDK (`kfp`, pinned in
requirements.txt) talks to it over HTTP on 127.0.0.1 exactly as it would talk to a real KFP API server.
"""

import atexit
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
import warnings
from typing import Any, Dict, Iterator, List, Optional, Tuple

# The SDK resolves ~/.config/kfp/context.json at import time and may write it. Never let it see the
# real HOME, even when pytest is started by hand instead of through run.sh.
_HOME = tempfile.mkdtemp(prefix="kfp-ts-interop-home-")
atexit.register(shutil.rmtree, _HOME, True)
os.environ["HOME"] = _HOME
for _var in (
    "KF_PIPELINES_ENDPOINT",
    "KF_PIPELINES_UI_ENDPOINT",
    "KF_PIPELINES_IAP_OAUTH2_CLIENT_ID",
    "KF_PIPELINES_APP_OAUTH2_CLIENT_ID",
    "KF_PIPELINES_APP_OAUTH2_CLIENT_SECRET",
    "KF_PIPELINES_DEFAULT_EXPERIMENT_NAME",
    "KF_PIPELINES_OVERRIDE_EXPERIMENT_NAME",
    "KF_PIPELINES_SA_TOKEN_PATH",
):
    os.environ.pop(_var, None)

import pytest  # noqa: E402

import kfp  # noqa: E402

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
INTEROP_DIR = REPO_ROOT / "test" / "interop"
SHARED = REPO_ROOT.parent / "shared" / "kfp-api"
PIPELINES_DIR = SHARED / "pipelines"
NODE = os.environ.get("NODE", "node")
START_TIMEOUT_S = 30
CALL_TIMEOUT_S = 20
# Upper bound for any wait on a run; the emulator is configured with sub-second phases.
RUN_TIMEOUT_S = 30
POLL_S = 0.05

# Multi-user identities (FACTS.md §8): a bearer token maps to a user like a TokenReview would, the
# `kubeflow-userid` header names the user directly; each user may act in its own namespace only.
ALICE = {"user": "alice@example.com", "namespace": "ns-alice", "token": "token-alice-0123456789"}
BOB = {"user": "bob@example.com", "namespace": "ns-bob", "token": "token-bob-0123456789"}
# The credential of the multi-user emulators' control endpoints (/_emulator/*).
ADMIN_TOKEN = "interop-admin-token-0123456789"
MULTI_USER_CONFIG = {
    "users": {
        ALICE["user"]: {"namespaces": [ALICE["namespace"]], "tokens": [ALICE["token"]]},
        BOB["user"]: {"namespaces": [BOB["namespace"]], "tokens": [BOB["token"]]},
    }
}

# Run lifecycle (emulator option `lifecycle`, src/emulator/lifecycle.ts): the simulated Argo workflow
# advances one step every `tickMs`, so a small pipeline reaches a terminal state within a few dozen
# milliseconds; the executor of a task whose key is in `failTasks` fails, which fails the run
# (FACTS.md §7.4, PIPELINE-SPEC.md §4.5). The slow variant keeps a new run PENDING for 2.5 seconds
# so that a terminate request deterministically reaches it before it finishes.
FAIL_TASK = "interop-fail"
LIFECYCLE = {"tickMs": 5, "failTasks": [FAIL_TASK]}
SLOW_LIFECYCLE = {"tickMs": 100, "startTicks": 25}


def pipelines_available() -> bool:
    return PIPELINES_DIR.is_dir()


def uniq(prefix: str) -> str:
    """`prefix` plus 10 random hex digits (lower-case prefixes give valid pipeline names)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------------------------------
# Emulator process


class Emulator:
    """One emulator child process (node test/interop/emulator.mjs '<options>')."""

    def __init__(self, options: Dict[str, Any], label: str) -> None:
        self.options = options
        self.label = label
        self.url = ""
        self._stderr = tempfile.TemporaryFile()
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> "Emulator":
        self.proc = subprocess.Popen(
            [NODE, str(INTEROP_DIR / "emulator.mjs"), json.dumps(self.options)],
            cwd=str(REPO_ROOT),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        line: List[bytes] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_S)
        if not line or not line[0]:
            self.stop()
            raise RuntimeError(f"emulator ({self.label}) did not start: {self.stderr_text()}")
        self.url = json.loads(line[0])["url"]
        return self

    def stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-4000:]

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    # The emulator's request inspector (GET /_emulator/requests): secrets are redacted there.
    def requests(self) -> List[Dict[str, Any]]:
        # In multi-user mode the control endpoints are the admin's (emulator option adminToken).
        token = self.options.get("adminToken")
        headers = {"X-Emulator-Admin-Token": token} if token else None
        status, _, body = http_json("GET", self.url + "/_emulator/requests", headers=headers)
        assert status == 200, body
        return body["requests"] if isinstance(body, dict) and "requests" in body else body

    def requests_since(self, mark: int, count: int = 0) -> List[Dict[str, Any]]:
        """Requests recorded after `mark`; waits (bounded) until at least `count` are there, since the
        inspector records an exchange just after the response has been sent."""
        import time

        deadline = time.monotonic() + 5
        while True:
            got = [r for r in self.requests() if r["seq"] > mark]
            if len(got) >= count or time.monotonic() > deadline:
                return got
            time.sleep(POLL_S)

    def mark(self) -> int:
        reqs = self.requests()
        return max((r["seq"] for r in reqs), default=0)


def http_json(
    method: str,
    url: str,
    body: Any = None,
    headers: Optional[Dict[str, str]] = None,
    raw: Optional[bytes] = None,
) -> Tuple[int, Dict[str, str], Any]:
    """A bare HTTP call (stdlib only): returns (status, headers, parsed JSON or text)."""
    data = raw
    hdrs = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=CALL_TIMEOUT_S) as resp:
            status, rh, payload = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        status, rh, payload = err.code, dict(err.headers), err.read()
    text = payload.decode("utf-8", "replace")
    try:
        return status, rh, json.loads(text) if text else None
    except json.JSONDecodeError:
        return status, rh, text


def _start(options: Dict[str, Any], label: str) -> Iterator[Emulator]:
    emu = Emulator(options, label).start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="session")
def single_emu() -> Iterator[Emulator]:
    """A single-user emulator shared by the whole session."""
    yield from _start({"lifecycle": LIFECYCLE}, "single-user")


@pytest.fixture(scope="session")
def multi_emu() -> Iterator[Emulator]:
    """A multi-user emulator (users alice and bob) shared by the whole session."""
    yield from _start({"multiUser": MULTI_USER_CONFIG, "lifecycle": LIFECYCLE, "adminToken": ADMIN_TOKEN}, "multi-user")


@pytest.fixture(scope="session")
def slow_single_emu() -> Iterator[Emulator]:
    """A single-user emulator whose runs stay PENDING for 2.5 s (terminate tests)."""
    yield from _start({"lifecycle": SLOW_LIFECYCLE}, "single-user-slow")


@pytest.fixture(scope="session")
def slow_multi_emu() -> Iterator[Emulator]:
    """The multi-user counterpart of slow_single_emu."""
    yield from _start(
        {"multiUser": MULTI_USER_CONFIG, "lifecycle": SLOW_LIFECYCLE, "adminToken": ADMIN_TOKEN}, "multi-user-slow"
    )


@pytest.fixture()
def fresh_emulators() -> Iterator[Tuple[Emulator, Emulator]]:
    """Two brand-new single-user emulators (for same-request comparisons)."""
    a = Emulator({"lifecycle": LIFECYCLE, "inspectorSize": 5000}, "fresh-a").start()
    try:
        b = Emulator({"lifecycle": LIFECYCLE, "inspectorSize": 5000}, "fresh-b").start()
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


# ---------------------------------------------------------------------------------------------------
# The official SDK


@pytest.fixture(autouse=True)
def kfp_context_file(tmp_path, monkeypatch) -> pathlib.Path:
    """Per test, point the SDK's context file (~/.config/kfp/context.json) at a fresh temp path."""
    path = tmp_path / "kfp-home" / ".config" / "kfp" / "context.json"
    monkeypatch.setattr(kfp.Client, "_LOCAL_KFP_CONTEXT", str(path))
    # Never the real service-account namespace file of a machine that happens to have one.
    monkeypatch.setattr(kfp.Client, "_NAMESPACE_PATH", str(tmp_path / "no-such-namespace-file"))
    return path


def make_client(host: str, **kwargs: Any) -> kfp.Client:
    """kfp.Client(host=...) with its unconditional FutureWarning checked and silenced."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = kfp.Client(host=host, **kwargs)
    assert any(issubclass(w.category, FutureWarning) for w in caught), "kfp.Client() no longer warns"
    return client


@pytest.fixture()
def sdk(single_emu) -> kfp.Client:
    return make_client(single_emu.url)


# ---------------------------------------------------------------------------------------------------
# Pipelines compiled by the SDK itself (no dependency on ../shared)


def compile_pipeline(tmp_dir: pathlib.Path, name: str, fail: bool = False) -> pathlib.Path:
    """Compile a small container pipeline named `name` with the official compiler; returns the YAML path.

    Parameters: `message` (str, default "hello"), `count` (int, default 2). With `fail=True` a third
    task with the key FAIL_TASK is added, which the emulator is configured to fail.
    """
    from kfp import compiler, dsl

    @dsl.container_component
    def echo(message: str):
        return dsl.ContainerSpec(image="alpine:3.20", command=["echo"], args=[message])

    @dsl.container_component
    def repeat(message: str, count: int):
        return dsl.ContainerSpec(image="alpine:3.20", command=["sh", "-c", 'for i in $(seq "$1"); do echo "$0"; done'],
                                 args=[message, count])

    @dsl.container_component
    def interop_fail(message: str):  # task key "interop-fail" = FAIL_TASK
        return dsl.ContainerSpec(image="alpine:3.20", command=["sh", "-c", "exit 1"], args=[message])

    @dsl.pipeline(name=name, description=f"interop pipeline {name}")
    def pipeline(message: str = "hello", count: int = 2):
        first = echo(message=message)
        repeat(message=message, count=count).after(first)
        if fail:
            interop_fail(message=message).after(first)

    path = tmp_dir / f"{name}.yaml"
    compiler.Compiler().compile(pipeline_func=pipeline, package_path=str(path))
    return path


# ---------------------------------------------------------------------------------------------------
# The kfp-ts client, driven through test/interop/kfpts.mjs


def kfpts(commands: List[Dict[str, Any]], timeout: float = 120) -> List[Dict[str, Any]]:
    """Run a batch of kfp-ts client calls in one node process; one JSON result per command."""
    proc = subprocess.run(
        [NODE, str(INTEROP_DIR / "kfpts.mjs")],
        cwd=str(REPO_ROOT),
        input=json.dumps(commands).encode(),
        capture_output=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"kfpts.mjs failed ({proc.returncode}): {proc.stderr.decode()[-4000:]}")
    results = json.loads(proc.stdout)
    assert len(results) == len(commands)
    return results
