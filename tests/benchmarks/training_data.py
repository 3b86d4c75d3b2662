"""A labelled fraud stream for the training benchmark, on Kafka or straight into memory.

`labelled_stream` draws ``rows`` features records of a pipeline (every field of its
features schema, by name where the fraud spec's names say what a value is, else by Avro
type) over 10 days of event time, and a Label record (1.0, minutes to two days after the
event) for each fraud; the others become negatives once ``labels.expected_delay`` has
passed. One more record, ``expected_delay`` after the last, is the newest event: it sets
the cut-off, so every one of the ``rows`` events has matured and the dataset holds exactly
``rows`` labelled rows (the newest is unlabelled and left out). Fraud depends on the
amount, its ratio to the card's hourly mean, the last 10 minutes' count, the channel, the
country and the night hours, with about 1.5% positives.

`produce` writes the stream as the features and validation services would; `in_memory`
builds the same Dataset that `streamops.dataset.build_dataset` builds from those topics,
through the same join and content hash, without reading Kafka.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from confluent_kafka import Producer

from streamops.dataset import Dataset, DatasetIdentity
from streamops.dataset.build import dataset_columns
from streamops.dataset.identity import TopicRange, content_hash
from streamops.dataset.join import LabelRecord, LabelRules, join_point_in_time
from streamops.features import feature_set
from streamops.pipeline import Pipeline
from streamops.topics import TopicNames
from tests.support.log_writer import LabelSent, Writer
from tests.unit.training.synthetic import intercept_for_rate

MINUTE, DAY = 60_000, 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SPAN_MS = 10 * DAY
POSITIVE_RATE = 0.015
CHANNELS = ["pos", "web", "mobile", "atm"]
COUNTRIES = ["FR", "DE", "GB", "US", "ES", "IT", "NL", "SE", "CH", "BR", "NG", "CN"]
HOME = {"FR", "DE", "GB", "ES", "IT", "NL"}
CATEGORIES = [f"mcc-{i:02d}" for i in range(24)]


@dataclass(frozen=True)
class LabelledStream:
    """Features records in event-time order (the newest last), and the frauds' labels."""

    records: list[dict[str, Any]]
    labels: list[LabelSent]

    @property
    def positives(self) -> int:
        return len(self.labels)


def labelled_stream(pipeline: Pipeline, rows: int, seed: int = 11) -> LabelledStream:
    """``rows`` matured events and their labels, plus the newest event (see the module)."""
    rng = np.random.default_rng(seed)
    features = feature_set(pipeline)
    delay = LabelRules.from_spec(pipeline.spec).expected_delay_ms
    times = np.sort(T0 + rng.integers(0, SPAN_MS, rows))
    times = np.append(times, times[-1] + delay + MINUTE)
    n = rows + 1
    cards = rng.integers(0, 20_000, n)
    amount = rng.lognormal(3.6, 1.1, n)
    busy = rng.lognormal(0.0, 0.8, n)  # how active the card is, which its windows show
    columns: dict[str, Any] = {
        "event_id": [f"tx-{seed:04x}{i:012x}" for i in range(n)],
        "entity_key": [f"card-{c:06d}" for c in cards],
        "event_time": times,
        "source_topic": [TopicNames(pipeline.name).events_valid] * n,
        "source_partition": cards % 3,
        "source_offset": np.arange(n),
        "late": [False] * n,
    }
    for f in features.features:
        columns[f.name] = _feature(f.name, f.avro_type, rng, n, times, amount, busy, columns)
    logit = (
        1.6 * (np.log(amount) - 3.6)
        + 2.5 * np.log(np.asarray(_numbers(columns, "amount_over_mean_1h", amount)))
        + 0.8 * np.log(np.asarray(_numbers(columns, "count_10m", np.ones(n)), dtype=float))
        + 1.2 * np.isin(columns.get("channel", []), ["web"])
        + 1.5 * ~np.isin(columns.get("country", list(HOME)[:1] * n), list(HOME))
        + 2.0 * (((times // 3_600_000) % 24) < 5)
    )
    fraud = rng.random(n) < 1 / (1 + np.exp(-(logit + intercept_for_rate(logit, POSITIVE_RATE))))
    fraud[-1] = False  # the newest event: unlabelled at the cut-off
    names = list(columns)
    values = [_python(columns[k]) for k in names]
    records = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
    label_delay = rng.integers(10 * MINUTE, 2 * DAY, n)
    labels = [
        LabelSent(r["event_id"], r["entity_key"], 1.0, r["event_time"], r["event_time"] + d)
        for r, d, y in zip(records, label_delay.tolist(), fraud, strict=True)
        if y
    ]
    return LabelledStream(records, labels)


def _feature(
    name: str,
    avro_type: Any,
    rng: np.random.Generator,
    n: int,
    times: np.ndarray,
    amount: np.ndarray,
    busy: np.ndarray,
    columns: dict[str, Any],
) -> Any:
    """One feature's values: by the fraud spec's naming where it says what it is."""
    nullable = isinstance(avro_type, list)
    window = {"10m": 0.2, "1h": 1.0, "1d": 8.0}.get(name.rsplit("_", 1)[-1], 1.0)
    if name == "amount":
        return amount
    if name == "hour_of_day":
        return (times // 3_600_000) % 24
    if name == "day_of_week":
        return ((times // DAY) + 3) % 7  # 2026-01-01 is a Thursday (Monday = 0)
    if name == "channel":
        return rng.choice(CHANNELS, n, p=[0.45, 0.3, 0.2, 0.05])
    if name == "country":
        return rng.choice(COUNTRIES, n, p=[0.3, 0.2, 0.15, 0.05] + [0.3 / 8] * 8)
    if name.startswith("count_"):
        return 1 + rng.poisson(busy * window)
    if name.startswith("distinct_"):
        return 1 + rng.poisson(busy * window * 0.4)
    if name == "seconds_since_previous":
        return _nulls(rng.exponential(3_600 / busy), rng, 0.02)
    if name.startswith(("mean_amount_", "min_amount_", "max_amount_")):
        scale = {"mean": 1.0, "min": 0.5, "max": 2.0}[name.split("_", 1)[0]]
        return amount * scale * rng.lognormal(0.0, 0.3, n)
    if name.startswith("sum_amount_"):
        return amount * (1 + rng.poisson(busy * window))
    if name.startswith("std_amount_"):
        return _nulls(amount * rng.lognormal(-0.7, 0.5, n), rng, 0.3)  # null for one event
    if name.startswith("amount_over_mean_"):
        return rng.lognormal(0.0, 0.35 if window > 1 else 0.25, n)
    base = next(m for m in (avro_type if nullable else [avro_type]) if m != "null")
    if base == "string":
        values: Any = rng.choice(CATEGORIES, n)
        return [None if m else v for v, m in zip(values, rng.random(n) < 0.05, strict=True)]
    if base in ("long", "int"):
        return rng.poisson(3, n)
    x = rng.lognormal(3, 1, n)
    return _nulls(x, rng, 0.05) if nullable else x


def _nulls(values: np.ndarray, rng: np.random.Generator, share: float) -> list[Any]:
    return [
        None if m else v
        for v, m in zip(values.tolist(), rng.random(len(values)) < share, strict=True)
    ]


def _numbers(columns: dict[str, Any], name: str, default: np.ndarray) -> Any:
    values = columns.get(name)
    if values is None:
        return default
    return [1.0 if v is None else v for v in values]


def _python(values: Any) -> list[Any]:
    """Plain Python values, as a decoder gives them (numpy scalars are not JSON)."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def produce(kafka: str, registry: str, pipeline: Pipeline, stream: LabelledStream) -> None:
    """The records on ``{p}.features`` (Avro, keyed by card), the labels on
    ``{p}.labels.valid`` (one transaction), as the features and validation services write."""
    writer = Writer(kafka, registry, pipeline)
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 20})
    for r in stream.records:
        value = writer.features_encoder.encode(r)
        while True:
            try:
                producer.produce(writer.names.features, value, r["entity_key"])
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(120) == 0
    writer.produce_labels(stream.labels)


def in_memory(pipeline: Pipeline, stream: LabelledStream) -> Dataset:
    """The dataset `build_dataset` builds from what `produce` writes, without Kafka: the
    same join at the same cut-off (the newest event) and the same content hash. The
    identity's offsets are the records' count, not offsets read."""
    rules = LabelRules.from_spec(pipeline.spec)
    names = TopicNames(pipeline.name)
    labels = [
        LabelRecord(x.event_id, x.value, x.label_time, 0, i) for i, x in enumerate(stream.labels)
    ]
    cutoff = stream.records[-1]["event_time"]
    joined = join_point_in_time(stream.records, labels, rules, cutoff)
    columns = dataset_columns(feature_set(pipeline).schema(), rules)
    rows = [tuple(row[c.name] for c in columns) for row in joined.rows]
    column_names = tuple(c.name for c in columns)
    features = TopicRange(names.features, {0: (0, len(stream.records))}, (), len(stream.records))
    identity = DatasetIdentity(
        pipeline=pipeline.name,
        cutoff_ms=cutoff,
        features=features,
        labels=TopicRange(names.labels_valid, {0: (0, len(labels))}, (), len(labels)),
        counts=joined.counts.as_dict(),
        content_hash=content_hash(column_names, rows),
        columns=column_names,
    )
    return Dataset(identity, columns, rows)
