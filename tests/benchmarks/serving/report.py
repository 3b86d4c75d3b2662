"""The serving benchmark's table, its targets, and its figures as JSON.

One block per model, a line per server: saturation 2xx/s (median and runs) at its best
concurrency and the server's CPU ms per answer; open loop: 2xx/s, p50/p99/max, failures
and CPU ms per answer; on a peer's line, streamops' req/s and CPU per request over the
peer's. Without a server named `STREAMOPS` the ratio columns and the targets read "-" /
"n/a": the peers alone are measured.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tests.benchmarks.serving.measure import CONCURRENCIES, Figures, Plan
from tests.benchmarks.serving.models import ServedModel

STREAMOPS = "streamops"
#: The issue's targets.
TARGET_RF_RPS, TARGET_VS_SKLEARN, TARGET_VS_ONNX = 3_000, 20.0, 2.0
TARGET_CPU_MS, TARGET_P99_MS = 0.3, 5.0


def print_report(
    models: list[ServedModel], results: list[Figures], plan: Plan, load: tuple[float, float]
) -> None:
    """The table, per model, and the targets (on stdout; pytest -s shows it)."""
    print(
        f"\nserving, one-row V2 request ({len(models[0].features)} named inputs), server on "
        f"core 0, oha on core 1; saturation: best of -c {'/'.join(map(str, CONCURRENCIES))}, "
        f"median of {plan.runs} x "
        f"{plan.seconds:.0f} s; open loop {plan.rate:,.0f} req/s x {plan.open_seconds:.0f} s "
        f"latency-corrected; {os.cpu_count()} cores, load {load[0]:.1f} before / "
        f"{load[1]:.1f} after"
    )
    head = f"{'server':<18}{'-c':>4}{'req/s':>8}  {'runs':<18}{'CPU ms/req':>11}"
    head += f"{'open req/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'failed':>7}{'CPU ms':>7}"
    head += f"  {'streamops/peer: req/s':>21} {'CPU/req':>8}"
    for model in models:
        rows = [f for f in results if f.model == model.key]
        print(f"\n{model.key}: {model.description}, P(fraud) of the row {model.score:.4f}")
        print(head)
        ours = next((f for f in rows if f.server == STREAMOPS), None)
        for f in rows:
            print(_row(f, plan) + _ratios(ours, f))
    _targets(results)


def _row(f: Figures, plan: Plan) -> str:
    runs = "/".join(f"{r.ok_per_s:.0f}" for r in f.saturation)
    line = f"{f.server:<18}{f.concurrency:>4}{f.rps:>8,.0f}  {runs:<18}"
    line += f"{f.cpu_ms_per_request:>11.3f}"
    o = f.open_loop
    if o is None:
        return line
    mark = "" if f.sustained(plan) else "!"  # fell behind: the rate was not sustained
    latencies = "".join(f"{_ms(x):>9}" for x in (o.p50_ms, o.p99_ms, o.max_ms))
    line += f"{o.ok_per_s:>11,.0f}{mark:1}{latencies}{o.failed:>7}"
    return line + f"{f.open_cpu_ms:>7.3f}"


def _ms(value: float) -> str:
    """Three significant figures or so, thousands separated (a backlog reaches seconds)."""
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 1_000 else f"{value:,.0f}"


def _ratios(ours: Figures | None, peer: Figures) -> str:
    """streamops' req/s over the peer's, and its CPU per request over the peer's."""
    if peer.server == STREAMOPS:
        return ""
    if ours is None:
        return f"  {'-':>21} {'-':>8}"
    rps = ours.rps / peer.rps
    cpu = ours.cpu_ms_per_request / peer.cpu_ms_per_request
    return f"  {rps:>20.1f}x {cpu:>7.2f}x"


def _targets(results: list[Figures]) -> None:
    """The issue's targets, for the random forest (n/a without streamops)."""
    ours = next((f for f in results if f.server == STREAMOPS and f.model == "rf"), None)
    peers = {f.server: f for f in results if f.model == "rf"}
    print("\n'!': fewer than 98% of the open-loop requests answered (the rate not sustained)")
    if ours is None or ours.open_loop is None:
        print("targets: n/a (streamops serving is not in the list of servers yet)")
        return
    checks = [
        (f"RF >= {TARGET_RF_RPS:,} req/s", ours.rps >= TARGET_RF_RPS),
        (f"CPU <= {TARGET_CPU_MS} ms/req", ours.cpu_ms_per_request <= TARGET_CPU_MS),
        (f"p99 <= {TARGET_P99_MS:.0f} ms at 1,000 req/s", ours.open_loop.p99_ms <= TARGET_P99_MS),
    ]
    for name, times in (("mlserver-sklearn", TARGET_VS_SKLEARN), ("mlserver-onnx", TARGET_VS_ONNX)):
        if name in peers:
            checks.append((f">= {times:.0f}x {name}", ours.rps >= times * peers[name].rps))
    print("targets: " + "; ".join(f"{n}: {'met' if ok else 'MISSED'}" for n, ok in checks))


def write_json(path: Path, results: list[Figures], plan: Plan) -> None:
    """Every run's figures, for docs/benchmarks.md and later comparison."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def clean(value: Any) -> Any:  # JSON has no NaN
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    data = {"plan": asdict(plan), "results": [clean(asdict(f)) for f in results]}
    path.write_text(json.dumps(data, indent=2))
