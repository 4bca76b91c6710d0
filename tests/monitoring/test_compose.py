"""docker-compose.yml and Grafana provisioning, checked without Docker."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from backtrader_engine.monitoring.dashboards import DATASOURCE_UID

from .conftest import MONITORING

PROVISIONING = MONITORING / "grafana" / "provisioning"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path → host path of the service's bind mounts (relative to monitoring/)."""
    out = {}
    for volume in service["volumes"]:
        host, container = volume.split(":")[:2]
        if host.startswith("./"):
            out[container] = host
    return out


def test_compose_services_ports_and_env() -> None:
    compose = load(MONITORING / "docker-compose.yml")
    prometheus, grafana = compose["services"]["prometheus"], compose["services"]["grafana"]
    assert "9090:9090" in prometheus["ports"] and "3000:3000" in grafana["ports"]
    assert "--storage.tsdb.retention.time=${PROMETHEUS_RETENTION:-15d}" in prometheus["command"]
    assert "host.docker.internal:host-gateway" in prometheus["extra_hosts"]
    password = grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert password.startswith("${GRAFANA_PASSWORD:?")  # required, never a default
    assert set(compose["volumes"]) == {"prometheus-data", "grafana-data"}


def test_compose_mounts_exist_and_match_the_configs() -> None:
    compose = load(MONITORING / "docker-compose.yml")
    prometheus = _mounts(compose["services"]["prometheus"])
    grafana = _mounts(compose["services"]["grafana"])
    for host in (*prometheus.values(), *grafana.values()):
        assert (MONITORING / host).exists(), host
    config_path = next(c for c in compose["services"]["prometheus"]["command"]
                       if c.startswith("--config.file="))
    config_in_container = config_path.split("=", 1)[1]
    assert prometheus[config_in_container] == "./prometheus.yml"
    rules_dir = Path(config_in_container).parent
    for rule_file in load(MONITORING / "prometheus.yml")["rule_files"]:
        assert str(rules_dir / rule_file) in prometheus
    assert grafana["/etc/grafana/provisioning"] == "./grafana/provisioning"
    provider = load(PROVISIONING / "dashboards" / "backtrader.yml")["providers"][0]
    assert grafana[provider["options"]["path"]] == "./grafana/dashboards"
    home = compose["services"]["grafana"]["environment"][
        "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (MONITORING / "grafana" / "dashboards" / Path(home).name).is_file()


def test_datasource_is_the_one_the_dashboards_use() -> None:
    (source,) = load(PROVISIONING / "datasources" / "prometheus.yml")["datasources"]
    assert source["uid"] == DATASOURCE_UID and source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"  # the compose service name


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


@pytest.mark.integration
def test_docker_compose_config_validates() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("neither 'docker compose' nor 'docker-compose' is installed")
    env = {**os.environ, "GRAFANA_PASSWORD": "pw", "PROMETHEUS_RETENTION": "30d"}
    result = subprocess.run([*command, "-f", str(MONITORING / "docker-compose.yml"), "config"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--storage.tsdb.retention.time=30d" in result.stdout
    env.pop("GRAFANA_PASSWORD")
    missing = subprocess.run([*command, "-f", str(MONITORING / "docker-compose.yml"),
                              "config"], capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode != 0 and "GRAFANA_PASSWORD" in missing.stderr
