"""Where the native codec was not built (no Rust toolchain): serde imports, fastavro writes
and reads the same bytes and objects, and `native_codec_warning` says what is lost."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
from collections.abc import Iterator
from importlib.util import find_spec
from types import ModuleType

import pytest
from confluent_kafka.schema_registry._sync.mock_schema_registry_client import (
    MockSchemaRegistryClient,
)
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from streamops.serde import AvroDecoder, AvroEncoder, DecodeError, native, native_codec_warning
from tests.support.records import PAYMENT_SCHEMA, payment


@pytest.fixture
def without_codec(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """`streamops.serde.native` as imported where ``streamops_avro`` is not installed."""
    monkeypatch.setitem(sys.modules, "streamops_avro", None)  # `import` raises ImportError
    yield importlib.reload(native)
    monkeypatch.undo()
    importlib.reload(native)


def test_the_warning_says_what_is_lost_and_how_to_get_it_back(without_codec: ModuleType) -> None:
    warning = native_codec_warning()
    assert warning is not None
    assert "streamops-avro" in warning and "fastavro" in warning and "slower" in warning
    assert "Rust" in warning and "make setup" in warning
    assert without_codec.native_codec(parse_schema(PAYMENT_SCHEMA)) is None


def test_no_warning_where_the_codec_is_installed() -> None:
    assert (native_codec_warning() is None) == (find_spec("streamops_avro") is not None)


def test_fastavro_writes_and_reads_every_record(without_codec: ModuleType) -> None:
    registry = MockSchemaRegistryClient({"url": "mock://without-codec"})
    encoder = AvroEncoder(registry, "payments-value", PAYMENT_SCHEMA)
    decoder = AvroDecoder(registry)
    parsed = parse_schema(PAYMENT_SCHEMA)
    header = b"\x00" + encoder.schema_id.to_bytes(4, "big")
    for i in range(200):
        record = payment(i)
        body = io.BytesIO()
        schemaless_writer(body, parsed, record)
        data = encoder.encode(record)
        assert data == header + body.getvalue()
        assert encoder.encode(tuple(record[f] for f in encoder.fields)) == data
        body.seek(0)
        assert decoder.decode(data) == schemaless_reader(body, parsed, None)
    assert encoder._codec is None and decoder._codecs == {}  # fastavro did it all
    with pytest.raises(DecodeError) as truncated:
        decoder.decode(data[:-3])
    assert truncated.value.rule == "corrupt_avro"
    with pytest.raises(DecodeError) as padded:
        decoder.decode(data + b"\x00")
    assert padded.value.rule == "trailing_bytes"


def test_serde_imports_where_the_codec_was_never_built() -> None:
    code = (
        "import sys; sys.modules['streamops_avro'] = None; "
        "import streamops.serde as serde; print(serde.native_codec_warning())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "not installed" in done.stdout
