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

class WindowKernel:
    """``WindowComputer.compute`` for an event whose windows hold at most ``long`` rows."""

    def __init__(
        self,
        windows: list[int],
        grace: int,
        horizon: int,
        numeric: list[int],
        distinct: list[int],
        events: list[str],
        order: list[int],
        long: int,
    ) -> None: ...
    def compute(
        self,
        rows: list[list[Any]],
        time_ms: int,
        values: Any,
        watermark_ms: int | None,
        add: bool = True,
        passthrough: Any = None,
    ) -> tuple[list[Any], bool] | None:
        """(vector, late), the event added to ``rows`` if ``add`` and on time; or None with
        ``rows`` untouched: compute it in Python."""
    def stats(self, rows: list[list[Any]], start: int, stop: int, values: Any) -> list[Any] | None:
        """The statistics of rows ``[start, stop)``, or None: compute them in Python."""
