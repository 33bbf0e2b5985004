"""spark_on_kubernetes: submit (cluster mode) then a deferrable monitor, both hardened KPO pods."""

from __future__ import annotations

import copy
import json

import pytest

import spark_tasks
from dag_support import SAMPLE_ENV, pod_of, restricted_violations

IMAGE = SAMPLE_ENV["SPARK_JOB_IMAGE"]
NAMESPACE = SAMPLE_ENV["SPARK_NAMESPACE"]
APP = "local:///opt/spark-job/apps/orders_report.py"

RESTRICTED_POD = {
    "runAsNonRoot": True,
    "runAsUser": 185,
    "runAsGroup": 185,
    "fsGroup": 185,
    "seccompProfile": {"type": "RuntimeDefault"},
}
RESTRICTED_CONTAINER = {
    "runAsNonRoot": True,
    "runAsUser": 185,
    "runAsGroup": 185,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags["spark_on_kubernetes"]


@pytest.fixture(scope="module")
def submit(dag):
    return dag.get_task("submit")


@pytest.fixture(scope="module")
def monitor(dag):
    return dag.get_task("monitor")


def test_has_submit_then_monitor(dag, submit, monitor):
    assert sorted(dag.task_ids) == ["monitor", "submit"]
    assert submit.downstream_task_ids == {"monitor"}
    assert monitor.upstream_task_ids == {"submit"}
    assert monitor.downstream_task_ids == set()


def test_both_tasks_are_hardened_kubernetes_pod_operators(submit, monitor):
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

    for task in (submit, monitor):
        assert type(task) is spark_tasks.SparkJobPodOperator
        assert isinstance(task, KubernetesPodOperator)
        assert task.image == IMAGE
        assert task.image_pull_policy == "IfNotPresent"
        assert task.namespace == NAMESPACE
        assert task.service_account_name == "test-submitter"
        assert task.cmds == ["spark-job"]
        assert task.on_finish_action.value == "delete_succeeded_pod"
        assert task.get_logs is True
        assert task.contract_missing == []
        assert task.random_name_suffix is True


def test_submit_runs_spark_job_submit_in_cluster_mode(submit):
    assert submit.arguments == [
        "submit",
        "--name", "orders-report",
        "--run-id", "{{ run_id }}",
        "--target", "k8s",
        "--namespace", NAMESPACE,
        "--driver-service-account", "test-driver",
        "--replace-failed",
        "--dag-id", "{{ dag.dag_id }}",
        "--task-id", "{{ task.task_id }}",
        "--",
        "--conf", f"spark.kubernetes.container.image={IMAGE}",
        APP,
        "--orders", "{{ params.orders }}",
        "--mode", "{{ params.mode }}",
        "--pause-seconds", "{{ params.pause_seconds }}",
    ]  # fmt: skip
    assert submit.do_xcom_push is True
    assert submit.deferrable is False
    assert submit.name == "orders-report-submit"
    assert submit.retries == 2


def test_submit_mounts_the_pod_templates_and_passes_them_to_the_cli(submit):
    volumes = {v.name: v for v in submit.volumes}
    assert volumes["pod-templates"].config_map.name == "test-pod-templates"
    assert {i.key: i.path for i in volumes["pod-templates"].config_map.items} == {
        "driver.yaml": "driver.yaml",
        "executor.yaml": "executor.yaml",
        "spark-defaults.conf": "spark-defaults.conf",
    }
    mounts = {m.name: m for m in submit.volume_mounts}
    assert mounts["pod-templates"].mount_path == "/opt/spark-job/pod-templates"
    assert mounts["pod-templates"].read_only is True
    assert {e.name: e.value for e in submit.env_vars} == {
        # spark-submit reads the environment's application defaults (driver/executor sizes) there
        "SPARK_CONF_DIR": "/opt/spark-job/pod-templates",
        "SPARK_JOB_DRIVER_POD_TEMPLATE": "/opt/spark-job/pod-templates/driver.yaml",
        "SPARK_JOB_EXECUTOR_POD_TEMPLATE": "/opt/spark-job/pod-templates/executor.yaml",
    }


def test_monitor_watches_the_driver_pod_from_submits_xcom(monitor):
    assert monitor.arguments == [
        "monitor",
        "--driver-pod", "{{ ti.xcom_pull(task_ids='submit')['driverPod'] }}",
        "--namespace", "{{ ti.xcom_pull(task_ids='submit')['namespace'] }}",
    ]  # fmt: skip
    assert monitor.deferrable is True
    assert monitor.do_xcom_push is False
    assert monitor.logging_interval == 300
    assert monitor.name == "orders-report-monitor"


@pytest.mark.parametrize(
    ("task_id", "requests", "limits"),
    [
        ("submit", {"cpu": "100m", "memory": "768Mi"}, {"cpu": "1", "memory": "768Mi"}),
        ("monitor", {"cpu": "50m", "memory": "128Mi"}, {"cpu": "250m", "memory": "256Mi"}),
    ],
)
def test_pods_have_requests_and_limits(dag, task_id, requests, limits):
    task = dag.get_task(task_id)
    assert task.container_resources.requests == requests
    assert task.container_resources.limits == limits


@pytest.mark.parametrize("task_id", ["submit", "monitor"])
def test_security_contexts_meet_pod_security_restricted(dag, task_id):
    from kubernetes.client import ApiClient

    task = dag.get_task(task_id)
    api = ApiClient()
    assert api.sanitize_for_serialization(task.security_context) == RESTRICTED_POD
    assert api.sanitize_for_serialization(task.container_security_context) == RESTRICTED_CONTAINER
    # The read-only root filesystem needs a writable /tmp (JVM, spark-submit).
    assert {m.mount_path for m in task.volume_mounts} >= {"/tmp"}
    assert next(v for v in task.volumes if v.name == "tmp").empty_dir is not None


@pytest.mark.parametrize("task_id", ["submit", "monitor"])
def test_pod_labels_identify_the_job(dag, task_id):
    assert dag.get_task(task_id).labels == {
        "app.kubernetes.io/name": "spark-job",
        "app.kubernetes.io/component": task_id,
        "app.kubernetes.io/part-of": "spark-airflow-k8s",
        "app.kubernetes.io/managed-by": "airflow",
        "spark-airflow-k8s/app-name": "orders-report",
        "spark-airflow-k8s/target": "k8s",
    }


def test_submit_pod_with_xcom_sidecar_is_restricted_and_pinned(submit):
    pod = pod_of(submit)
    assert restricted_violations(pod) == []
    spec = pod["spec"]
    assert pod["metadata"]["namespace"] == NAMESPACE
    assert pod["metadata"]["name"].startswith("orders-report-submit-")
    # no Docker-link variables of the namespace's Services (SPARK_MASTER_PORT=tcp://... and the like)
    assert spec["enableServiceLinks"] is False
    assert spec["serviceAccountName"] == "test-submitter"
    assert spec["securityContext"] == RESTRICTED_POD
    containers = {c["name"]: c for c in spec["containers"]}
    assert list(containers) == ["base", "airflow-xcom-sidecar"]
    sidecar = containers["airflow-xcom-sidecar"]
    assert sidecar["image"] == IMAGE  # the job image: pinned by the construct, already on the node
    assert sidecar["imagePullPolicy"] == "IfNotPresent"
    assert sidecar["securityContext"] == RESTRICTED_CONTAINER
    assert sidecar["resources"] == {"requests": {"cpu": "5m", "memory": "16Mi"}, "limits": {"cpu": "50m", "memory": "32Mi"}}
    assert containers["base"]["securityContext"] == RESTRICTED_CONTAINER
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["xcom"] == {"name": "xcom", "emptyDir": {"sizeLimit": "1Mi"}}
    assert {m["mountPath"] for m in containers["base"]["volumeMounts"]} == {
        "/airflow/xcom", "/tmp", "/opt/spark-job/pod-templates", "/var/run/secrets/kubernetes.io/serviceaccount",
    }


def test_only_the_submit_container_gets_the_api_token(submit, monitor):
    """No automounted token: the projected one is mounted into the task's container, not the XCom sidecar."""
    for task in (submit, monitor):
        spec = pod_of(task)["spec"]
        assert spec["automountServiceAccountToken"] is False
        volumes = {v["name"]: v for v in spec["volumes"]}
        sources = volumes["kube-api-access"]["projected"]["sources"]
        assert sources[0] == {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}
        assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"
        assert sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"] == "metadata.namespace"
        for container in spec["containers"]:
            token_mounts = [m for m in container.get("volumeMounts", []) if m["name"] == "kube-api-access"]
            if container["name"] == "base":
                assert token_mounts == [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}]
            else:
                assert token_mounts == [], container["name"]


def test_sidecar_settings_do_not_depend_on_a_kubernetes_connection(submit, monkeypatch):
    """A connection with a root alpine sidecar cannot weaken the pod: the DAG's settings win."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_KUBERNETES_DEFAULT",
        json.dumps(
            {
                "conn_type": "kubernetes",
                "extra": {
                    "xcom_sidecar_container_image": "alpine:latest",
                    "xcom_sidecar_container_resources": json.dumps({"requests": {"cpu": "1m"}}),
                    "xcom_sidecar_container_security_context": json.dumps({"runAsUser": 0}),
                },
            }
        ),
    )
    task = copy.deepcopy(submit)
    task.__dict__.pop("hook", None)
    assert task.hook.get_xcom_sidecar_container_image() == "alpine:latest"  # the connection is read
    pod = pod_of(task)
    sidecar = next(c for c in pod["spec"]["containers"] if c["name"] == "airflow-xcom-sidecar")
    assert sidecar["image"] == IMAGE
    assert sidecar["securityContext"] == RESTRICTED_CONTAINER
    assert restricted_violations(pod) == []


def test_monitor_pod_is_restricted_and_has_no_sidecar(monitor):
    pod = pod_of(monitor)
    assert restricted_violations(pod) == []
    assert [c["name"] for c in pod["spec"]["containers"]] == ["base"]
    assert pod["spec"]["serviceAccountName"] == "test-submitter"


def test_every_task_loads_the_in_cluster_config_also_when_deferred(submit, monitor):
    """The deferred half of monitor resumes in the triggerer through AsyncKubernetesHook, which
    only uses the in-cluster config when told to (apache/airflow#44325): found on a real node."""
    for task in (submit, monitor):
        assert task.in_cluster is True
        assert task.hook.in_cluster is True
    from airflow.providers.cncf.kubernetes.hooks.kubernetes import AsyncKubernetesHook

    assert AsyncKubernetesHook(in_cluster=monitor.in_cluster, conn_id=None).in_cluster is True


def test_a_connection_or_config_file_decides_instead_of_in_cluster():
    for extra in ({"kubernetes_conn_id": "my_cluster"}, {"config_file": "/tmp/kubeconfig"}, {"in_cluster": False}):
        task = spark_tasks.SparkJobPodOperator(task_id="t", image=IMAGE, **extra)
        assert task.in_cluster in (None, False), extra


@pytest.mark.parametrize(("code", "final"), [(1, True), (3, True), (4, False), (5, False), (7, False), (10, False)])
def test_monitor_fails_without_retries_when_the_app_itself_failed(monitor, code, final):
    """Exit 1 (driver Failed) and 3 (OOMKilled) are final: a retry would watch the same dead driver."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from airflow.sdk.exceptions import AirflowFailException
    from kubernetes.client import models as k8s

    remote = k8s.V1Pod(status=k8s.V1PodStatus(phase="Failed", container_statuses=[k8s.V1ContainerStatus(
        name="base", image=IMAGE, image_id="", ready=False, restart_count=0,
        state=k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(exit_code=code)))]))

    def failing_cleanup(self, *args, **kwargs):
        raise RuntimeError("Pod orders-report-monitor-x returned a failure.")

    task = copy.deepcopy(monitor)
    original = KubernetesPodOperator.cleanup
    KubernetesPodOperator.cleanup = failing_cleanup
    try:
        with pytest.raises(Exception) as raised:
            task.cleanup(k8s.V1Pod(), remote)
    finally:
        KubernetesPodOperator.cleanup = original
    assert isinstance(raised.value, AirflowFailException) is final
    if final:
        assert f"spark-job exited {code}" in str(raised.value)


def test_submit_retries_on_every_failure(submit):
    assert submit.final_exit_codes == {}
