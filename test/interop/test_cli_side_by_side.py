"""The kfp-ts CLI beside the official `kfp` CLI (same venv), both against one emulator.

Each test runs the same command line through both programs — only the program name differs, which is
what "a drop-in for kfp" promises — with `--output json`, and compares the two outputs as JSON: the same
resources, and the same values for every field the official CLI prints (timestamps compared as
instants: the SDK writes `+00:00`, the REST API `Z`).
"""

import json
import os
import pathlib
import subprocess
import sys
from datetime import datetime
from typing import Any, List

from conftest import NODE, REPO_ROOT, compile_pipeline, uniq

KFP = pathlib.Path(sys.executable).parent / "kfp"
KFP_TS = REPO_ROOT / "packages" / "kfp-ts" / "dist" / "bin" / "kfp-ts.js"
TIMEOUT_S = 60


def _json_of(stdout: str) -> Any:
    """The JSON document of an output (the official CLI prints e.g. `Pipeline details: URL` first)."""
    starts = [i for i in (stdout.find("{"), stdout.find("[")) if i >= 0]
    assert starts, f"no JSON in output: {stdout!r}"
    return json.loads(stdout[min(starts):])


def official(url: str, *args: str) -> Any:
    proc = subprocess.run([str(KFP), "--endpoint", url, "--output", "json", *args],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, f"kfp {' '.join(args)}: {proc.stderr[-2000:]}"
    return _json_of(proc.stdout)


def ours(url: str, *args: str) -> Any:
    proc = subprocess.run([NODE, str(KFP_TS), "--endpoint", url, "--output", "json", *args],
                          capture_output=True, text=True, timeout=TIMEOUT_S, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": os.environ["HOME"]})
    assert proc.returncode == 0, f"kfp-ts {' '.join(args)}: {proc.stderr[-2000:]}"
    return _json_of(proc.stdout)


def _instant(v: Any) -> Any:
    if isinstance(v, str) and len(v) >= 20 and v[4] == "-" and v[10] == "T":
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return v
    return v


def same(official_value: Any, our_value: Any, path: str = "$") -> List[str]:
    """Differences: every field the official CLI prints with a value must be ours too, equal."""
    diffs: List[str] = []
    if isinstance(official_value, dict):
        if not isinstance(our_value, dict):
            return [f"{path}: {our_value!r} is not an object"]
        for k, v in official_value.items():
            if v is None or v == {} or v == []:
                continue
            if k == "last_run_created_at" and str(v).startswith("1970-01-01"):
                continue  # the SDK fills the zero time where the API omits it
            diffs += same(v, our_value.get(k), f"{path}.{k}")
        return diffs
    if isinstance(official_value, list):
        if not isinstance(our_value, list) or len(official_value) != len(our_value):
            return [f"{path}: {len(official_value)} items vs {our_value!r}"]
        for i, (a, b) in enumerate(zip(official_value, our_value)):
            diffs += same(a, b, f"{path}[{i}]")
        return diffs
    if _instant(official_value) != _instant(our_value):
        # Numbers the API sends as int64 strings are printed by the SDK as ints.
        if str(official_value) != str(our_value):
            diffs.append(f"{path}: kfp {official_value!r} vs kfp-ts {our_value!r}")
    return diffs


def by_id(items: List[dict], key: str) -> dict:
    return {i[key]: i for i in items}


def test_pipelines_side_by_side(single_emu, tmp_path):
    url = single_emu.url
    name = uniq("side-p")
    path = str(compile_pipeline(tmp_path, name))
    created_by_kfp = official(url, "pipeline", "create", "-p", name, path)
    created_by_us = ours(url, "pipeline", "create", "-p", f"{name}-ts", "-d", "by kfp-ts", path)
    assert created_by_us["name"] == f"{name}-ts" and created_by_us["description"] == "by kfp-ts"
    for p in (created_by_kfp, created_by_us):
        pid = p["pipeline_id"]
        assert same(official(url, "pipeline", "get", pid), ours(url, "pipeline", "get", pid)) == []
        versions_kfp = official(url, "pipeline", "list-versions", pid)
        versions_ts = ours(url, "pipeline", "list-versions", pid)
        assert same(versions_kfp, versions_ts) == []
        vid = versions_kfp[0]["pipeline_version_id"]
        assert same(official(url, "pipeline", "get-version", pid, vid), ours(url, "pipeline", "get-version", pid, vid)) == []
    listed_kfp = by_id(official(url, "pipeline", "list", "--max-size", "200"), "pipeline_id")
    listed_ts = by_id(ours(url, "pipeline", "list", "--max-size", "200"), "pipeline_id")
    assert created_by_kfp["pipeline_id"] in listed_ts and created_by_us["pipeline_id"] in listed_kfp
    assert same(listed_kfp, listed_ts) == []


def test_experiments_side_by_side(single_emu):
    url = single_emu.url
    a = official(url, "experiment", "create", "-d", "made by kfp", uniq("side-e"))
    b = ours(url, "experiment", "create", "-d", "made by kfp-ts", uniq("side-e"))
    for e in (a, b):
        eid = e["experiment_id"]
        assert same(official(url, "experiment", "get", eid), ours(url, "experiment", "get", eid)) == []
    assert same(by_id(official(url, "experiment", "list", "-m", "200"), "experiment_id"),
                by_id(ours(url, "experiment", "list", "-m", "200"), "experiment_id")) == []
    # The official CLI's archive flags work unchanged on kfp-ts.
    proc = subprocess.run([NODE, str(KFP_TS), "--endpoint", url, "experiment", "archive", "--experiment-id",
                           b["experiment_id"]], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    assert official(url, "experiment", "get", b["experiment_id"])["storage_state"] == "ARCHIVED"


def test_runs_side_by_side(single_emu, tmp_path):
    url = single_emu.url
    name = uniq("side-r")
    pid = ours(url, "pipeline", "create", "-p", name, str(compile_pipeline(tmp_path, name)))["pipeline_id"]
    vid = ours(url, "pipeline", "list-versions", pid)[0]["pipeline_version_id"]
    exp = uniq("side-exp")
    # The official CLI's run create line, with only the program name changed.
    run_args = ["run", "create", "-e", exp, "-r", uniq("run"), "-p", pid, "-v", vid, "message=hi"]
    by_kfp = official(url, *run_args)
    by_us = ours(url, *run_args)
    assert by_us["runtime_config"]["parameters"] == {"message": "hi"}
    for r in (by_kfp, by_us):
        rid = r["run_id"]
        # wait (kfp-ts) until it ends, then both must print the same run
        proc = subprocess.run([NODE, str(KFP_TS), "--endpoint", url, "run", "wait", rid, "--timeout", "30"],
                              capture_output=True, text=True, timeout=TIMEOUT_S, env={"KFP_TS_POLL_MS": "50", "PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"]})
        assert proc.returncode == 0, proc.stderr
        # Both speak v2beta1 to a 2.x server by default: the same run. Asked for v2, kfp-ts prints the v2
        # shape, where the run's version is `pipeline_reference`.
        by_official = official(url, "run", "get", rid)
        assert same(by_official, ours(url, "run", "get", rid)) == []
        v2 = ours(url, "--api-version", "v2", "run", "get", rid)
        assert v2["state"] == by_official["state"] == "SUCCEEDED"
        assert v2["pipeline_reference"]["pipeline_version_id"] == by_official["pipeline_version_reference"]["pipeline_version_id"]
    eid = by_us["experiment_id"]
    assert by_kfp["experiment_id"] == eid
    assert same(by_id(official(url, "run", "list", "-e", eid), "run_id"), by_id(ours(url, "run", "list", "-e", eid), "run_id")) == []


def test_recurring_runs_side_by_side(single_emu, tmp_path):
    url = single_emu.url
    name = uniq("side-rr")
    pid = ours(url, "pipeline", "create", "-p", name, str(compile_pipeline(tmp_path, name)))["pipeline_id"]
    vid = ours(url, "pipeline", "list-versions", pid)[0]["pipeline_version_id"]
    exp = ours(url, "experiment", "create", uniq("side-rr-exp"))
    made = []
    for run in (official, ours):
        made.append(run(url, "recurring-run", "create", "--job-name", uniq("job"), "--experiment-id", exp["experiment_id"],
                        "--pipeline-id", pid, "--version-id", vid, "--interval-second", "3600", "--max-concurrency", "2",
                        "message=hi"))
    for rr in made:
        rid = rr["recurring_run_id"]
        assert same(official(url, "recurring-run", "get", rid), ours(url, "recurring-run", "get", rid)) == []
    ours_list = by_id(ours(url, "recurring-run", "list", "-e", exp["experiment_id"]), "recurring_run_id")
    assert len(ours_list) == 2
    assert same(by_id(official(url, "recurring-run", "list", "-e", exp["experiment_id"]), "recurring_run_id"), ours_list) == []
    assert made[0]["trigger"] == made[1]["trigger"] or same(made[0]["trigger"], made[1]["trigger"]) == []
