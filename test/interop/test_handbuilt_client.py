"""A hand-built client, the way blog posts show it: aiohttp, a multipart body written byte by byte with
its own boundary, `Accept: application/json`, `name`/`description` as query parameters and the v1beta1
upload path (FACTS.md §4.1, §4.4). It uploads to the emulator and reads the pipeline back."""

import asyncio
import json
import urllib.parse
import uuid

import aiohttp
import pytest

from conftest import compile_pipeline, uniq

TIMEOUT = aiohttp.ClientTimeout(total=20)


def multipart(boundary: str, filename: str, content: bytes, content_type: str = "application/x-yaml") -> bytes:
    return b"".join([
        f"--{boundary}\r\n".encode(),
        f'Content-Disposition: form-data; name="uploadfile"; filename="{filename}"\r\n'.encode(),
        f"Content-Type: {content_type}\r\n\r\n".encode(),
        content,
        f"\r\n--{boundary}--\r\n".encode(),
    ])


async def upload_v1(session, base: str, content: bytes, filename: str, query: dict):
    boundary = "----kfpBlogBoundary" + uuid.uuid4().hex
    body = multipart(boundary, filename, content)
    url = f"{base}/apis/v1beta1/pipelines/upload?{urllib.parse.urlencode(query)}"
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "application/json"}
    async with session.post(url, data=body, headers=headers) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.read()


async def get_json(session, url: str):
    async with session.get(url, headers={"Accept": "application/json"}) as resp:
        return resp.status, await resp.json(content_type=None)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_blog_style_v1beta1_upload_and_read_back(single_emu, tmp_path):
    name = uniq("Blog Pipeline")
    package = compile_pipeline(tmp_path, uniq("blog"))
    content = package.read_bytes()

    async def scenario():
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            status, ctype, raw = await upload_v1(session, single_emu.url, content, "pipeline.yaml",
                                                 {"name": name, "description": "from a blog post"})
            assert status == 200, raw
            assert ctype.startswith("application/json")
            created = json.loads(raw)
            # v1beta1 Pipeline (FACTS.md §4.4): id/name, no display_name, default_version included.
            assert created["name"] == name and created["description"] == "from a blog post"
            assert "display_name" not in created and "resource_references" not in created
            version = created["default_version"]
            assert version["name"] == name
            assert version["resource_references"] == [
                {"key": {"type": "PIPELINE", "id": created["id"]}, "relationship": "OWNER"}
            ]

            status, v1 = await get_json(session, f"{single_emu.url}/apis/v1beta1/pipelines/{created['id']}")
            assert status == 200 and v1["id"] == created["id"] and v1["name"] == name
            status, v2 = await get_json(session, f"{single_emu.url}/apis/v2beta1/pipelines/{created['id']}")
            assert status == 200
            assert (v2["pipeline_id"], v2["name"], v2["display_name"]) == (created["id"], name, name)
            assert v2["description"] == "from a blog post"
            status, versions = await get_json(
                session, f"{single_emu.url}/apis/v2beta1/pipelines/{created['id']}/versions")
            assert status == 200 and versions["total_size"] == 1
            (pv,) = versions["pipeline_versions"]
            assert pv["pipeline_version_id"] == version["id"]
            assert pv["pipeline_spec"]["pipelineInfo"]["name"] == package.stem

            # The same upload again: duplicate name → 409 with the plain-handler error shape (§3.4, §4.5).
            status, ctype, raw = await upload_v1(session, single_emu.url, content, "pipeline.yaml", {"name": name})
            assert status == 409
            err = json.loads(raw)
            assert err["error_message"] == "Failed to create a pipeline and a pipeline version"
            assert isinstance(err["error_details"], str)

    run(scenario())


def test_blog_style_upload_without_name_uses_the_file_name(single_emu, tmp_path):
    package = compile_pipeline(tmp_path, uniq("blog-noname"))
    filename = uniq("my-file") + ".yaml"

    async def scenario():
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            status, _, raw = await upload_v1(session, single_emu.url, package.read_bytes(), filename, {})
            assert status == 200, raw
            # name = name ?: display_name ?: the uploaded file name, extension included (FACTS.md §4.2).
            assert json.loads(raw)["name"] == filename

    run(scenario())


@pytest.mark.parametrize(
    "filename,content,why",
    [
        ("pipeline.txt", b"pipelineInfo: {name: x}\n", "unknown extension and no archive magic"),
        ("pipeline.yaml", b"", "empty file"),
    ],
)
def test_blog_style_rejections_are_400(single_emu, filename, content, why):
    async def scenario():
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            status, _, raw = await upload_v1(session, single_emu.url, content, filename, {"name": uniq("bad")})
            assert status == 400, (why, raw)
            assert "error_message" in json.loads(raw)

    run(scenario())


def test_v2beta1_upload_with_a_hand_written_body(single_emu, tmp_path):
    """The same hand-made request against /apis/v2beta1 returns the v2beta1 Pipeline."""
    package = compile_pipeline(tmp_path, uniq("blog-v2"))
    name = uniq("blog-v2-name")

    async def scenario():
        boundary = "XxX" + uuid.uuid4().hex
        body = multipart(boundary, "a/b/pipeline.yaml", package.read_bytes(), "application/octet-stream")
        url = f"{single_emu.url}/apis/v2beta1/pipelines/upload?" + urllib.parse.urlencode(
            {"display_name": name, "description": "hand made"})
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "application/json"}
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            async with session.post(url, data=body, headers=headers) as resp:
                assert resp.status == 200, await resp.text()
                p = await resp.json()
        # name falls back to display_name (FACTS.md §4.2 step 5).
        assert (p["name"], p["display_name"], p["description"]) == (name, name, "hand made")
        assert set(p) <= {"pipeline_id", "name", "display_name", "description", "created_at", "namespace", "tags"}

    run(scenario())
