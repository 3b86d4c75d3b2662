"""Avro serde in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body)."""

from streamops.serde.avro import (
    AvroDecoder,
    AvroEncoder,
    DecodeError,
    RegistryUnavailable,
    value_subject,
)
from streamops.serde.native import native_codec_warning

__all__ = [
    "AvroDecoder",
    "AvroEncoder",
    "DecodeError",
    "RegistryUnavailable",
    "native_codec_warning",
    "value_subject",
]
