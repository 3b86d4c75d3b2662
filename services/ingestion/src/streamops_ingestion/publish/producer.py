"""The producer interface the HTTP API and the file ingester write through, and its Kafka form.

`EventProducer` is small on purpose: publish one encoded event and hear back once Kafka
acknowledged it (or gave up), tell whether the brokers are reachable, flush on close. Tests
use an in-memory double of it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from streamops.settings import KafkaSettings
from streamops_ingestion.settings import IngestionSettings

log = logging.getLogger(__name__)

#: Called once per event: None when Kafka acknowledged it, else why it was not written.
OnDelivery = Callable[[str | None], None]


class QueueFull(RuntimeError):
    """The producer holds as many events as it may: wait for deliveries and retry, or give up."""


class EventProducer(Protocol):
    """What ingestion needs from a Kafka producer."""

    def publish(self, topic: str, key: str | None, value: bytes, on_delivery: OnDelivery) -> None:
        """Queue one event; ``on_delivery`` is called later, from any thread. Raises QueueFull."""
        ...

    def connected(self) -> bool:
        """True while at least one broker is reachable."""
        ...

    def close(self, timeout_s: float) -> int:
        """Wait up to ``timeout_s`` for queued events; the number still undelivered."""
        ...


def producer_config(kafka: KafkaSettings, settings: IngestionSettings) -> dict[str, Any]:
    """librdkafka properties: idempotent, acks=all, the settings' linger/timeout/size limits."""
    return {
        **kafka.client_config(),
        "enable.idempotence": True,  # librdkafka's own retries never duplicate an event
        "acks": "all",
        "linger.ms": settings.producer_linger_ms,
        "compression.type": "lz4",
        "delivery.timeout.ms": int(settings.delivery_timeout_s * 1000),
        "message.max.bytes": settings.max_message_bytes,
    }


class KafkaEventProducer:
    """A confluent-kafka producer whose delivery reports are served by a background thread."""

    def __init__(self, config: dict[str, Any], poll_interval_s: float = 0.05) -> None:
        self._connected = False
        self._producer = Producer(
            {
                **config,
                "statistics.interval.ms": 5000,
                "stats_cb": self._on_stats,
                "error_cb": self._on_error,
            }
        )
        self._interval = poll_interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="producer-poll", daemon=True)
        self._thread.start()

    def publish(self, topic: str, key: str | None, value: bytes, on_delivery: OnDelivery) -> None:
        """Queue one event (see `EventProducer.publish`)."""

        def delivered(err: KafkaError | None, _msg: Message) -> None:
            try:
                on_delivery(None if err is None else err.str())
            except Exception:  # a caller's bug must not stop the delivery thread
                log.exception("delivery callback failed")

        try:
            self._producer.produce(topic, value=value, key=key, on_delivery=delivered)
        except BufferError as exc:
            raise QueueFull(f"the producer queue is full ({len(self._producer)} events)") from exc

    def check_connection(self, timeout_s: float) -> bool:
        """Ask a broker for metadata; True (and `connected`) if one answered in time."""
        try:
            self._producer.list_topics(timeout=timeout_s)
        except KafkaException as exc:
            log.warning("no broker answered within %.0f s: %s", timeout_s, exc)
            return False
        self._connected = True
        return True

    def connected(self) -> bool:
        """True since a broker answered, until librdkafka reports every broker down."""
        return self._connected

    def close(self, timeout_s: float) -> int:
        """Stop serving reports in the background, then flush (see `EventProducer.close`)."""
        self._stop.set()
        self._thread.join()
        return int(self._producer.flush(timeout_s))

    def _serve(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(self._interval)

    def _on_stats(self, stats_json: str) -> None:
        brokers = json.loads(stats_json).get("brokers", {})
        self._connected = any(b.get("state") == "UP" for b in brokers.values())

    def _on_error(self, error: KafkaError) -> None:
        if error.code() == KafkaError._ALL_BROKERS_DOWN:
            self._connected = False
        log.warning("kafka: %s", error.str())
