"""One server, one model: saturation throughput, CPU per request, open-loop latency.

The server is started (pinned to its core), must answer the model's score for the
request, is warmed up, then measured with oha on the other core:

1. the closed-loop concurrency with the most answers per second, of `CONCURRENCIES`
   (a short run each);
2. saturation: `Plan.runs` closed-loop runs of `Plan.seconds` at that concurrency, and
   the server's CPU time per 2xx answer over each (`cpu.tree_cpu_seconds`);
3. open loop at `Plan.rate` requests/s for `Plan.open_seconds`, latency-corrected: the
   latency a client sees at that load, and whether the server kept up.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from tests.benchmarks.serving.cpu import tree_cpu_seconds
from tests.benchmarks.serving.models import ServedModel, answers_score
from tests.benchmarks.serving.oha import LoadResult, pause, run_oha
from tests.benchmarks.serving.server import ServerUnderTest

HEADERS = {"Content-Type": "application/json"}
CONCURRENCIES = (4, 16, 32)
#: Connections of the open-loop run: room for ~30 ms of stall at 1,000 req/s.
OPEN_CONNECTIONS = 32
#: An open-loop run kept up if it answered this share of the requests due.
SUSTAINED = 0.98


@dataclass(frozen=True)
class Plan:
    """How long and how often to measure."""

    runs: int = 3
    seconds: float = 8.0
    probe_seconds: float = 2.0
    rate: float = 1_000.0
    open_seconds: float = 10.0


@dataclass
class Figures:
    """What one server did with one model."""

    server: str
    model: str
    concurrency: int = 0
    probes: dict[int, float] = field(default_factory=dict)  # connections -> 2xx/s
    saturation: list[LoadResult] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # server CPU ms per 2xx, each run
    open_loop: LoadResult | None = None
    open_cpu_ms: float = float("nan")

    @property
    def rps(self) -> float:
        """Median 2xx answers per second at saturation."""
        return statistics.median(r.ok_per_s for r in self.saturation)

    @property
    def cpu_ms_per_request(self) -> float:
        """Median server CPU milliseconds per 2xx answer at saturation."""
        return statistics.median(self.cpu_ms)

    def sustained(self, plan: Plan) -> bool:
        """Whether the open-loop run answered (2xx) at least `SUSTAINED` of the rate."""
        return self.open_loop is not None and self.open_loop.ok_per_s >= SUSTAINED * plan.rate


def measure(server: ServerUnderTest, model: ServedModel, body: Path, plan: Plan) -> Figures:
    """Start ``server``, check its answer, measure it as the module says, stop it."""
    figures = Figures(server.name, model.key)
    server.start()
    try:
        answer = json.loads(server.post(model.body, HEADERS))
        assert answers_score(answer, model.score), f"{server.name}: {answer} != {model.score}"
        run_oha(server.url, body, HEADERS, plan.probe_seconds, 16)  # warm-up
        pause()
        for connections in CONCURRENCIES:
            probe = run_oha(server.url, body, HEADERS, plan.probe_seconds, connections)
            figures.probes[connections] = probe.ok_per_s
            pause()
        figures.concurrency = max(figures.probes, key=lambda c: figures.probes[c])
        for _ in range(plan.runs):
            result, cpu_ms = _with_cpu(server, body, plan.seconds, figures.concurrency, None)
            figures.saturation.append(result)
            figures.cpu_ms.append(cpu_ms)
            pause()
        figures.open_loop, figures.open_cpu_ms = _with_cpu(
            server, body, plan.open_seconds, OPEN_CONNECTIONS, plan.rate
        )
    finally:
        server.stop()
    return figures


def _with_cpu(
    server: ServerUnderTest, body: Path, seconds: float, connections: int, rate: float | None
) -> tuple[LoadResult, float]:
    """One oha run and the server's CPU milliseconds per 2xx answer during it."""
    before = tree_cpu_seconds(server.pid)
    result = run_oha(server.url, body, HEADERS, seconds, connections, rate)
    used = tree_cpu_seconds(server.pid) - before
    assert result.ok > 0, f"{server.name} answered nothing: {result}"
    return result, 1_000.0 * used / result.ok
