"""streamops serving's own app under granian instead of uvicorn: the HTTP server compared.

``python -m tests.benchmarks.serving.granian_entry PIPELINE_FILE`` starts the serving
server exactly as ``streamops run serving`` does (`streamops_serving.service.start`, the
same settings from the environment) and serves its ASGI app with granian's embedded
server: in this process, on a uvloop event loop, as uvicorn does, so that the HTTP server
is the only difference. (granian's usual server forks worker processes that would each
need their own Kafka clients.) SIGTERM and SIGINT stop it.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import uvloop
from granian.constants import Interfaces
from granian.server.embed import Server

from streamops_serving.service import start


async def _serve(server: Server) -> None:
    def stop() -> None:
        server.interrupt_signal = True
        server.main_loop_interrupt.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    await server.serve()


def main(pipeline_file: str) -> None:
    started = start(Path(pipeline_file))
    if started is None:
        return
    serving, settings = started
    server = Server(
        serving.app,
        address=settings.health_host,
        port=settings.health_port,
        interface=Interfaces.ASGI,  # with lifespan: the app's start-up and shutdown
        websockets=False,
        log_enabled=False,
    )
    uvloop.run(_serve(server))


if __name__ == "__main__":
    main(sys.argv[1])
