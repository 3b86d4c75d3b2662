"""Retrying while the schema registry or the Kafka cluster is unreachable.

Broken infrastructure is waited for, never dead-lettered and never a crash: the attempt
is repeated with capped exponential back-off, each retry logged, until it succeeds or
the process is asked to stop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from streamops.serde import RegistryUnavailable
from streamops.topics import TopicAdminError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: What "unreachable" looks like: the registry did not answer (or refused to register), the
#: cluster did not answer an admin request, no broker answered a producer.
UNAVAILABLE: tuple[type[Exception], ...] = (RegistryUnavailable, TopicAdminError, ConnectionError)


@dataclass(frozen=True)
class Backoff:
    """Waits of ``first_s``, then ``factor`` times longer each retry, never over ``max_s``."""

    first_s: float = 0.5
    max_s: float = 30.0
    factor: float = 2.0

    def next(self, delay: float) -> float:
        """The wait after one of ``delay``."""
        return min(delay * self.factor, self.max_s)


DEFAULT_BACKOFF = Backoff()


def retry_while_unavailable(
    attempt: Callable[[], T],
    *,
    what: str,
    stop: threading.Event,
    retry_on: tuple[type[Exception], ...] = UNAVAILABLE,
    backoff: Backoff = DEFAULT_BACKOFF,
    on_retry: Callable[[Exception, float], None] | None = None,
) -> T | None:
    """``attempt()``'s result, retried while it raises one of ``retry_on``; None if ``stop``
    is set while waiting.

    Every retry logs a WARNING ``<what>: <error>; retrying in N s`` and calls
    ``on_retry(error, wait)`` first (to show the error on /readyz, count it in a metric,
    or beat a liveness heart). Any other exception propagates at once: retrying cannot
    fix it.
    """
    delay = backoff.first_s
    while True:
        try:
            return attempt()
        except retry_on as exc:
            log.warning("%s: %s; retrying in %.1f s", what, exc, delay)
            if on_retry is not None:
                on_retry(exc, delay)
            if stop.wait(delay):
                return None
            delay = backoff.next(delay)
