"""The local schema registry: Apicurio Registry 3 with KafkaSQL storage and its Confluent API."""

from __future__ import annotations

from pathlib import Path

import httpx

from streamops_localstack import fetch
from streamops_localstack.errors import LocalStackError
from streamops_localstack.java import bundled_java, require_java
from streamops_localstack.process import ManagedProcess, port_in_use
from streamops_localstack.settings import DEPLOY_DIR, LocalStackSettings

REGISTRY_DEPLOY = DEPLOY_DIR / "registry"
CCOMPAT_PATH = "/apis/ccompat/v7"


class RegistryNode:
    """Fetch, start, probe and stop the local Apicurio Registry.

    Its only storage is a journal topic in Kafka (KafkaSQL), so schema ids survive
    restarts and any number of registry processes can share one cluster.
    """

    def __init__(self, settings: LocalStackSettings, kafka_bootstrap_servers: str) -> None:
        self.settings = settings
        self.kafka_bootstrap_servers = kafka_bootstrap_servers
        self.home = settings.var_dir / "registry"
        self.logs_dir = self.home / "logs"
        # The marker names this stack's registry home, which is on the JVM command line.
        self.process = ManagedProcess(
            "registry",
            self.home / "registry.pid",
            f"-Dstreamops.home={self.home}",
            self.logs_dir / "console.log",
        )

    @property
    def url(self) -> str:
        """What Confluent clients (SchemaRegistryClient, kcat -s, Connect) are pointed at."""
        return f"http://localhost:{self.settings.registry_port}{CCOMPAT_PATH}"

    @property
    def version(self) -> str:
        return fetch.pom_property(REGISTRY_DEPLOY / "pom.xml", "apicurio.version")

    def distribution(self) -> Path:
        """The unpacked Quarkus application, fetched with Maven on first use."""
        target = self.settings.cache_dir / f"apicurio-registry-{self.version}"
        return fetch.fetch_once(
            target,
            lambda staging: fetch.run_maven(
                REGISTRY_DEPLOY / "pom.xml",
                "dependency:unpack",
                {"registry.dir": str(staging)},
                f"Apicurio Registry {self.version}",
            ),
        )

    def start(self) -> None:
        """Start the registry against the local broker and wait until its API answers."""
        if self.process.pid() is not None:
            self.wait_ready()
            return
        for port, variable in (
            (self.settings.registry_port, "REGISTRY_PORT"),
            (self.settings.registry_management_port, "REGISTRY_MANAGEMENT_PORT"),
        ):
            if port_in_use(port):
                raise LocalStackError(
                    f"port {port} is in use by another process: stop it, or choose another "
                    f"port with STREAMOPS_LOCAL_{variable}"
                )
        java = require_java(
            self.settings.registry_java or bundled_java(), 21, "Apicurio Registry 3"
        )
        app = self.distribution()
        self.home.mkdir(parents=True, exist_ok=True)
        self.process.start(
            [
                str(java),
                f"-Xmx{self.settings.registry_heap}",
                f"-Dstreamops.home={self.home}",
                # A registry's hot path is tiny; C1 alone starts Quarkus noticeably sooner.
                "-XX:TieredStopAtLevel=1",
                "-jar",
                str(app / "quarkus-run.jar"),
            ],
            env={
                "APICURIO_STORAGE_KIND": "kafkasql",
                "APICURIO_KAFKASQL_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
                # The Confluent API lists at most 1,000 subjects by default, so the contract
                # check would miss topic subjects on a registry that has seen many pipelines.
                "APICURIO_CCOMPAT_MAX_SUBJECTS": "1000000",
                "QUARKUS_HTTP_HOST": "127.0.0.1",
                "QUARKUS_HTTP_PORT": str(self.settings.registry_port),
                # Apicurio always opens a management (health) interface; keep it on loopback.
                "QUARKUS_MANAGEMENT_HOST": "127.0.0.1",
                "QUARKUS_MANAGEMENT_PORT": str(self.settings.registry_management_port),
                "QUARKUS_LOG_FILE_ENABLE": "true",
                "QUARKUS_LOG_FILE_PATH": str(self.logs_dir / "registry.log"),
                "QUARKUS_LOG_CONSOLE_ENABLE": "false",
            },
            cwd=self.home,
        )
        self.wait_ready()

    def is_ready(self, timeout_s: float = 2.0) -> bool:
        """True when the registry has replayed its journal and the Confluent API answers.

        The API answers while the KafkaSQL journal is still being replayed, with part of
        the schemas; only the readiness check knows when the replay has caught up.
        """
        health = f"http://127.0.0.1:{self.settings.registry_management_port}/health/ready"
        try:
            return (
                httpx.get(health, timeout=timeout_s).status_code == 200
                and httpx.get(f"{self.url}/subjects", timeout=timeout_s).status_code == 200
            )
        except httpx.HTTPError:
            return False

    def wait_ready(self) -> None:
        """Block until the API answers; fail early if the process dies."""
        self.process.wait_until(self.is_ready, self.settings.start_timeout_s, self.url)

    def stop(self) -> bool:
        """Graceful stop (SIGTERM); False if it was not running."""
        return self.process.stop(timeout_s=30.0)
