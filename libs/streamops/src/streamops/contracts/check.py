"""Check that every platform schema stays BACKWARD compatible with its previous versions.

A schema is compared with (a) the latest version of every registry subject that holds it:
its own record-name subject and the ``<topic>-value`` subjects the stream runtime
registered for it, and (b) its version at git HEAD, when the working copy differs from it.
BACKWARD means consumers upgraded to the new schema can still read every record already
in the topics, which the log-is-the-source-of-truth design depends on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from streamops.contracts import platform_subject
from streamops.contracts.compat import RegistryCompatibility
from streamops.contracts.history import head_version
from streamops.contracts.loader import load_schema, parsed_schema, schema_names, schema_path

_ADVICE = (
    "a reader with the new schema must read records written with the old one: give new "
    "fields a default, keep field types (or widen them as Avro allows, e.g. int to long), "
    "and keep enum symbols unless the enum has a default"
)


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one schema file with one previous version of it."""

    schema: str
    baseline: str
    #: None when there was nothing to compare with (see detail).
    compatible: bool | None
    detail: str = ""

    def describe(self) -> str:
        """One line for people: what was compared and the outcome."""
        if self.compatible is None:
            return f"skip  {self.schema}.avsc vs {self.baseline}: {self.detail}"
        if self.compatible:
            return f"ok    {self.schema}.avsc vs {self.baseline}: BACKWARD compatible"
        return (
            f"FAIL  {self.schema}.avsc is not BACKWARD compatible with {self.baseline}: "
            f"{self.detail}; {_ADVICE}"
        )


def check_schema(
    name: str,
    registry: RegistryCompatibility,
    schema_dir: Path | None = None,
    subject_prefix: str = "",
) -> list[Comparison]:
    """Compare one schema with its registered version and with git HEAD."""
    parsed_schema(name, schema_dir)  # a broken file fails here, with its path, not remotely
    schema = load_schema(name, schema_dir)
    new = json.dumps(schema)
    subject = f"{subject_prefix}{platform_subject(schema)}"
    results: list[Comparison] = []

    own = registry.latest(subject)
    registered = [own] if own is not None else []
    if not subject_prefix:  # a prefixed check (tests) looks at its own subjects only
        registered += [
            v for v in registry.subjects_holding(platform_subject(schema)) if v.subject != subject
        ]
    if not registered:
        results.append(Comparison(name, f"registry subject {subject}", None, "not registered yet"))
    for version in registered:
        verdict = registry.backward_compatible(version.schema_str, new, subject)
        baseline = f"registry subject {version.subject} version {version.version}"
        results.append(Comparison(name, baseline, verdict.compatible, verdict.detail))

    head = head_version(schema_path(name, schema_dir))
    if head.text is None:
        results.append(Comparison(name, "git HEAD", None, head.reason))
    elif _same_json(head.text, schema):
        results.append(Comparison(name, "git HEAD", None, "unchanged since HEAD"))
    else:
        verdict = registry.backward_compatible(head.text, new, subject)
        results.append(Comparison(name, "git HEAD", verdict.compatible, verdict.detail))
    return results


def check_schemas(
    registry: RegistryCompatibility,
    schema_dir: Path | None = None,
    subject_prefix: str = "",
) -> list[Comparison]:
    """Compare every schema of ``schema_dir`` (default: the platform schemas)."""
    results: list[Comparison] = []
    for name in schema_names(schema_dir):
        results += check_schema(name, registry, schema_dir, subject_prefix)
    return results


def _same_json(text: str, schema: object) -> bool:
    try:
        return bool(json.loads(text) == schema)
    except json.JSONDecodeError:
        return False  # an unparsable HEAD version differs; the registry will say how
