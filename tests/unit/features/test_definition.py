"""What the spec's features section compiles to: names, types and the features schema."""

from __future__ import annotations

from pathlib import Path

from fastavro import parse_schema
from fastavro.validation import validate

from streamops.features import RECORD_FIELDS, feature_set
from streamops.pipeline import load_pipeline
from tests.support.pipelines import FRAUD


def test_the_fraud_features_are_named_per_window_then_per_event_then_passed_through() -> None:
    fs = feature_set(load_pipeline(FRAUD))
    assert fs.names[:9] == [
        "count_10m",
        "sum_amount_10m",
        "mean_amount_10m",
        "std_amount_10m",
        "min_amount_10m",
        "max_amount_10m",
        "amount_over_mean_10m",
        "distinct_merchant_id_10m",
        "distinct_country_10m",
    ]
    assert fs.names[18] == "count_1d"
    assert fs.names[27:30] == ["seconds_since_previous", "hour_of_day", "day_of_week"]
    assert fs.names[30:] == ["amount", "channel", "country", "merchant_category"]
    assert len(fs.names) == 3 * 9 + 3 + 4
    assert fs.fields == ("amount", "merchant_id", "country")
    assert fs.horizon_ms == 86_400_000 + 300_000  # the longest window plus the grace


def test_the_schema_is_valid_avro_and_types_each_feature() -> None:
    fs = feature_set(load_pipeline(FRAUD))
    schema = fs.schema()
    parse_schema(schema)
    fields = {f["name"]: f["type"] for f in schema["fields"]}
    assert list(fields)[: len(RECORD_FIELDS)] == list(RECORD_FIELDS)
    assert fields["count_1h"] == "long"
    assert fields["distinct_country_1h"] == "long"
    assert fields["sum_amount_1h"] == "double"
    assert fields["mean_amount_1h"] == ["null", "double"]
    assert fields["hour_of_day"] == "int"
    assert fields["amount"] == ["null", "double"]  # passed through: a number ...
    assert fields["channel"] == ["null", "string"]  # ... or a string, as in the event
    assert schema["namespace"] == "streamops.fraud"
    record = {
        "event_id": "tx-1",
        "entity_key": "card-000001",
        "event_time": 1_767_225_600_000,
        "source_topic": "fraud.events.valid",
        "source_partition": 0,
        "source_offset": 0,
        "late": False,
        **{name: (1 if fields[name] in ("long", "int") else 1.0) for name in fs.names},
        "channel": "web",
        "country": "FR",
        "merchant_category": None,
    }
    assert validate(record, parse_schema(schema))


def test_a_join_key_other_than_the_id_travels_in_the_record(tmp_path: Path) -> None:
    text = (
        FRAUD.read_text()
        .replace(
            "../../schemas/fraud/Transaction.avsc",
            str(FRAUD.parents[2] / "schemas/fraud/Transaction.avsc"),
        )
        .replace("join_key: transaction_id", "join_key: customer_id")
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    fs = feature_set(load_pipeline(spec))
    assert fs.join_field == "customer_id"
    assert "customer_id" in [f["name"] for f in fs.schema()["fields"]]
