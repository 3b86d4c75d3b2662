"""Tumbling windows of the processing clock: rule failure rates, and the spec's window rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streamops.pipeline import AlertPolicy, WindowExpectations
from streamops_validation.alerts import Measurement, Window


class RateWindow:
    """Failures per (rule, field) over ``policy.window``, measured as failure rates."""

    def __init__(self, policy: AlertPolicy, now_ms: int) -> None:
        self.policy = policy
        self.size_ms = int(policy.window.total_seconds() * 1000)
        self.start_ms = now_ms
        self.records = 0
        self.failures: dict[tuple[str, str], int] = {}

    def observe(self, counts: dict[tuple[str, str], int], records: int) -> None:
        self.records += records
        for key, n in counts.items():
            self.failures[key] = self.failures.get(key, 0) + n

    def due(self, now_ms: int) -> bool:
        return now_ms - self.start_ms >= self.size_ms

    def close(self, now_ms: int) -> tuple[Window, list[Measurement]]:
        """Measure the window and start the next one."""
        window = Window(self.start_ms, now_ms, self.records)
        measurements = []
        if self.records >= self.policy.min_records:  # small windows say too little
            for (rule, field), failed in sorted(self.failures.items()):
                rate = failed / self.records
                measurements.append(
                    Measurement(
                        f"{rule}:{field}",
                        "failure_rate",
                        rate,
                        self.policy.failure_rate,
                        opens=rate > self.policy.failure_rate,
                        resolves=rate < self.policy.resolve_below,
                        details={"rule": rule, "field": field, "failures": str(failed)},
                    )
                )
        self.start_ms, self.records, self.failures = now_ms, 0, {}
        return window, measurements


class QualityWindow:
    """The spec's window rules: unique fields (duplicates are rejected), null rates, row counts."""

    def __init__(self, spec: WindowExpectations, now_ms: int) -> None:
        self.spec = spec
        self.size_ms = int(spec.size.total_seconds() * 1000)
        self.start_ms = now_ms
        self.records = 0
        self.nulls: dict[str, int] = dict.fromkeys(spec.null_rate, 0)
        self.seen: dict[str, set[Any]] = {name: set() for name in spec.unique}

    def observe(self, values: Sequence[dict[str, Any]]) -> dict[int, list[tuple[str, Any]]]:
        """Count the batch in; return (field, value) of each record repeating a unique field."""
        self.records += len(values)
        for name in self.nulls:
            self.nulls[name] += sum(1 for v in values if v.get(name) is None)
        duplicates: dict[int, list[tuple[str, Any]]] = {}
        for name, seen in self.seen.items():
            for i, v in enumerate(values):
                value = v.get(name)
                if value is None:
                    continue
                if value in seen:
                    duplicates.setdefault(i, []).append((name, value))
                else:
                    seen.add(value)
        return duplicates

    def due(self, now_ms: int) -> bool:
        return now_ms - self.start_ms >= self.size_ms

    def close(self, now_ms: int) -> tuple[Window, list[Measurement]]:
        """Measure null rates and the row count, and start the next window."""
        window = Window(self.start_ms, now_ms, self.records)
        measurements = []
        for name, limit in self.spec.null_rate.items():
            if self.records:
                rate = self.nulls[name] / self.records
                measurements.append(
                    Measurement(
                        f"null_rate:{name}",
                        "null_rate",
                        rate,
                        limit,
                        opens=rate > limit,
                        resolves=rate <= limit,
                        details={"field": name},
                    )
                )
        bounds = self.spec.row_count
        if bounds is not None:
            low = bounds.min is not None and self.records < bounds.min
            high = bounds.max is not None and self.records > bounds.max
            broken = bounds.min if low else bounds.max if high else None
            limit = float(broken if broken is not None else bounds.min or bounds.max or 0)
            measurements.append(
                Measurement(
                    "row_count",
                    "row_count",
                    float(self.records),
                    limit,
                    opens=low or high,
                    resolves=not (low or high),
                    details={"min": str(bounds.min), "max": str(bounds.max)},
                )
            )
        self.start_ms, self.records = now_ms, 0
        self.nulls = dict.fromkeys(self.nulls, 0)
        self.seen = {name: set() for name in self.seen}
        return window, measurements
