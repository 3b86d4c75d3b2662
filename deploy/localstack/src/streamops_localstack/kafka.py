"""The local Apache Kafka node: one KRaft process that is both broker and controller."""

from __future__ import annotations

import base64
import logging
import subprocess
import uuid
from pathlib import Path
from string import Template
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from streamops_localstack import fetch
from streamops_localstack.errors import LocalStackError
from streamops_localstack.java import require_java, system_java
from streamops_localstack.process import ManagedProcess, port_in_use
from streamops_localstack.settings import DEPLOY_DIR, LocalStackSettings

KAFKA_DEPLOY = DEPLOY_DIR / "kafka"
KAFKA_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"

# librdkafka reports every refused connection while the broker boots; that is expected here.
_quiet = logging.getLogger("streamops_localstack.librdkafka")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


def new_cluster_id() -> str:
    """A Kafka cluster id: a random UUID in URL-safe base64, not starting with '-' (as Kafka's)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


class KafkaNode:
    """Fetch, format, start, probe and stop the local broker."""

    def __init__(self, settings: LocalStackSettings) -> None:
        self.settings = settings
        self.home = settings.var_dir / "kafka"
        self.data_dir = self.home / "data"
        self.logs_dir = self.home / "logs"
        self.config_file = self.home / "server.properties"
        self.process = ManagedProcess(
            "kafka", self.home / "kafka.pid", str(self.config_file), self.logs_dir / "console.log"
        )

    @property
    def bootstrap_servers(self) -> str:
        return f"localhost:{self.settings.kafka_port}"

    @property
    def version(self) -> str:
        return fetch.pom_property(KAFKA_DEPLOY / "pom.xml", "kafka.version")

    def jars(self) -> Path:
        """The directory of broker jars, fetched with Maven on first use."""
        pom = KAFKA_DEPLOY / "pom.xml"
        target = self.settings.cache_dir / f"kafka-{self.version}" / "libs"
        return fetch.fetch_once(
            target,
            lambda staging: fetch.run_maven(
                pom,
                "dependency:copy-dependencies",
                {"outputDirectory": str(staging)},
                f"Apache Kafka {self.version} jars",
            ),
        )

    def start(self) -> None:
        """Start the broker (formatting its storage on first start) and wait until it answers."""
        if self.process.pid() is not None:
            self.wait_ready()
            return
        for port in (self.settings.kafka_port, self.settings.kafka_controller_port):
            if port_in_use(port):
                raise LocalStackError(
                    f"port {port} is in use by another process: stop it, or choose other ports "
                    "with STREAMOPS_LOCAL_KAFKA_PORT / STREAMOPS_LOCAL_KAFKA_CONTROLLER_PORT"
                )
        java = require_java(self.settings.java or system_java(), 17, "Apache Kafka 4")
        classpath = f"{self.jars()}/*"
        self._write_config()
        self._format_storage(java, classpath)
        self.process.start(
            [
                str(java),
                f"-Xmx{self.settings.kafka_heap}",
                *self._jvm_flags(),
                "-cp",
                classpath,
                KAFKA_MAIN,
                str(self.config_file),
            ],
            env={},
            cwd=self.home,
        )
        self.wait_ready()

    def _jvm_flags(self) -> list[str]:
        return [
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_DEPLOY / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.logs_dir}",
        ]

    def _write_config(self) -> None:
        template = Template((KAFKA_DEPLOY / "server.properties").read_text())
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(
            template.substitute(
                port=self.settings.kafka_port,
                controller_port=self.settings.kafka_controller_port,
                data_dir=self.data_dir,
            )
        )

    def _format_storage(self, java: Path, classpath: str) -> None:
        """Format KRaft storage once; a second start reuses it (and all its data)."""
        if (self.data_dir / "meta.properties").is_file():
            return
        done = subprocess.run(
            [
                str(java),
                *self._jvm_flags(),
                "-cp",
                classpath,
                STORAGE_TOOL,
                "format",
                "--cluster-id",
                new_cluster_id(),
                "--config",
                str(self.config_file),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise LocalStackError(f"formatting Kafka storage failed:\n{done.stdout}{done.stderr}")

    def is_ready(self, timeout_s: float = 2.0) -> bool:
        """True when the broker answers a metadata request."""
        config: dict[str, Any] = {  # the stubs do not know the (real) "logger" option
            "bootstrap.servers": self.bootstrap_servers,
            "logger": _quiet,
            "socket.connection.setup.timeout.ms": 1000,
        }
        admin = AdminClient(config)
        try:
            metadata = admin.list_topics(timeout=timeout_s)
        except KafkaException:
            return False
        return bool(metadata.brokers)

    def wait_ready(self) -> None:
        """Block until the broker answers metadata; fail early if the process dies."""
        self.process.wait_until(
            self.is_ready, self.settings.start_timeout_s, self.bootstrap_servers
        )

    def stop(self) -> bool:
        """Controlled shutdown (SIGTERM); False if it was not running."""
        return self.process.stop(timeout_s=60.0)
