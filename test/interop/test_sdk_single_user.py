"""The official SDK (kfp.Client) drives a single-user emulator through every public method that needs no
Google auth (FACTS.md §12.2). Expected behaviour is the real server's (FACTS.md §4-§7, §10, §13)."""


import json
import urllib.parse

import kfp
import kfp_server_api
import pytest
import yaml

from conftest import RUN_TIMEOUT_S, compile_pipeline, make_client, uniq

WAIT = dict(timeout=RUN_TIMEOUT_S, sleep_duration=0.05)


def api_status(excinfo) -> int:
    return excinfo.value.status


def spec_of(path) -> dict:
    with open(path) as f:
        return yaml.safe_load(f)


# ---------------------------------------------------------------------------------------------- healthz


def test_constructor_warns_and_calls_healthz(single_emu):
    mark = single_emu.mark()
    with pytest.warns(FutureWarning, match="v2.0.0-beta.2"):
        client = kfp.Client(host=single_emu.url + "/")  # trailing "/" is stripped by the SDK
    # No namespace in the context: the constructor asks healthz whether the server is multi-user.
    calls = [(r["method"], r["path"]) for r in single_emu.requests_since(mark, 1)]
    assert calls == [("GET", "/apis/v2beta1/healthz")]
    assert client.get_user_namespace() == ""


def test_get_kfp_healthz(sdk):
    health = sdk.get_kfp_healthz(sleep_duration=0)
    assert isinstance(health, kfp_server_api.V2beta1GetHealthzResponse)
    assert health.multi_user is False
    assert health.pipeline_store == "database"


def test_constructor_with_namespace_makes_no_request(single_emu):
    mark = single_emu.mark()
    client = make_client(single_emu.url, namespace="someone")
    assert client.get_user_namespace() == "someone"
    assert single_emu.requests_since(mark) == []


# ------------------------------------------------------------------------------------------ experiments


def test_experiment_lifecycle(sdk, capsys):
    name = uniq("Interop Experiment")
    exp = sdk.create_experiment(name, description="made by the SDK")
    assert "Experiment details:" in capsys.readouterr().out
    assert isinstance(exp, kfp_server_api.V2beta1Experiment)
    assert exp.experiment_id and exp.display_name == name
    assert exp.description == "made by the SDK"
    assert exp.storage_state == "AVAILABLE"
    assert exp.namespace is None  # single-user: namespace omitted (FACTS.md §8)
    assert exp.created_at is not None
    # No runs yet: the epoch timestamp (FACTS.md §2.1).
    assert exp.last_run_created_at.year == 1970

    # create_experiment looks the name up first and returns the existing one.
    again = sdk.create_experiment(name)
    assert again.experiment_id == exp.experiment_id

    assert sdk.get_experiment(experiment_id=exp.experiment_id).display_name == name
    assert sdk.get_experiment(experiment_name=name).experiment_id == exp.experiment_id

    sdk.archive_experiment(exp.experiment_id)
    assert sdk.get_experiment(experiment_id=exp.experiment_id).storage_state == "ARCHIVED"
    sdk.unarchive_experiment(exp.experiment_id)
    assert sdk.get_experiment(experiment_id=exp.experiment_id).storage_state == "AVAILABLE"

    assert sdk.delete_experiment(exp.experiment_id) == {}
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.get_experiment(experiment_id=exp.experiment_id)
    assert api_status(ei) == 404
    with pytest.raises(ValueError, match="No experiment is found with name"):
        sdk.get_experiment(experiment_name=name)


def test_default_experiment(sdk):
    default = sdk.get_experiment(experiment_name="Default")
    assert default.description == "All runs created without specifying an experiment will be grouped here."
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.delete_experiment(default.experiment_id)
    assert api_status(ei) == 409  # Aborted (FACTS.md §3.2)


def test_list_experiments_pages_sorts_and_filters(sdk):
    prefix = uniq("list-exp")
    ids = [sdk.create_experiment(f"{prefix}-{i}").experiment_id for i in range(3)]
    flt = json.dumps({"predicates": [{"operation": "IS_SUBSTRING", "key": "display_name", "stringValue": prefix}]})
    page1 = sdk.list_experiments(page_size=2, sort_by="display_name desc", filter=flt)
    assert page1.total_size == 3
    assert [e.display_name for e in page1.experiments] == [f"{prefix}-2", f"{prefix}-1"]
    assert page1.next_page_token
    page2 = sdk.list_experiments(page_token=page1.next_page_token, page_size=2, sort_by="display_name desc",
                                 filter=flt)
    assert [e.experiment_id for e in page2.experiments] == [ids[0]]
    assert page2.next_page_token is None
    # Nothing matches: the real server sends `{}`, which the SDK reads as None fields (FACTS.md §2.1).
    none = json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name", "stringValue": uniq("x")}]})
    empty = sdk.list_experiments(filter=none)
    assert empty.experiments is None and empty.total_size is None and empty.next_page_token is None


# ------------------------------------------------------------------------------------------- pipelines


def test_upload_pipeline_get_list_and_find_by_name(sdk, tmp_path, capsys):
    name = uniq("interop-upload")
    package = compile_pipeline(tmp_path, name)
    p = sdk.upload_pipeline(str(package), pipeline_name=name, description="uploaded by kfp")
    assert f"/#/pipelines/details/{p.pipeline_id}" in capsys.readouterr().out
    assert isinstance(p, kfp_server_api.V2beta1Pipeline)
    assert (p.name, p.display_name, p.description) == (name, name, "uploaded by kfp")
    assert p.namespace is None and p.created_at is not None

    got = sdk.get_pipeline(p.pipeline_id)
    assert (got.pipeline_id, got.name, got.display_name) == (p.pipeline_id, name, name)

    assert sdk.get_pipeline_id(name) == p.pipeline_id
    assert sdk.get_pipeline_id(uniq("missing")) is None

    flt = json.dumps({"predicates": [{"operation": "EQUALS", "key": "name", "stringValue": name}]})
    listed = sdk.list_pipelines(filter=flt)
    assert listed.total_size == 1 and listed.pipelines[0].pipeline_id == p.pipeline_id

    # Same name again: 409 (FACTS.md §4.5).
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.upload_pipeline(str(package), pipeline_name=name)
    assert api_status(ei) == 409


def test_upload_pipeline_sends_what_the_sdk_documents(single_emu, sdk, tmp_path):
    name = uniq("interop-wire")
    package = compile_pipeline(tmp_path, name)
    mark = single_emu.mark()
    sdk.upload_pipeline(str(package), pipeline_name=name, description="d e")
    (req,) = single_emu.requests_since(mark, 1)
    assert (req["method"], req["path"], req["status"]) == ("POST", "/apis/v2beta1/pipelines/upload", 200)
    assert req["query"] == {"name": name, "description": "d e"}
    (part,) = req["body"]["parts"]
    assert part["name"] == "uploadfile" and part["filename"] == package.name


def test_upload_pipeline_name_defaults_to_pipeline_info_name(sdk, tmp_path):
    name = uniq("interop-noname")
    package = compile_pipeline(tmp_path, name)
    p = sdk.upload_pipeline(str(package))  # the SDK reads pipelineInfo.name locally
    assert p.name == name and p.display_name == name
    with pytest.raises(ValueError, match="Invalid pipeline name"):
        sdk.upload_pipeline(str(package), pipeline_name="   ")


def test_pipeline_versions_by_id_and_by_name(sdk, tmp_path):
    name = uniq("interop-versions")
    package = compile_pipeline(tmp_path, name)
    p = sdk.upload_pipeline(str(package), pipeline_name=name, description="first")

    v_by_id = sdk.upload_pipeline_version(str(package), "v-by-id", pipeline_id=p.pipeline_id, description="two")
    assert isinstance(v_by_id, kfp_server_api.V2beta1PipelineVersion)
    assert (v_by_id.pipeline_id, v_by_id.name, v_by_id.display_name) == (p.pipeline_id, "v-by-id", "v-by-id")
    assert v_by_id.description == "two"
    assert v_by_id.pipeline_spec == spec_of(package)

    v_by_name = sdk.upload_pipeline_version(str(package), "v-by-name", pipeline_name=name)
    assert v_by_name.pipeline_id == p.pipeline_id and v_by_name.description is None

    with pytest.raises(ValueError, match="Either pipeline_id or pipeline_name is required"):
        sdk.upload_pipeline_version(str(package), "v-none")
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.upload_pipeline_version(str(package), "v-by-id", pipeline_id=p.pipeline_id)
    assert api_status(ei) == 409
    # An unknown pipeline id is a 400 on upload_version, not a 404 (FACTS.md §4.5).
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.upload_pipeline_version(str(package), "v-x", pipeline_id="00000000-0000-4000-8000-000000000000")
    assert api_status(ei) == 400

    versions = sdk.list_pipeline_versions(p.pipeline_id, sort_by="created_at", page_size=10)
    assert versions.total_size == 3
    names = sorted(v.name for v in versions.pipeline_versions)
    assert names == sorted([name, "v-by-id", "v-by-name"])
    first = next(v for v in versions.pipeline_versions if v.name == name)
    # The first version shares the pipeline's name and description (FACTS.md §4.2 step 9).
    assert first.description == "first"
    assert first.pipeline_spec == spec_of(package)

    got = sdk.get_pipeline_version(p.pipeline_id, v_by_id.pipeline_version_id)
    assert got.pipeline_version_id == v_by_id.pipeline_version_id and got.pipeline_spec == spec_of(package)

    # A pipeline with versions cannot be deleted without cascade; the SDK never sends cascade (§7.1).
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.delete_pipeline(p.pipeline_id)
    assert api_status(ei) == 400
    for v in versions.pipeline_versions:
        assert sdk.delete_pipeline_version(p.pipeline_id, v.pipeline_version_id) == {}
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.get_pipeline_version(p.pipeline_id, v_by_id.pipeline_version_id)
    assert api_status(ei) == 404
    assert sdk.delete_pipeline(p.pipeline_id) == {}
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.get_pipeline(p.pipeline_id)
    assert api_status(ei) == 404


def test_upload_from_pipeline_func(sdk):
    from kfp import dsl

    name = uniq("interop-func")

    @dsl.container_component
    def hello():
        return dsl.ContainerSpec(image="alpine:3.20", command=["echo", "hi"])

    @dsl.pipeline(name=name)
    def pipeline():
        hello()

    p = sdk.upload_pipeline_from_pipeline_func(pipeline, description="from a function")
    assert p.name == name and p.description == "from a function"
    v = sdk.upload_pipeline_version_from_pipeline_func(pipeline, "second", pipeline_id=p.pipeline_id)
    assert v.pipeline_id == p.pipeline_id and v.pipeline_spec["pipelineInfo"]["name"] == name


def test_list_pipelines_paging(sdk, tmp_path):
    prefix = uniq("interop-page")
    package = compile_pipeline(tmp_path, prefix)
    for i in range(3):
        sdk.upload_pipeline(str(package), pipeline_name=f"{prefix}-{i}")
    flt = json.dumps({"predicates": [{"operation": 9, "key": "name", "stringValue": prefix}]})
    seen = []
    token = ""
    for _ in range(5):
        page = sdk.list_pipelines(page_token=token, page_size=2, sort_by="name", filter=flt)
        assert page.total_size == 3
        seen += [p.name for p in page.pipelines]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"{prefix}-{i}" for i in range(3)]


# ------------------------------------------------------------------------------------------------ runs


def test_create_run_from_pipeline_package_succeeds(sdk, tmp_path):
    name = uniq("interop-run")
    package = compile_pipeline(tmp_path, name)
    exp_name = uniq("interop-run-exp")
    result = sdk.create_run_from_pipeline_package(
        str(package), arguments={"message": "hi there", "count": 3}, run_name="sdk run", experiment_name=exp_name
    )
    assert isinstance(result, kfp.client.client.RunPipelineResult)
    info = result.run_info
    assert info.display_name == "sdk run"
    assert info.state == "PENDING"
    assert [s.state for s in info.state_history] == ["PENDING"]
    assert info.finished_at.year == 1970
    assert info.runtime_config.parameters == {"message": "hi there", "count": 3}
    assert info.pipeline_spec == spec_of(package)
    assert info.pipeline_version_reference is None
    # Creation defaults of the real server (FACTS.md §7.3).
    assert info.scheduled_at == info.created_at
    assert info.storage_state == "AVAILABLE"
    assert info.service_account == "pipeline-runner"
    assert info.run_details is None
    exp = sdk.get_experiment(experiment_name=exp_name)
    assert info.experiment_id == exp.experiment_id

    # RunPipelineResult.wait_for_run_completion polls every 5 s (the SDK's default); wait quickly first
    # so that its first poll already sees the final state.
    assert sdk.wait_for_run_completion(result.run_id, **WAIT).state == "SUCCEEDED"
    done = result.wait_for_run_completion(timeout=RUN_TIMEOUT_S)
    assert done.state == "SUCCEEDED"
    assert [s.state for s in done.state_history] == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert done.finished_at >= done.created_at and done.finished_at.year > 1970

    run = sdk.get_run(result.run_id)
    assert run.state == "SUCCEEDED" and run.run_id == result.run_id
    # The experiment remembers its latest run (FACTS.md §7.2).
    assert sdk.get_experiment(experiment_id=exp.experiment_id).last_run_created_at.year > 1970


def test_create_run_without_experiment_uses_default(sdk, tmp_path):
    package = compile_pipeline(tmp_path, uniq("interop-default"))
    result = sdk.create_run_from_pipeline_package(str(package))
    default = sdk.get_experiment(experiment_name="Default")
    assert result.run_info.experiment_id == default.experiment_id
    # The SDK names the run after the package file plus a timestamp.
    assert result.run_info.display_name.startswith(package.name + " ")
    assert sdk.wait_for_run_completion(result.run_id, **WAIT).state == "SUCCEEDED"


def test_create_run_from_pipeline_func(sdk):
    from kfp import dsl

    @dsl.container_component
    def hello(who: str):
        return dsl.ContainerSpec(image="alpine:3.20", command=["echo"], args=[who])

    @dsl.pipeline(name=uniq("interop-func-run"))
    def pipeline(who: str):
        hello(who=who)

    result = sdk.create_run_from_pipeline_func(pipeline, arguments={"who": "world"},
                                               experiment_name=uniq("func-exp"))
    assert result.run_info.runtime_config.parameters == {"who": "world"}
    assert sdk.wait_for_run_completion(result.run_id, **WAIT).state == "SUCCEEDED"


def test_run_pipeline_with_a_version(sdk, tmp_path):
    name = uniq("interop-version-run")
    package = compile_pipeline(tmp_path, name)
    p = sdk.upload_pipeline(str(package), pipeline_name=name)
    v = sdk.upload_pipeline_version(str(package), "v2", pipeline_id=p.pipeline_id)
    exp = sdk.create_experiment(uniq("version-run-exp"))
    run = sdk.run_pipeline(exp.experiment_id, "from a version", pipeline_id=p.pipeline_id,
                           version_id=v.pipeline_version_id, params={"count": 1},
                           service_account="pipeline-runner")
    assert run.pipeline_spec is None
    assert run.pipeline_version_reference.pipeline_id == p.pipeline_id
    assert run.pipeline_version_reference.pipeline_version_id == v.pipeline_version_id
    assert run.service_account == "pipeline-runner"
    done = sdk.wait_for_run_completion(run.run_id, **WAIT)
    assert done.state == "SUCCEEDED"
    with pytest.raises(ValueError, match="both `pipeline_id` and `version_id` are required"):
        sdk.run_pipeline(exp.experiment_id, "half a reference", pipeline_id=p.pipeline_id)


def test_run_pipeline_from_package_with_pipeline_root_and_caching(sdk, tmp_path):
    package = compile_pipeline(tmp_path, uniq("interop-root"))
    exp = sdk.create_experiment(uniq("root-exp"))
    run = sdk.run_pipeline(exp.experiment_id, "rooted", pipeline_package_path=str(package),
                           pipeline_root="minio://bucket/root", enable_caching=False)
    assert run.runtime_config.pipeline_root == "minio://bucket/root"
    tasks = run.pipeline_spec["root"]["dag"]["tasks"]
    # enable_caching=False rewrites every root task's cachingOptions before sending (protobuf drops
    # the false value, so the server sees an empty cachingOptions).
    assert all(t.get("cachingOptions", {}).get("enableCache") in (None, False) for t in tasks.values())
    assert sdk.wait_for_run_completion(run.run_id, **WAIT).state == "SUCCEEDED"


def test_run_that_fails(sdk, tmp_path):
    package = compile_pipeline(tmp_path, uniq("interop-fails"), fail=True)
    result = sdk.create_run_from_pipeline_package(str(package), experiment_name=uniq("fail-exp"))
    done = sdk.wait_for_run_completion(result.run_id, **WAIT)
    assert done.state == "FAILED"
    assert [s.state for s in done.state_history] == ["PENDING", "RUNNING", "FAILED"]
    assert done.finished_at.year > 1970


def test_run_that_is_terminated(slow_single_emu, tmp_path):
    sdk = make_client(slow_single_emu.url)
    package = compile_pipeline(tmp_path, uniq("interop-terminated"))
    result = sdk.create_run_from_pipeline_package(str(package), experiment_name=uniq("term-exp"))
    assert sdk.get_run(result.run_id).state == "PENDING"
    assert sdk.terminate_run(result.run_id) == {}
    # Terminate sets CANCELING at once (FACTS.md §7.4).
    assert sdk.get_run(result.run_id).state == "CANCELING"
    # The Argo backend ends a terminated run FAILED, which wait_for_run_completion recognises (§7.4).
    done = sdk.wait_for_run_completion(result.run_id, **WAIT)
    assert done.state == "FAILED"
    assert done.finished_at.year > 1970
    # Terminating a finished run is a 400 (FACTS.md §3.2).
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.terminate_run(result.run_id)
    assert api_status(ei) == 400


def test_wait_for_run_completion_times_out(sdk, tmp_path):
    package = compile_pipeline(tmp_path, uniq("interop-timeout"))
    result = sdk.create_run_from_pipeline_package(str(package), experiment_name=uniq("timeout-exp"))
    with pytest.raises(TimeoutError, match="Run timeout"):
        sdk.wait_for_run_completion(result.run_id, timeout=0, sleep_duration=0)
    assert sdk.wait_for_run_completion(result.run_id, **WAIT).state == "SUCCEEDED"


def test_run_parameters_are_checked_at_creation(sdk, tmp_path):
    package = compile_pipeline(tmp_path, uniq("interop-params"))
    exp = sdk.create_experiment(uniq("params-exp"))
    # `count` is NUMBER_INTEGER: a string is rejected with 400 (PIPELINE-SPEC.md §2.3).
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.run_pipeline(exp.experiment_id, "bad", pipeline_package_path=str(package), params={"count": "3"})
    assert api_status(ei) == 400
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.run_pipeline(exp.experiment_id, "extra", pipeline_package_path=str(package), params={"nope": 1})
    assert api_status(ei) == 400


def test_list_get_archive_delete_runs(sdk, tmp_path):
    package = compile_pipeline(tmp_path, uniq("interop-runs"))
    exp = sdk.create_experiment(uniq("runs-exp"))
    runs = [sdk.run_pipeline(exp.experiment_id, f"run-{i}", pipeline_package_path=str(package)) for i in range(3)]
    ids = [r.run_id for r in runs]

    listed = sdk.list_runs(experiment_id=exp.experiment_id, page_size=2, sort_by="display_name")
    assert listed.total_size == 3
    assert [r.run_id for r in listed.runs] == ids[:2]
    rest = sdk.list_runs(experiment_id=exp.experiment_id, page_size=2, page_token=listed.next_page_token)
    assert [r.run_id for r in rest.runs] == ids[2:]

    # Without an experiment the SDK sends namespace="" (single-user: everything).
    flt = json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name", "stringValue": "run-1"},
                                     {"operation": "EQUALS", "key": "experiment_id",
                                      "stringValue": exp.experiment_id}]})
    only = sdk.list_runs(filter=flt)
    assert [r.run_id for r in only.runs] == [ids[1]]

    for rid in ids:
        sdk.wait_for_run_completion(rid, **WAIT)
    assert sdk.archive_run(ids[0]) == {}
    assert sdk.get_run(ids[0]).storage_state == "ARCHIVED"
    archived = json.dumps({"predicates": [{"operation": "EQUALS", "key": "storage_state", "stringValue": "ARCHIVED"}]})
    assert [r.run_id for r in sdk.list_runs(experiment_id=exp.experiment_id, filter=archived).runs] == [ids[0]]
    assert sdk.unarchive_run(ids[0]) == {}
    assert sdk.get_run(ids[0]).storage_state == "AVAILABLE"

    # Archiving the experiment archives its runs; unarchiving it leaves them archived (FACTS.md §7.2).
    sdk.archive_experiment(exp.experiment_id)
    assert {sdk.get_run(i).storage_state for i in ids} == {"ARCHIVED"}
    sdk.unarchive_experiment(exp.experiment_id)
    assert {sdk.get_run(i).storage_state for i in ids} == {"ARCHIVED"}

    assert sdk.delete_run(ids[1]) == {}
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.get_run(ids[1])
    assert api_status(ei) == 404
    assert sdk.list_runs(experiment_id=exp.experiment_id).total_size == 2


def test_missing_resources_are_404(sdk):
    missing = "00000000-0000-4000-8000-000000000000"
    for call in (
        lambda: sdk.get_run(missing),
        lambda: sdk.get_pipeline(missing),
        lambda: sdk.get_experiment(experiment_id=missing),
        lambda: sdk.get_recurring_run(missing),
        lambda: sdk.delete_run(missing),
        lambda: sdk.delete_experiment(missing),
        lambda: sdk.delete_recurring_run(missing),
        lambda: sdk.terminate_run(missing),
        lambda: sdk.get_pipeline_version(missing, missing),
    ):
        with pytest.raises(kfp_server_api.ApiException) as ei:
            call()
        assert api_status(ei) == 404


# -------------------------------------------------------------------------------------- recurring runs


def test_recurring_run_periodic_from_package(sdk, tmp_path):
    package = compile_pipeline(tmp_path, uniq("interop-recurring"))
    exp = sdk.create_experiment(uniq("recurring-exp"))
    rr = sdk.create_recurring_run(
        exp.experiment_id, "every hour", description="periodic", interval_second=3600,
        pipeline_package_path=str(package), params={"message": "tick"}, max_concurrency=2, no_catchup=True,
        start_time="2030-01-01T00:00:00Z",
    )
    assert isinstance(rr, kfp_server_api.V2beta1RecurringRun)
    assert rr.recurring_run_id and rr.display_name == "every hour" and rr.description == "periodic"
    assert rr.status == "ENABLED" and rr.mode == "ENABLE"
    assert rr.max_concurrency == "2"  # int64 is a JSON string (FACTS.md §2.1)
    assert rr.trigger.periodic_schedule.interval_second == "3600"
    assert rr.trigger.periodic_schedule.start_time.year == 2030
    assert rr.no_catchup is True
    assert rr.runtime_config.parameters == {"message": "tick"}
    assert rr.experiment_id == exp.experiment_id
    assert rr.pipeline_spec == spec_of(package)

    got = sdk.get_recurring_run(rr.recurring_run_id)
    assert got.recurring_run_id == rr.recurring_run_id and got.trigger.periodic_schedule.interval_second == "3600"
    with pytest.warns(DeprecationWarning):
        assert sdk.get_recurring_run(None, job_id=rr.recurring_run_id).recurring_run_id == rr.recurring_run_id

    listed = sdk.list_recurring_runs(experiment_id=exp.experiment_id)
    assert listed.total_size == 1 and listed.recurring_runs[0].recurring_run_id == rr.recurring_run_id

    assert sdk.disable_recurring_run(rr.recurring_run_id) == {}
    got = sdk.get_recurring_run(rr.recurring_run_id)
    assert (got.status, got.mode) == ("DISABLED", "DISABLE")
    assert sdk.enable_recurring_run(rr.recurring_run_id) == {}
    got = sdk.get_recurring_run(rr.recurring_run_id)
    assert (got.status, got.mode) == ("ENABLED", "ENABLE")

    assert sdk.delete_recurring_run(rr.recurring_run_id) == {}
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.get_recurring_run(rr.recurring_run_id)
    assert api_status(ei) == 404


def test_recurring_run_cron_from_version_and_deprecated_aliases(sdk, tmp_path):
    name = uniq("interop-cron")
    package = compile_pipeline(tmp_path, name)
    p = sdk.upload_pipeline(str(package), pipeline_name=name)
    (v,) = sdk.list_pipeline_versions(p.pipeline_id).pipeline_versions
    exp = sdk.create_experiment(uniq("cron-exp"))
    rr = sdk.create_recurring_run(exp.experiment_id, "weekdays", cron_expression="0 0 9 ? * 2-6",
                                  pipeline_id=p.pipeline_id, version_id=v.pipeline_version_id, enabled=False)
    assert rr.trigger.cron_schedule.cron == "0 0 9 ? * 2-6"
    assert (rr.status, rr.mode) == ("DISABLED", "DISABLE")
    assert rr.max_concurrency == "1"  # the SDK's default
    assert rr.pipeline_version_reference.pipeline_version_id == v.pipeline_version_id
    assert rr.pipeline_spec is None

    with pytest.warns(DeprecationWarning):
        sdk.enable_job(rr.recurring_run_id)
    assert sdk.get_recurring_run(rr.recurring_run_id).status == "ENABLED"
    with pytest.warns(DeprecationWarning):
        sdk.disable_job(rr.recurring_run_id)
    assert sdk.get_recurring_run(rr.recurring_run_id).status == "DISABLED"
    with pytest.warns(DeprecationWarning):
        sdk.delete_job(rr.recurring_run_id)
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.get_recurring_run(rr.recurring_run_id)
    assert api_status(ei) == 404


def test_recurring_run_rejections(sdk, tmp_path):
    package = compile_pipeline(tmp_path, uniq("interop-bad-rr"))
    exp = sdk.create_experiment(uniq("bad-rr-exp"))
    with pytest.raises(ValueError, match="Either interval_second or cron_expression is required"):
        sdk.create_recurring_run(exp.experiment_id, "none", pipeline_package_path=str(package))
    # max_concurrency outside 1..10 and a cron with 4 fields are 400 (FACTS.md §7.5).
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.create_recurring_run(exp.experiment_id, "eleven", interval_second=60, max_concurrency=11,
                                 pipeline_package_path=str(package))
    assert api_status(ei) == 400
    with pytest.raises(kfp_server_api.ApiException) as ei:
        sdk.create_recurring_run(exp.experiment_id, "bad cron", cron_expression="* * * *",
                                 pipeline_package_path=str(package))
    assert api_status(ei) == 400


def test_list_recurring_runs_without_experiment(sdk, tmp_path):
    package = compile_pipeline(tmp_path, uniq("interop-rr-list"))
    exp = sdk.create_experiment(uniq("rr-list-exp"))
    made = sdk.create_recurring_run(exp.experiment_id, uniq("rr"), interval_second=7200,
                                    pipeline_package_path=str(package))
    flt = json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name",
                                      "stringValue": made.display_name}]})
    # Neither experiment nor namespace: the SDK sends neither (and `page_token=`, `sort_by=` empty).
    listed = sdk.list_recurring_runs(filter=flt)
    assert [r.recurring_run_id for r in listed.recurring_runs] == [made.recurring_run_id]
    listed_ns = sdk.list_recurring_runs(filter=flt, namespace="ignored-in-single-user")
    assert [r.recurring_run_id for r in listed_ns.recurring_runs] == [made.recurring_run_id]


def test_filter_is_sent_single_encoded_and_understood(single_emu, sdk, tmp_path):
    """The SDK sends the filter JSON URL-encoded once; the server unescapes once more (FACTS.md §6)."""
    name = uniq("interop-filter")
    package = compile_pipeline(tmp_path, name)
    p = sdk.upload_pipeline(str(package), pipeline_name=name)
    mark = single_emu.mark()
    assert sdk.get_pipeline_id(name) == p.pipeline_id
    (req,) = single_emu.requests_since(mark, 1)
    assert req["path"] == "/apis/v2beta1/pipelines"
    sent = json.loads(req["query"]["filter"])
    assert sent == {"predicates": [{"operation": 1, "key": "display_name", "stringValue": name}]}
    assert urllib.parse.unquote(req["query"]["filter"]) == req["query"]["filter"]
