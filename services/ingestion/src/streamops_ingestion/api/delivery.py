"""Waiting, without blocking the event loop, until Kafka acknowledged a request's events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from streamops_ingestion.publish.producer import EventProducer, OnDelivery, QueueFull
from streamops_ingestion.target import Ready

_QUEUE_RETRY_S = 0.01


async def deliver(
    producer: EventProducer, topic: str, events: Sequence[Ready], timeout_s: float
) -> list[str | None]:
    """Produce ``events`` and wait for each acknowledgement: None per delivered event, else why
    not (Kafka's error, a full queue, or no answer within ``timeout_s``)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    futures: list[asyncio.Future[str | None]] = []
    for event in events:
        future: asyncio.Future[str | None] = loop.create_future()
        futures.append(future)
        callback = _settle_from_any_thread(loop, future)
        while True:
            try:
                producer.publish(topic, event.key, event.value, callback)
                break
            except QueueFull as exc:
                if loop.time() >= deadline:
                    future.set_result(str(exc))
                    break
                await asyncio.sleep(_QUEUE_RETRY_S)
    pending = [f for f in futures if not f.done()]
    if pending:
        await asyncio.wait(pending, timeout=max(deadline - loop.time(), 0.0))
    return [
        f.result() if f.done() else f"not acknowledged by Kafka within {timeout_s:g} s"
        for f in futures
    ]


def _settle_from_any_thread(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[str | None]
) -> OnDelivery:
    """A delivery callback that resolves ``future`` on its loop, whichever thread calls it."""

    def settle(error: str | None) -> None:
        if not future.done():
            future.set_result(error)

    def on_delivery(error: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop: the request is long gone
            loop.call_soon_threadsafe(settle, error)

    return on_delivery
