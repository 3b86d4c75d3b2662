"""Each service installs on its own with only what it needs (checked on the resolved uv.lock)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

LOCK = Path(__file__).resolve().parents[2] / "uv.lock"
HEAVY = {"scikit-learn", "pandas", "faust-streaming"}


def _closure(package: str, extra: str | None = None) -> set[str]:
    """Every package an install of ``package`` (``package[extra]``) brings in, following
    only requested extras."""
    packages = {p["name"]: p for p in tomllib.loads(LOCK.read_text())["package"]}
    seen: set[tuple[str, str | None]] = set()
    todo: list[tuple[str, str | None]] = [(package, None)]
    if extra is not None:
        todo.append((package, extra))
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen:
            continue
        seen.add((name, extra))
        entry = packages[name]
        deps = (
            entry.get("dependencies", [])
            if extra is None
            else (entry.get("optional-dependencies", {}).get(extra, []))
        )
        for dep in deps:
            todo.append((dep["name"], None))
            todo.extend((dep["name"], e) for e in dep.get("extra", []))
    return {name for name, _ in seen}


def test_serving_install_pulls_no_training_or_stream_framework() -> None:
    closure = _closure("streamops-serving")
    assert "onnxruntime" in closure
    assert closure.isdisjoint(HEAVY), closure & HEAVY


def test_the_features_service_needs_no_stream_framework() -> None:
    # the window features run on the library's runtime; faust is only the benchmark's peer
    closure = _closure("streamops-features")
    assert closure.isdisjoint(HEAVY), closure & HEAVY


def test_shared_library_stays_light() -> None:
    closure = _closure("streamops")
    assert "confluent-kafka" in closure
    assert closure.isdisjoint(HEAVY | {"onnxruntime", "numpy"}), closure & HEAVY


def test_the_native_codec_is_optional() -> None:
    """Building streamops-avro needs Rust: a plain install must not, streamops[native] does."""
    assert "streamops-avro" not in _closure("streamops")
    assert "streamops-avro" in _closure("streamops", "native")
    assert "streamops-avro" in _closure("streamops-dev")  # the workspace builds it (with cargo)


def test_the_examples_are_not_in_the_core_library() -> None:
    assert "streamops-examples" not in _closure("streamops")
    assert {"streamops", "rich"} <= _closure("streamops-examples")


@pytest.mark.parametrize(
    ("service", "needs"),
    [
        ("streamops-training", {"scikit-learn", "pandas", "skl2onnx"}),
    ],
)
def test_services_that_need_heavy_packages_get_them(service: str, needs: set[str]) -> None:
    assert needs <= _closure(service)


def _wanted(pyproject: Path) -> set[tuple[str, tuple[str, ...], str, str]]:
    project = tomllib.loads(pyproject.read_text())["project"]
    groups = [(None, project.get("dependencies", []))]
    groups += list(project.get("optional-dependencies", {}).items())
    wanted = set()
    for group, requirements in groups:
        for text in requirements:
            req = Requirement(text)
            marker = str(req.marker) if req.marker else ""
            if group is not None:
                extra = f"extra == '{group}'"
                marker = f"{marker} and {extra}" if marker else extra
            wanted.add(
                (canonicalize_name(req.name), tuple(sorted(req.extras)), str(req.specifier), marker)
            )
    return wanted


def _locked(entry: dict[str, Any]) -> set[tuple[str, tuple[str, ...], str, str]]:
    return {
        (
            canonicalize_name(d["name"]),
            tuple(sorted(d.get("extras", []))),
            str(SpecifierSet(d.get("specifier", ""))),
            d.get("marker", ""),
        )
        for d in entry.get("metadata", {}).get("requires-dist", [])
    }


def test_the_lock_is_what_every_project_asks_for() -> None:
    """`make setup` installs uv.lock as it is (--frozen), so a dependency changed in a
    pyproject.toml without `uv lock` would go unnoticed: the lock must list every project's
    requirements exactly as written."""
    root = LOCK.parent
    editable = {
        p["source"]["editable"]: p
        for p in tomllib.loads(LOCK.read_text())["package"]
        if "editable" in p.get("source", {})
    }
    projects = sorted(p.parent for p in root.glob("*/*/pyproject.toml"))
    assert {str(p.relative_to(root)) for p in projects} == set(editable), "a project not locked"
    for project in projects:
        entry = editable[str(project.relative_to(root))]
        assert _locked(entry) == _wanted(project / "pyproject.toml"), (
            f"uv.lock is stale for {entry['name']}: run `make lock` (uv lock)"
        )
