"""BACKWARD-compatibility verdicts from the schema registry itself.

The registry already implements Avro schema resolution (Apicurio and Confluent both use
the Avro project's rules), so this module does not reimplement it. To compare any two
schemas, it registers the old one under a throwaway subject whose compatibility is
BACKWARD and tries to register the new one: the registry refuses an incompatible schema
with HTTP 409 and says which part breaks. The throwaway subject is deleted afterwards.
Apicurio's ``POST /compatibility/...`` answers only true or false, hence the registration.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from confluent_kafka.schema_registry import (
    ConfigCompatibilityLevel,
    Schema,
    SchemaRegistryClient,
    SchemaRegistryError,
    ServerConfig,
)

from streamops.contracts.errors import InvalidSchemaError, RegistryUnavailableError
from streamops.contracts.pointer import describe_pointer

try:  # confluent-kafka talks through httpx2 when it is installed, else httpx
    from confluent_kafka.schema_registry.common._httpx_compat import httpx as _http
except ImportError:  # pragma: no cover - older confluent-kafka
    import httpx as _http  # type: ignore[no-redef]

log = logging.getLogger(__name__)

_TRANSPORT_ERRORS = (_http.HTTPError, OSError)
#: Subjects read at once when looking for the topic subjects (one request each): a registry
#: that has seen many pipelines holds thousands.
_READERS = 8
_SUBJECT_NOT_FOUND = 40401
_INCOMPATIBLE = 409
_INVALID_SCHEMA = 422
# Apicurio: "... list of diff types: [b at /fields/1]"; Confluent: "... details: [...]".
_DIFFS = re.compile(r"(?:list of diff types|details): \[(?P<diffs>.*)\]", re.DOTALL)
_POINTER = re.compile(r"(?P<pointer>/[\w/.-]*)")


@dataclass(frozen=True)
class RegisteredVersion:
    """The latest version of a subject in the registry."""

    subject: str
    version: int
    schema_str: str


@dataclass(frozen=True)
class Verdict:
    """Whether a new schema can read data written with an old one, and why not."""

    compatible: bool
    detail: str = ""


class RegistryCompatibility:
    """Asks a Confluent-compatible registry whether schema changes are BACKWARD compatible."""

    def __init__(self, client: SchemaRegistryClient, url: str) -> None:
        self._client = client
        self._url = url
        self._by_record: dict[str, list[RegisteredVersion]] | None = None
        #: verdicts by (old, new): many topic subjects hold the very same old version
        self._verdicts: dict[tuple[str, str], Verdict] = {}

    def subjects_holding(self, full_name: str) -> list[RegisteredVersion]:
        """The latest version of every subject whose latest schema is the record ``full_name``.

        The stream runtime registers a platform record per topic (``fraud.alerts-value``,
        ``fraud.events.dlq-value`` ...), so this is where its registered versions are.
        All subjects are read once per instance, then answered from memory.
        """
        if self._by_record is None:
            try:
                subjects = self._client.get_subjects()
            except (SchemaRegistryError, *_TRANSPORT_ERRORS) as exc:
                raise self._unavailable("listing subjects", exc) from exc
            # another check's scratch subjects are about to go
            wanted = [s for s in subjects if ".compat-check-" not in s]
            with ThreadPoolExecutor(_READERS, thread_name_prefix="subjects") as pool:
                versions = list(pool.map(self.latest, wanted))
            self._by_record = {}
            for version in versions:
                if version is not None:
                    name = _record_name(version.schema_str)
                    self._by_record.setdefault(name, []).append(version)
        return list(self._by_record.get(full_name, []))

    def latest(self, subject: str) -> RegisteredVersion | None:
        """The latest registered version of ``subject``, or None when it has none."""
        try:
            registered = self._client.get_latest_version(subject)
        except SchemaRegistryError as exc:
            # Only the registry's own "subject not found"; a bare 404 means a wrong URL.
            if exc.error_code == _SUBJECT_NOT_FOUND:
                return None
            raise self._unavailable(f"reading the latest version of {subject}", exc) from exc
        except _TRANSPORT_ERRORS as exc:
            raise self._unavailable(f"reading the latest version of {subject}", exc) from exc
        version, schema_str = registered.version, registered.schema.schema_str
        if version is None or schema_str is None:
            raise RegistryUnavailableError(
                f"schema registry at {self._url} answered for {subject} without a version "
                "or schema; is the URL the Confluent-compatible API (.../apis/ccompat/v7)?"
            )
        return RegisteredVersion(subject, version, schema_str)

    def backward_compatible(self, old: str, new: str, subject: str) -> Verdict:
        """Whether ``new`` can read records written with ``old`` (``subject`` names the scratch).

        ``old`` and ``new`` are Avro schema JSON strings. The same pair is asked once.
        """
        known = self._verdicts.get((old, new))
        if known is None:
            known = self._verdicts[(old, new)] = self._ask(old, new, subject)
        return known

    def _ask(self, old: str, new: str, subject: str) -> Verdict:
        scratch = f"{subject}.compat-check-{uuid.uuid4().hex[:12]}"
        try:
            self._client.set_config(
                scratch, ServerConfig(compatibility=ConfigCompatibilityLevel.BACKWARD)
            )
            self._register(scratch, old, "the old version")
            try:
                self._register(scratch, new, "the new version")
            except SchemaRegistryError as exc:
                if exc.http_status_code != _INCOMPATIBLE:
                    raise
                return Verdict(False, explain_incompatibility(exc.error_message or "", new))
            return Verdict(True)
        except SchemaRegistryError as exc:
            raise self._unavailable(f"checking {subject} (scratch {scratch})", exc) from exc
        except _TRANSPORT_ERRORS as exc:
            raise self._unavailable(f"checking {subject}", exc) from exc
        finally:
            self._delete(scratch)

    def _register(self, subject: str, schema: str, which: str) -> None:
        try:
            self._client.register_schema(subject, Schema(schema, "AVRO"))
        except SchemaRegistryError as exc:
            if exc.http_status_code == _INVALID_SCHEMA:
                raise InvalidSchemaError(
                    f"the registry refuses {which} of {subject} as invalid Avro: "
                    f"{exc.error_message}"
                ) from exc
            raise

    def _delete(self, subject: str) -> None:
        # Both steps: Confluent only deletes permanently what was soft-deleted first.
        for permanent in (False, True):
            try:
                self._client.delete_subject(subject, permanent=permanent)
            except (SchemaRegistryError, *_TRANSPORT_ERRORS) as exc:
                log.warning("could not delete scratch subject %s: %s", subject, exc)
                return

    def _unavailable(self, doing: str, exc: Exception) -> RegistryUnavailableError:
        detail = str(exc)
        if isinstance(exc, SchemaRegistryError):
            detail = f"HTTP {exc.http_status_code}, {exc.error_message or 'no message'}"
        return RegistryUnavailableError(
            f"schema registry at {self._url} failed while {doing}: {detail} "
            "(is it running, and is the URL its Confluent-compatible API, e.g. "
            ".../apis/ccompat/v7? `make up` starts the local one; --registry-url picks another)"
        )


def _record_name(schema_str: str) -> str:
    """The full name of a registered record schema, or "" for anything else."""
    try:
        schema = json.loads(schema_str)
    except json.JSONDecodeError:
        return ""
    if not isinstance(schema, dict) or schema.get("type") != "record" or "name" not in schema:
        return ""
    name, namespace = str(schema["name"]), schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


def explain_incompatibility(message: str, new_schema: str) -> str:
    """The registry's list of incompatible differences, with JSON pointers turned into fields."""
    match = _DIFFS.search(message)
    diffs = (match.group("diffs") if match else message).strip()
    if not diffs:
        return "the registry refused it without saying why"
    try:
        schema: Any = json.loads(new_schema)
    except json.JSONDecodeError:
        return diffs

    def name_field(found: re.Match[str]) -> str:
        pointer = found.group("pointer")
        where = describe_pointer(schema, pointer)
        return f"{pointer} ({where})" if where else pointer

    return _POINTER.sub(name_field, diffs)
