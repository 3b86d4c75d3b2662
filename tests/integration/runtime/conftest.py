"""A pass-through stage wired to fresh topics; its processes never outlive the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.kafka import unique_name
from tests.support.stage_process import PassThrough


@pytest.fixture
def passthrough(
    kafka: str, schema_registry: str, new_topic: Callable[..., str]
) -> Iterator[Callable[[str, int], PassThrough]]:
    """``passthrough(prefix, partitions)``: new input, output and DLQ topics and a group."""
    stages: list[PassThrough] = []

    def wire(prefix: str, partitions: int) -> PassThrough:
        stage = PassThrough(
            kafka,
            schema_registry,
            source=new_topic(f"{prefix}-in", partitions=partitions),
            output=new_topic(f"{prefix}-out", partitions=partitions),
            dlq=new_topic(f"{prefix}-dlq"),
            group=unique_name(prefix),
        )
        stages.append(stage)
        return stage

    yield wire
    for process in (p for stage in stages for p in stage.processes):
        if process.poll() is None:
            process.kill()
            process.wait()
