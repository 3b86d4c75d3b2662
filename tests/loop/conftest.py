"""The loop tests' time limit: above the suite's 600 s, so that a stalled step is reported
by `tests.support.loop.wait` (every service's log, the alerts, the restarts) rather than
cut short by pytest-timeout, whose report has none of that."""

from __future__ import annotations

import pytest

#: More than one `wait` of `TIMEOUT_S` (600 s) and the steps before it.
LOOP_TEST_TIMEOUT_S = 1200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is None and "tests/loop/" in item.nodeid:
            item.add_marker(pytest.mark.timeout(LOOP_TEST_TIMEOUT_S))
