"""The native Avro codec, ``streamops_avro`` (Rust, ``libs/streamops-avro``), where installed.

It is optional because building it takes a Rust toolchain: ``make setup`` leaves it out
where there is no cargo, and ``pip install streamops`` brings it only with the ``native``
extra. Without it `native_codec` returns None for every schema, so fastavro reads and
writes every record: the same bytes and objects, several times slower.
"""

from __future__ import annotations

import logging
from typing import Any

try:
    from streamops_avro import Codec, CorruptAvro, TrailingBytes, UnsupportedSchema
except ImportError:  # built without a Rust toolchain
    INSTALLED = False

    class CorruptAvro(ValueError):  # type: ignore[no-redef]
        """Stands in for the codec's error, which nothing raises without the codec."""

    class TrailingBytes(ValueError):  # type: ignore[no-redef]
        """Stands in for the codec's error, which nothing raises without the codec."""

else:
    INSTALLED = True

__all__ = ["INSTALLED", "CorruptAvro", "TrailingBytes", "native_codec", "native_codec_warning"]

# figures from docs/benchmarks.md: serde 1.44 vs 9.79 µs per record, validation service
# 73,215 vs 24,111 events/s
_MISSING = (
    "the native Avro codec (streamops-avro) is not installed, so Avro runs on fastavro: "
    "about 7x slower to encode and decode a record (a validation worker handles about "
    "24,000 instead of 73,000 events/s), and the features' windows are computed in Python; "
    "install a Rust toolchain (https://rustup.rs) and rerun make setup, or pip install "
    "'streamops[native]'"
)

log = logging.getLogger(__name__)


def native_codec_warning() -> str | None:
    """What is lost, in one sentence for the log, when the native codec is not installed;
    None when it is."""
    return None if INSTALLED else _MISSING


def native_codec(parsed: Any) -> Codec | None:
    """The compiled codec of a schema parsed by fastavro, or None if only fastavro can do it
    (the codec is not installed, or the schema uses what it does not reproduce)."""
    if not INSTALLED:
        return None
    try:
        return Codec(parsed)
    except UnsupportedSchema as exc:
        name = parsed.get("name", "?") if isinstance(parsed, dict) else parsed
        log.info("schema %s uses %s: fastavro reads and writes it (slower)", name, exc)
        return None
