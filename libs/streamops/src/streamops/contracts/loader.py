"""Find and load the platform Avro contracts (``schemas/platform/*.avsc``).

The repository's top-level ``schemas/platform`` folder is the source of truth. A wheel
carries a copy in ``streamops/contracts/schemas`` (force-included at build time), so the
loader looks there first and falls back to the checkout the source file lives in.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Final

import fastavro
from fastavro.schema import SchemaParseException

from streamops.contracts.errors import (
    InvalidSchemaError,
    SchemaDirectoryNotFoundError,
    UnknownSchemaError,
)

#: Where a wheel build puts the copy of ``schemas/platform``.
PACKAGED_SCHEMA_DIR: Final = Path(__file__).resolve().parent / "schemas"


def _checkout_schema_dir() -> Path | None:
    # libs/streamops/src/streamops/contracts/loader.py: the checkout root is 5 levels up.
    parents = Path(__file__).resolve().parents
    return parents[5] / "schemas" / "platform" if len(parents) > 5 else None


#: ``schemas/platform`` of the checkout, when the library runs from one (editable install).
CHECKOUT_SCHEMA_DIR: Final = _checkout_schema_dir()


def find_schema_dir() -> Path:
    """The packaged schema copy if there is one, else the checkout's ``schemas/platform``."""
    for candidate in (PACKAGED_SCHEMA_DIR, CHECKOUT_SCHEMA_DIR):
        if candidate is not None and candidate.is_dir():
            return candidate
    # Nothing found: keep the packaged location so errors name where a wheel has it.
    return PACKAGED_SCHEMA_DIR


#: The directory the platform contracts are read from unless a caller passes another one.
SCHEMA_DIR: Final = find_schema_dir()


def _existing_dir(schema_dir: Path | None) -> Path:
    directory = SCHEMA_DIR if schema_dir is None else schema_dir
    if not directory.is_dir():
        tried = [str(directory)] if schema_dir is not None else [str(PACKAGED_SCHEMA_DIR)]
        if schema_dir is None and CHECKOUT_SCHEMA_DIR is not None:
            tried.append(str(CHECKOUT_SCHEMA_DIR))
        raise SchemaDirectoryNotFoundError(
            f"no platform schema directory found (looked in {', '.join(tried)}); run from a "
            "streamops checkout, or install a wheel built with schemas/platform force-included"
        )
    return directory


def schema_names(schema_dir: Path | None = None) -> list[str]:
    """The names of the platform schemas (the ``.avsc`` file names without extension), sorted."""
    return sorted(path.stem for path in _existing_dir(schema_dir).glob("*.avsc"))


def schema_path(name: str, schema_dir: Path | None = None) -> Path:
    """The ``.avsc`` file of the schema ``name``; raises UnknownSchemaError if there is none."""
    directory = _existing_dir(schema_dir)
    path = directory / f"{name}.avsc"
    # is_file() alone would accept "../x" style names that escape the directory.
    if path.name != f"{name}.avsc" or not path.is_file():
        known = ", ".join(schema_names(directory)) or "none"
        raise UnknownSchemaError(
            f"no platform schema named {name!r} in {directory} (known: {known}); names are "
            "the .avsc file names without extension and are case-sensitive"
        )
    return path


def load_schema(name: str, schema_dir: Path | None = None) -> dict[str, Any]:
    """The parsed JSON of ``schemas/platform/<name>.avsc`` (a fresh dict on every call)."""
    path = schema_path(name, schema_dir)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidSchemaError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(schema, dict):
        raise InvalidSchemaError(f"{path} must hold one JSON object (an Avro record schema)")
    return schema


@functools.cache
def _parsed(path: Path, mtime_ns: int) -> dict[str, Any]:
    try:
        parsed = fastavro.parse_schema(load_schema(path.stem, path.parent))
    except (SchemaParseException, ValueError, TypeError, KeyError) as exc:
        raise InvalidSchemaError(f"{path} is not a valid Avro schema: {exc}") from exc
    assert isinstance(parsed, dict)  # a record schema parses to a dict
    return parsed


def parsed_schema(name: str, schema_dir: Path | None = None) -> dict[str, Any]:
    """The schema ``name`` parsed by ``fastavro.parse_schema``, cached; do not mutate it.

    The cache is keyed on the file's modification time, so an edited file is parsed again.
    """
    path = schema_path(name, schema_dir)
    return _parsed(path, path.stat().st_mtime_ns)
