"""kfp.local's side of bench/execute.mjs (run with the interop venv's Python, kfp 2.17.3).

    python bench/execute_kfp_local.py compile OUT.yaml      the 2-task pipeline (add -> add) as YAML
    python bench/execute_kfp_local.py two-task ROUNDS ROOT  wall time of that pipeline in kfp.local
    python bench/execute_kfp_local.py corpus JOBS.json ROOT each package's end state in kfp.local

Runs with PIP_DRY_RUN=1 set by the caller, so the per-task pip step of kfp.local's SubprocessRunner
(use_venv=False) cannot change this interpreter (it would downgrade kfp). Every package gets a time
limit (SIGALRM). Prints one JSON object (its result), prefixed with "@@BENCH ".
"""

import json
import signal
import sys
import time

from kfp import compiler, components, dsl, local

MARK = "@@BENCH "


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


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def main():
    mode = sys.argv[1]
    if mode == "compile":
        compiler.Compiler().compile(two_task, sys.argv[2])
        emit({"compiled": sys.argv[2]})
        return
    root = sys.argv[3]
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
    jobs = json.load(open(sys.argv[2]))
    signal.signal(signal.SIGALRM, _alarm)
    results = []
    for job in jobs:
        t0 = time.perf_counter()
        state, error = "SUCCEEDED", ""
        signal.alarm(int(job.get("timeout_s", 60)))
        try:
            comp = components.load_component_from_file(job["path"])
            comp(**job["params"])
        except Timeout:
            state, error = "FAILED", "timed out"
        except BaseException as e:  # noqa: BLE001 - any failure is the package's end state here
            state, error = "FAILED", f"{type(e).__name__}: {str(e)[:300]}"
        finally:
            signal.alarm(0)
        results.append({"file": job["file"], "state": state, "error": error, "ms": (time.perf_counter() - t0) * 1000})
    emit({"results": results})


if __name__ == "__main__":
    main()
