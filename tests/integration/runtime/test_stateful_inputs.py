"""A stage with state refuses inputs that are not co-partitioned, before it consumes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from streamops.runtime import BatchResult, Stage, StreamSettings
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.state import StageState, StoreSpec
from streamops.topics import TopicError
from tests.support.kafka import unique_name
from tests.support.records import PAYMENT_SCHEMA


def test_inputs_with_different_partition_counts_are_refused(
    kafka: str, schema_registry: str, new_topic: Callable[..., str]
) -> None:
    wide, narrow, single = new_topic("wide", 4), new_topic("narrow", 2), new_topic("single", 1)
    out, dlq = new_topic("out", 4), new_topic("dlq")

    def stage(inputs: list[str]) -> Stage:
        return Stage(
            unique_name("copart"),
            inputs=inputs,
            outputs={out: PAYMENT_SCHEMA},
            transform=lambda records: BatchResult(),
            dlq_topic=dlq,
            kafka=KafkaSettings(bootstrap_servers=kafka),
            registry=SchemaRegistrySettings(url=schema_registry),
            settings=StreamSettings(instance_id="0"),
            state=StageState([StoreSpec("s")]),
        )

    with pytest.raises(TopicError, match=rf"co-partitioned.*repartition \['{narrow}'\] to 4"):
        stage([wide, narrow]).run()
    ok = stage([wide, single])  # a one-partition input goes with partition 0
    ok.stop()  # stopped before it starts: run() sets up the state, then returns at once
    ok.run()
    assert ok.state is not None and ok.state.changelog("s").endswith(".s.changelog")
