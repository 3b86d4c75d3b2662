"""Stamped event ids: derived from the spec's regex, overridable, checked against the spec."""

from __future__ import annotations

import re
from typing import Any

import pytest

from streamops.events.errors import EventConfigError
from streamops.events.ids import IdFormat, id_format_for
from streamops.pipeline import PipelineSpec


def spec(rules: dict[str, Any] | None) -> PipelineSpec:
    data: dict[str, Any] = {
        "name": "p",
        "event": {"schema": "x.avsc", "id_field": "id", "key_field": "k", "time_field": "t"},
    }
    if rules is not None:
        data["expectations"] = {"fields": {"id": rules}}
    return PipelineSpec.model_validate(data)


def test_fraud_ids_follow_the_spec_regex() -> None:
    found = id_format_for(spec({"regex": "tx-[0-9a-f]{16}", "max_length": 19}))
    assert found == IdFormat("tx-", 16)
    ids = {found.new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"tx-[0-9a-f]{16}", i) for i in ids)


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"^evt\.[a-f0-9]{12}$", IdFormat("evt.", 12)),
        ("[0-9a-fA-F]{20}", IdFormat("", 20)),
        ("ord_2026:[0-9a-f]{8}", IdFormat("ord_2026:", 8)),
    ],
)
def test_other_hex_regexes_are_derived(regex: str, expected: IdFormat) -> None:
    assert id_format_for(spec({"regex": regex})) == expected


def test_without_a_regex_ids_are_32_hex_digits() -> None:
    assert id_format_for(spec(None)) == IdFormat("", 32)
    assert re.fullmatch(r"[0-9a-f]{32}", IdFormat().new_id())


def test_settings_override_the_derived_format() -> None:
    assert id_format_for(spec(None), prefix="o-", hex_digits=10) == IdFormat("o-", 10)


def test_an_id_format_the_spec_would_reject_fails_at_start_up() -> None:
    with pytest.raises(EventConfigError, match=r"would not match the spec's regex"):
        id_format_for(spec({"regex": "[0-9]{10}"}))
    with pytest.raises(EventConfigError, match="STREAMOPS_INGESTION_ID_PREFIX"):
        id_format_for(spec({"regex": "tx-[0-9a-f]{16}"}), prefix="order-")
    with pytest.raises(EventConfigError, match="longer than the spec's max_length 19"):
        id_format_for(spec({"max_length": 19}), "tx-", 20)
