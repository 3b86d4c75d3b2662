"""`streamops-local fetch|up|down|status`: the local Kafka broker and schema registry.

Behind `make setup` (fetch), `make up`, `make down` and `make status`.
"""

from __future__ import annotations

import argparse
import sys
import time

from pydantic import ValidationError

from streamops_localstack.errors import LocalStackError
from streamops_localstack.settings import LocalStackSettings
from streamops_localstack.stack import LocalStack


def _status(stack: LocalStack) -> int:
    rows = stack.status()
    for row in rows:
        if row.healthy:
            state = "healthy"
        elif row.pid and row.started:
            state = "started, not ready"  # serving before a champion: see its /readyz
        else:
            state = "running, not answering" if row.pid else "stopped"
        pid = str(row.pid) if row.pid else "-"
        print(f"{row.name:<11} {state:<23} pid {pid:<8} {row.address}")
    if all(row.healthy or row.started for row in rows):
        print(
            f"\nclients: KAFKA_BOOTSTRAP_SERVERS={stack.kafka.bootstrap_servers} "
            f"SCHEMA_REGISTRY_URL={stack.registry.url}"
        )
        return 0
    return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="streamops-local", description=__doc__)
    parser.add_argument(
        "command", choices=["fetch", "up", "down", "status", "demo", "demo-summary"]
    )
    args = parser.parse_args(argv)
    try:
        stack = LocalStack(LocalStackSettings())
        if args.command == "fetch":
            print(f"Kafka jars: {stack.kafka.jars()}")
            print(f"Apicurio Registry: {stack.registry.distribution()}")
            return 0
        if args.command == "up":
            started = time.monotonic()
            stack.up()
            print(f"local stack up in {time.monotonic() - started:.1f} s")
            return _status(stack)
        if args.command == "demo":
            # imported here: the demo brings scikit-learn and matplotlib
            from streamops_localstack.loop_demo import play

            return play(stack.settings)
        if args.command == "demo-summary":
            from streamops_localstack.demo import demo_summary

            print(demo_summary(stack, "fraud"))
            return 0
        if args.command == "down":
            stopped = stack.down()
            print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
            return 0
        return _status(stack)
    except ValidationError as exc:
        print(f"streamops-local: bad setting:\n{exc}", file=sys.stderr)
        return 2
    except LocalStackError as exc:
        print(f"streamops-local: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
