"""The load generator: oha (Rust), installed into ``.cache/tools`` if missing, run pinned
to the load core, its JSON summary read into a `LoadResult`.

Two modes, both HTTP/1.1 with keep-alive: closed loop (``-c`` connections, each sends its
next request when the last is answered: the saturation throughput) and open loop
(``-q`` requests per second whatever the answers, ``--latency-correction``: a latency
counts from when the request was due, not from when a free connection sent it, so a
server that falls behind shows it instead of slowing the generator down).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
TOOLS = REPO / ".cache" / "tools"
OHA = TOOLS / "bin" / "oha"
OHA_VERSION = "1.16.0"  # the newest on crates.io that builds (with Rust 1.95)
#: The load generator's core; the server has the other (`server.SERVER_CORE`).
LOAD_CORE = 1
#: oha's name for the requests still in flight when ``-z`` runs out (not the server's fault).
DEADLINE_ERROR = "aborted due to deadline"


@dataclass(frozen=True)
class LoadResult:
    """What one oha run measured; latencies in milliseconds, over answered requests."""

    seconds: float  # the run's wall time, as oha measured it
    ok: int  # 2xx answers
    statuses: dict[int, int]  # answers by HTTP status, 2xx included
    errors: dict[str, int]  # requests without an answer, by oha's reason (deadline aborts out)
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def ok_per_s(self) -> float:
        """2xx answers per second."""
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        """Requests that did not get a 2xx: non-2xx statuses and errors."""
        return sum(n for s, n in self.statuses.items() if not 200 <= s < 300) + sum(
            self.errors.values()
        )


def ensure_oha() -> Path:
    """The oha binary, built with ``cargo install --locked`` first if it is missing or
    not `OHA_VERSION` (a few minutes on two cores)."""
    if OHA.exists() and OHA_VERSION in _version(OHA):
        return OHA
    cargo = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    if not Path(cargo).exists():
        raise FileNotFoundError("cargo not found: install Rust (https://rustup.rs) for oha")
    command = [cargo, "install", "oha", "--version", OHA_VERSION, "--locked", "--force"]
    subprocess.run([*command, "--root", str(TOOLS)], check=True)
    return OHA


def _version(binary: Path) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return done.stdout


def run_oha(
    url: str,
    body: Path,
    headers: dict[str, str],
    seconds: float,
    connections: int,
    rate: float | None = None,
) -> LoadResult:
    """POST ``body`` to ``url`` for ``seconds``: closed loop with ``connections``, or open
    loop at ``rate`` requests/s (latency-corrected, in-flight requests waited for)."""
    command = ["taskset", "-c", str(LOAD_CORE), str(OHA), url, "-m", "POST", "-D", str(body)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-z", f"{seconds}s", "-c", str(connections), "--worker-threads", "1"]
    command += ["--no-tui", "--output-format", "json"]
    if rate is not None:
        command += [
            "-q",
            str(rate),
            "--latency-correction",
            "--wait-ongoing-requests-after-deadline",
        ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"oha failed ({done.returncode}): {done.stderr.strip()}")
    return parse_oha_json(done.stdout)


def parse_oha_json(text: str) -> LoadResult:
    """oha's ``--output-format json`` summary as a `LoadResult` (latencies: seconds -> ms)."""
    data = json.loads(text)
    statuses = {int(k): int(v) for k, v in data["statusCodeDistribution"].items()}
    errors = {k: int(v) for k, v in data["errorDistribution"].items() if k != DEADLINE_ERROR}
    percentiles = data["latencyPercentiles"]

    def ms(value: float | None) -> float:
        return float("nan") if value is None else 1_000.0 * value

    return LoadResult(
        seconds=float(data["summary"]["total"]),
        ok=sum(n for s, n in statuses.items() if 200 <= s < 300),
        statuses=statuses,
        errors=errors,
        p50_ms=ms(percentiles.get("p50")),
        p90_ms=ms(percentiles.get("p90")),
        p99_ms=ms(percentiles.get("p99")),
        max_ms=ms(data["summary"].get("slowest")),
    )


def pause(seconds: float = 1.0) -> None:
    """Let the server drain between runs (its sockets close, its queue empties)."""
    time.sleep(seconds)
