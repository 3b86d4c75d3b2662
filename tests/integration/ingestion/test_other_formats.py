"""`streamops ingest` of JSONL and Parquet files against the real broker and registry."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.serde import AvroDecoder
from tests.integration.ingestion.support import STREAMOPS, PrivatePipeline, key_of
from tests.support.kafka import read_all


def ingest(path: Path, pipeline: PrivatePipeline, env: dict[str, str], *extra: str) -> str:
    result = subprocess.run(
        [str(STREAMOPS), "ingest", str(path), "--pipeline", str(pipeline.spec), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_jsonl_and_parquet_rows_land_typed(
    pipeline: PrivatePipeline,
    service_env: dict[str, str],
    kafka: str,
    schema_registry: str,
    tmp_path: Path,
) -> None:
    jsonl = tmp_path / "events.jsonl"
    lines = [
        {"card_id": "card-000001", "amount": 10, "event_time": 1_777_636_800_000},
        {"card_id": "card-000002", "amount": "ten", "event_time": 1_777_636_800_000},
        {
            "card_id": "card-000003",
            "amount": 2.5,
            "event_time": "2026-05-01T12:00:00Z",
            "card_number": "4111111111111111",
        },
    ]
    jsonl.write_text("\n".join(json.dumps(line) for line in lines) + "\n{broken\n")
    summary = ingest(jsonl, pipeline, service_env, "--source", "backfill")
    assert "row 2: amount: expected a number (double) or null, got 'ten'" in summary
    assert "row 4: not JSON at column 2" in summary

    parquet = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "card_id": ["card-000004"],
                "amount": [99.0],
                "event_time": pa.array([1_777_636_800_000], pa.timestamp("ms", "UTC")),
            }
        ),
        parquet,
    )
    ingest(parquet, pipeline, service_env)

    messages = read_all(kafka, pipeline.raw_topic, expected=3, idle_s=3.0)
    decoder = AvroDecoder(SchemaRegistryClient({"url": schema_registry, "timeout": 30}))
    records = {key_of(m): decoder.decode(m.value()) for m in messages}
    assert sorted(records) == ["card-000001", "card-000003", "card-000004"]
    assert records["card-000001"]["amount"] == 10.0
    assert records["card-000001"]["source"] == "backfill"
    assert records["card-000003"]["card_number"] != "4111111111111111"
    assert len(records["card-000003"]["card_number"]) == 64
    assert records["card-000004"]["source"] == "file:events.parquet"
    assert all(r["event_time"].timestamp() == 1_777_636_800 for r in records.values())
