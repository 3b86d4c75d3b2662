"""librdkafka's blocking client calls, made safely: retried while librdkafka says the
error is retriable, up to a deadline, and given up for hung when one does not return
(`TransactionStuck` then: the stage stops, and a fresh start redoes its batch)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import KafkaError, KafkaException

log = logging.getLogger(__name__)
T = TypeVar("T")


class TransactionStuck(RuntimeError):
    """A transaction that cannot be ended in time: the stage stops."""


def retrying(
    call: Callable[[], T],
    until: float | None = None,
    what: str = "",
    retry_timeouts: bool = True,
    hang_s: float | None = None,
) -> T:
    """Call again while librdkafka says the error is retriable, until the monotonic time
    ``until`` (then `TransactionStuck`, naming ``what``); with ``retry_timeouts`` False, a
    timed-out call is raised to the caller instead of resumed; with ``hang_s``, a call
    that has not returned after that long is given up for hung (`bounded`)."""
    while True:
        try:
            return call() if hang_s is None else bounded(call, hang_s, what)
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if not error.retriable() or (
                not retry_timeouts and error.code() == KafkaError._TIMED_OUT
            ):
                raise
            if until is not None and time.monotonic() >= until:
                raise TransactionStuck(
                    f"could not {what} within the transaction timeout (the broker aborts "
                    f"it): {error.str()}; stopping, a fresh start redoes the batch"
                ) from exc
            log.info("retrying after a retriable error: %s", error.str())
            time.sleep(0.1)


def bounded(call: Callable[[], T], limit_s: float, what: str) -> T:
    """``call`` in a daemon thread, given up after ``limit_s`` (`TransactionStuck`).

    librdkafka's transactional calls take a timeout, but a retried
    ``send_offsets_to_transaction`` after a broker restart that fenced the consumer's
    static membership was seen waiting on past it for good (the main thread in
    ``rd_kafka_txn_op_req0``). No other transactional call can be made while one is in
    progress, so the stage can only stop; a fresh start fences this producer and the
    broker aborts its transaction. The thread is a daemon: it does not hold the exit.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="transaction-call", daemon=True)
    worker.start()
    worker.join(limit_s)
    if worker.is_alive():
        raise TransactionStuck(
            f"librdkafka did not return from the call to {what} within {limit_s:.0f} s, "
            "past its own timeout; stopping, a fresh start redoes the batch"
        )
    if failure:
        raise failure[0]
    return outcome[0]
