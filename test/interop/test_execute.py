"""Execute mode with the official SDK end to end (issue 13).

An emulator started with `execute` runs a pipeline built with `kfp.dsl` and submitted with
`create_run_from_pipeline_func`; `wait_for_run_completion` sees it finish, the run's task details come
back through the SDK, and a task's output artifact and log are read back through the API (the node
artifact and log endpoints; the SDK has no method for them). A failing component ends the run FAILED.
"""

import base64
from typing import Iterator

import pytest
from kfp import dsl

from conftest import Emulator, _start, http_json, make_client, uniq

# The first run creates the venv for the SDK's kfp pin (pip, once per machine), so allow for it.
EXEC_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def exec_emu(tmp_path_factory) -> Iterator[Emulator]:
    root = tmp_path_factory.mktemp("pipeline-root")
    yield from _start({"execute": True, "pipelineRoot": str(root)}, "execute")


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image="python:3.11")
def write_sum(n: int, out: dsl.Output[dsl.Dataset]):
    with open(out.path, "w") as f:
        f.write(f"sum is {n}")
    print(f"wrote the sum {n}")


@dsl.component(base_image="python:3.11")
def explode(msg: str):
    raise RuntimeError(msg)


@dsl.pipeline(name="exec-interop")
def add_and_write(x: int = 1, y: int = 2):
    s = add(a=x, b=y)
    write_sum(n=s.output)


@dsl.pipeline(name="exec-interop-fail")
def fails():
    explode(msg="on purpose")


def test_sdk_runs_a_pipeline_for_real_and_reads_outputs_back(exec_emu):
    client = make_client(exec_emu.url)
    result = client.create_run_from_pipeline_func(
        add_and_write, arguments={"x": 19, "y": 23}, run_name=uniq("exec"), experiment_name=uniq("exec-exp")
    )
    run = client.wait_for_run_completion(result.run_id, timeout=EXEC_TIMEOUT_S)
    assert run.state == "SUCCEEDED", exec_emu.stderr_text()
    names = sorted(t.display_name for t in run.run_details.task_details)
    assert names.count("executor") == 2
    assert {"add", "add-driver", "write-sum", "write-sum-driver", "root", "root-driver"} <= set(names)
    executors = [t.child_tasks for t in run.run_details.task_details if t.display_name == "write-sum"]
    assert len(executors) == 1 and len(executors[0]) == 1
    node = executors[0][0].pod_name
    base = f"{exec_emu.url}/apis/v2beta1/runs/{result.run_id}/nodes/{node}"
    status, _, body = http_json("GET", f"{base}/artifacts/out:read")
    assert status == 200, body
    assert base64.b64decode(body["data"]).decode() == "sum is 42"
    status, _, log = http_json("GET", f"{exec_emu.url}/apis/v1alpha1/runs/{result.run_id}/nodes/{node}/log")
    assert status == 200
    assert "wrote the sum 42" in log


def test_a_failing_component_fails_the_run(exec_emu):
    client = make_client(exec_emu.url)
    result = client.create_run_from_pipeline_func(fails, arguments={}, run_name=uniq("exec-fail"))
    run = client.wait_for_run_completion(result.run_id, timeout=EXEC_TIMEOUT_S)
    assert run.state == "FAILED"
    assert [h.state for h in run.state_history] == ["PENDING", "RUNNING", "FAILED"]
