"""Avro serde in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body)."""

from streamops.serde.avro import (
    AvroDecoder,
    AvroEncoder,
    DecodeError,
    RegistryUnavailable,
    value_subject,
)

__all__ = ["AvroDecoder", "AvroEncoder", "DecodeError", "RegistryUnavailable", "value_subject"]
