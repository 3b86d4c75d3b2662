"""The command line shared by the test stages run as processes (pass-through, counting, ...).

Each takes its topics, group, guarantee, batch size, replica id and addresses the same
way, and builds its `Stage` the same way; only the transform, the outputs and the state
differ.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from streamops.runtime import Stage, StreamSettings, Transform
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.state import StageState


def stage_arguments(guarantee: str = "at_least_once") -> argparse.ArgumentParser:
    """A parser with the options every test stage takes; add the stage's own to it."""
    parser = argparse.ArgumentParser()
    for name in ("--input", "--output", "--dlq", "--group"):
        parser.add_argument(name, required=True)
    parser.add_argument("--guarantee", default=guarantee)
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
    return parser


def throttle(args: argparse.Namespace) -> None:
    """The ``--throttle-ms`` sleep, inside a batch."""
    if args.throttle_ms:
        time.sleep(args.throttle_ms / 1000)


def run_stage(
    args: argparse.Namespace,
    outputs: Mapping[str, Mapping[str, Any]],
    transform: Transform,
    state: StageState | None = None,
) -> None:
    """Run the stage the options describe until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    Stage(
        args.group,
        inputs=[args.input],
        outputs=outputs,
        transform=transform,
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
