"""A pass-through stage (decode → encode → produce) run as its own process by tests and benchmarks.

    python -m tests.support.passthrough_stage --input T --output O --dlq D --group G \
        [--guarantee exactly_once] [--batch 1000] [--throttle-ms 20]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Sequence

from streamops.runtime import BatchResult, InRecord, OutRecord, Stage, StreamSettings
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from tests.support.records import PAYMENT_SCHEMA


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--dlq", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--guarantee", default="at_least_once")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument(
        "--throttle-ms",
        type=float,
        default=0.0,
        help="sleep per batch, so that tests can kill the stage mid-stream",
    )
    parser.add_argument("--health-port", type=int, default=0)
    parser.add_argument("--instance", default="0", help="replica id, unique per live process")
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS"))
    parser.add_argument("--registry-url", default=os.environ.get("SCHEMA_REGISTRY_URL"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    def passthrough(records: Sequence[InRecord]) -> BatchResult:
        if args.throttle_ms:
            time.sleep(args.throttle_ms / 1000)
        return BatchResult(
            outputs=[OutRecord(args.output, r.value, r.key, source=r) for r in records]
        )

    Stage(
        args.group,
        inputs=[args.input],
        outputs={args.output: PAYMENT_SCHEMA},
        transform=passthrough,
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
    ).run()


if __name__ == "__main__":
    main()
