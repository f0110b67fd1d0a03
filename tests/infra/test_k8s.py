"""The Kubernetes manifests (infra/k8s/): the example overlay rendered, validated against the
API schemas of a current Kubernetes, scanned by checkov, and holding what a deployment needs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import AliasChoices

from infra.stack import services as stack_services
from services.settings import SECRETS_DIR, Settings
from tests.support.footprint import SERVICES, footprint_figure
from tests.support.kustomize import Manifest, render, split_selector
from tests.support.paths import ROOT

K8S = ROOT / "infra" / "k8s"
OVERLAY = K8S / "overlays" / "example"
KUBERNETES = kubernetes_validate.latest_version()
SINGLE_ACTIVE = ("relay", "archiver", "inbound", "webhooks")
SHARING_PARTITIONS = ("aggregator", "router")


@pytest.fixture(scope="module")
def manifests() -> list[Manifest]:
    return render(OVERLAY)


def by_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def pod(manifest: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = manifest["spec"]["template"]["spec"]
    return spec


def container(manifest: Manifest) -> dict[str, Any]:
    [only] = pod(manifest)["containers"]
    return dict(only)


def test_the_reader_renders_as_kustomize_does(manifests: list[Manifest], tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with kustomize built in) is not installed here")
    rendered = subprocess.run(
        [kubectl, "kustomize", str(OVERLAY)], capture_output=True, text=True, check=True
    ).stdout
    theirs = [m for m in yaml.safe_load_all(rendered) if m]

    def key(m: Manifest) -> tuple[str, str]:
        return (m["kind"], m["metadata"]["name"])

    assert sorted(manifests, key=key) == sorted(theirs, key=key)


def test_every_manifest_is_valid_for_a_current_kubernetes(manifests: list[Manifest]) -> None:
    assert tuple(int(p) for p in KUBERNETES.split(".")[:2]) >= (1, 33)
    for manifest in manifests:
        kubernetes_validate.validate(manifest, KUBERNETES, strict=True)


def test_a_broken_manifest_is_refused() -> None:
    """The validation can fail: a field the API does not have, a probe on a string port."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "two", "selector": {}, "template": {"spec": {"containers": []}}},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_the_gateway_is_served_probed_and_scaled(manifests: list[Manifest]) -> None:
    gateway = by_kind(manifests, "Deployment")["tandem-gateway"]
    probes = container(gateway)
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert probes["command"][:3] == ["python", "-m", "services.gateway"]
    service = by_kind(manifests, "Service")["tandem-gateway"]
    assert service["spec"]["selector"] == gateway["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == probes["ports"][0]["name"]
    autoscaler = by_kind(manifests, "HorizontalPodAutoscaler")["tandem-gateway"]
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == "tandem-gateway"
    assert autoscaler["spec"]["minReplicas"] >= 2
    assert "replicas" not in gateway["spec"]  # the autoscaler's to set, not each apply's
    assert list(by_kind(manifests, "Service")) == ["tandem-gateway"]  # nothing else is served


def test_workers_share_partitions_and_single_active_services_keep_a_standby(
    manifests: list[Manifest],
) -> None:
    deployments = by_kind(manifests, "Deployment")
    budgets = by_kind(manifests, "PodDisruptionBudget")
    settings = by_kind(manifests, "ConfigMap")["tandem-settings"]["data"]
    assert set(SERVICES) == {spec.name for spec in stack_services(8080)}
    for name in SERVICES:
        deployment = deployments[f"tandem-{name}"]
        assert container(deployment)["command"][:3] == ["python", "-m", f"services.{name}"]
        labels = deployment["spec"]["selector"]["matchLabels"]
        assert budgets[f"tandem-{name}"]["spec"]["selector"]["matchLabels"] == labels
    for name in SINGLE_ACTIVE:
        # One holds the advisory lock, the other waits on it; a drain leaves one running.
        assert deployments[f"tandem-{name}"]["spec"]["replicas"] == 2
        assert budgets[f"tandem-{name}"]["spec"]["maxUnavailable"] == 1
    for name in SHARING_PARTITIONS:
        replicas = deployments[f"tandem-{name}"]["spec"]["replicas"]
        assert 2 <= replicas <= int(settings["TANDEM_TOPIC_PARTITIONS"])


def test_migrations_run_first_and_every_service_waits_for_them(manifests: list[Manifest]) -> None:
    job = by_kind(manifests, "Job")["tandem-setup"]
    [migrate] = pod(job)["initContainers"]
    assert migrate["command"] == ["tandem", "migrate"]
    assert container(job)["command"] == ["tandem", "topics", "create"]
    for deployment in by_kind(manifests, "Deployment").values():
        [wait] = pod(deployment)["initContainers"]
        assert wait["command"] == ["tandem", "migrate", "--wait"]


def test_settings_come_from_the_config_map_and_secrets_from_the_secret(
    manifests: list[Manifest],
) -> None:
    config = by_kind(manifests, "ConfigMap")["tandem-settings"]["data"]
    secret = by_kind(manifests, "Secret")["tandem-secrets"]["stringData"]
    assert set(secret) == {"DATABASE_URL", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"}
    assert not {name for name in config if "PASSWORD" in name or name == "DATABASE_URL"}
    # Every variable is one the settings object reads.
    aliases = {SECRETS_DIR}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        aliases |= set(map(str, alias.choices)) if isinstance(alias, AliasChoices) else {alias}
    assert set(config) | set(secret) <= aliases
    everyone = [
        *by_kind(manifests, "Deployment").values(),
        by_kind(manifests, "Job")["tandem-setup"],
    ]
    for workload in everyone:
        for each in [*pod(workload)["containers"], *pod(workload).get("initContainers", [])]:
            # Secrets as files, not variables: what `kubectl describe` and /proc show of a
            # container's environment holds none.
            assert each["envFrom"] == [{"configMapRef": {"name": "tandem-settings"}}]
            mounts = {m["name"]: m for m in each["volumeMounts"]}
            assert mounts["secrets"]["mountPath"] == config["TANDEM_SECRETS_DIR"]
            assert mounts["secrets"]["readOnly"] is True
            assert each["image"].startswith("registry.example.org/tandem:")
        volumes = {v["name"]: v for v in pod(workload)["volumes"]}
        assert volumes["secrets"]["secret"]["secretName"] == "tandem-secrets"


def test_requests_and_limits_cover_the_measured_footprint(manifests: list[Manifest]) -> None:
    """Memory: requests at least 1.25× the peak resident size measured, limits at least twice
    it; CPU: requests at least the mean measured, limits at least the peak."""
    results = (ROOT / "bench" / "results.md").read_text()
    deployments = by_kind(manifests, "Deployment")
    for name in SERVICES:
        row = next(line for line in results.splitlines() if footprint_figure(name) in line)
        found = re.search(r"peak (\d+) MiB resident; CPU mean ([\d.]+), peak ([\d.]+) cores", row)
        assert found, row
        rss, cpu_mean, cpu_peak = (float(x) for x in found.groups())
        resources = container(deployments[f"tandem-{name}"])["resources"]
        assert mebibytes(resources["requests"]["memory"]) >= 1.25 * rss, name
        assert mebibytes(resources["limits"]["memory"]) >= 2 * rss, name
        assert cores(resources["requests"]["cpu"]) >= cpu_mean, name
        assert cores(resources["limits"]["cpu"]) >= cpu_peak, name


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return float(number) * (1024 if unit == "Gi" else 1)


def cores(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def test_only_the_gateway_is_reachable(manifests: list[Manifest]) -> None:
    policies = by_kind(manifests, "NetworkPolicy")
    deny = policies["tandem-default-deny"]["spec"]
    assert deny["podSelector"] == {} and "Ingress" in deny["policyTypes"]
    assert "ingress" not in deny  # no rule: nothing comes in
    allowing = [p["spec"] for p in policies.values() if p["spec"].get("ingress")]
    gateway = by_kind(manifests, "Deployment")["tandem-gateway"]
    assert [p["podSelector"]["matchLabels"] for p in allowing] == [
        gateway["spec"]["selector"]["matchLabels"]
    ]
    assert allowing[0]["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_the_reader_selects_as_kustomize_does() -> None:
    assert split_selector("a in (x, y),b!=z, c") == ["a in (x, y)", "b!=z", "c"]


def test_checkov_finds_nothing_left_unexplained(manifests: list[Manifest], tmp_path: Path) -> None:
    """Every check passes, or is skipped with its reason written beside it in the manifest
    (a `checkov.io/skip` annotation). checkov without a platform key reports no severities, so
    every finding counts, not only the high ones."""
    rendered = tmp_path / "tandem.yaml"
    rendered.write_text(yaml.safe_dump_all(manifests))
    scanned = subprocess.run(
        [
            str(Path(sys.executable).with_name("checkov")),
            "--file",
            str(rendered),
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    report = json.loads(scanned.stdout)
    results = report["results"]
    failed = [(f["check_id"], f["resource"], f["check_name"]) for f in results["failed_checks"]]
    assert failed == []
    assert len(results["passed_checks"]) > 100
    assert {s["check_id"] for s in results["skipped_checks"]} == {"CKV_K8S_43"}
    for skipped in results["skipped_checks"]:
        reason = skipped["check_result"].get("suppress_comment") or ""
        assert len(reason.split()) >= 4, skipped["check_id"]
