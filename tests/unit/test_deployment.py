"""The deployment files (Dockerfile, docker-compose.yml, deploy/k8s) validate, and say what
the code says: every service, its health port and probe path, the image's entry point.

No container or cluster runs here: `make lint-deploy` is the static check (compose-go, the
library of `docker compose config`; kustomize + kubeconform against pinned schemas), run
on the real files and on broken copies, so that it is shown to fail when it should.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from streamops.cli import app
from streamops.service.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / ".cache" / "tools" / "bin"
COMPOSE = REPO / "docker-compose.yml"
K8S_BASE = REPO / "deploy" / "k8s" / "base"
K8S_TREES = sorted(p.parent for p in (REPO / "deploy" / "k8s").glob("**/kustomization.yaml"))
#: services that read a topic in a consumer group, so run as several replicas
CONSUMER_GROUPS = {"validation", "features", "serving", "monitoring"}


def _services() -> dict[str, int]:
    """Each service `streamops run NAME` knows (services/*/pyproject.toml), and the default
    of its STREAMOPS_<SERVICE>_HEALTH_PORT."""
    ports = {}
    for project in sorted(REPO.glob("services/*/pyproject.toml")):
        entry = tomllib.loads(project.read_text())["project"]["entry-points"]
        for name, target in entry["streamops.services"].items():
            module = importlib.import_module(target.split(":")[0].rsplit(".", 1)[0] + ".settings")
            (settings,) = [
                cls
                for cls in vars(module).values()
                if isinstance(cls, type)
                and issubclass(cls, ServiceSettings)
                and cls is not ServiceSettings
            ]
            ports[name] = settings.model_fields["health_port"].default
    return ports


SERVICES = _services()


def _lint_deploy(**variables: str) -> subprocess.CompletedProcess[str]:
    tools = [TOOLS / name for name in ("compose-check", "kustomize", "kubeconform")]
    if missing := [str(t) for t in tools if not t.exists()]:
        pytest.fail(f"{', '.join(missing)} missing: run `make setup`")
    command = ["make", "-s", "--no-print-directory", "-C", str(REPO), "lint-deploy"]
    command += [f"{key}={value}" for key, value in variables.items()]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def _render(tree: Path) -> list[dict[str, Any]]:
    kustomize = TOOLS / "kustomize"
    if not kustomize.exists():
        pytest.fail(f"{kustomize} missing: run `make setup`")
    out = subprocess.run(
        [str(kustomize), "build", str(tree)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_every_service_is_found() -> None:
    assert set(SERVICES) == {
        "ingestion",
        "validation",
        "features",
        "training",
        "serving",
        "monitoring",
    }
    assert len(set(SERVICES.values())) == len(SERVICES), "two services share a health port"


# --- the static checks pass, and fail on broken files ------------------------------------


def test_compose_file_and_manifests_pass_lint_deploy() -> None:
    done = _lint_deploy()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid, services:" in done.stdout
    assert done.stdout.count("Invalid: 0, Errors: 0") == len(K8S_TREES) >= 2, done.stdout


def test_lint_deploy_rejects_a_compose_file_outside_the_spec(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("    healthcheck:\n", "    healthchek:\n", 1))
    done = _lint_deploy(COMPOSE_FILES=str(broken))
    assert done.returncode != 0
    assert "healthchek" in done.stderr


def test_lint_deploy_rejects_a_dependency_on_a_missing_service(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("registry: {condition", "regsitry: {condition"))
    done = _lint_deploy(COMPOSE_FILES=str(broken))
    assert done.returncode != 0
    assert "regsitry" in done.stderr


def test_lint_deploy_rejects_a_manifest_outside_the_kubernetes_schema(tmp_path: Path) -> None:
    broken = tmp_path / "base"
    shutil.copytree(K8S_BASE, broken)
    serving = broken / "serving.yaml"
    serving.write_text(serving.read_text().replace("containerPort:", "containerPorts:"))
    done = _lint_deploy(K8S_TREES=str(broken))
    assert done.returncode != 0
    assert "containerPorts" in done.stdout


# --- the image ---------------------------------------------------------------------------


def _dockerfile_instructions(name: str) -> list[str]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(name + " ")]


def test_image_entrypoint_is_streamops_run() -> None:
    assert json.loads(_dockerfile_instructions("ENTRYPOINT")[-1]) == ["streamops", "run"]
    scripts = tomllib.loads((REPO / "libs/streamops/pyproject.toml").read_text())["project"]
    assert scripts["scripts"]["streamops"] == "streamops.cli:main"
    assert "run" in [command.name for command in app.registered_commands]


def test_image_is_built_from_the_lock_with_the_pinned_uv_and_python() -> None:
    makefile = (REPO / "Makefile").read_text()
    uv_version = re.search(r"^UV_VERSION\s*:=\s*(\S+)", makefile, re.M)
    assert uv_version is not None
    assert f"ghcr.io/astral-sh/uv:{uv_version[1]} " in (REPO / "Dockerfile").read_text()
    bases = [f.split()[0] for f in _dockerfile_instructions("FROM")]
    assert all(re.fullmatch(r"[\w./-]+:[\w.-]+", base) for base in bases), bases
    assert all(b.startswith("python:3.11.") for b in bases if b.startswith("python")), bases
    (sync,) = [r for r in _dockerfile_instructions("RUN") if "uv sync" in r]
    assert "--frozen" in sync and "--no-dev" in sync
    assert "USER 10001:10001" in (REPO / "Dockerfile").read_text()


def test_image_exposes_every_health_port() -> None:
    exposed = {int(p) for e in _dockerfile_instructions("EXPOSE") for p in e.split()}
    assert exposed == set(SERVICES.values())


# --- docker-compose.yml ------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_compose_runs_every_service_from_the_image_on_its_port() -> None:
    compose = _compose()["services"]
    for name, port in SERVICES.items():
        service = compose[name]
        assert service["build"] == "." and service["image"].startswith("streamops:"), name
        assert service["command"][0] == name
        assert service["environment"][f"STREAMOPS_{name.upper()}_HEALTH_PORT"] == str(port)
        assert service["ports"] == [f"{port}:{port}"]
        assert f"127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])
        assert {"kafka", "registry"} <= set(service["depends_on"])


def test_compose_services_reach_kafka_and_the_confluent_registry() -> None:
    compose = _compose()["services"]
    kafka_listener = compose["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    registry = compose["registry"]
    assert registry["image"].startswith("confluentinc/cp-schema-registry:")
    for name in SERVICES:
        env = compose[name]["environment"]
        assert f"PLAINTEXT://{env['STREAMOPS_KAFKA_BOOTSTRAP_SERVERS']}" in kafka_listener
        assert env["STREAMOPS_SCHEMA_REGISTRY_URL"] == "http://registry:8081"
        assert env["STREAMOPS_PII_SALT"].startswith("${STREAMOPS_PII_SALT:?")


def test_compose_prometheus_scrapes_every_service() -> None:
    prometheus = _compose()["services"]["prometheus"]
    mounted = {v.split(":")[1]: REPO / v.split(":")[0] for v in prometheus["volumes"] if ":" in v}
    config = mounted["/etc/prometheus/prometheus.yml"]
    assert config.name == "prometheus.compose.yml"
    (job,) = yaml.safe_load(config.read_text())["scrape_configs"]
    targets = {t for c in job["static_configs"] for t in c["targets"]}
    assert targets == {f"{name}:{port}" for name, port in SERVICES.items()}
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not on PATH: run `make setup`")
    checked = subprocess.run([promtool, "check", "config", str(config)], capture_output=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_compose_grafana_provisions_the_dashboard_and_the_prometheus() -> None:
    compose = _compose()["services"]
    grafana = compose["grafana"]
    mounts = {v.split(":")[1]: REPO / v.split(":")[0] for v in grafana["volumes"] if "/" in v}
    provisioning = mounts["/etc/grafana/provisioning"]
    (provider,) = yaml.safe_load((provisioning / "dashboards/streamops.yml").read_text())[
        "providers"
    ]
    dashboard = mounts[f"{provider['options']['path']}/streamops.json"]
    assert dashboard == REPO / "deploy/grafana/streamops.json"
    (source,) = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())[
        "datasources"
    ]
    assert source["type"] == "prometheus"
    assert source["url"] == f"http://prometheus:{compose['prometheus']['ports'][0].split(':')[1]}"


def test_compose_keeps_the_model_cards_on_a_volume() -> None:
    training = _compose()["services"]["training"]
    (volume,) = training["volumes"]
    name, path = volume.split(":")
    assert name in _compose()["volumes"]
    assert path == "/var/lib/streamops/cards"
    assert f"STREAMOPS_TRAINING_CARDS_DIR={path}" in (REPO / "Dockerfile").read_text()


# --- deploy/k8s --------------------------------------------------------------------------


@pytest.mark.parametrize("tree", K8S_TREES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_k8s_runs_every_service_with_probes_on_its_port(tree: Path) -> None:
    docs = _render(tree)
    workloads = {
        d["metadata"]["name"]: d for d in docs if d["kind"] in ("Deployment", "StatefulSet")
    }
    assert set(workloads) == set(SERVICES)
    for name, port in SERVICES.items():
        pod = workloads[name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["image"].startswith("streamops:")
        assert container["args"][0] == name
        assert container["ports"] == [{"name": "health", "containerPort": port}]
        assert _env(container)[f"STREAMOPS_{name.upper()}_HEALTH_PORT"] == str(port)
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "STREAMOPS_PII_SALT" in _env(container)
        assert pod["securityContext"]["runAsNonRoot"] is True
        services = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == name]
        assert services[0]["spec"]["ports"][0]["port"] == port


def test_k8s_consumer_groups_run_replicas_with_stable_instance_ids() -> None:
    workloads = {
        d["metadata"]["name"]: d
        for d in _render(K8S_BASE)
        if d["kind"] in ("Deployment", "StatefulSet")
    }
    for name in CONSUMER_GROUPS:
        workload = workloads[name]
        assert workload["kind"] == "StatefulSet", name
        assert workload["spec"]["replicas"] >= 2, name
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        assert _env(container)["STREAMOPS_STREAM_INSTANCE_ID"] == {
            "fieldRef": {"fieldPath": "metadata.name"}
        }
    training = workloads["training"]["spec"]
    assert training["replicas"] == 1 and training["strategy"]["type"] == "Recreate"
