"""Schema-compiled Avro codec, byte-identical to fastavro (see README.md)."""

from typing import Any

class CorruptAvro(ValueError):
    """The bytes are not a valid encoding of a value of the schema."""

class TrailingBytes(ValueError):
    """A whole value was read, and bytes were left after it; args: (count,)."""

class UnsupportedSchema(NotImplementedError):
    """The schema uses something this codec does not reproduce."""

class Codec:
    """One compiled schema: ``decode`` and ``encode`` values of it."""

    def __init__(self, schema: Any) -> None:
        """Compiles ``schema`` as returned by ``fastavro.parse_schema``."""

    def decode(self, data: bytes, offset: int = 0) -> Any:
        """The value in ``data[offset:]``, as ``fastavro.schemaless_reader`` returns it."""

    def encode(self, value: Any, prefix: bytes | None = None) -> bytes | None:
        """``prefix`` + what ``fastavro.schemaless_writer`` writes, or None: ask fastavro."""

    def encode_fields(self, values: Any, prefix: bytes | None = None) -> bytes | None:
        """``encode`` of a record given as its fields' values in order (a tuple or a list),
        or None: ask fastavro with the dict of them."""
