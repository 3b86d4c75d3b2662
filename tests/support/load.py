"""An open-loop HTTP load generator for the serving tests, run as its own process.

Requests are due at a fixed rate whether or not earlier ones have been answered; each
latency runs from when the request was due, not from when a connection was free (the
coordinated-omission correction of wrk2 and oha), over keep-alive connections.

``python -m tests.support.load URL RATE SECONDS BODY_FILE [--connections N] [--samples FILE]``
prints one JSON object: sent, answers by status, failures (connection errors, timeouts),
latency percentiles in milliseconds, and the achieved rate. ``--samples`` also writes every
answer's due time and latency in seconds as a JSON list of pairs; the due times are
`time.perf_counter()`, the system's monotonic clock, so another process can tell which
answers fell into which of its own intervals.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit


async def _connection(
    host: str, port: int, request: bytes, due: asyncio.Queue[float | None], out: dict
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    while True:
        at = await due.get()
        if at is None:
            break
        try:
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await asyncio.wait_for(reader.readexactly(length), 10)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            out["failures"] += 1
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
            continue
        out["samples"].append((at, time.perf_counter() - at))
        out["statuses"][status] = out["statuses"].get(status, 0) + 1
    writer.close()


async def run(url: str, rate: float, seconds: float, body: bytes, connections: int) -> dict:
    """Send ``body`` to ``url`` at ``rate`` per second for ``seconds``; the figures."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    out: dict = {"samples": [], "statuses": {}, "failures": 0}
    due: asyncio.Queue[float | None] = asyncio.Queue()
    workers = [
        asyncio.create_task(_connection(host, port, request, due, out)) for _ in range(connections)
    ]
    start = time.perf_counter()
    total = int(rate * seconds)
    for i in range(total):
        at = start + i / rate
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        due.put_nowait(at)
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    latencies = sorted(latency for _, latency in out["samples"])

    def pct(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 3)

    return {
        "sent": total,
        "statuses": out["statuses"],
        "failures": out["failures"],
        "p50_ms": pct(0.5) if latencies else None,
        "p99_ms": pct(0.99) if latencies else None,
        "max_ms": pct(1.0) if latencies else None,
        "rate": round(len(latencies) / elapsed, 1),
        "samples": out["samples"],
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.load")
    parser.add_argument("url")
    parser.add_argument("rate", type=float)
    parser.add_argument("seconds", type=float)
    parser.add_argument("body", type=Path)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--samples", type=Path, help="write (due, latency) pairs here")
    args = parser.parse_args(argv)
    body = args.body.read_bytes()
    figures = asyncio.run(run(args.url, args.rate, args.seconds, body, args.connections))
    samples = figures.pop("samples")
    if args.samples is not None:
        args.samples.write_text(json.dumps(samples))
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
