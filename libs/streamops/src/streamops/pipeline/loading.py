"""Loading a spec file: YAML → models → checks against the schema, errors with line numbers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastavro import parse_schema
from pydantic import ValidationError

from streamops.pipeline.checks import Path as KeyPath
from streamops.pipeline.checks import Problem, check_spec
from streamops.pipeline.spec import PipelineSpec


class SpecError(ValueError):
    """A spec that cannot be used; the message lists every problem with its line."""

    def __init__(self, file: Path, problems: list[tuple[KeyPath, int | None, str]]) -> None:
        self.file = file
        self.problems = problems
        lines = [
            f"{file}:{line or '?'}: {'.'.join(str(k) for k in path) or '(top)'}: {message}"
            for path, line, message in problems
        ]
        super().__init__(
            f"{len(problems)} problem(s) in pipeline spec {file}:\n" + "\n".join(lines)
        )


@dataclass(frozen=True)
class Pipeline:
    """A checked spec with its event schema, as the services use it."""

    spec: PipelineSpec
    event_schema: dict[str, Any]
    file: Path

    @property
    def name(self) -> str:
        return self.spec.name


def load_pipeline(file: Path | str) -> Pipeline:
    """Read, parse and check a spec file; raise SpecError naming each field and line."""
    file = Path(file)
    try:
        text = file.read_text()
    except OSError as exc:
        raise SpecError(file, [((), None, f"cannot read the file: {exc.strerror}")]) from exc
    try:
        data = yaml.safe_load(text)
        lines = _line_map(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SpecError(file, [((), line, f"not valid YAML: {exc}")]) from exc
    if not isinstance(data, dict):
        raise SpecError(file, [((), 1, "the spec must be a mapping (name:, event: ...)")])

    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(
            file, [(tuple(e["loc"]), _line(lines, tuple(e["loc"])), e["msg"]) for e in exc.errors()]
        ) from exc

    schema_file = (file.parent / spec.event.schema_file).resolve()
    try:
        schema = json.loads(schema_file.read_text())
        parse_schema(schema)
    except (OSError, ValueError, TypeError) as exc:  # fastavro raises SchemaParseException
        path: KeyPath = ("event", "schema")
        raise SpecError(
            file, [(path, _line(lines, path), f"cannot use event schema {schema_file}: {exc}")]
        ) from exc
    if schema.get("type") != "record":
        path = ("event", "schema")
        raise SpecError(file, [(path, _line(lines, path), "the event schema must be a record")])

    problems: list[Problem] = check_spec(spec, schema)
    if problems:
        raise SpecError(file, [(p.path, _line(lines, p.path), p.message) for p in problems])
    return Pipeline(spec, schema, file)


def _line_map(text: str) -> dict[KeyPath, int]:
    """The line (1-based) of every key and list item in a YAML document."""
    lines: dict[KeyPath, int] = {}

    def walk(node: yaml.Node, path: KeyPath) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, key.value)
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*path, i)] = item.start_mark.line + 1
                walk(item, (*path, i))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        lines[()] = root.start_mark.line + 1
        walk(root, ())
    return lines


def _line(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of the longest prefix of ``path`` present in the file (pydantic paths may go
    deeper than the YAML, e.g. into a union member, or name a missing key)."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
