"""kfp.local's side of bench/execute.mjs (run with the interop venv's Python, kfp 2.17.3).

    python bench/execute_kfp_local.py compile OUT.yaml      the 2-task pipeline (add -> add) as YAML
    python bench/execute_kfp_local.py two-task ROUNDS ROOT  wall time of that pipeline in kfp.local
    python bench/execute_kfp_local.py corpus JOBS.json ROOT each package's end state in kfp.local
    python bench/execute_kfp_local.py one JOB.json ROOT     one package (corpus runs each so, in a child)

The caller sets the pip policy through the environment, so that the per-task pip step of kfp.local's
SubprocessRunner (use_venv=False) cannot change this interpreter (it would downgrade kfp): either
PIP_NO_INDEX=1 (offline: a requirement that is not installed already fails that step, and the task) or
PIP_DRY_RUN=1 (pip resolves and reports, installs nothing: the task then runs on kfp 2.17.3 whatever its
pin). Every package gets a time limit: it runs in its own child process, killed when over (a timeout
inside kfp.local can leave a lock held, so one interpreter per package). A package whose output shows a
failed pip step has its first pip error line as "pip_error". Prints one JSON object (its result),
prefixed with "@@BENCH ".
"""

import json
import os
import signal
import subprocess
import sys
import time

from kfp import compiler, components, dsl, local

MARK = "@@BENCH "
# pip's own error lines ("ERROR: No matching distribution found for kfp==2.14.3"); kfp.local's log
# lines carry a time stamp before their level, so they never start so.
PIP_ERRORS = ("ERROR: Could not find a version", "ERROR: No matching distribution", "ERROR: Could not install")


def emit(obj):
    sys.stdout.write(MARK + json.dumps(obj) + "\n")
    sys.stdout.flush()


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline(name="two-task")
def two_task(x: int = 1, y: int = 2) -> int:
    first = add(a=x, b=y)
    return add(a=first.output, b=y).output


def main():
    mode = sys.argv[1]
    if mode == "compile":
        compiler.Compiler().compile(two_task, sys.argv[2])
        emit({"compiled": sys.argv[2]})
        return
    root = sys.argv[3]
    os.makedirs(root, exist_ok=True)
    # kfp.local runs tasks in this process's directory: keep what they write out of the repository.
    os.chdir(root)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root, raise_on_error=True)
    if mode == "two-task":
        rounds = int(sys.argv[2])
        times = []
        for _ in range(rounds + 1):
            t0 = time.perf_counter()
            out = two_task(x=19, y=23)
            times.append((time.perf_counter() - t0) * 1000)
            assert out.output == 65, out.output
        emit({"two_task_ms": times[1:], "first_ms": times[0]})
        return
    if mode == "one":
        job = json.load(open(sys.argv[2]))
        state, error = "SUCCEEDED", ""
        try:
            comp = components.load_component_from_file(job["path"])
            comp(**job["params"])
        except BaseException as e:  # noqa: BLE001 - classified below
            # kfp.local reports a run whose task failed as RuntimeError("Pipeline 'p' finished with
            # status FAILURE. Inner task failed: ..."): that run reached FAILED. Any other exception is
            # kfp.local refusing the package or failing in its own code before the run reached an end
            # state: ERROR, which is never the right end (a refused package has not failed its task).
            reached = isinstance(e, RuntimeError) and "finished with status" in str(e) and "FAILURE" in str(e)
            state, error = ("FAILED" if reached else "ERROR"), f"{type(e).__name__}: {str(e)[:300]}"
        emit({"state": state, "error": error})
        return
    jobs = json.load(open(sys.argv[2]))
    results = []
    for i, job in enumerate(jobs):
        t0 = time.perf_counter()
        job_file = os.path.join(root, f"job-{i}.json")
        with open(job_file, "w") as f:
            json.dump(job, f)
        proc = subprocess.Popen(
            [sys.executable, __file__, "one", job_file, os.path.join(root, f"p{i}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=int(job.get("timeout_s", 60)))
            lines = [ln for ln in out.splitlines() if ln.startswith(MARK)]
            res = json.loads(lines[-1][len(MARK):]) if lines else {"state": "ERROR", "error": err[-300:]}
        except subprocess.TimeoutExpired:
            # the child and every task it started (its own session) go
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            res = {"state": "ERROR", "error": "timed out"}
        pip_errors = [ln.strip() for ln in (out or "").splitlines() if ln.strip().startswith(PIP_ERRORS)]
        if pip_errors:
            res["pip_error"] = pip_errors[0][:200]
        results.append({"file": job["file"], **res, "ms": (time.perf_counter() - t0) * 1000})
    emit({"results": results})


if __name__ == "__main__":
    main()
