"""A pass-through stage (decode → encode → produce) run as its own process by tests and benchmarks.

    python -m tests.support.passthrough_stage --input T --output O --dlq D --group G \
        [--guarantee exactly_once] [--batch 1000] [--throttle-ms 20]
"""

from __future__ import annotations

from collections.abc import Sequence

from streamops.runtime import BatchResult, InRecord, OutRecord
from tests.support.records import PAYMENT_SCHEMA
from tests.support.stage_cli import run_stage, stage_arguments, throttle


def main() -> None:
    args = stage_arguments().parse_args()

    def passthrough(records: Sequence[InRecord]) -> BatchResult:
        throttle(args)
        return BatchResult(
            outputs=[OutRecord(args.output, r.value, r.key, source=r) for r in records]
        )

    run_stage(args, {args.output: PAYMENT_SCHEMA}, passthrough)


if __name__ == "__main__":
    main()
