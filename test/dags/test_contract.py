"""Contract across languages: the synthesized manifests (TypeScript constructs) and dags/ (Python).

The Airflow components that parse or run DAGs (scheduler, dag-processor, triggerer; workers if
any) carry the DAG contract environment on their `airflow` container as literal values; dags/
reads exactly those names, and DAGs parsed with those values use them. Reads dist/<env>/ as
`npm run synth` writes it (npm test synthesizes first).
"""

from __future__ import annotations

import copy
import functools
import re

from pathlib import Path
from typing import Any

import pytest
import yaml

import spark_tasks
from dag_support import REPO, dag_files, load_dagbag

ENVS = ("dev", "staging", "prod")
DAG_ENV_COMPONENTS = {"scheduler", "dag-processor", "triggerer"}
OPTIONAL_DAG_ENV_COMPONENTS = {"worker"}
DAGS_CONFIGMAP = "airflow-dags"


def manifest_path(env: str) -> Path:
    return REPO / "dist" / env / "spark-airflow.k8s.yaml"


def load_manifest(env: str) -> list[dict[str, Any]]:
    path = manifest_path(env)
    if not path.exists():
        pytest.fail(f"{path.relative_to(REPO)} is missing: run `npm run synth` first (`npm test` does it before the DAG tests)")
    return copy.deepcopy(_parse_manifest(path, path.stat().st_mtime_ns))


@functools.cache
def _parse_manifest(path: Path, _mtime: int) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def airflow_workloads(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        d
        for d in docs
        if d.get("kind") in ("Deployment", "StatefulSet")
        and (d.get("metadata", {}).get("labels") or {}).get("app.kubernetes.io/name") == "airflow"
    ]


def dag_env_containers(env: str) -> dict[str, dict[str, Any]]:
    """component -> its `airflow` container, for the components that parse or run DAGs."""
    found: dict[str, dict[str, Any]] = {}
    for workload in airflow_workloads(load_manifest(env)):
        component = workload["metadata"]["labels"].get("app.kubernetes.io/component")
        if component not in DAG_ENV_COMPONENTS | OPTIONAL_DAG_ENV_COMPONENTS:
            continue
        containers = {c["name"]: c for c in workload["spec"]["template"]["spec"]["containers"]}
        assert "airflow" in containers, f"{env}: {workload['kind']}/{workload['metadata']['name']} has no container named airflow"
        assert component not in found, f"{env}: two workloads with component {component}"
        found[component] = containers["airflow"]
    missing = DAG_ENV_COMPONENTS - set(found)
    assert not missing, (
        f"{env}: no Deployment/StatefulSet labelled app.kubernetes.io/name=airflow with "
        f"app.kubernetes.io/component in {sorted(missing)} in {manifest_path(env).relative_to(REPO)}"
    )
    return found


def contract_env_of(container: dict[str, Any]) -> dict[str, str]:
    """The SPARK_* entries of a container's env; each must be a literal value."""
    env: dict[str, str] = {}
    for entry in container.get("env") or []:
        name = entry["name"]
        if not name.startswith("SPARK_"):
            continue
        assert "value" in entry and "valueFrom" not in entry, f"{name} must be a literal value, got {entry}"
        assert name not in env, f"{name} set twice"
        env[name] = entry["value"]
    return env


def manifest_contract_env(env: str) -> dict[str, str]:
    """The contract values of an environment; all components must agree."""
    per_component = {component: contract_env_of(c) for component, c in dag_env_containers(env).items()}
    values = next(iter(per_component.values()))
    for component, other in per_component.items():
        assert other == values, f"{env}: {component} has {other}, others have {values}"
    return values


@pytest.mark.parametrize("env", ENVS)
def test_components_set_exactly_the_contract_names_dags_read(env):
    for component, container in dag_env_containers(env).items():
        names = set(contract_env_of(container))
        assert names == set(spark_tasks.CONTRACT_ENV_NAMES), (
            f"{env}/{component}: manifests set {sorted(names)}, dags/ reads {sorted(spark_tasks.CONTRACT_ENV_NAMES)}; "
            f"only in manifests: {sorted(names - set(spark_tasks.CONTRACT_ENV_NAMES))}, "
            f"only in dags/: {sorted(set(spark_tasks.CONTRACT_ENV_NAMES) - names)}"
        )
        values = contract_env_of(container)
        # event logs go to the claim or to an object store: the other's variables are empty
        store = values[spark_tasks.ENV_EVENT_LOG_SECRET].strip() != ""
        optional = {spark_tasks.ENV_EVENT_LOG_CLAIM} if store else {spark_tasks.ENV_EVENT_LOG_CONF, spark_tasks.ENV_EVENT_LOG_SECRET}
        for name, value in values.items():
            if name in optional:
                assert value == "", f"{env}/{component}: {name} = {value!r} beside {'an object store' if store else 'a claim'}"
            else:
                assert value.strip(), f"{env}/{component}: {name} is empty"
        if store:
            conf = spark_tasks.parse_event_log_conf(values[spark_tasks.ENV_EVENT_LOG_CONF])
            assert values[spark_tasks.ENV_EVENT_LOG_DIR].startswith("s3a://") and conf, f"{env}: {values}"


@pytest.mark.parametrize("env", ENVS)
def test_dags_parsed_with_the_manifest_env_use_its_values(env):
    values = manifest_contract_env(env)
    bag = load_dagbag(values)
    assert bag.import_errors == {}
    image = values[spark_tasks.ENV_JOB_IMAGE]
    for dag in bag.dags.values():
        for task in dag.tasks:
            where = f"{env}: {dag.dag_id}.{task.task_id}"
            assert task.contract_missing == [], where
            assert task.image == image, where
            assert task.xcom_sidecar_image == image, where
            assert task.namespace == values[spark_tasks.ENV_NAMESPACE], where
            # standalone pods never call the API: no ServiceAccount of ours, no token
            expected_sa = values[spark_tasks.ENV_SUBMITTER_SERVICE_ACCOUNT] if dag.dag_id == "spark_on_kubernetes" else None
            assert task.service_account_name == expected_sa, where
            assert task.automount_service_account_token is False, where
    k8s_submit = bag.dags["spark_on_kubernetes"].get_task("submit")
    args = k8s_submit.arguments
    assert args[args.index("--namespace") + 1] == values[spark_tasks.ENV_NAMESPACE]
    assert args[args.index("--driver-service-account") + 1] == values[spark_tasks.ENV_DRIVER_SERVICE_ACCOUNT]
    assert f"spark.kubernetes.container.image={image}" in args
    templates = next(v for v in k8s_submit.volumes if v.name == "pod-templates")
    assert templates.config_map.name == values[spark_tasks.ENV_POD_TEMPLATES_CONFIGMAP]
    standalone = bag.dags["spark_standalone"].get_task("submit").arguments
    assert standalone[standalone.index("--master-url") + 1] == values[spark_tasks.ENV_MASTER_URL]


@pytest.mark.parametrize("env", ENVS)
def test_the_objects_the_contract_names_exist(env):
    """The namespace, service accounts and pod template ConfigMap the DAGs use are in the manifests."""
    values = manifest_contract_env(env)
    docs = load_manifest(env)
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    namespace = values[spark_tasks.ENV_NAMESPACE]
    assert namespace in by_kind.get("Namespace", {}), f"{env}: no Namespace {namespace}"
    for sa in (values[spark_tasks.ENV_SUBMITTER_SERVICE_ACCOUNT], values[spark_tasks.ENV_DRIVER_SERVICE_ACCOUNT]):
        assert sa in by_kind.get("ServiceAccount", {}), f"{env}: no ServiceAccount {sa}"
        assert by_kind["ServiceAccount"][sa]["metadata"].get("namespace", namespace) == namespace
    cm_name = values[spark_tasks.ENV_POD_TEMPLATES_CONFIGMAP]
    cm = by_kind.get("ConfigMap", {}).get(cm_name)
    assert cm is not None, f"{env}: no ConfigMap {cm_name}"
    assert {"driver.yaml", "executor.yaml"} <= set(cm.get("data") or {}), f"{env}: {cm_name} lacks driver.yaml/executor.yaml"
    assert values[spark_tasks.ENV_MASTER_URL].startswith("spark://")


def _dags_configmap() -> dict[str, Any]:
    docs = load_manifest("dev")
    maps = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == DAGS_CONFIGMAP]
    assert len(maps) == 1, f"dist/dev has {len(maps)} ConfigMaps named {DAGS_CONFIGMAP}"
    return maps[0]


def _configmap_key(path: Path) -> str:
    return str(path.relative_to(REPO / "dags")).replace("/", "__")


#: Keys the construct may add to the DAG ConfigMap itself (not files of dags/): an .airflowignore that
#: hides the kubelet's `..data` / `..<timestamp>` directories from Airflow's DAG discovery.
CONSTRUCT_GENERATED_KEYS = {".airflowignore"}


def test_dags_configmap_keys_are_exactly_the_files_of_dags():
    cm = _dags_configmap()
    keys = (set(cm.get("data") or {}) | set(cm.get("binaryData") or {})) - CONSTRUCT_GENERATED_KEYS
    expected = {_configmap_key(p) for p in dag_files()}
    assert keys == expected, f"only in the ConfigMap: {sorted(keys - expected)}; only in dags/: {sorted(expected - keys)}"


def test_dags_configmap_content_is_current():
    cm = _dags_configmap()
    stale = [
        _configmap_key(p)
        for p in dag_files()
        if _configmap_key(p) in (cm.get("data") or {}) and cm["data"][_configmap_key(p)] != p.read_text()
    ]
    assert not stale, f"dist/dev/{DAGS_CONFIGMAP} holds old versions of {stale}: run `npm run synth` again"


# --------------------------------------------------------------------------------------------------
# The DAG ConfigMap as the kubelet mounts it, parsed by Airflow's own DAG discovery.
# --------------------------------------------------------------------------------------------------
def _airflow_cfg_dags_folder(docs: list[dict[str, Any]]) -> str:
    import configparser

    for d in docs:
        data = d.get("data") or {}
        if d["kind"] == "ConfigMap" and "airflow.cfg" in data:
            cfg = configparser.ConfigParser(interpolation=None)
            cfg.read_string(data["airflow.cfg"])
            return cfg.get("core", "dags_folder", fallback="/opt/airflow/dags")
    return "/opt/airflow/dags"


def _configmap_files(cm: dict[str, Any], volume: dict[str, Any]) -> dict[str, bytes]:
    """path inside the volume -> content, as the kubelet projects a configMap volume."""
    import base64

    content = {k: v.encode() for k, v in (cm.get("data") or {}).items()}
    content.update({k: base64.b64decode(v) for k, v in (cm.get("binaryData") or {}).items()})
    items = volume["configMap"].get("items")
    if not items:
        return content
    return {item["path"]: content[item["key"]] for item in items}


def _write_atomic_writer_layout(target: Path, files: dict[str, bytes]) -> None:
    """The kubelet's layout of a configMap volume: a timestamped dir, `..data` -> it, and top-level
    symlinks through `..data` for every top-level entry."""
    stamp = target / "..2026_11_23_14_00_00.000000001"
    for rel, data in files.items():
        path = stamp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (target / "..data").symlink_to(stamp.name)
    for top in sorted({Path(rel).parts[0] for rel in files}):
        (target / top).symlink_to(Path("..data") / top)


def _materialize_dags_folder(env: str, component: str, root: Path) -> Path | None:
    docs = load_manifest(env)
    cms = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    workload = next(
        w for w in airflow_workloads(docs) if w["metadata"]["labels"].get("app.kubernetes.io/component") == component
    )
    spec = workload["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    container = next(c for c in spec["containers"] if c["name"] == "airflow")
    dags_folder = _airflow_cfg_dags_folder(docs)
    mounted = False
    for mount in container.get("volumeMounts") or []:
        volume = volumes.get(mount["name"], {})
        if "configMap" not in volume or volume["configMap"]["name"] != DAGS_CONFIGMAP:
            continue
        mounted = True
        files = _configmap_files(cms[DAGS_CONFIGMAP], volume)
        target = root / mount["mountPath"].lstrip("/")
        if mount.get("subPath"):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[mount["subPath"]])
        else:
            target.mkdir(parents=True, exist_ok=True)
            _write_atomic_writer_layout(target, files)
    return root / dags_folder.lstrip("/") if mounted else None


@pytest.mark.parametrize("component", ["dag-processor", "scheduler"])
def test_airflow_discovers_the_dags_in_the_configmap_as_the_kubelet_mounts_it(component, tmp_path):
    """Airflow walks the DAG folder following symlinks; a configMap volume mounted as a directory has
    `..data` -> `..<timestamp>`, which Airflow 3.3 reports as a recursive loop (no DAG is found at all)
    unless those directories are ignored (.airflowignore `..*/`) or the files are mounted with subPath."""
    from airflow.dag_processing.dagbag import BundleDagBag
    from airflow.utils.file import find_dag_file_paths

    folder = _materialize_dags_folder("dev", component, tmp_path)
    if folder is None:
        pytest.skip(f"dev: {component} does not mount the {DAGS_CONFIGMAP} ConfigMap")
    found = find_dag_file_paths(folder, safe_mode=True)
    assert sorted(Path(p).name for p in found) == ["spark_on_kubernetes.py", "spark_standalone.py", "spark_tasks.py"]
    bag = BundleDagBag(dag_folder=folder, bundle_path=folder, bundle_name="dags-folder")
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"spark_on_kubernetes", "spark_standalone"}


# --------------------------------------------------------------------------------------------------
# NetworkPolicies (TypeScript constructs) select the task pods the DAGs build (Python) by label.
# --------------------------------------------------------------------------------------------------
def _policies(env: str) -> list[dict[str, Any]]:
    return [d for d in load_manifest(env) if d.get("kind") == "NetworkPolicy"]


def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = policy["spec"]["podSelector"].get("matchLabels") or {}
    return all(labels.get(k) == v for k, v in wanted.items())


def _allowed_ports(policies: list[dict[str, Any]], labels: dict[str, str], direction: str) -> set[int]:
    """Ports the pods with `labels` may use in `direction` ("Ingress" or "Egress"), over every policy selecting them."""
    ports: set[int] = set()
    for policy in policies:
        if not _selects(policy, labels) or direction not in policy["spec"]["policyTypes"]:
            continue
        for rule in policy["spec"].get(direction.lower(), []):
            for port in rule.get("ports", []):
                ports.update(range(port["port"], port.get("endPort", port["port"]) + 1))
    return ports


def _cli_ports(name: str) -> dict[str, int]:
    """The ports spark-job submit pins (job/src/ports.ts), e.g. STANDALONE_PORTS."""
    text = (REPO / "job" / "src" / "ports.ts").read_text()
    block = re.search(rf"export const {name} = \{{(.*?)\}} as const;", text, re.S)
    assert block, f"job/src/ports.ts has no {name}"
    return {k: int(v) for k, v in re.findall(r"^\s*(\w+): (\d+),", block.group(1), re.M)}


@pytest.mark.parametrize("env", ENVS)
def test_network_policies_let_the_dag_task_pods_do_their_work(env):
    policies = _policies(env)
    dagbag = load_dagbag()
    k8s = dagbag.dags["spark_on_kubernetes"]
    standalone = dagbag.dags["spark_standalone"]
    for task in (k8s.get_task("submit"), k8s.get_task("monitor")):
        labels = task.labels
        # Default deny selects every pod; the task pods may reach DNS and the API server.
        assert {53, 443, 6443} <= _allowed_ports(policies, labels, "Egress"), f"{env}: {task.task_id} {labels}"
    run = standalone.get_task("submit")
    # the object store of the event logs (staging, prod) is its own flow, to the store's addresses
    store = [p for p in policies if p["metadata"]["name"] == "spark-standalone-tasks-to-event-log-store-egress"]
    if env != "dev":
        assert store and _allowed_ports(store, run.labels, "Egress") == {443}, f"{env}: the standalone driver writes its event log to the store"
        assert all(peer.get("ipBlock") for rule in store[0]["spec"]["egress"] for peer in rule["to"])
    policies = [p for p in policies if p not in store]
    egress = _allowed_ports(policies, run.labels, "Egress")
    ingress = _allowed_ports(policies, run.labels, "Ingress")
    assert {53, 7077} <= egress, "the standalone driver registers with the master"
    pinned = _cli_ports("STANDALONE_PORTS")
    assert set(range(pinned["blockManager"], pinned["blockManager"] + 17)) <= egress, "the driver fetches from executors on the workers"
    assert (pinned["driver"], pinned["driverBlockManager"]) == (spark_tasks.STANDALONE_DRIVER_PORT, spark_tasks.STANDALONE_DRIVER_BLOCK_MANAGER_PORT)
    assert {spark_tasks.STANDALONE_DRIVER_PORT, spark_tasks.STANDALONE_DRIVER_BLOCK_MANAGER_PORT} <= ingress, "executors reach the driver"
    assert 443 not in egress, "the standalone task pod does not call the API server"
