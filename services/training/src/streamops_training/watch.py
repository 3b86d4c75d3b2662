"""What the training service reads to decide: the log, from its beginning, then as it grows.

`LogWatch` follows ``{p}.features`` (only each record's event time), ``{p}.labels.valid``,
``{p}.alerts``, ``{p}.control`` (operators' requests) and ``{p}.runs`` (the jobs already
run, so that a restarted service neither forgets its cooldown nor answers an alert or a
request twice), and feeds `Triggers`. No consumer group and no committed offsets: the
state is rebuilt from the topics at every start, as the registry is.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

from confluent_kafka import Message
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts import load_schema
from streamops.contracts.types import Alert
from streamops.features import event_time_ms, features_event_time
from streamops.pipeline import Pipeline
from streamops.registry.follow import LogFollower
from streamops.serde import AvroDecoder, DecodeError
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames
from streamops_training.triggers import Triggers

log = logging.getLogger("streamops.training")
#: A manual run's trigger detail starts with this, then the request id (`Triggers.due`).
REQUEST_PREFIX = "request "


class LogWatch:
    """Feeds one pipeline's `Triggers` from its topics."""

    def __init__(
        self,
        pipeline: Pipeline,
        kafka: KafkaSettings,
        registry: SchemaRegistrySettings,
        triggers: Triggers,
        *,
        timeout_s: float = 30.0,
    ) -> None:
        self.triggers = triggers
        self.skipped = 0  # records that could not be read
        #: the latest record of each alert (by id), to settle the ones a job answered
        self.alerts: dict[str, Alert] = {}
        self.names = names = TopicNames(pipeline.name)
        client = SchemaRegistryClient(registry.client_config())
        self._decoders = {
            names.labels_valid: AvroDecoder(client, load_schema("Label")),
            names.alerts: AvroDecoder(client, load_schema("Alert")),
            names.runs: AvroDecoder(client, load_schema("TrainingRun")),
            names.control: AvroDecoder(client, load_schema("ControlRequest")),
        }
        topics = [names.runs, names.control, names.alerts, names.labels_valid, names.features]
        self._follower = LogFollower(kafka, topics, timeout_s=timeout_s)

    def catch_up(self) -> int:
        """Read every topic to its current end; the records read."""
        return self._follower.catch_up(self._apply)

    def poll(self, timeout_s: float) -> None:
        """Take what arrived since (waiting up to ``timeout_s``)."""
        self._follower.poll(self._apply, timeout_s)

    def close(self) -> None:
        self._follower.close()

    def _apply(self, message: Message) -> None:
        topic, value = message.topic() or "", message.value()
        if value is None:
            return
        try:
            if topic == self.names.features:
                self.triggers.features_record(features_event_time(value))
                return
            record = self._decoders[topic].decode(value)
        except (DecodeError, IndexError) as exc:
            self.skipped += 1
            log.warning("%s offset %s: unreadable, skipped (%s)", topic, message.offset(), exc)
            return
        if topic == self.names.labels_valid:
            self.triggers.label(event_time_ms(record["event_time"]))
        elif topic == self.names.alerts:
            self.alerts[record["alert_id"]] = cast(Alert, record)
            self.triggers.alert(
                record["alert_id"],
                record["kind"],
                record["state"],
                event_time_ms(record["emitted_at"]),
                record.get("model_version"),
                event_time_ms(record["window"]["start"]),
            )
        elif topic == self.names.control:
            self._control(record)
        elif topic == self.names.runs:
            self._ran(record)

    def _control(self, request: dict[str, Any]) -> None:
        action = request["action"]
        if action == "TRAIN":
            self.triggers.request(request["request_id"])
        elif action in ("PAUSE_RETRAINING", "RESUME_RETRAINING"):
            self.triggers.paused = action == "PAUSE_RETRAINING"
            log.info(
                "retraining %s by %s: %s",
                "paused" if self.triggers.paused else "resumed",
                request["actor"],
                request["reason"],
            )

    def _ran(self, run: dict[str, Any]) -> None:
        trigger, dataset = run["trigger"], run.get("dataset")
        detail = trigger.get("detail") or ""
        request = (
            detail[len(REQUEST_PREFIX) :].split()[0]
            if trigger["kind"] == "MANUAL" and detail.startswith(REQUEST_PREFIX)
            else None
        )
        cutoff: datetime | None = dataset["cutoff"] if dataset else None
        self.triggers.ran(
            tuple(trigger.get("alert_ids") or ()),
            request,
            None if cutoff is None else event_time_ms(cutoff),
            int((dataset or {}).get("counts", {}).get("labels_known", 0)),
        )
