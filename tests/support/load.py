"""An open-loop HTTP load generator for the serving tests, run as its own process.

Requests are due at a fixed rate whether or not earlier ones have been answered; each
latency runs from when the request was due, not from when a connection was free (the
coordinated-omission correction of wrk2 and oha), over keep-alive connections.

``python -m tests.support.load URL RATE SECONDS BODY_FILE [CONNECTIONS]`` prints one JSON
object: sent, answers by status, failures (connection errors, timeouts), latency
percentiles in milliseconds, and the achieved rate.
"""

from __future__ import annotations

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
        out["latencies"].append(time.perf_counter() - at)
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
    out: dict = {"latencies": [], "statuses": {}, "failures": 0}
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
    latencies = sorted(out["latencies"])

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
    }


if __name__ == "__main__":
    url, rate, seconds, body_file = sys.argv[1:5]
    connections = int(sys.argv[5]) if len(sys.argv) > 5 else 16
    body = Path(body_file).read_bytes()
    print(json.dumps(asyncio.run(run(url, float(rate), float(seconds), body, connections))))
