"""Each service installs on its own with only what it needs (checked on the resolved uv.lock)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

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
