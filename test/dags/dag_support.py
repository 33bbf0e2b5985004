"""Shared set-up and helpers of the DAG tests (imported by conftest.py, so it runs first).

Airflow reads its configuration when first imported, so the environment is fixed here, at import
time of this module (conftest.py imports it before any test module imports Airflow): AIRFLOW_HOME in a fresh temporary
directory, a sqlite database there, no example DAGs, and the DAG contract environment set to sample
values that differ from every default (so a test proves the value came from the environment).

DAGs are parsed the way the dag-processor and the task runner do it: a ``BundleDagBag`` over dags/,
which puts the bundle folder on sys.path so ``from spark_tasks import ...`` resolves.
"""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock


REPO = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO / "dags"
RETURN_JSON_FIXTURE = REPO / "job" / "test" / "fixtures" / "return.json"

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="airflow-home-")
atexit.register(shutil.rmtree, _AIRFLOW_HOME, ignore_errors=True)
os.environ.update(
    {
        "AIRFLOW_HOME": _AIRFLOW_HOME,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME}/airflow.db",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
    }
)
# A connection in the developer's shell must not change what the DAGs build.
for _name in list(os.environ):
    if _name.startswith("AIRFLOW_CONN_"):
        del os.environ[_name]

# spark_tasks is imported by the tests too (constants, helpers); leave no __pycache__ in dags/.
sys.dont_write_bytecode = True
if str(DAGS_DIR) not in sys.path:
    sys.path.insert(0, str(DAGS_DIR))

import spark_tasks  # noqa: E402

#: Sample DAG contract values: none equals a default, so every assertion proves the env was read.
SAMPLE_ENV: dict[str, str] = {
    spark_tasks.ENV_JOB_IMAGE: "registry.example.test/spark-job:4.1.2-test",
    spark_tasks.ENV_NAMESPACE: "spark-test",
    spark_tasks.ENV_SUBMITTER_SERVICE_ACCOUNT: "test-submitter",
    spark_tasks.ENV_DRIVER_SERVICE_ACCOUNT: "test-driver",
    spark_tasks.ENV_MASTER_URL: "spark://spark-master.spark-test.svc:7077",
    spark_tasks.ENV_POD_TEMPLATES_CONFIGMAP: "test-pod-templates",
    spark_tasks.ENV_AUTH_SECRET_NAME: "test-spark-auth",
    spark_tasks.ENV_EXECUTOR_MEMORY: "1234m",
    spark_tasks.ENV_EVENT_LOG_CLAIM: "test-spark-events",
    spark_tasks.ENV_EVENT_LOG_DIR: "file:/var/spark-events",
    # event logs on the claim above: no object store (test_spark_standalone.py sets one)
    spark_tasks.ENV_EVENT_LOG_CONF: "",
    spark_tasks.ENV_EVENT_LOG_SECRET: "",
}
for _name in spark_tasks.CONTRACT_ENV_NAMES:
    os.environ.pop(_name, None)
os.environ.update(SAMPLE_ENV)

#: Parse-time budget of the whole dags/ folder and of one file, in seconds. Measured on the
#: 2-core machines: ~1.5 s for the folder, most of it the first import of the Kubernetes client.
#: Airflow's own limit (core.dagbag_import_timeout) is 30 s per file.
PARSE_BUDGET_FOLDER_S = 10.0
PARSE_BUDGET_FILE_S = 5.0

#: Lines printed in pytest's terminal summary (even with -q): measured times.
MEASUREMENTS: list[str] = []


def dag_files() -> list[Path]:
    """Every file the DAG ConfigMap must carry: dags/ minus __pycache__, *.pyc and dotfiles."""
    files = []
    for path in sorted(DAGS_DIR.rglob("*")):
        rel = path.relative_to(DAGS_DIR)
        if not path.is_file() or path.suffix == ".pyc" or any(p == "__pycache__" or p.startswith(".") for p in rel.parts):
            continue
        files.append(path)
    return files


def python_dag_files() -> list[Path]:
    return [p for p in dag_files() if p.suffix == ".py"]


@contextmanager
def contract_env(env: Mapping[str, str] | None) -> Iterator[None]:
    """Sets exactly `env` as the DAG contract environment (None or {} = none of it) for a while."""
    saved = {name: os.environ.get(name) for name in spark_tasks.CONTRACT_ENV_NAMES}
    try:
        for name in spark_tasks.CONTRACT_ENV_NAMES:
            os.environ.pop(name, None)
        os.environ.update(env or {})
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def load_dagbag(env: Mapping[str, str] | None = None, dag_folder: Path = DAGS_DIR):
    """Parses dag_folder (a folder or one file) as the dag-processor does, under a given contract env."""
    from airflow.dag_processing.dagbag import BundleDagBag

    with contract_env(SAMPLE_ENV if env is None else env):
        start = time.perf_counter()
        bag = BundleDagBag(dag_folder=dag_folder, bundle_path=DAGS_DIR, bundle_name="dags-folder")
        bag.parse_seconds = time.perf_counter() - start  # type: ignore[attr-defined]
    return bag


SAMPLE_RUN_ID = "scheduled__2026-11-23T14:00:00+00:00"


def render_task(task, xcoms: Mapping[tuple[str, str], Any], run_id: str = SAMPLE_RUN_ID):
    """Renders a copy of `task` for a sample DagRun through Airflow's own runtime code path.

    A ``RuntimeTaskInstance`` (what the task runner executes) with a server-side run context
    builds the real template context (``run_id``, ``dag``, ``task``, ``ti``, ``ds``...) and
    ``render_templates()`` renders every template field. Only the XCom backend is replaced:
    ``ti.xcom_pull`` goes through its real code down to ``XCom.get_all``/``get_one``, which
    answer from `xcoms` ({(task_id, key): value}).

    Returns (rendered task, template context).
    """
    import pendulum
    from airflow.sdk.api.datamodels._generated import DagRun, TIRunContext
    from airflow.sdk.execution_time import xcom as xcom_module
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

    when = pendulum.datetime(2026, 11, 23, 14, tz="UTC")
    dag_run = DagRun(
        dag_id=task.dag.dag_id,
        run_id=run_id,
        logical_date=when,
        data_interval_start=when,
        data_interval_end=when,
        run_after=when,
        start_date=when,
        end_date=None,
        run_type="scheduled",
        state="running",
        consumed_asset_events=[],
        partition_key=None,
    )
    task = copy.deepcopy(task)
    ti = RuntimeTaskInstance.model_construct(
        id=uuid.uuid4(),
        task_id=task.task_id,
        dag_id=task.dag.dag_id,
        run_id=run_id,
        try_number=1,
        dag_version_id=uuid.uuid4(),
        map_index=-1,
        task=task,
        start_date=when,
        max_tries=task.retries,
        _ti_context_from_server=TIRunContext(dag_run=dag_run, max_tries=task.retries),
    )

    def get_all(*, key, task_id, **_: Any):
        value = xcoms.get((task_id, key))
        return None if value is None else [value]

    def get_one(*, key, task_id, **_: Any):
        return xcoms.get((task_id, key))

    with mock.patch.object(xcom_module.XCom, "get_all", side_effect=get_all), mock.patch.object(
        xcom_module.XCom, "get_one", side_effect=get_one
    ):
        context = ti.get_template_context()
        ti.render_templates(context)
    return ti.task, context


def pod_of(task, context=None) -> dict[str, Any]:
    """The pod the operator would create (after the cluster policy), as the API server sees it."""
    from kubernetes.client import ApiClient

    pod = task.build_pod_request_obj(context, dry_run=True)
    return ApiClient().sanitize_for_serialization(pod)


# --------------------------------------------------------------------------------------------------
# Pod Security Standard "restricted" (Kubernetes 1.28), checked on a pod spec as a dict.
# --------------------------------------------------------------------------------------------------
_RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
}


def restricted_violations(pod: Mapping[str, Any]) -> list[str]:
    spec = pod.get("spec", pod)
    problems: list[str] = []
    psc = spec.get("securityContext") or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            problems.append(f"spec.{flag} is true")
    for vol in spec.get("volumes") or []:
        kinds = set(vol) - {"name"}
        if not kinds <= _RESTRICTED_VOLUME_TYPES:
            problems.append(f"volume {vol['name']} uses {sorted(kinds - _RESTRICTED_VOLUME_TYPES)}")
    if psc.get("runAsUser") == 0:
        problems.append("pod runAsUser is 0")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp not in (None, "RuntimeDefault", "Localhost"):
        problems.append(f"pod seccompProfile {pod_seccomp}")
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or []), *(spec.get("ephemeralContainers") or [])]
    for c in containers:
        name = c.get("name")
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            problems.append(f"{name}: privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation is not false")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            problems.append(f"{name}: capabilities do not drop ALL")
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            problems.append(f"{name}: adds capabilities {caps.get('add')}")
        non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if non_root is not True:
            problems.append(f"{name}: runAsNonRoot is not true (container or pod)")
        if sc.get("runAsUser") == 0:
            problems.append(f"{name}: runAsUser is 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type") or pod_seccomp
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{name}: seccompProfile is {seccomp!r} (container or pod), not RuntimeDefault/Localhost")
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                problems.append(f"{name}: hostPort {port['hostPort']}")
    return problems
