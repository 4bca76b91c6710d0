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
    assert set(compose["volumes"]) == {"prometheus-data", "alertmanager-data", "grafana-data"}


def test_alertmanager_gets_telegram_from_the_environment_and_renders_the_template() -> None:
    compose = load(MONITORING / "docker-compose.yml")
    alertmanager = compose["services"]["alertmanager"]
    env = alertmanager["environment"]
    # Required, never defaulted, never in a file of the repository.
    assert env["TELEGRAM_BOT_TOKEN"].startswith("${TELEGRAM_BOT_TOKEN:?")
    assert env["TELEGRAM_CHAT_ID"].startswith("${TELEGRAM_CHAT_ID:?")
    assert env["ANNOUNCED_BY_BOT"] == "${ANNOUNCED_BY_BOT:-silent}"
    mounts = _mounts(alertmanager)
    assert mounts["/etc/alertmanager"] == "./alertmanager"
    script = " ".join(alertmanager["entrypoint"])
    for name in ("render-config.sh", "alertmanager.yml.in"):
        assert f"/etc/alertmanager/{name}" in script
        assert (MONITORING / "alertmanager" / name).is_file()
    assert "--config.file=/tmp/alertmanager.yml" in script
    # Prometheus sends to it by its service name and port.
    (target,) = load(MONITORING / "prometheus.yml")["alerting"]["alertmanagers"][0][
        "static_configs"][0]["targets"]
    assert target == "alertmanager:9093" and "9093:9093" in alertmanager["ports"]


def test_the_bot_profile_is_scraped_by_service_name_on_every_platform() -> None:
    compose = load(MONITORING / "docker-compose.yml")
    bot = compose["services"]["bot"]
    assert bot["profiles"] == ["bot"] and "ports" not in bot  # reachable in the stack only
    command = bot["command"].split()
    assert command[0] == "paper"
    host = command[command.index("--metrics-host") + 1]
    port = int(command[command.index("--metrics-port") + 1])
    assert host == "0.0.0.0"  # the container's interfaces: Prometheus comes over the network
    (job,) = [j for j in load(MONITORING / "prometheus.yml")["scrape_configs"]
              if j["job_name"] == "backtrader-bot"]
    (dns,) = job["dns_sd_configs"]
    assert dns["names"] == ["bot"] and dns["port"] == port
    # The host bot stays a target too; BotDown fires only when no target of the job answers.
    assert job["static_configs"][0]["targets"] == ["host.docker.internal:8080"]
    # The image: its Dockerfile exists and copies only what its ignore file lets through.
    build = bot["build"]
    dockerfile = (MONITORING / build["context"] / build["dockerfile"]).resolve()
    kept = {line.lstrip("!").rstrip("/") for line in
            Path(f"{dockerfile}.dockerignore").read_text().splitlines()
            if line.startswith("!")}
    for line in dockerfile.read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert source.rstrip("/") in kept, source
                assert (dockerfile.parent.parent / source).exists(), source
    for volume in bot["volumes"]:
        host_path = volume.split(":")[0]
        assert host_path in ("../configs", "../state")


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
    env = {**os.environ, "GRAFANA_PASSWORD": "pw", "PROMETHEUS_RETENTION": "30d",
           "TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_CHAT_ID": "1"}
    result = subprocess.run([*command, "-f", str(MONITORING / "docker-compose.yml"), "config"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--storage.tsdb.retention.time=30d" in result.stdout
    env.pop("GRAFANA_PASSWORD")
    missing = subprocess.run([*command, "-f", str(MONITORING / "docker-compose.yml"),
                              "config"], capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode != 0 and "GRAFANA_PASSWORD" in missing.stderr
    env.update(GRAFANA_PASSWORD="pw")
    env.pop("TELEGRAM_BOT_TOKEN")
    missing = subprocess.run([*command, "-f", str(MONITORING / "docker-compose.yml"),
                              "config"], capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode != 0 and "TELEGRAM_BOT_TOKEN" in missing.stderr
    profiled = subprocess.run([*command, "-f", str(MONITORING / "docker-compose.yml"),
                               "--profile", "bot", "config", "--services"], capture_output=True,
                              text=True, env={**env, "TELEGRAM_BOT_TOKEN": "1:x"}, timeout=60)
    assert "bot" in profiled.stdout.split(), profiled.stderr
