"""A stage keeping running payment features per customer in its state, run as its own process.

    python -m tests.benchmarks.feature_stage --input T --output O --dlq D --group G \
        [--state memory|disk|none] [--guarantee exactly_once] [--batch 5000] \
        [--state-dir DIR] [--health-port N]

Per key it keeps the features of a feature window (`update_features`: count, sum, sum of
squares, min, max, first and last event time of the amounts, about 70 bytes with the
stored event time) in a store with a one-day TTL, and outputs the key's count and total
after each input. ``--state none`` is the peer: the same stage, outputs of the same
schema, but each output carries its own input's figures only, so no state is touched.
The state benchmark (``test_state_store.py``) also restores changelogs of these values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streamops.runtime import BatchResult, InRecord, OutRecord
from streamops.state import StageState, StateSettings, StoreSpec
from tests.support.counting_stage import TOTALS_SCHEMA
from tests.support.stage_cli import run_stage, stage_arguments

STORE = "features"
TTL_MS = 86_400_000
#: [n, sum, sum of squares, min, max, first event ms, last event ms]
Features = list[Any]


def update_features(features: Features | None, amount: float, time_ms: int) -> Features:
    """The key's features after one more payment of ``amount`` at ``time_ms``."""
    if features is None:
        return [1, amount, amount * amount, amount, amount, time_ms, time_ms]
    n, total, squares, low, high, first, last = features
    return [
        n + 1,
        total + amount,
        squares + amount * amount,
        min(low, amount),
        max(high, amount),
        min(first, time_ms),
        max(last, time_ms),
    ]


def main() -> None:
    parser = stage_arguments(guarantee="exactly_once")
    parser.add_argument("--state", choices=("memory", "disk", "none"), default="memory")
    parser.add_argument("--state-dir", default="var/state")
    args = parser.parse_args()
    output = args.output
    state = None
    if args.state != "none":
        state = StageState(
            [StoreSpec(STORE, ttl_ms=TTL_MS)],
            StateSettings(backend=args.state, dir=args.state_dir),
        )

    def with_state(records: Sequence[InRecord]) -> BatchResult:
        assert state is not None
        outputs = []
        for r in records:
            assert r.key is not None and r.timestamp_ms is not None
            part = state.partition(STORE, r.partition)
            features = update_features(part.get(r.key), r.value["amount"], r.timestamp_ms)
            part.set(r.key, features, time_ms=r.timestamp_ms)
            key = r.key.decode()
            value = {"id": r.value["id"], "key": key, "n": features[0], "total": features[1]}
            outputs.append(OutRecord(output, value, key))
        return BatchResult(outputs=outputs)

    def without_state(records: Sequence[InRecord]) -> BatchResult:
        outputs = []
        for r in records:
            assert r.key is not None and r.timestamp_ms is not None
            features = update_features(None, r.value["amount"], r.timestamp_ms)
            key = r.key.decode()
            value = {"id": r.value["id"], "key": key, "n": features[0], "total": features[1]}
            outputs.append(OutRecord(output, value, key))
        return BatchResult(outputs=outputs)

    transform = without_state if state is None else with_state
    run_stage(args, {output: TOTALS_SCHEMA}, transform, state)


if __name__ == "__main__":
    main()
