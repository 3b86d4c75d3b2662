"""The streamops services of the local stack: `streamops run NAME` processes beside Kafka."""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from streamops_localstack.errors import LocalStackError
from streamops_localstack.process import ManagedProcess, port_in_use
from streamops_localstack.settings import DEPLOY_DIR, LocalStackSettings


@dataclass(frozen=True)
class ServiceSpec:
    """A service `make up` runs, the port of its probes, and the probe that says it started."""

    name: str
    port: int
    started_when: str = "/readyz"


#: Started in this order (ingestion first: it is what users call), stopped in reverse.
SERVICES = (
    ServiceSpec("ingestion", 8001),
    ServiceSpec("validation", 8002),
    ServiceSpec("features", 8003),
    ServiceSpec("training", 8004),
    # ready only once a champion is loaded, which takes data and a training run: the stack
    # waits for it to be live; `make status` shows its /readyz
    ServiceSpec("serving", 8005, started_when="/healthz"),
    ServiceSpec("monitoring", 8006),
)


class ServiceNode:
    """One service of the local stack, started with the stack's pipeline spec under its
    supervisor (`supervise`: started again when it stops itself or fails its liveness
    probe); the pid file and `stop` are the supervisor's."""

    def __init__(
        self, settings: LocalStackSettings, spec: ServiceSpec, bootstrap: str, registry_url: str
    ) -> None:
        self.settings = settings
        self.spec = spec
        self.home = settings.var_dir / "services" / spec.name
        self.env = {
            "STREAMOPS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "STREAMOPS_SCHEMA_REGISTRY_URL": registry_url,
            "STREAMOPS_STREAM_INSTANCE_ID": f"local-{spec.name}",
            # every service serves /readyz on STREAMOPS_<SERVICE>_HEALTH_PORT
            f"STREAMOPS_{spec.name.upper()}_HEALTH_PORT": str(spec.port),
        }
        self.process = ManagedProcess(
            spec.name,
            self.home / f"{spec.name}.pid",
            f"--tag={self.home}",
            self.home / "service.log",
        )

    @property
    def url(self) -> str:
        return f"http://localhost:{self.spec.port}"

    def start(self) -> None:
        """Start the service unless it runs, and wait until /readyz answers 200."""
        if self.process.pid() is None:
            if port_in_use(self.spec.port):
                raise LocalStackError(
                    f"port {self.spec.port} ({self.spec.name}) is in use by "
                    "another process: stop it first"
                )
            streamops = Path(sys.executable).parent / "streamops"
            if not streamops.exists():
                raise LocalStackError(f"{streamops} not found: run `make setup`")
            self.home.mkdir(parents=True, exist_ok=True)
            self.process.start(
                [
                    sys.executable,
                    "-m",
                    "streamops_localstack.supervise",
                    f"--name={self.spec.name}",
                    f"--health-port={self.spec.port}",
                    f"--tag={self.home}",
                    "--",
                    str(streamops),
                    "run",
                    self.spec.name,
                    "--pipeline",
                    str(self.settings.pipeline),
                    f"--tag={self.home}/service",
                ],
                env={**self.env, "STREAMOPS_PII_SALT": local_salt(self.settings.var_dir)},
                cwd=DEPLOY_DIR.parent,
            )
        self.wait_ready()

    def is_ready(self, timeout_s: float = 2.0) -> bool:
        try:
            return httpx.get(f"{self.url}/readyz", timeout=timeout_s).status_code == 200
        except httpx.HTTPError:
            return False

    def is_started(self, timeout_s: float = 2.0) -> bool:
        try:
            probe = f"{self.url}{self.spec.started_when}"
            return httpx.get(probe, timeout=timeout_s).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self) -> None:
        """Block until it has started; fail early if the process dies."""
        probe = f"{self.url}{self.spec.started_when}"
        self.process.wait_until(self.is_started, self.settings.start_timeout_s, probe)

    def stop(self) -> bool:
        return self.process.stop(timeout_s=30.0)


def local_salt(var_dir: Path) -> str:
    """The PII salt of this local stack: the environment's, else one made once and kept."""
    if os.environ.get("STREAMOPS_PII_SALT"):
        return os.environ["STREAMOPS_PII_SALT"]
    file = var_dir / "pii-salt"
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(secrets.token_hex(16))
        file.chmod(0o600)
    return file.read_text().strip()
