"""`streamops ingest` of a 100,000-row CSV with ~1% bad rows against the real broker: every
good row lands on events.raw, every bad row is explained, and it takes well under a minute."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import time
from pathlib import Path

from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.serde import AvroDecoder
from tests.integration.ingestion.support import STREAMOPS, PrivatePipeline, key_of
from tests.support.kafka import read_all

ROWS = 100_000
COLUMNS = [
    "transaction_id",
    "card_id",
    "customer_id",
    "merchant_id",
    "merchant_category",
    "amount",
    "currency",
    "country",
    "channel",
    "device_id",
    "card_number",
    "customer_email",
    "ip_address",
    "event_time",
]
# every 100th row (offset 37) is bad, in one of four ways, each with its expected reason
BAD_KINDS = ("wrong_type", "bad_timestamp", "missing_field", "malformed_row")
TIME_LIMIT_S = 60.0


def write_csv(path: Path) -> tuple[dict[int, str], set[str], int]:
    """The file; returns the bad rows (row number -> reason), the ids given in good rows, and
    how many good rows have no id (ingestion stamps those)."""
    bad: dict[int, str] = {}
    given: set[str] = set()
    without_id = 0
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for i in range(ROWS):
            number = i + 1
            tx_id = "" if i % 10 == 3 else f"tx-{i:016x}"
            event_time = "2026-05-01T12:00:00Z" if i % 2 else str(1_777_636_800_000 + i)
            row = [
                tx_id,
                f"card-{i % 50_000:06d}",
                f"c-{i % 9000}",
                f"m-{i % 700:05d}",
                "grocery",
                f"{(i % 5000) / 10 + 0.5:.2f}",
                "EUR",
                "DE",
                "pos",
                "" if i % 3 else f"d-{i}",
                f"4000{i:012d}",
                f"user{i}@example.com",
                f"10.0.{i % 256}.{i % 200}",
                event_time,
            ]
            if i % 100 == 37:
                kind = BAD_KINDS[(i // 100) % len(BAD_KINDS)]
                bad[number] = kind
                if kind == "wrong_type":
                    row[5] = "12,50"
                elif kind == "bad_timestamp":
                    row[13] = "yesterday"
                elif kind == "missing_field":
                    row[1] = ""
                else:
                    row = row[:5]
            elif tx_id:
                given.add(tx_id)
            else:
                without_id += 1
            writer.writerow(row)
    return bad, given, without_id


def test_a_100k_row_csv_lands_every_good_row_and_explains_every_bad_one(
    pipeline: PrivatePipeline,
    service_env: dict[str, str],
    kafka: str,
    schema_registry: str,
    tmp_path: Path,
) -> None:
    bad, given, without_id = write_csv(tmp_path / "transactions.csv")
    good = ROWS - len(bad)
    assert len(bad) == 1000 and good == len(given) + without_id
    rejects = tmp_path / "rejects.jsonl"

    started = time.monotonic()
    result = subprocess.run(
        [
            str(STREAMOPS),
            "ingest",
            str(tmp_path / "transactions.csv"),
            "--pipeline",
            str(pipeline.spec),
            "--rejects",
            str(rejects),
        ],
        env=service_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.monotonic() - started
    print(f"\nstreamops ingest of {ROWS:,} CSV rows: {elapsed:.1f} s\n{result.stdout}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert elapsed < TIME_LIMIT_S

    summary = result.stdout
    assert re.search(r"^rows read\s+100,000$", summary, re.M)
    assert re.search(rf"^produced\s+{good:,}\s+to {pipeline.raw_topic}$", summary, re.M)
    assert re.search(r"^rejected\s+1,000$", summary, re.M)
    for kind in BAD_KINDS:
        assert re.search(rf"^  {kind}\s+250$", summary, re.M), kind
    assert "row 38: amount: expected a number (double) or null, got '12,50'" in summary
    assert "not a failure" in summary

    explained = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert {e["row"]: e["reason"] for e in explained} == bad
    assert all(e["errors"][0]["message"] for e in explained)

    messages = read_all(kafka, pipeline.raw_topic, expected=good, idle_s=3.0, timeout_s=120)
    assert len(messages) == good
    decoder = AvroDecoder(SchemaRegistryClient({"url": schema_registry, "timeout": 30}))
    records = [(key_of(m), decoder.decode(m.value())) for m in messages]
    ids = [record["transaction_id"] for _, record in records]
    assert len(set(ids)) == good
    stamped = set(ids) - given
    assert len(stamped) == without_id and given <= set(ids)
    assert all(re.fullmatch(r"tx-[0-9a-f]{16}", i) for i in stamped)
    assert all(key == record["card_id"] for key, record in records)
    assert all(record["source"] == "file:transactions.csv" for _, record in records)
    assert all(record["customer_email"] is None for _, record in records)
    # salted hashes (64 hex digits), never the 16-digit card numbers of the file
    assert all(re.fullmatch(r"[0-9a-f]{64}", record["card_number"]) for _, record in records)
