"""The real packages in ../shared/kfp-api/pipelines and what the real server does with each.

Expected outcomes come from FACTS.md §4 and PIPELINE-SPEC.md §1.5/§5.1:
- format detection: .yaml/.yml/.json by file name, zip/tar.gz by magic bytes, anything else rejected;
- a v2 package: each YAML document is tried as a strict `PipelineSpec` (with `pipelineInfo.name` and
  `root`), else as a strict `PlatformSpec` with `platforms.kubernetes`, else ignored; the server stores
  the spec re-serialised (protojson -> YAML, platform document appended) and returns it as a Struct:
  the pipeline spec alone, or `{"pipeline_spec": ..., "platform_spec": ...}` with a platform document;
- an Argo `Workflow` document is a v1 template: accepted (v1 is not blocked by default) and returned as
  the workflow re-serialised through Argo's Go types;
- every rejected package is HTTP 400 (since 2.17.0; FACTS.md §4.5).
"""


import io
import json
import pathlib
import zipfile
from typing import Any, Dict, List, Optional, Tuple

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

PIPELINES_DIR = pathlib.Path(__file__).resolve().parents[3] / "shared" / "kfp-api" / "pipelines"


def all_packages() -> List[pathlib.Path]:
    if not PIPELINES_DIR.is_dir():
        return []
    files = [p for p in PIPELINES_DIR.rglob("*") if p.is_file() and p.suffix != ".md"]
    return sorted(files, key=lambda p: str(p.relative_to(PIPELINES_DIR)))


def package_id(path: pathlib.Path) -> str:
    return str(path.relative_to(PIPELINES_DIR))


def expected_status(path: pathlib.Path) -> int:
    """HTTP status of the real server's upload for this package."""
    rel = package_id(path)
    return 400 if rel.startswith("invalid/") else 200


def is_argo(path: pathlib.Path) -> bool:
    return package_id(path).startswith("argo-workflow/")


def _package_text(path: pathlib.Path) -> str:
    data = path.read_bytes()
    if path.suffix in (".yaml", ".yml", ".json"):
        return data.decode("utf-8")
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            chosen = "pipeline.yaml" if "pipeline.yaml" in names else names[0]
            assert chosen.endswith((".yaml", ".yml")), chosen
            return zf.read(chosen).decode("utf-8")
    raise ValueError(f"not an accepted package: {path}")


def _strict(doc: Any, message) -> Optional[Any]:
    try:
        return json_format.ParseDict(doc, message)
    except (json_format.ParseError, TypeError, ValueError):
        return None


def expected_stored_spec(path: pathlib.Path) -> Any:
    """The `pipeline_spec` Struct the real server returns for a version made from this package."""
    docs = [d for d in yaml.safe_load_all(_package_text(path)) if d is not None]
    if len(docs) == 1 and isinstance(docs[0], dict) and docs[0].get("kind") == "Workflow":
        return docs[0]
    pipeline: Optional[Dict[str, Any]] = None
    platform: Optional[Dict[str, Any]] = None
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        spec = None
        if isinstance(doc.get("pipelineInfo"), dict) and doc["pipelineInfo"].get("name") and doc.get("root"):
            spec = _strict(doc, pipeline_spec_pb2.PipelineSpec())
        if spec is not None:
            assert pipeline is None, f"{path}: two pipeline specs"
            # protojson -> YAML -> Struct, i.e. proto JSON names, zero values dropped, int64 as strings.
            pipeline = json_format.MessageToDict(spec)
            continue
        plat = _strict(doc, pipeline_spec_pb2.PlatformSpec())
        if plat is not None and "kubernetes" in plat.platforms:
            assert platform is None, f"{path}: two platform specs"
            platform = json_format.MessageToDict(plat)
    assert pipeline is not None, f"{path}: no pipeline spec"
    if platform is None:
        return pipeline
    return {"pipeline_spec": pipeline, "platform_spec": platform}


def _prune(value: Any) -> Any:
    """Drop nulls and empty maps/lists (what a Go struct round-trip may add or remove)."""
    if isinstance(value, dict):
        out = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def argo_equivalent(stored: Any, uploaded: Any) -> bool:
    """Argo workflows come back re-serialised through Argo's Go types (`ToStringForStore`): compare
    modulo null/empty fields, `metadata.creationTimestamp` and an empty `status`."""

    def norm(wf: Any) -> Any:
        wf = json.loads(json.dumps(wf))
        if isinstance(wf, dict):
            wf.get("metadata", {}).pop("creationTimestamp", None)
            if wf.get("status") in ({}, None):
                wf.pop("status", None)
        return _prune(wf)

    return norm(stored) == norm(uploaded)


def first_difference(a: Any, b: Any, where: str = "") -> Optional[Tuple[str, Any, Any]]:
    """The first place where two JSON values differ (numbers compare by value)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return None if a is b or a == b and type(a) is type(b) else (where or "/", a, b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return None if a == b else (where or "/", a, b)
    if type(a) is not type(b):
        return (where or "/", a, b)
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return (f"{where}/{k}", a.get(k, "<absent>"), b.get(k, "<absent>"))
            d = first_difference(a[k], b[k], f"{where}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return (f"{where} (length)", len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{where}[{i}]")
            if d:
                return d
        return None
    return None if a == b else (where or "/", a, b)
