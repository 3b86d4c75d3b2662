"""A stateful stage (a running count and sum per key) run as its own process by tests.

    python -m tests.support.counting_stage --input T --output O --dlq D --group G \
        [--guarantee exactly_once] [--batch 1000] [--throttle-ms 20] [--progress FILE]

Each output record carries the key's count and total *after* its input, so a record
applied twice to the state shows up in the outputs as well as in the final state.
``--progress`` appends one line per batch the transform sees ("<topic> <partition>
<first> <last>" per partition), so a test can tell whether a kill landed in an open batch.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

from streamops.runtime import BatchResult, InRecord, OutRecord, Stage, StreamSettings
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.state import StageState, StateSettings, StoreSpec

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
    parser = argparse.ArgumentParser()
    for name in ("--input", "--output", "--dlq", "--group"):
        parser.add_argument(name, required=True)
    parser.add_argument("--guarantee", default="at_least_once")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--throttle-ms", type=float, default=0.0)
    parser.add_argument("--progress", default=None)
    parser.add_argument("--backend", default="memory")
    parser.add_argument("--state-dir", default="var/state")
    parser.add_argument("--health-port", type=int, default=0)
    parser.add_argument("--instance", default="0")
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS"))
    parser.add_argument("--registry-url", default=os.environ.get("SCHEMA_REGISTRY_URL"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    state = StageState([StoreSpec(STORE)], StateSettings(backend=args.backend, dir=args.state_dir))

    def count(records: Sequence[InRecord]) -> BatchResult:
        if args.progress:
            _log_batch(args.progress, records)
        if args.throttle_ms:
            time.sleep(args.throttle_ms / 1000)
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

    Stage(
        args.group,
        inputs=[args.input],
        outputs={args.output: TOTALS_SCHEMA},
        transform=count,
        dlq_topic=args.dlq,
        kafka=KafkaSettings(bootstrap_servers=args.bootstrap_servers),
        registry=SchemaRegistrySettings(url=args.registry_url),
        settings=StreamSettings(
            processing_guarantee=args.guarantee,
            batch_max_records=args.batch,
            instance_id=args.instance,
            session_timeout_s=10,
            health_port=args.health_port,
        ),
        state=state,
    ).run()


def _log_batch(path: str, records: Sequence[InRecord]) -> None:
    spans: dict[tuple[str, int], list[int]] = {}
    for r in records:
        span = spans.setdefault((r.topic, r.partition), [r.offset, r.offset])
        span[1] = r.offset
    with open(path, "a") as f:
        f.write(";".join(f"{t} {p} {a} {b}" for (t, p), (a, b) in spans.items()) + "\n")


if __name__ == "__main__":
    main()
