"""The deployment files, checked offline (containers do not run here).

- every Kubernetes manifest in deploy/k8s against the Kubernetes OpenAPI schemas (strict: an
  unknown or misspelt field is an error), and the kustomization lists exactly those files;
- deploy/compose/compose.yaml against the Compose specification's JSON Schema (vendored);
- the Dockerfile parsed: pinned base, installs this project, runs `sealink`, checks /healthz;
- every SEALINK_* variable set anywhere in compose or k8s is a real setting with a valid value;
- every image is pinned to a version;
- the EMQX ACL grants each account what its Mosquitto role grants, by client id, and EMQX has an
  account (a client id) for each hub and gateway deployed, with the password it logs in with;
- every metric in the Prometheus alert rules is one the hub exports, with labels it has.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import promql_parser
import pytest
import yaml
from dockerfile_parse import DockerfileParser
from prometheus_client.metrics import MetricWrapperBase
from pydantic import BaseModel
from pyhocon import ConfigFactory

from seaLink.broker.accounts import (
    Account,
    gateway_account,
    gateway_client_id,
    hub_account,
    vessel_account,
)
from seaLink.domain.contact import ContactState
from seaLink.metrics import HubMetrics
from seaLink.settings import Settings
from seaLink.texts.catalogue import WORDS
from seaLink.wire.codec import RejectReason
from seaLink.wire.gateway import GatewayKind
from seaLink.wire.topics import UplinkKind

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_DIR = DEPLOY / "compose"
COMPOSE = COMPOSE_DIR / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
RULES = DEPLOY / "prometheus" / "sealink-rules.yml"
COMPOSE_SCHEMA = Path(__file__).resolve().parent / "data" / "compose-spec.json"
# The oldest Kubernetes release the manifests must apply to (policy/v1 PDBs need >= 1.21).
K8S_VERSION = "1.29.0"


# ---------------------------------------------------------------- loading


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def k8s_resources() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in k8s_files():
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                found.append((path.name, doc))
    return found


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    for _, res in k8s_resources():
        if res["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
            yield res["metadata"]["name"], res["spec"]["template"]["spec"]


def workload(kind: str, name: str) -> dict[str, Any]:
    for _, res in k8s_resources():
        if res["kind"] == kind and res["metadata"]["name"] == name:
            return res
    raise AssertionError(f"deploy/k8s has no {kind} {name}")


# ---------------------------------------------------------------- Kubernetes


def test_k8s_directory_holds_manifests() -> None:
    kinds = {res["kind"] for _, res in k8s_resources()}
    assert {"StatefulSet", "Deployment", "Service", "ConfigMap", "Secret"} <= kinds
    assert "PodDisruptionBudget" in kinds


@pytest.mark.parametrize(
    "resource",
    [pytest.param(r, id=f"{f}:{r['kind']}/{r['metadata']['name']}") for f, r in k8s_resources()],
)
def test_every_k8s_manifest_matches_the_kubernetes_schema(resource: dict[str, Any]) -> None:
    # A kind without a bundled schema (a CRD) would be an error too: nothing here may go unchecked.
    kubernetes_validate.validate(resource, K8S_VERSION, strict=True)


def test_the_schema_check_refuses_a_misspelt_field() -> None:
    hub = json.loads(json.dumps(workload("StatefulSet", "sealink-hub")))
    hub["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hub, K8S_VERSION, strict=True)
    hub = json.loads(json.dumps(workload("StatefulSet", "sealink-hub")))
    hub["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hub, K8S_VERSION, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kust = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert sorted(kust["resources"]) == sorted(p.name for p in k8s_files())


def test_k8s_hubs_are_several_with_probes_resources_budget_and_config() -> None:
    hub = workload("StatefulSet", "sealink-hub")
    assert hub["spec"]["replicas"] >= 2
    pod = hub["spec"]["template"]
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    (container,) = pod["spec"]["containers"]
    # Ready when every part is (store included); alive while the process answers at all.
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    sources = {next(iter(s)) for s in container["envFrom"]}
    assert sources == {"configMapRef", "secretRef"}
    # The hub id must be stable per slot: the pod name of a StatefulSet.
    hub_id = next(e for e in container["env"] if e["name"] == "SEALINK_CLUSTER__HUB_ID")
    assert hub_id["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"

    pdb = workload("PodDisruptionBudget", "sealink-hub")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert pdb["spec"]["minAvailable"] >= 1

    config = workload("ConfigMap", "sealink-hub-config")["data"]
    assert config["SEALINK_CLUSTER__ENABLED"] == "true"


def test_k8s_runs_an_emqx_cluster_postgres_and_both_gateways() -> None:
    assert workload("StatefulSet", "emqx")["spec"]["replicas"] >= 3
    workload("StatefulSet", "postgres-primary")
    workload("StatefulSet", "postgres-replica")
    args = {
        name: " ".join(spec["containers"][0].get("args", []))
        for name, spec in pod_specs()
        if name.startswith("gateway-")
    }
    assert any(a.startswith("gateway ais") for a in args.values())
    assert any(a.startswith("gateway beidou") for a in args.values())


def test_k8s_services_select_existing_pods() -> None:
    labels = [
        res["spec"]["template"]["metadata"]["labels"]
        for _, res in k8s_resources()
        if res["kind"] in {"Deployment", "StatefulSet"}
    ]
    for _, res in k8s_resources():
        if res["kind"] == "Service":
            selector = res["spec"]["selector"]
            assert any(selector.items() <= lab.items() for lab in labels), res["metadata"]["name"]


def test_emqx_settings_are_the_same_in_compose_and_k8s() -> None:
    data = workload("ConfigMap", "emqx-config")["data"]
    assert data["base.hocon"] == (COMPOSE_DIR / "emqx" / "base.hocon").read_text(encoding="utf-8")
    assert data["acl.conf"] == (COMPOSE_DIR / "emqx" / "acl.conf").read_text(encoding="utf-8")


def emqx_mount_targets() -> tuple[set[str], set[str]]:
    in_compose = {v.split(":")[1] for v in compose()["services"]["emqx1"]["volumes"]}
    pod = workload("StatefulSet", "emqx")["spec"]["template"]["spec"]
    in_k8s = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    return in_compose, in_k8s


def test_emqx_settings_parse_and_fit_what_the_hub_asks_for() -> None:
    conf = ConfigFactory.parse_file(str(COMPOSE_DIR / "emqx" / "base.hocon"))
    files = {
        conf["authorization"]["sources"][0]["path"],
        conf["authentication"][0]["bootstrap_file"],
        "/opt/emqx/etc/base.hocon",
    }
    for targets in emqx_mount_targets():
        assert files <= targets, files - targets
    hub = Settings().mqtt
    internal = conf["zones"]["internal"]["mqtt"]
    assert conf["listeners"]["tcp"]["default"]["zone"] == "internal"
    # The broker lets the hub have as many uplinks in flight as it asks for, and keeps its
    # session (and queue) at least as long as the hub asks.
    assert internal["max_inflight"] >= hub.receive_maximum
    assert duration_s(internal["session_expiry_interval"]) >= hub.session_expiry_s
    assert internal["max_mqueue_len"] >= 1_000_000
    assert size_bytes(conf["mqtt"]["max_packet_size"]) >= Settings().ingest.max_payload_bytes
    assert conf["mqtt"]["shared_subscription_strategy"] == "hash_clientid"


def duration_s(text: str | timedelta) -> int:
    if isinstance(text, timedelta):  # pyhocon reads "7d" as a duration itself
        return int(text.total_seconds())
    number, unit = re.fullmatch(r"(\d+)([smhd])", text).groups()  # type: ignore[union-attr]
    return int(number) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def size_bytes(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(KB|MB)", text).groups()  # type: ignore[union-attr]
    return int(number) * {"KB": 1024, "MB": 1024 * 1024}[unit]


def shell_scripts() -> list[tuple[str, str]]:
    scripts = [(str(p.relative_to(ROOT)), p.read_text()) for p in COMPOSE_DIR.rglob("*.sh")]
    data = workload("ConfigMap", "postgres-scripts")["data"]
    return scripts + [(f"k8s:postgres-scripts/{k}", v) for k, v in data.items()]


@pytest.mark.parametrize("name,text", [pytest.param(n, t, id=n) for n, t in shell_scripts()])
def test_shell_scripts_parse(name: str, text: str) -> None:
    result = subprocess.run(["sh", "-n"], input=text, capture_output=True, text=True)
    assert result.returncode == 0, f"{name}: {result.stderr}"
    assert text.startswith("#!/bin/sh") and "set -eu" in text


# ---------------------------------------------------------------- Compose


def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(compose())]
    assert errors == []


def test_the_compose_schema_refuses_a_wrong_file() -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    broken = compose()
    broken["services"]["hub-1"]["restart_policy"] = "always"  # not a service key
    broken["services"]["hub-2"]["ports"] = "8082:8080"  # must be a list
    assert len(list(jsonschema.Draft202012Validator(schema).iter_errors(broken))) >= 2


def test_compose_runs_emqx_cluster_postgres_pair_hubs_gateways_and_prometheus() -> None:
    services = compose()["services"]
    images = {name: s.get("image", "") for name, s in services.items()}
    emqx = [n for n, i in images.items() if i.startswith("emqx/emqx:")]
    assert len(emqx) >= 3
    seeds = services[emqx[0]]["environment"]["EMQX_CLUSTER__STATIC__SEEDS"]
    for name in emqx:
        assert services[name]["environment"]["EMQX_NODE__NAME"].split("@")[1] in seeds

    hubs = {n: s for n, s in services.items() if s.get("command", ["hub"]) == ["hub"]}
    hubs = {n: s for n, s in hubs.items() if images[n].startswith("sealink:")}
    assert len(hubs) >= 2
    ids = {s["environment"]["SEALINK_CLUSTER__HUB_ID"] for s in hubs.values()}
    assert len(ids) == len(hubs), "each hub needs its own cluster.hub_id"
    for s in hubs.values():
        assert s["environment"]["SEALINK_CLUSTER__ENABLED"] == "true"
        assert "/healthz" in " ".join(s["healthcheck"]["test"])

    commands = [" ".join(s.get("command", [])) for s in services.values()]
    assert any(c.startswith("gateway ais") for c in commands)
    assert any(c.startswith("gateway beidou") for c in commands)

    pg = [n for n, i in images.items() if i.startswith("postgres:")]
    assert len(pg) == 2
    replica = services["postgres-replica"]
    script = (COMPOSE_DIR / "postgres" / "replica-entrypoint.sh").read_text(encoding="utf-8")
    assert "replica-entrypoint.sh" in " ".join(replica["entrypoint"])
    assert "pg_basebackup" in script and " -R" in script

    prom = services["prometheus"]
    mounted = " ".join(prom["volumes"])
    assert "../prometheus/sealink-rules.yml" in mounted
    scrape = yaml.safe_load((COMPOSE_DIR / "prometheus.yml").read_text(encoding="utf-8"))
    hub_job = next(j for j in scrape["scrape_configs"] if j["job_name"] == "sealink-hub")
    targets = {t.split(":")[0] for c in hub_job["static_configs"] for t in c["targets"]}
    assert targets == set(hubs)
    assert scrape["rule_files"] == ["/etc/prometheus/rules/sealink-rules.yml"]


def test_compose_files_it_mounts_or_reads_exist() -> None:
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                path = COMPOSE_DIR / source
                # Secrets and certificates are made at install time; their examples ship.
                example = path.with_name(path.name + ".example")
                assert path.exists() or example.exists() or source == "./certs", (name, source)
        for env_file in service.get("env_file", []):
            assert (COMPOSE_DIR / f"{env_file}.example").is_file(), (name, env_file)


# ---------------------------------------------------------------- settings and images


def compose_environments() -> Iterator[tuple[str, dict[str, str]]]:
    """Each compose service's SEALINK_* environment: its env_file examples, then `environment`."""
    for name, service in compose()["services"].items():
        env: dict[str, str] = {}
        for env_file in service.get("env_file", []):
            env.update(read_env_file(COMPOSE_DIR / f"{env_file}.example"))
        raw = service.get("environment", {})
        if isinstance(raw, list):
            raw = dict(item.split("=", 1) for item in raw)
        env.update({k: str(v) for k, v in raw.items()})
        yield f"compose:{name}", env


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def k8s_environments() -> Iterator[tuple[str, dict[str, str]]]:
    """Each k8s container's SEALINK_* environment, with its ConfigMaps and Secrets resolved."""
    maps = {
        (res["kind"], res["metadata"]["name"]): res.get("data") or res.get("stringData") or {}
        for _, res in k8s_resources()
        if res["kind"] in {"ConfigMap", "Secret"}
    }
    for name, spec in pod_specs():
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            env: dict[str, str] = {}
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    env.update(maps[("ConfigMap", source["configMapRef"]["name"])])
                else:
                    env.update(maps[("Secret", source["secretRef"]["name"])])
            for item in container.get("env", []):
                ref = item.get("valueFrom", {})
                if "secretKeyRef" in ref:
                    key = ref["secretKeyRef"]
                    env[item["name"]] = maps[("Secret", key["name"])][key["key"]]
                elif "configMapKeyRef" in ref:
                    key = ref["configMapKeyRef"]
                    env[item["name"]] = maps[("ConfigMap", key["name"])][key["key"]]
                elif "fieldRef" in ref:
                    env[item["name"]] = f"{name}-0"  # a pod name stands in for the field
                else:
                    env[item["name"]] = item["value"]
            yield f"k8s:{name}/{container['name']}", env


def dockerfile_environment() -> dict[str, str]:
    return dict(DockerfileParser(path=str(DOCKERFILE)).envs)


def setting_exists(variable: str) -> bool:
    """SEALINK_<SECTION>__<NAME> or SEALINK_<NAME> names a field of `Settings`."""
    parts = variable.removeprefix("SEALINK_").lower().split("__")
    model: Any = Settings
    for part in parts:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return False  # went below a plain value
        field = model.model_fields.get(part)
        if field is None:
            return False
        model = field.annotation
    # A whole section (SEALINK_MQTT) is not a setting either.
    return not (isinstance(model, type) and issubclass(model, BaseModel))


def all_environments() -> list[tuple[str, dict[str, str]]]:
    return [
        *compose_environments(),
        *k8s_environments(),
        ("Dockerfile", dockerfile_environment()),
    ]


def test_every_sealink_variable_is_a_real_setting() -> None:
    seen = set()
    for where, env in all_environments():
        for variable in env:
            if variable.startswith("SEALINK_") and variable != "SEALINK_CONFIG":
                seen.add(variable)
                assert setting_exists(variable), (
                    f"{where}: {variable} is not in seaLink/settings.py"
                )
    # The check saw the cluster settings, and would refuse a misspelt one.
    assert {"SEALINK_CLUSTER__ENABLED", "SEALINK_CLUSTER__HUB_ID", "SEALINK_MQTT__URL"} <= seen
    assert not setting_exists("SEALINK_CLUSTER__SHARE_GROUP")
    assert not setting_exists("SEALINK_MQTT__URL__HOST")
    assert not setting_exists("SEALINK_MQTT")


@pytest.mark.parametrize(
    "where,env",
    [
        pytest.param(where, env, id=where)
        for where, env in all_environments()
        if any(k.startswith("SEALINK_") for k in env)
    ],
)
def test_each_environment_loads_as_valid_settings(
    where: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("SEALINK_"):
            monkeypatch.delenv(key)
    sealink = {k: v for k, v in env.items() if k.startswith("SEALINK_")}
    for key, value in sealink.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    if sealink.get("SEALINK_CLUSTER__ENABLED") == "true":
        assert settings.cluster.enabled
        assert settings.store.url.startswith("postgresql+asyncpg://"), where
        assert settings.api.host == "0.0.0.0", f"{where}: the API must listen beyond localhost"
        assert urlsplit(settings.mqtt.url).username == "sealink-hub", "the hub's broker account"
    if "gateway" in where:
        user = urlsplit(settings.mqtt.url).username or ""
        assert user.startswith("gw-"), f"{where}: a gateway logs in with its own gw-<id> account"


def images() -> Iterator[tuple[str, str]]:
    for name, service in compose()["services"].items():
        if "image" in service:
            yield f"compose:{name}", service["image"]
    for name, spec in pod_specs():
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            yield f"k8s:{name}/{container['name']}", container["image"]
    for stage in DockerfileParser(path=str(DOCKERFILE)).parent_images:
        yield "Dockerfile", stage


# A full release: x.y.z (or a digest). PostgreSQL numbers its releases major.minor.
PINNED = re.compile(r"^[^@\s:]+(@sha256:[0-9a-f]{64}|:v?\d+\.\d+\.\d+[-\w.]*)$")
TWO_PART_RELEASES = re.compile(r"^postgres:\d+\.\d+(-[\w.]+)?$")


def image_is_pinned(image: str) -> bool:
    return bool(PINNED.match(image) or TWO_PART_RELEASES.match(image))


def test_every_image_is_pinned_to_a_version() -> None:
    found = list(images())
    assert len(found) > 10
    loose = [(where, image) for where, image in found if not image_is_pinned(image)]
    assert loose == []
    for loose_image in ("postgres", "postgres:16", "emqx/emqx:5.8", "python:3.11-slim", "x:latest"):
        assert not image_is_pinned(loose_image), loose_image


# ---------------------------------------------------------------- Dockerfile


def test_dockerfile_builds_this_project_on_python_311_slim() -> None:
    parser = DockerfileParser(path=str(DOCKERFILE))
    instructions = parser.structure
    bases = parser.parent_images
    assert bases and all(b.startswith("python:3.11.") and "-slim" in b for b in bases)
    runs = " ".join(i["value"] for i in instructions if i["instruction"] == "RUN")
    assert re.search(r"pip install \.(\s|$)", runs), "the image must pip install this project"
    copies = [
        i["value"].split()
        for i in instructions
        if i["instruction"] == "COPY" and "--from=" not in i["value"]
    ]
    sources = {part for c in copies for part in c[:-1] if not part.startswith("--")}
    assert {"pyproject.toml", "seaLink", "gateway"} <= sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    by_name = {i["instruction"]: i["value"] for i in instructions}
    assert json.loads(by_name["ENTRYPOINT"]) == ["sealink"]
    assert json.loads(by_name["CMD"]) == ["hub"]
    assert "/healthz" in by_name["HEALTHCHECK"]
    assert by_name["USER"] not in {"root", "0"}


# ---------------------------------------------------------------- broker accounts

PREFIX = Settings().mqtt.prefix
HUB_CLIENT_ID = Settings().mqtt.client_id
EMQX_RULE = re.compile(
    r'\{(allow|deny),\s*(all|\{clientid,\s*(?:"([^"]+)"|\{re,\s*"([^"]+)"\})\}),\s*(\w+),'
    r"\s*\[([^\]]*)\]\}\."
)


def emqx_acl() -> str:
    return (COMPOSE_DIR / "emqx" / "acl.conf").read_text(encoding="utf-8")


def emqx_rules() -> list[tuple[str, str, str, str, frozenset[str]]]:
    """(allow|deny, client id or "", client id pattern or "", action, topics) of each rule."""
    found = []
    for m in EMQX_RULE.finditer(emqx_acl()):
        topics = frozenset(t.strip().strip('"') for t in m.group(6).split(","))
        found.append((m.group(1), m.group(3) or "", m.group(4) or "", m.group(5), topics))
    return found


def emqx_grants(account: Account) -> set[tuple[str, str]]:
    """An account's grants as EMQX (action, topic) pairs. EMQX checks a shared subscription as
    its topic, so the hub's `$share/...` grant has no rule of its own."""
    action = {(True, False): "publish", (False, True): "subscribe", (True, True): "all"}
    return {
        (action[(g.publish, g.subscribe)], g.topic)
        for g in account.grants
        if not g.topic.startswith("$share/")
    }


def rules_of(client_id: str) -> set[tuple[str, str]]:
    return {(a, t) for allow, cid, _, a, ts in emqx_rules() if cid == client_id for t in ts}


def compose_gateways() -> dict[str, GatewayKind]:
    found = {}
    for service in compose()["services"].values():
        command = service.get("command", [])
        if command[:1] == ["gateway"]:
            found[command[command.index("--gateway-id") + 1]] = GatewayKind(command[1])
    return found


def k8s_gateways() -> dict[str, GatewayKind]:
    found = {}
    for _, spec in pod_specs():
        args = spec["containers"][0].get("args", [])
        if args[:1] == ["gateway"]:
            found[args[args.index("--gateway-id") + 1]] = GatewayKind(args[1])
    return found


def test_the_emqx_acl_grants_each_account_what_the_mosquitto_roles_grant_and_nothing_else() -> None:
    rules = emqx_rules()
    assert len(rules) == emqx_acl().count("{allow,"), "a rule the test could not read"
    assert all(allow == "allow" for allow, *_ in rules)
    assert emqx_acl().rstrip().endswith("{deny, all}."), "what is not allowed must be refused"
    assert "no_match = deny" in (COMPOSE_DIR / "emqx" / "base.hocon").read_text(encoding="utf-8")
    # EMQX authenticates client ids, not user names: a rule by user name would trust a name
    # the client chose.
    assert "username" not in emqx_acl().replace("user names", "")
    vessel = {(a, t) for _, cid, pattern, a, ts in rules if not cid and not pattern for t in ts}
    expected = emqx_grants(vessel_account(PREFIX, "VID"))
    assert vessel == {(a, t.replace("/VID/", "/${clientid}/")) for a, t in expected}
    (hub,) = [(pattern, a, ts) for _, _, pattern, a, ts in rules if pattern]
    assert {(hub[1], t) for t in hub[2]} == emqx_grants(hub_account(PREFIX))
    hub_ids = re.compile(hub[0])
    for client_id in (f"{HUB_CLIENT_ID}-hub-1", f"{HUB_CLIENT_ID}-sealink-hub-0"):
        assert hub_ids.search(client_id), client_id
    for client_id in ("NA52445", "sealink-gw-ais-1", "xsealink-hub-1", "sealink-hub-"):
        assert not hub_ids.search(client_id), client_id
    gateways = {cid for _, cid, *_ in rules if cid}
    deployed = compose_gateways() | k8s_gateways()
    assert gateways == {gateway_client_id(g) for g in deployed}
    for gid, link in deployed.items():
        assert rules_of(gateway_client_id(gid)) == emqx_grants(gateway_account(PREFIX, gid, link))


def test_emqx_authenticates_client_ids() -> None:
    conf = ConfigFactory.parse_file(str(COMPOSE_DIR / "emqx" / "base.hocon"))
    (authn,) = conf["authentication"]
    assert authn["backend"] == "built_in_database" and authn["user_id_type"] == "clientid"


def bootstrap_accounts(text: str) -> dict[str, str]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert all(row["is_superuser"] == "false" for row in rows)
    return {row["user_id"]: row["password"] for row in rows}


def url_password(env: dict[str, str]) -> str:
    return urlsplit(env["SEALINK_MQTT__URL"]).password or ""


def test_compose_emqx_has_an_account_for_each_hub_and_gateway_with_its_password() -> None:
    accounts = bootstrap_accounts(
        (COMPOSE_DIR / "emqx" / "auth-bootstrap.csv.example").read_text(encoding="utf-8")
    )
    envs = dict(compose_environments())
    hubs = [
        (name, env)
        for name, env in envs.items()
        if env.get("SEALINK_CLUSTER__ENABLED") == "true" and "SEALINK_CLUSTER__HUB_ID" in env
    ]
    assert len(hubs) >= 2
    for name, env in hubs:
        client_id = f"{HUB_CLIENT_ID}-{env['SEALINK_CLUSTER__HUB_ID']}"
        assert accounts[client_id] == url_password(env), name
    for gid in compose_gateways():
        env = envs[f"compose:gateway-{gid}"]
        assert accounts[gateway_client_id(gid)] == url_password(env), gid


def test_k8s_emqx_has_an_account_for_each_hub_pod_and_gateway_with_its_password() -> None:
    secrets = {
        res["metadata"]["name"]: res["stringData"]
        for _, res in k8s_resources()
        if res["kind"] == "Secret"
    }
    accounts = bootstrap_accounts(secrets["emqx-secrets"]["auth-bootstrap.csv"])
    hub = workload("StatefulSet", "sealink-hub")
    hub_password = urlsplit(secrets["sealink-hub-secrets"]["SEALINK_MQTT__URL"]).password
    for i in range(hub["spec"]["replicas"]):
        # cluster.hub_id is the pod name: sealink-hub-0, -1, ...
        assert accounts[f"{HUB_CLIENT_ID}-sealink-hub-{i}"] == hub_password
    for gid in k8s_gateways():
        password = urlsplit(secrets["sealink-gateway-secrets"][gid]).password
        assert accounts[gateway_client_id(gid)] == password, gid


def test_the_mosquitto_configuration_uses_the_dynamic_security_plugin() -> None:
    conf = (DEPLOY / "mosquitto" / "mosquitto.conf").read_text(encoding="utf-8")
    settings = dict(
        line.split(maxsplit=1) for line in conf.splitlines() if line and not line.startswith("#")
    )
    assert settings["allow_anonymous"] == "false"
    assert settings["plugin"].endswith("/mosquitto_dynamic_security.so")
    assert "plugin_opt_config_file" in settings
    assert "password_file" not in settings and "acl_file" not in settings


# ---------------------------------------------------------------- Prometheus rules

# Prometheus adds `up` for every target, and `job`/`instance` to every series.
PROMETHEUS_SERIES = {"up": set[str]()}
TARGET_LABELS = {"job", "instance"}


SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
}


def exported_series() -> dict[str, set[str]]:
    """Sample names the hub exports (counters' _total, histograms' _bucket...) and their labels."""
    series: dict[str, set[str]] = {}
    metrics = HubMetrics()
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        labels = set(metric._labelnames)  # the client has no public accessor for these
        for family in metric.collect():
            for suffix in SAMPLE_SUFFIXES[family.type]:
                extra = {"le"} if suffix == "_bucket" else set()
                series[family.name + suffix] = labels | extra
    assert "sealink_uplink_rejected_total" in series
    return series


def walk(node: Any) -> Iterator[Any]:
    """Every node of a parsed PromQL expression."""
    yield node
    for attr in ("lhs", "rhs", "expr", "vector_selector", "param"):
        child = getattr(node, attr, None)
        if isinstance(child, promql_parser.Expr):
            yield from walk(child)
    if isinstance(node, promql_parser.Call):
        for arg in node.args:
            yield from walk(arg)


def metric_selectors(expr: str) -> list[tuple[str, dict[str, str]]]:
    """(metric name, {label: matcher value}) for every series selector in a PromQL expression."""
    found = []
    for node in walk(promql_parser.parse(expr)):  # a syntax error raises ValueError
        if isinstance(node, promql_parser.VectorSelector):
            labels = {m.name: m.value for m in node.matchers.matchers}
            found.append((node.name, labels))
    return found


def grouping_labels(expr: str) -> set[str]:
    """Labels named in `by (...)`, `without (...)`, `on (...)` and `ignoring (...)`."""
    labels: set[str] = set()
    for node in walk(promql_parser.parse(expr)):
        if isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
            labels |= set(node.modifier.labels)
        if isinstance(node, promql_parser.BinaryExpr) and node.modifier is not None:
            if node.modifier.matching is not None:
                labels |= set(node.modifier.matching.labels)
            labels |= set(node.modifier.group_labels or [])
    return labels


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


KNOWN_LABEL_VALUES = {
    "reason": {r.value for r in RejectReason},
    "kind": {k.value for k in UplinkKind} | {"gateway:status", "gateway:ais", "gateway:beidou/rx"},
    # contact states (sealink_vessels_contact), alert states (sealink_alerts_open), outbox states
    "state": {s.value for s in ContactState} | {"raised", "acknowledged"} | {"queued", "sent"},
    "type": set(WORDS["alert_type"]),
    "job": {"sealink-hub"},
}


def test_the_selector_reader_finds_metrics_labels_and_syntax_errors() -> None:
    expr = 'sum by (reason) (rate(sealink_nope_total{reason="x"}[5m])) > on(job) group_left() up'
    assert metric_selectors(expr) == [("sealink_nope_total", {"reason": "x"}), ("up", {})]
    assert grouping_labels(expr) == {"reason", "job"}
    with pytest.raises(ValueError):
        metric_selectors("sum(rate(sealink_uplinks_total[5m])")


def test_alert_rules_use_only_metrics_and_labels_the_hub_exports() -> None:
    series = exported_series() | PROMETHEUS_SERIES
    rules = alert_rules()
    assert len(rules) >= 10
    for rule in rules:
        selectors = metric_selectors(str(rule["expr"]))
        assert selectors, rule["alert"]
        known_labels = TARGET_LABELS.union(*(series.get(n, set()) for n, _ in selectors))
        for label in grouping_labels(str(rule["expr"])):
            assert label in known_labels, f"{rule['alert']}: no series has a label {label}"
        for name, labels in selectors:
            assert name in series, f"{rule['alert']}: {name} is not exported by the hub"
            for label, value in labels.items():
                assert label in series[name] | TARGET_LABELS, f"{rule['alert']}: {name}{{{label}}}"
                for alternative in value.split("|"):
                    known = KNOWN_LABEL_VALUES.get(label)
                    assert known is None or alternative in known, f"{rule['alert']}: {value}"


def test_alert_rules_cover_the_operations_that_matter() -> None:
    text = " ".join(str(r["expr"]) for r in alert_rules())
    for needed in (
        'up{job="sealink-hub"}',  # hub down
        "sealink_mqtt_connected",  # broker disconnected
        "sealink_ingest_latency_seconds_bucket",  # ingest lag
        "sealink_uplink_rejected_total",  # rejection spikes by reason
        'sealink_alerts_raised_total{type="distress"}',
        'sealink_alerts_raised_total{type="lost_contact"}',
        "sealink_outbox_failed_total",
        'sealink_uplinks_total{kind="gateway:status"}',  # gateways silent
        "sealink_store_errors_total",
        "sealink_cluster_scheduler",
    ):
        assert needed in text, needed
    spike = next(r for r in alert_rules() if r["alert"] == "SealinkRejectionSpike")
    assert "by (reason)" in spike["expr"]


def test_every_alert_has_severity_bilingual_summary_and_a_runbook() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    headings = {
        line.lstrip("#").strip().lower() for line in operations.splitlines() if line.startswith("#")
    }
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning"}
        summary = rule["annotations"]["summary"]
        assert re.search(r"[\u4e00-\u9fff]", summary) and re.search(r"[A-Za-z]{3}", summary)
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert anchor == rule["alert"].lower()
        assert anchor in headings, f"docs/operations.md needs a runbook heading {rule['alert']}"


def test_readme_links_the_operations_and_scaling_guides() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/operations.md)" in readme
    assert "(docs/scaling.md)" in readme
