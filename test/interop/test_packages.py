"""Real packages through both clients (../shared/kfp-api/pipelines).

4. Every package goes into the emulator through the official SDK and through kfp-ts: valid ones come
   back with the stored spec equal to the uploaded one (modulo the server's documented
   re-serialisation, see packages.py), invalid ones fail with the real server's status (400).
5. The same upload made by the SDK and by kfp-ts yields the same stored pipeline and version (name,
   display name, description, namespace, spec).
"""

import uuid

import kfp_server_api
import pytest

from conftest import ALICE, MULTI_USER_CONFIG, Emulator, kfpts, make_client, pipelines_available
from packages import (
    all_packages,
    argo_equivalent,
    expected_stored_spec,
    expected_status,
    first_difference,
    is_argo,
    package_id,
)

pytestmark = pytest.mark.skipif(not pipelines_available(), reason="../shared/kfp-api/pipelines is absent")

PACKAGES = all_packages()
IDS = [package_id(p) for p in PACKAGES]
RUN = uuid.uuid4().hex[:6]


def pipeline_name(client: str, index: int) -> str:
    return f"pkg-{client}-{RUN}-{index:03d}"


def assert_spec(path, stored) -> None:
    uploaded = expected_stored_spec(path)
    if is_argo(path):
        assert argo_equivalent(stored, uploaded), first_difference(stored, uploaded)
    else:
        diff = first_difference(stored, uploaded)
        assert diff is None, f"stored spec differs at {diff[0]}: {diff[1]!r} != {diff[2]!r}"


# ------------------------------------------------------------------------------------ the official SDK


@pytest.fixture(scope="module")
def sdk_container_pipeline(single_emu, tmp_path_factory):
    """A pipeline to hang every package's version on (upload_version)."""
    valid = next(p for p in PACKAGES if package_id(p) == "valid/two_step_pipeline.yaml")
    client = make_client(single_emu.url)
    return client.upload_pipeline(str(valid), pipeline_name=f"pkg-versions-sdk-{RUN}")


@pytest.mark.parametrize("index,path", list(enumerate(PACKAGES)), ids=IDS)
def test_sdk_upload(single_emu, sdk_container_pipeline, index, path):
    client = make_client(single_emu.url)
    name = pipeline_name("sdk", index)
    want = expected_status(path)
    if want != 200:
        with pytest.raises(kfp_server_api.ApiException) as ei:
            client.upload_pipeline(str(path), pipeline_name=name)
        assert ei.value.status == want
        with pytest.raises(kfp_server_api.ApiException) as ei:
            client.upload_pipeline_version(str(path), f"v-{index}", pipeline_id=sdk_container_pipeline.pipeline_id)
        assert ei.value.status == want
        return
    p = client.upload_pipeline(str(path), pipeline_name=name, description=f"package {package_id(path)}")
    assert (p.name, p.display_name) == (name, name)
    (version,) = client.list_pipeline_versions(p.pipeline_id).pipeline_versions
    assert version.name == name and version.description == f"package {package_id(path)}"
    assert_spec(path, client.get_pipeline_version(p.pipeline_id, version.pipeline_version_id).pipeline_spec)

    v = client.upload_pipeline_version(str(path), f"v-{index}", pipeline_id=sdk_container_pipeline.pipeline_id)
    assert_spec(path, v.pipeline_spec)


# ---------------------------------------------------------------------------------------------- kfp-ts


@pytest.fixture(scope="module")
def kfpts_results(single_emu):
    """All packages uploaded through kfp-ts in one node process. Per package: upload as a pipeline and
    as a version with the client's own package check on (the default) and, for invalid packages, the
    same two uploads with `validate: false` so that the server answers."""
    host = single_emu.url
    container = f"pkg-versions-ts-{RUN}"
    commands = [{"op": "uploadPipeline", "host": host, "file": str(PACKAGES[0]), "name": container}]
    layout = []
    for index, path in enumerate(PACKAGES):
        name = pipeline_name("ts", index)
        desc = f"package {package_id(path)}"
        entry = {"pipeline": len(commands)}
        commands.append({"op": "uploadPipeline", "host": host, "file": str(path), "name": name, "description": desc})
        entry["version"] = len(commands)
        commands.append({"op": "uploadVersion", "host": host, "file": str(path), "pipelineName": container,
                         "name": f"v-{index}"})
        if expected_status(path) != 200:
            entry["server_pipeline"] = len(commands)
            commands.append({"op": "uploadPipeline", "host": host, "file": str(path), "name": name + "-nv",
                             "validate": False})
            entry["server_version"] = len(commands)
            commands.append({"op": "uploadVersion", "host": host, "file": str(path), "pipelineName": container,
                             "name": f"v-{index}-nv", "validate": False})
        layout.append(entry)
    results = kfpts(commands)
    assert results[0]["ok"], results[0]
    return [{k: results[i] for k, i in entry.items()} for entry in layout]


@pytest.mark.parametrize("index,path", list(enumerate(PACKAGES)), ids=IDS)
def test_kfpts_upload(kfpts_results, index, path):
    r = kfpts_results[index]
    want = expected_status(path)
    if want != 200:
        # With its package check on, kfp-ts refuses before sending (ValidationError) or the server does.
        for key in ("pipeline", "version"):
            res = r[key]
            assert not res["ok"], res
            assert res["validation"] or (res["error"] == "BadRequestError" and res["status"] == want), res
        # With the check off, the server's status comes back as a typed error.
        for key in ("server_pipeline", "server_version"):
            res = r[key]
            assert not res["ok"], res
            assert (res["error"], res["status"]) == ("BadRequestError", want), res
        return
    upload, version = r["pipeline"], r["version"]
    assert upload["ok"], upload
    name = pipeline_name("ts", index)
    p = upload["pipeline"]
    assert (p["name"], p["display_name"], p["description"]) == (name, name, f"package {package_id(path)}")
    (v,) = upload["versions"]
    assert v["name"] == name
    assert_spec(path, v["pipeline_spec"])
    assert version["ok"], version
    assert_spec(path, version["version"]["pipeline_spec"])


# --------------------------------------------------------------------------- same request, same result


def _sdk_snapshot(client, pipeline_id):
    p = client.get_pipeline(pipeline_id)
    (v,) = client.list_pipeline_versions(pipeline_id).pipeline_versions
    return {
        "pipeline": {"name": p.name, "display_name": p.display_name, "description": p.description,
                     "namespace": p.namespace},
        "version": {"name": v.name, "display_name": v.display_name, "description": v.description,
                    "spec": v.pipeline_spec},
    }


def _ts_snapshot(result):
    p = result["pipeline"]
    (v,) = result["versions"]
    return {
        "pipeline": {k: p.get(k) for k in ("name", "display_name", "description", "namespace")},
        "version": {"name": v.get("name"), "display_name": v.get("display_name"), "description": v.get("description"),
                    "spec": v.get("pipeline_spec")},
    }


def test_same_upload_same_result_single_user(fresh_emulators):
    sdk_emu, ts_emu = fresh_emulators
    client = make_client(sdk_emu.url)
    valid = [p for p in PACKAGES if expected_status(p) == 200]
    snapshots = {}
    commands = []
    for index, path in enumerate(valid):
        name = f"same-{index:03d}"
        p = client.upload_pipeline(str(path), pipeline_name=name, description=f"same {index}")
        snapshots[index] = _sdk_snapshot(client, p.pipeline_id)
        commands.append({"op": "uploadPipeline", "host": ts_emu.url, "file": str(path), "name": name,
                         "description": f"same {index}", "apiVersion": "v2beta1"})
    results = kfpts(commands)
    # The requests themselves: same endpoint, same query parameters, same part name and filename.
    def uploads(emu):
        return [(r["path"], r["query"], [(p["name"], p.get("filename")) for p in r["body"]["parts"]])
                for r in emu.requests() if r["path"].endswith("/pipelines/upload")]
    assert uploads(sdk_emu) == uploads(ts_emu)
    assert len(uploads(sdk_emu)) == len(valid)
    mismatches = []
    for index, result in enumerate(results):
        assert result["ok"], (package_id(valid[index]), result)
        ts = _ts_snapshot(result)
        diff = first_difference(snapshots[index], ts)
        if diff:
            mismatches.append((package_id(valid[index]), diff))
    assert mismatches == []


def test_same_upload_same_result_multi_user_namespace(tmp_path):
    """Multi-user, namespaced and shared uploads by alice through both clients."""
    sdk_emu = Emulator({"multiUser": MULTI_USER_CONFIG}, "same-multi-a").start()
    ts_emu = Emulator({"multiUser": MULTI_USER_CONFIG}, "same-multi-b").start()
    try:
        client = make_client(sdk_emu.url, existing_token=ALICE["token"], namespace=ALICE["namespace"])
        chosen = [p for p in PACKAGES if package_id(p) in (
            "valid/two_step_pipeline.yaml", "valid/pipeline_with_importer.json", "valid/arguments_parameters.zip",
            "valid/pvc_mount.yaml")]
        assert len(chosen) == 4
        commands, snapshots = [], []
        for index, path in enumerate(chosen):
            for namespace in (ALICE["namespace"], None):
                name = f"mu-{index}-{'ns' if namespace else 'shared'}"
                p = client.upload_pipeline(str(path), pipeline_name=name, description="multi", namespace=namespace)
                snapshots.append(_sdk_snapshot(client, p.pipeline_id))
                cmd = {"op": "uploadPipeline", "host": ts_emu.url, "file": str(path), "name": name,
                       "description": "multi", "token": ALICE["token"], "apiVersion": "v2beta1"}
                if namespace:
                    cmd["namespace"] = namespace
                commands.append(cmd)
        results = kfpts(commands)
        for want, result in zip(snapshots, results):
            assert result["ok"], result
            assert first_difference(want, _ts_snapshot(result)) is None
        assert {s["pipeline"]["namespace"] for s in snapshots} == {ALICE["namespace"], None}
    finally:
        sdk_emu.stop()
        ts_emu.stop()
