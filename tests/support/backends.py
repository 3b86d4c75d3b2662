"""Where the test suite gets its Kafka broker and schema registry.

In order of preference: what the environment names (KAFKA_BOOTSTRAP_SERVERS,
SCHEMA_REGISTRY_URL), containers when a Docker engine answers, else the local
launcher (the same one `make up` uses). Whatever this module starts, it stops;
what was already running it leaves alone.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from streamops_localstack import LocalStack, LocalStackSettings
from tests.support.kafka import free_ports

APICURIO_IMAGE = "apicurio/apicurio-registry:3.3.3"
KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"


@dataclass(frozen=True)
class Backends:
    """Addresses of the broker and registry the tests talk to, and who provided them."""

    bootstrap_servers: str
    schema_registry_url: str
    provider: str
    #: kill -9 the broker and start it again (its storage kept), after ``down_s`` seconds
    #: down if given; None where the suite did not start the broker itself (environment,
    #: containers)
    crash_broker: Callable[..., None] | None = None


def docker_engine_answers() -> bool:
    """True when a Docker engine is reachable (not merely a docker client installed)."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # no socket, no permission, no engine: all mean "no"
        return False
    return True


def _wait_http_ok(url: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout_s:.0f} s")
        time.sleep(0.5)


@contextlib.contextmanager
def _containers() -> Iterator[Backends]:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.network import Network
    from testcontainers.core.waiting_utils import wait_for_logs

    with Network() as network:
        kafka = (
            KafkaContainer(KAFKA_IMAGE)
            .with_kraft()
            .with_network(network)
            .with_network_aliases("kafka")
            .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .with_env("KAFKA_MESSAGE_MAX_BYTES", "33554432")
            .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
        )
        with kafka:
            registry = (
                DockerContainer(APICURIO_IMAGE)
                .with_network(network)
                .with_env("APICURIO_STORAGE_KIND", "kafkasql")
                # the BROKER listener of KafkaContainer, reachable inside the network
                .with_env("APICURIO_KAFKASQL_BOOTSTRAP_SERVERS", "kafka:9092")
                .with_exposed_ports(8080, 9000)
            )
            with registry:
                wait_for_logs(registry, "started in", timeout=120)
                host = registry.get_container_host_ip()
                port = registry.get_exposed_port(8080)
                # ready only once the KafkaSQL journal is replayed (see RegistryNode.is_ready)
                _wait_http_ok(f"http://{host}:{registry.get_exposed_port(9000)}/health/ready")
                yield Backends(
                    kafka.get_bootstrap_server(),
                    f"http://{host}:{port}/apis/ccompat/v7",
                    "testcontainers",
                )


@contextlib.contextmanager
def _local_launcher(settings: LocalStackSettings | None = None) -> Iterator[Backends]:
    stack = LocalStack(settings or LocalStackSettings(with_services=False))  # tests start theirs
    was_running = {
        "kafka": stack.kafka.process.pid() is not None,
        "registry": stack.registry.process.pid() is not None,
    }
    try:
        stack.up()

        def crash_broker(down_s: float = 0.0) -> None:
            stack.kafka.process.kill()
            time.sleep(down_s)
            stack.kafka.start()  # as `make up` would: a stale pid file, storage reused

        yield Backends(
            stack.kafka.bootstrap_servers,
            stack.registry.url,
            "local launcher",
            None if was_running["kafka"] else crash_broker,  # never someone else's broker
        )
    finally:
        if not was_running["registry"]:
            stack.registry.stop()
        if not was_running["kafka"]:
            stack.kafka.stop()


@contextlib.contextmanager
def crashable(session: Backends, var_dir: Path) -> Iterator[Backends]:
    """A broker + registry whose broker a chaos test may kill: the session's when the suite
    started it (CI always does), else a private pair from the local launcher, on free ports
    with its files under ``var_dir``, stopped afterwards. Someone else's broker (the
    environment's, a container, a developer's `make up`) is never crashed."""
    if session.crash_broker is not None:
        yield session
        return
    kafka, controller, registry, management = free_ports(4)
    settings = LocalStackSettings(
        with_services=False,
        var_dir=var_dir,
        kafka_port=kafka,
        kafka_controller_port=controller,
        registry_port=registry,
        registry_management_port=management,
    )
    with _local_launcher(settings) as private:
        yield private


@contextlib.contextmanager
def provide_backends() -> Iterator[Backends]:
    """Yield a running broker + registry for the whole test session."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    registry = os.environ.get("SCHEMA_REGISTRY_URL")
    if bootstrap and registry:
        yield Backends(bootstrap, registry, "environment")
    elif bootstrap or registry:
        raise RuntimeError(
            "set both KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL, or neither "
            "(the suite then starts its own)"
        )
    elif docker_engine_answers():
        with _containers() as backends:
            yield backends
    else:
        with _local_launcher() as backends:
            yield backends
