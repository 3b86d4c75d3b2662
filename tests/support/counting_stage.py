"""A stateful stage (a running count and sum per key) run as its own process by tests.

    python -m tests.support.counting_stage --input T --output O --dlq D --group G \
        [--guarantee exactly_once] [--batch 1000] [--throttle-ms 20] [--progress FILE]

Each output record carries the key's count and total *after* its input, so a record
applied twice to the state shows up in the outputs as well as in the final state.
``--progress`` appends one line per batch the transform sees ("<topic> <partition>
<first> <last>" per partition), so a test can tell whether a kill landed in an open batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streamops.runtime import BatchResult, InRecord, OutRecord
from streamops.state import StageState, StateSettings, StoreSpec
from tests.support.stage_cli import run_stage, stage_arguments, throttle

TOTALS_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "KeyTotal",
    "namespace": "streamops.test",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "key", "type": "string"},
        {"name": "n", "type": "long"},
        {"name": "total", "type": "double"},
    ],
}
STORE = "totals"


def main() -> None:
    parser = stage_arguments()
    parser.add_argument("--progress", default=None)
    parser.add_argument("--backend", default="memory")
    parser.add_argument("--state-dir", default="var/state")
    args = parser.parse_args()
    state = StageState([StoreSpec(STORE)], StateSettings(backend=args.backend, dir=args.state_dir))

    def count(records: Sequence[InRecord]) -> BatchResult:
        if args.progress:
            _log_batch(args.progress, records)
        throttle(args)
        outputs = []
        for r in records:
            totals = state.partition(STORE, r.partition)
            assert r.key is not None
            n, total = totals.get(r.key, (0, 0.0))
            n, total = n + 1, total + r.value["amount"]
            totals.set(r.key, (n, total))
            key = r.key.decode()
            outputs.append(
                OutRecord(
                    args.output, {"id": r.value["id"], "key": key, "n": n, "total": total}, key
                )
            )
        return BatchResult(outputs=outputs)

    run_stage(args, {args.output: TOTALS_SCHEMA}, count, state)


def _log_batch(path: str, records: Sequence[InRecord]) -> None:
    spans: dict[tuple[str, int], list[int]] = {}
    for r in records:
        span = spans.setdefault((r.topic, r.partition), [r.offset, r.offset])
        span[1] = r.offset
    with open(path, "a") as f:
        f.write(";".join(f"{t} {p} {a} {b}" for (t, p), (a, b) in spans.items()) + "\n")


if __name__ == "__main__":
    main()
