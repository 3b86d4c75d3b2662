"""No stray STREAMOPS_* settings from the developer's shell in the service-entry tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in os.environ:
        if name.startswith("STREAMOPS_") and name != "STREAMOPS_PII_SALT":
            monkeypatch.delenv(name)
