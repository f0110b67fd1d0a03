"""The production shape, `infra/compose.yaml`, read as data."""

from __future__ import annotations

from typing import Any

import yaml

from tests.support.paths import ROOT

COMPOSE = ROOT / "infra" / "compose.yaml"
TANDEM_SERVICES = {
    "gateway": ["python", "-m", "services.gateway", "--host", "0.0.0.0", "--port", "8080"],
    "relay": ["python", "-m", "services.relay"],
    "archiver": ["python", "-m", "services.archiver"],
    "inbound": ["python", "-m", "services.inbound"],
    "aggregator": ["python", "-m", "services.aggregator"],
    "router": ["python", "-m", "services.router"],
    "webhooks": ["python", "-m", "services.webhooks"],
    "editions": ["python", "-m", "services.editions"],
}


def services() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return loaded


def test_the_infrastructure_runs_from_official_images() -> None:
    found = services()
    assert found["kafka"]["image"].startswith("apache/kafka:")
    assert found["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert found["postgres"]["image"].startswith("postgres:")
    assert found["grafana"]["image"].startswith("grafana/grafana-oss:")


def test_every_tandem_service_is_built_from_the_one_dockerfile() -> None:
    found = services()
    for name, command in TANDEM_SERVICES.items():
        service = found[name]
        assert service["build"] == {"context": "..", "dockerfile": "Dockerfile"}
        assert service["command"] == command
        assert {"DATABASE_URL", "KAFKA_BOOTSTRAP"} <= set(service["environment"])
        assert service["environment"]["KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert "healthcheck" in service and "test" in service["healthcheck"]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert service["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert (ROOT / "Dockerfile").is_file()
    assert (ROOT / found["gateway"]["build"]["context"].replace("..", ".")).is_dir()


def test_the_aggregator_can_be_scaled() -> None:
    aggregator = services()["aggregator"]
    assert "container_name" not in aggregator
    assert "ports" not in aggregator
    assert aggregator.get("deploy", {}).get("replicas", 1) >= 1


def test_grafana_mounts_the_provisioning_and_the_built_dashboards() -> None:
    grafana = services()["grafana"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in grafana["volumes"]}
    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"
    assert mounts["/var/lib/grafana/dashboards/tandem"] == "../dashboards/json"
    assert (COMPOSE.parent / "grafana" / "provisioning" / "datasources").is_dir()
    assert (COMPOSE.parent / "../dashboards/json").resolve().is_dir()
    for name in ("TANDEM_PG_HOST", "TANDEM_PG_USER", "TANDEM_PG_PASSWORD", "TANDEM_PG_DATABASE"):
        assert name in grafana["environment"]
    assert grafana["healthcheck"]["test"]


def test_every_service_has_a_healthcheck_or_runs_once() -> None:
    for name, service in services().items():
        if name == "setup":
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"], name


def test_partners_reach_kafka_only_through_scram_and_acls() -> None:
    kafka = services()["kafka"]
    env = kafka["environment"]
    protocols = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert protocols["PARTNERS"] == "SASL_PLAINTEXT"
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert "./kafka:/opt/tandem-kafka:ro" in kafka["volumes"]
    grant = (ROOT / "infra" / "kafka" / "grant-partner.sh").read_text()
    assert "partner.${partner}.inbox" in grant and "events.inbound" in grant
    assert "--operation Write" in grant and "SCRAM-SHA-512" in grant
