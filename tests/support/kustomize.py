"""Rendering a kustomization in pure Python, for the parts infra/k8s/ uses: `resources` (files
and folders), `namespace`, `images`, and `patches` (strategic merge, by the patch's own kind
and name or by a `target` of kind and label selector). The kustomize binary is not installable
here; where `kubectl` is, tests/infra/test_k8s.py checks that both render the same."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}
# The lists whose items a strategic merge patch merges by name rather than replacing.
MERGED_BY_NAME = {"containers", "initContainers", "volumes", "volumeMounts", "env", "ports"}
KNOWN = {"apiVersion", "kind", "namespace", "resources", "images", "patches"}


def render(folder: Path) -> list[Manifest]:
    spec = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(spec) - KNOWN
    if unknown:
        raise ValueError(f"{folder}: this reader does not know {sorted(unknown)}")
    manifests: list[Manifest] = []
    for entry in spec.get("resources", []):
        path = (folder / entry).resolve()
        if path.is_dir():
            manifests += render(path)
        else:
            manifests += [m for m in yaml.safe_load_all(path.read_text()) if m]
    for patch in spec.get("patches", []):
        apply_patch(manifests, yaml.safe_load((folder / patch["path"]).read_text()), patch)
    for image in spec.get("images", []):
        set_image(manifests, image)
    if "namespace" in spec:
        for manifest in manifests:
            if manifest["kind"] not in CLUSTER_SCOPED:
                manifest["metadata"]["namespace"] = spec["namespace"]
    return manifests


def apply_patch(manifests: list[Manifest], patch: Manifest, entry: dict[str, Any]) -> None:
    target = entry.get("target")
    matched = [m for m in manifests if targeted(m, patch, target)]
    if not matched:
        raise ValueError(f"patch {entry['path']} matches nothing")
    for manifest in matched:
        body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind", "metadata")}
        merge(manifest, body)
        merge(manifest["metadata"], {k: v for k, v in patch["metadata"].items() if k != "name"})


def targeted(manifest: Manifest, patch: Manifest, target: dict[str, str] | None) -> bool:
    if target is None:
        return bool(
            manifest["kind"] == patch["kind"]
            and manifest["metadata"]["name"] == patch["metadata"]["name"]
        )
    if "kind" in target and manifest["kind"] != target["kind"]:
        return False
    if "name" in target and manifest["metadata"]["name"] != target["name"]:
        return False
    labels = manifest["metadata"].get("labels", {})
    return all(selects(labels, term) for term in split_selector(target.get("labelSelector", "")))


def split_selector(selector: str) -> list[str]:
    """The terms of a label selector (commas inside `in (…)` sets do not separate terms)."""
    return [term.strip() for term in re.split(r",(?![^()]*\))", selector) if term.strip()]


def selects(labels: dict[str, str], term: str) -> bool:
    if found := re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", term):
        key, operator, values = found.groups()
        inside = labels.get(key) in {v.strip() for v in values.split(",")}
        return inside if operator == "in" else not inside
    if "!=" in term:
        key, value = term.split("!=")
        return labels.get(key.strip()) != value.strip()
    if "=" in term:
        key, value = term.split("=", 1)
        return labels.get(key.strip()) == value.strip().lstrip("=")
    return term in labels


def merge(into: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        elif key in MERGED_BY_NAME and isinstance(value, list) and key in into:
            by_name = {item["name"]: item for item in into[key]}
            for item in value:
                if item["name"] in by_name:
                    merge(by_name[item["name"]], item)
                else:
                    into[key].append(item)
        else:
            into[key] = value


def set_image(manifests: list[Manifest], image: dict[str, str]) -> None:
    for manifest in manifests:
        pod = manifest.get("spec", {}).get("template", {}).get("spec", {})
        for container in [*pod.get("containers", []), *pod.get("initContainers", [])]:
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                new = image.get("newName", name)
                container["image"] = (
                    f"{new}@{image['digest']}"
                    if "digest" in image
                    else f"{new}:{image.get('newTag', tag)}"
                )
