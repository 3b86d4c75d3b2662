"""Every ingestion unit test runs with the PII salt set and no stray ingestion settings."""

from __future__ import annotations

import os

import pytest

from tests.unit.events.samples import SALT


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_PII_SALT", SALT)
    for name in os.environ:
        if name.startswith("STREAMOPS_INGESTION_"):
            monkeypatch.delenv(name)
