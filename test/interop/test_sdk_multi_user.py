"""The official SDK against a multi-user emulator (FACTS.md §8, §12.1): identity from `existing_token`
(sent as `authorization: Bearer ...`) or from the context file's extra header (`kubeflow-userid`)."""


import json

import kfp_server_api
import pytest

from conftest import ALICE, BOB, RUN_TIMEOUT_S, compile_pipeline, make_client, uniq

WAIT = dict(timeout=RUN_TIMEOUT_S, sleep_duration=0.05)


def status_of(call) -> int:
    with pytest.raises(kfp_server_api.ApiException) as ei:
        call()
    return ei.value.status


@pytest.fixture()
def alice(multi_emu):
    """Alice by bearer token, with her namespace given to the constructor (no healthz call)."""
    return make_client(multi_emu.url, existing_token=ALICE["token"], namespace=ALICE["namespace"])


@pytest.fixture()
def bob(multi_emu, kfp_context_file):
    """Bob through the context file: user namespace plus a fixed `kubeflow-userid` header."""
    kfp_context_file.parent.mkdir(parents=True, exist_ok=True)
    kfp_context_file.write_text(json.dumps({
        "namespace": BOB["namespace"],
        "client_authentication_header_name": "kubeflow-userid",
        "client_authentication_header_value": BOB["user"],
    }))
    return make_client(multi_emu.url)


def test_healthz_reports_multi_user_and_namespace_stays_empty(multi_emu, kfp_context_file):
    mark = multi_emu.mark()
    client = make_client(multi_emu.url, existing_token=ALICE["token"])
    assert [(r["method"], r["path"]) for r in multi_emu.requests_since(mark, 1)] == [("GET", "/apis/v2beta1/healthz")]
    # multi_user is true, but there is no service-account namespace file outside a pod.
    assert client.get_user_namespace() == ""
    assert client.get_kfp_healthz(sleep_duration=0).multi_user is True


def test_token_is_sent_as_bearer_and_redacted_by_the_inspector(multi_emu, alice):
    mark = multi_emu.mark()
    alice.list_experiments()
    (req,) = multi_emu.requests_since(mark, 1)
    assert req["headers"]["authorization"] == "[redacted]"
    assert ALICE["token"] not in json.dumps(req)
    assert req["query"]["namespace"] == ALICE["namespace"]


def test_experiments_runs_and_recurring_runs_with_a_token(alice, tmp_path):
    ns = ALICE["namespace"]
    exp = alice.create_experiment(uniq("alice-exp"), description="mine")
    assert exp.namespace == ns
    assert alice.get_experiment(experiment_name=exp.display_name).experiment_id == exp.experiment_id
    listed = alice.list_experiments(namespace=ns)
    assert exp.experiment_id in [e.experiment_id for e in listed.experiments]

    name = uniq("alice-pipe")
    package = compile_pipeline(tmp_path, name)
    p = alice.upload_pipeline(str(package), pipeline_name=name, namespace=ns)
    assert p.namespace == ns
    assert alice.list_pipelines(namespace=ns).total_size >= 1
    v = alice.upload_pipeline_version(str(package), "v2", pipeline_id=p.pipeline_id)
    assert v.pipeline_id == p.pipeline_id

    result = alice.create_run_from_pipeline_package(str(package), experiment_name=exp.display_name, namespace=ns,
                                                    arguments={"message": "multi"})
    assert result.run_info.experiment_id == exp.experiment_id
    assert alice.wait_for_run_completion(result.run_id, **WAIT).state == "SUCCEEDED"

    run = alice.run_pipeline(exp.experiment_id, "by version", pipeline_id=p.pipeline_id,
                             version_id=v.pipeline_version_id)
    assert alice.wait_for_run_completion(run.run_id, **WAIT).state == "SUCCEEDED"
    # list_runs without experiment sends the context namespace.
    assert {result.run_id, run.run_id} <= {r.run_id for r in alice.list_runs(page_size=100).runs}
    assert alice.list_runs(experiment_id=exp.experiment_id).total_size == 2
    alice.archive_run(run.run_id)
    assert alice.get_run(run.run_id).storage_state == "ARCHIVED"
    alice.unarchive_run(run.run_id)
    alice.delete_run(run.run_id)
    assert status_of(lambda: alice.get_run(run.run_id)) == 404

    rr = alice.create_recurring_run(exp.experiment_id, "alice hourly", interval_second=3600,
                                    pipeline_package_path=str(package))
    assert rr.namespace == ns and rr.status == "ENABLED"
    assert rr.recurring_run_id in [r.recurring_run_id for r in alice.list_recurring_runs(namespace=ns).recurring_runs]
    listed = alice.list_recurring_runs(experiment_id=exp.experiment_id)
    assert [r.recurring_run_id for r in listed.recurring_runs] == [rr.recurring_run_id]
    alice.disable_recurring_run(rr.recurring_run_id)
    assert alice.get_recurring_run(rr.recurring_run_id).status == "DISABLED"
    alice.enable_recurring_run(rr.recurring_run_id)
    alice.delete_recurring_run(rr.recurring_run_id)

    alice.archive_experiment(exp.experiment_id)
    alice.unarchive_experiment(exp.experiment_id)
    alice.delete_experiment(exp.experiment_id)


def test_everything_through_the_context_header(bob, tmp_path):
    ns = BOB["namespace"]
    assert bob.get_user_namespace() == ns
    exp = bob.create_experiment(uniq("bob-exp"))  # namespace comes from the context file
    assert exp.namespace == ns
    package = compile_pipeline(tmp_path, uniq("bob-pipe"))
    result = bob.create_run_from_pipeline_package(str(package), experiment_id=exp.experiment_id)
    assert bob.wait_for_run_completion(result.run_id, **WAIT).state == "SUCCEEDED"
    assert result.run_id in [r.run_id for r in bob.list_runs(page_size=100).runs]


def test_terminate_through_the_context_header(slow_multi_emu, kfp_context_file, tmp_path):
    kfp_context_file.parent.mkdir(parents=True, exist_ok=True)
    kfp_context_file.write_text(json.dumps({
        "namespace": BOB["namespace"],
        "client_authentication_header_name": "kubeflow-userid",
        "client_authentication_header_value": BOB["user"],
    }))
    bob = make_client(slow_multi_emu.url)
    package = compile_pipeline(tmp_path, uniq("bob-terminate"))
    run = bob.create_run_from_pipeline_package(str(package), experiment_name=uniq("bob-term-exp"))
    assert bob.terminate_run(run.run_id) == {}
    assert bob.wait_for_run_completion(run.run_id, **WAIT).state == "FAILED"
    # Alice may not terminate Bob's runs. (Without the context file: its header would make her Bob,
    # since the user-id header is tried before the bearer token, FACTS.md §8.)
    kfp_context_file.unlink()
    alice = make_client(slow_multi_emu.url, existing_token=ALICE["token"], namespace=ALICE["namespace"])
    assert status_of(lambda: alice.terminate_run(run.run_id)) == 403


def test_shared_pipelines_are_visible_to_everyone(alice, bob, tmp_path):
    name = uniq("shared-pipe")
    package = compile_pipeline(tmp_path, name)
    shared = alice.upload_pipeline(str(package), pipeline_name=name)  # no namespace: shared
    assert shared.namespace is None
    # get_pipeline_id lists without a namespace: shared pipelines only (FACTS.md §8).
    assert bob.get_pipeline_id(name) == shared.pipeline_id
    assert bob.get_pipeline(shared.pipeline_id).name == name
    private = alice.upload_pipeline(str(package), pipeline_name=name, namespace=ALICE["namespace"])
    assert private.namespace == ALICE["namespace"]
    assert bob.get_pipeline_id(name) == shared.pipeline_id


def test_no_identity_is_401(multi_emu):
    anonymous = make_client(multi_emu.url, namespace=ALICE["namespace"])
    assert status_of(lambda: anonymous.list_experiments()) == 401
    assert status_of(lambda: anonymous.create_experiment(uniq("nobody"))) == 401
    unknown_token = make_client(multi_emu.url, namespace=ALICE["namespace"], existing_token="not-a-known-token")
    assert status_of(lambda: unknown_token.list_runs()) == 401


def test_other_namespace_is_403(alice, bob):
    assert status_of(lambda: alice.list_experiments(namespace=BOB["namespace"])) == 403
    bob_exp = bob.create_experiment(uniq("bob-private"))
    assert status_of(lambda: alice.get_experiment(experiment_id=bob_exp.experiment_id)) == 403
    assert status_of(lambda: alice.list_runs(experiment_id=bob_exp.experiment_id)) == 403


def test_namespace_is_required(multi_emu):
    no_ns = make_client(multi_emu.url, existing_token=ALICE["token"])
    assert no_ns.get_user_namespace() == ""
    # Experiments need a namespace; listing runs needs a namespace or an experiment (FACTS.md §8).
    assert status_of(lambda: no_ns.create_experiment(uniq("no-namespace"))) == 400
    assert status_of(lambda: no_ns.list_experiments()) == 400
    assert status_of(lambda: no_ns.list_runs()) == 400
    assert status_of(lambda: no_ns.list_recurring_runs(namespace="")) == 400


def test_pipelines_and_versions_lifecycle_in_a_namespace(alice, tmp_path):
    ns = ALICE["namespace"]
    name = uniq("alice-life")
    package = compile_pipeline(tmp_path, name)
    p = alice.upload_pipeline(str(package), pipeline_name=name, description="life", namespace=ns)
    v = alice.upload_pipeline_version(str(package), "v2", pipeline_id=p.pipeline_id, description="second")
    assert alice.get_pipeline(p.pipeline_id).namespace == ns
    flt = json.dumps({"predicates": [{"operation": "EQUALS", "key": "name", "stringValue": name}]})
    assert [x.pipeline_id for x in alice.list_pipelines(namespace=ns, filter=flt).pipelines] == [p.pipeline_id]
    # get_pipeline_id sends no namespace, so it only sees shared pipelines (FACTS.md §12.2, §8).
    assert alice.get_pipeline_id(name) is None
    versions = alice.list_pipeline_versions(p.pipeline_id, sort_by="name")
    assert [x.name for x in versions.pipeline_versions] == [name, "v2"]
    got = alice.get_pipeline_version(p.pipeline_id, v.pipeline_version_id)
    assert got.description == "second" and got.pipeline_spec["pipelineInfo"]["name"] == name
    assert status_of(lambda: alice.delete_pipeline(p.pipeline_id)) == 400
    for x in versions.pipeline_versions:
        alice.delete_pipeline_version(p.pipeline_id, x.pipeline_version_id)
    alice.delete_pipeline(p.pipeline_id)
    assert status_of(lambda: alice.get_pipeline(p.pipeline_id)) == 404


def test_version_by_name_of_a_shared_pipeline(alice, bob, tmp_path):
    name = uniq("shared-by-name")
    package = compile_pipeline(tmp_path, name)
    shared = alice.upload_pipeline(str(package), pipeline_name=name)
    # upload_version by name: the SDK finds the shared pipeline (get_pipeline_id lists shared ones) and
    # the upload handler does not authorize versions of a shared pipeline (namespace "") — anyone may
    # add one (pipeline_upload_server.go canUploadVersionedPipeline).
    v = bob.upload_pipeline_version(str(package), "by-bob", pipeline_name=name)
    assert v.pipeline_id == shared.pipeline_id
    names = sorted(x.name for x in alice.list_pipeline_versions(shared.pipeline_id).pipeline_versions)
    assert names == sorted([name, "by-bob"])


def test_failing_run_and_run_listing_with_a_token(alice, tmp_path):
    package = compile_pipeline(tmp_path, uniq("alice-fail"), fail=True)
    exp = alice.create_experiment(uniq("alice-fail-exp"))
    result = alice.create_run_from_pipeline_package(str(package), experiment_id=exp.experiment_id)
    done = alice.wait_for_run_completion(result.run_id, **WAIT)
    assert done.state == "FAILED"
    assert alice.get_run(result.run_id).state == "FAILED"
    listed = alice.list_runs(experiment_id=exp.experiment_id)
    assert [r.run_id for r in listed.runs] == [result.run_id]


def test_set_user_namespace_is_saved_and_used(multi_emu, kfp_context_file):
    first = make_client(multi_emu.url, existing_token=ALICE["token"])
    assert first.get_user_namespace() == ""
    first.set_user_namespace(ALICE["namespace"])
    assert json.loads(kfp_context_file.read_text())["namespace"] == ALICE["namespace"]
    mark = multi_emu.mark()
    second = make_client(multi_emu.url, existing_token=ALICE["token"])
    assert second.get_user_namespace() == ALICE["namespace"]
    exp = second.create_experiment(uniq("from-context"))
    assert exp.namespace == ALICE["namespace"]
    # The namespace was known, so the constructor did not call healthz.
    paths = [r["path"] for r in multi_emu.requests_since(mark, 2)]
    assert "/apis/v2beta1/healthz" not in paths
