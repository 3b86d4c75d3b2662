"""deploy/k8s's probes on a service's /healthz, as the local stack's supervisor (and the
tests' service sets) apply them: a start gets `STARTUP_S` to answer; after its first
answer, a service that answers anything but 200 (a stage stuck, or whose consumer is
unusable: `streamops.runtime.Stage.live`), or goes `LIVENESS_S` without answering, is
killed and started again."""

from __future__ import annotations

import httpx

#: deploy/k8s's startup probe: /healthz answers within 5 min of a start (60 x 5 s) ...
STARTUP_S = 300.0
#: ... and its liveness probe: then it does not go 60 s without an answer (6 x 10 s)
LIVENESS_S = 60.0


class Liveness:
    """The probe's verdicts on one run of a service."""

    def __init__(self, started: float) -> None:
        self.last = started  #: when /healthz last answered, or the run started
        self.answered = False  #: whether it has answered since the run started

    def failed(self, status: int | None, now: float) -> bool:
        """After one probe at ``now``: ``status`` is what /healthz answered, None if it did
        not answer."""
        if status is None:
            return now - self.last > (LIVENESS_S if self.answered else STARTUP_S)
        self.last, self.answered = now, True
        return status != 200


def health_status(port: int, timeout_s: float = 3.0) -> int | None:
    """The HTTP status of ``GET /healthz`` on localhost's ``port``, None without an answer."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=timeout_s).status_code
    except httpx.HTTPError:
        return None
