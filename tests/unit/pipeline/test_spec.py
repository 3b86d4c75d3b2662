"""The pipeline spec: the fraud example loads; every mistake names its field and line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamops.cli import app
from streamops.pipeline import SpecError, format_duration, load_pipeline, parse_duration
from streamops.pipeline.pii import MissingSaltError, PiiTreatment

REPO = Path(__file__).resolve().parents[3]
FRAUD = REPO / "deploy" / "pipelines" / "fraud.yaml"
SCHEMA = REPO / "schemas" / "fraud" / "Transaction.avsc"


def _spec(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    text = FRAUD.read_text().replace("../../schemas/fraud/Transaction.avsc", str(SCHEMA))
    if edit is not None:
        assert edit[0] in text, edit[0]
        text = text.replace(*edit)
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("3d", timedelta(days=3)),
        ("500ms", timedelta(milliseconds=500)),
        (45, timedelta(seconds=45)),
        ("1w", timedelta(weeks=1)),
    ],
)
def test_durations(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


def test_bad_duration_says_how_to_write_one() -> None:
    with pytest.raises(ValueError, match=r"write e\.g\. 500ms, 90s"):
        parse_duration("3 days")


def test_the_fraud_example_loads() -> None:
    pipeline = load_pipeline(FRAUD)
    assert pipeline.name == "fraud"
    assert pipeline.spec.label_topic == "fraud.labels"
    assert pipeline.spec.expectations.fields["amount"].rules() == ["not_null", "range"]


@pytest.mark.parametrize(
    ("edit", "needle", "where", "says"),
    [
        (
            ("expected_delay: 3d", "expected_delay: soon"),
            "expected_delay",
            "labels.expected_delay",
            "not a duration",
        ),
        (
            ("range: {min: 0.01, max: 25000}", "range: {min: 9, max: 1}"),
            "amount:",
            "expectations.fields.amount.range",
            "greater than max",
        ),
        (
            ("    ip_address: mask", "    ip_adress: mask"),
            "ip_adress",
            "pii.fields.ip_adress",
            "no field 'ip_adress'",
        ),
        (
            ("amount: {not_null: true,", "amount: {not_null: true, regex: x,"),
            "amount:",
            "expectations.fields.amount.regex",
            "needs a string field",
        ),
        (
            (
                "currency: {not_null: true, allowed: [EUR,",
                "currency: {not_null: true, allowed: [7,",
            ),
            "currency:",
            "expectations.fields.currency.allowed.0",
            "can never be a value",
        ),
        (("name: fraud", "name: fraud.v2"), "name:", "name", "pipeline name"),
        (
            ("  key_field: card_id", "  key_field: card_id\n  colour: blue"),
            "colour",
            "event.colour",
            "Extra inputs",
        ),
        (
            ("    card_number: salted_hash", "    event_time: drop"),
            "event_time: drop",
            "pii.fields.event_time",
            "",
        ),
        (
            ("    - std: amount", "    - median: amount"),
            "median: amount",
            "features.aggregates.3",
            "unknown aggregate 'median'",
        ),
        (
            ("    - min: amount", "    - min: country"),
            "min: country",
            "features.aggregates.4",
            "min needs a number field, not string",
        ),
        (
            ("    - distinct: country", "    - distinct: contry"),
            "distinct: contry",
            "features.aggregates.8",
            "no field 'contry'",
        ),
        (
            ("windows: [10m, 1h, 24h]", "windows: [10m, 1h, 60m]"),
            "windows:",
            "features.windows",
            "windows repeat a length",
        ),
        (
            ("  timezone: UTC", "  timezone: Mars/Olympus"),
            "timezone:",
            "features.timezone",
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            ("  grace: 5m", "  grace: a while"),
            "grace:",
            "features.grace",
            "not a duration",
        ),
        (
            ("passthrough: [amount, channel,", "passthrough: [amount, chanel,"),
            "passthrough:",
            "features.passthrough.1",
            "no field 'chanel'",
        ),
        (
            ("passthrough: [amount, channel,", "passthrough: [amount, event_time,"),
            "passthrough:",
            "features.passthrough.1",
            "every features record has a field 'event_time'",
        ),
        (
            ("  kind: binary", "  kind: ordinal"),
            "kind: ordinal",
            "labels.kind",
            "Input should be 'binary', 'multiclass' or 'regression'",
        ),
    ],
)
def test_a_mistake_names_its_field_and_line(
    tmp_path: Path, edit: tuple[str, str], needle: str, where: str, says: str
) -> None:
    path = _spec(tmp_path, edit)
    with pytest.raises(SpecError) as caught:
        load_pipeline(path)
    assert f"{path}:{_line_of(path, needle)}: {where}" in str(caught.value)
    assert says in str(caught.value)


def test_broken_yaml_and_missing_schema_are_explained(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nevent: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_pipeline(broken)
    missing = _spec(tmp_path, (str(SCHEMA), "/nonexistent/Transaction.avsc"))
    with pytest.raises(SpecError, match=r"event\.schema: cannot use event schema"):
        load_pipeline(missing)


def test_spec_check_cli_prints_a_summary_or_the_problems(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["spec", "check", str(FRAUD)])
    assert ok.exit_code == 0, ok.output
    assert "17 rules on 9 fields" in ok.output and "fraud.events.dlq" in ok.output
    bad = runner.invoke(
        app, ["spec", "check", str(_spec(tmp_path, ("id_field: transaction_id", "id_field: tx")))]
    )
    assert bad.exit_code == 1
    assert "event.id_field: no field 'tx'" in bad.output


def test_pii_is_dropped_hashed_and_masked() -> None:
    spec = load_pipeline(FRAUD).spec.pii
    treat = PiiTreatment(spec, salt="s3cret")
    out = treat.apply(
        {
            "card_number": "4111111111111111",
            "customer_email": "a@b.c",
            "ip_address": "192.168.10.77",
            "amount": 3.0,
        }
    )
    assert out["customer_email"] is None and out["amount"] == 3.0
    assert len(out["card_number"]) == 64 and "4111" not in out["card_number"]
    assert out["card_number"] == treat.apply({"card_number": "4111111111111111"})["card_number"]
    assert (
        out["card_number"]
        != PiiTreatment(spec, salt="other").apply({"card_number": "4111111111111111"})[
            "card_number"
        ]
    )
    assert out["ip_address"] == "*********0.77"


def test_salted_hash_without_a_salt_says_where_to_put_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STREAMOPS_PII_SALT", raising=False)
    with pytest.raises(MissingSaltError, match=r"\$STREAMOPS_PII_SALT"):
        PiiTreatment(load_pipeline(FRAUD).spec.pii)
