"""Turn a JSON pointer into an Avro schema (as registries report them) into a field path."""

from __future__ import annotations

from typing import Any


def describe_pointer(schema: Any, pointer: str) -> str:
    """``/fields/1/type/fields/0`` -> ``field window.start``; "" when it does not resolve.

    Registries point at the part of the new (reader) schema that breaks compatibility;
    people think in field names, not list indexes.
    """
    node = schema
    names: list[str] = []
    parts = [part for part in pointer.split("/") if part]
    for index, part in enumerate(parts):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            if index > 0 and parts[index - 1] == "fields" and isinstance(node, dict):
                names.append(str(node.get("name", "?")))
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return ""
    return f"field {'.'.join(names)}" if names else ""
