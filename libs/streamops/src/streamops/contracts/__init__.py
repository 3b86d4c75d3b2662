"""The platform's Avro contracts: loading ``schemas/platform/*.avsc`` and their subjects.

``load_schema("Alert")`` gives the parsed JSON, ``parsed_schema("Alert")`` the fastavro
form, and ``streamops.contracts.types`` the generated TypedDicts. ``platform_subject``
names the registry subject of a platform contract: the record's full name (e.g.
``streamops.platform.Alert``), as Confluent's RecordNameStrategy does, because one
contract is shared by many topics (every pipeline's ``{pipeline}.alerts``). The
topic-bound subjects ``<topic>-value`` are registered by the serde when it produces.
"""

from __future__ import annotations

from typing import Any

from streamops.contracts.errors import (
    CodegenError,
    ContractError,
    InvalidSchemaError,
    RegistryUnavailableError,
    SchemaDirectoryNotFoundError,
    UnknownSchemaError,
)
from streamops.contracts.loader import (
    SCHEMA_DIR,
    load_schema,
    parsed_schema,
    schema_names,
    schema_path,
)


def platform_subject(schema: dict[str, Any]) -> str:
    """The registry subject of a platform contract: its record's full name."""
    name = str(schema["name"])
    namespace = schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


__all__ = [
    "SCHEMA_DIR",
    "CodegenError",
    "ContractError",
    "InvalidSchemaError",
    "RegistryUnavailableError",
    "SchemaDirectoryNotFoundError",
    "UnknownSchemaError",
    "load_schema",
    "parsed_schema",
    "platform_subject",
    "schema_names",
    "schema_path",
]
