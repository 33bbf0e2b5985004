"""spark_standalone: one hardened KPO task running the app in client mode against the standalone master."""

from __future__ import annotations

import pytest

import spark_tasks
from dag_support import SAMPLE_ENV, pod_of, restricted_violations
from test_spark_on_kubernetes import RESTRICTED_CONTAINER, RESTRICTED_POD

IMAGE = SAMPLE_ENV["SPARK_JOB_IMAGE"]
NAMESPACE = SAMPLE_ENV["SPARK_NAMESPACE"]
MASTER = SAMPLE_ENV["SPARK_MASTER_URL"]


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags["spark_standalone"]


@pytest.fixture(scope="module")
def submit(dag):
    return dag.get_task("submit")


def test_has_one_task(dag, submit):
    assert dag.task_ids == ["submit"]
    assert submit.upstream_task_ids == set() and submit.downstream_task_ids == set()


def test_runs_spark_job_submit_in_client_mode_against_the_master(submit):
    assert type(submit) is spark_tasks.SparkJobPodOperator
    assert submit.cmds == ["spark-job"]
    assert submit.arguments == [
        "submit",
        "--name", "orders-report",
        "--run-id", "{{ run_id }}",
        "--target", "standalone",
        "--master-url", MASTER,
        "--dag-id", "{{ dag.dag_id }}",
        "--task-id", "{{ task.task_id }}",
        "--",
        "--driver-memory", "1g",
        "--conf", "spark.authenticate=true",
        "--conf", "spark.eventLog.dir=file:/var/spark-events",
        "--conf", "spark.eventLog.enabled=true",
        "--conf", "spark.executor.memory=1234m",
        "--conf", "spark.metrics.conf.*.sink.prometheusServlet.class=org.apache.spark.metrics.sink.PrometheusServlet",
        "--conf", "spark.metrics.conf.*.sink.prometheusServlet.path=/metrics/prometheus",
        "--conf", "spark.metrics.conf.applications.sink.prometheusServlet.path=/metrics/applications/prometheus",
        "--conf", "spark.metrics.conf.master.sink.prometheusServlet.path=/metrics/master/prometheus",
        "--conf", "spark.network.crypto.enabled=true",
        "--conf", "spark.ui.prometheus.enabled=true",
        "local:///opt/spark-job/apps/orders_report.py",
        "--orders", "{{ params.orders }}",
        "--pause-seconds", "{{ params.pause_seconds }}",
    ]  # fmt: skip
    assert submit.image == IMAGE
    assert submit.namespace == NAMESPACE
    # the driver runs here, but never calls the Kubernetes API: no ServiceAccount token at all
    assert submit.service_account_name is None
    assert submit.automount_service_account_token is False
    spec = pod_of(submit)["spec"]
    assert spec["automountServiceAccountToken"] is False
    assert all(v["name"] != "kube-api-access" for v in spec["volumes"])
    assert submit.deferrable is False
    assert submit.do_xcom_push is True  # the CLI writes return.json (appId) for standalone too
    assert submit.on_finish_action.value == "delete_succeeded_pod"
    assert submit.get_logs is True
    assert submit.contract_missing == []
    assert submit.labels["spark-airflow-k8s/target"] == "standalone"


def test_driver_in_the_pod_learns_its_address_from_the_downward_api(submit):
    env = {e.name: e.value_from.field_ref.field_path for e in submit.env_vars if e.value_from.field_ref}
    assert env == {"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace", "POD_IP": "status.podIP"}


def test_driver_writes_its_event_log_to_the_history_servers_claim(submit):
    spec = pod_of(submit)["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["event-logs"]["persistentVolumeClaim"] == {"claimName": "test-spark-events"}
    mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["event-logs"]["mountPath"] == spark_tasks.EVENT_LOG_MOUNT_PATH == "/var/spark-events"
    assert "spark.eventLog.dir=file:/var/spark-events" in submit.arguments
    # the XCom sidecar does not get it
    assert all(m["name"] != "event-logs" for c in spec["containers"][1:] for m in c.get("volumeMounts") or [])


def test_without_a_history_server_no_event_log_and_no_claim():
    platform = spark_tasks.SparkPlatform.from_env({**SAMPLE_ENV, spark_tasks.ENV_EVENT_LOG_CLAIM: "", spark_tasks.ENV_EVENT_LOG_DIR: ""})
    app = spark_tasks.SparkApp(app_name="x", application="local:///x.py", target="standalone", platform=platform)
    assert not any(a.startswith("spark.eventLog") for a in app.spark_submit_arguments())
    assert all(v.name != "event-logs" for v in app.submit_task().volumes)


STORE_ENV = {
    **SAMPLE_ENV,
    spark_tasks.ENV_EVENT_LOG_CLAIM: "",
    spark_tasks.ENV_EVENT_LOG_DIR: "s3a://test-bucket/events",
    spark_tasks.ENV_EVENT_LOG_CONF: '{"spark.hadoop.fs.s3a.endpoint":"http://store.test:9000","spark.hadoop.fs.s3a.path.style.access":"true"}',
    spark_tasks.ENV_EVENT_LOG_SECRET: "test-store-keys",
}


def test_driver_writes_its_event_log_to_an_object_store_with_the_secrets_keys():
    platform = spark_tasks.SparkPlatform.from_env(STORE_ENV)
    app = spark_tasks.SparkApp(app_name="x", application="local:///x.py", target="standalone", platform=platform)
    args = app.spark_submit_arguments()
    for conf in (
        "spark.eventLog.enabled=true",
        "spark.eventLog.dir=s3a://test-bucket/events",
        "spark.hadoop.fs.s3a.endpoint=http://store.test:9000",
        "spark.hadoop.fs.s3a.path.style.access=true",
    ):
        assert conf in args
    task = app.submit_task()
    assert all(v.name != "event-logs" for v in task.volumes)
    refs = {e.name: (e.value_from.secret_key_ref.name, e.value_from.secret_key_ref.key) for e in task.env_vars if e.value_from and e.value_from.secret_key_ref}
    assert refs["AWS_ACCESS_KEY_ID"] == ("test-store-keys", "AWS_ACCESS_KEY_ID")
    assert refs["AWS_SECRET_ACCESS_KEY"] == ("test-store-keys", "AWS_SECRET_ACCESS_KEY")
    assert all(e.value is None for e in task.env_vars if e.name.startswith("AWS_"))
    # the XCom sidecar gets no credentials
    spec = pod_of(task)["spec"]
    assert all(not (c.get("env") or []) or all(not e["name"].startswith("AWS_") for e in c["env"]) for c in spec["containers"][1:])


def test_an_app_conf_wins_over_the_object_stores():
    platform = spark_tasks.SparkPlatform.from_env(STORE_ENV)
    app = spark_tasks.SparkApp(app_name="x", application="local:///x.py", target="standalone", platform=platform, conf={"spark.hadoop.fs.s3a.path.style.access": "false"})
    args = app.spark_submit_arguments()
    assert "spark.hadoop.fs.s3a.path.style.access=false" in args and "spark.hadoop.fs.s3a.path.style.access=true" not in args


@pytest.mark.parametrize(
    "value",
    ["{not json", '["spark.a", "b"]', '{"fs.s3a.endpoint": "x"}', '{"spark.a": 1}'],
)
def test_a_malformed_event_log_conf_is_refused_naming_the_variable(value):
    with pytest.raises(ValueError, match=spark_tasks.ENV_EVENT_LOG_CONF):
        spark_tasks.SparkPlatform.from_env({**STORE_ENV, spark_tasks.ENV_EVENT_LOG_CONF: value})


def test_an_app_may_turn_its_event_log_off():
    platform = spark_tasks.SparkPlatform.from_env(SAMPLE_ENV)
    app = spark_tasks.SparkApp(app_name="x", application="local:///x.py", target="standalone", platform=platform, conf={"spark.eventLog.enabled": "false"})
    args = app.spark_submit_arguments()
    assert "spark.eventLog.enabled=false" in args and "spark.eventLog.enabled=true" not in args


def test_driver_gets_the_cluster_secret_from_the_secret_never_as_a_literal(submit):
    secret_env = {e.name: e.value_from.secret_key_ref for e in submit.env_vars if e.value_from.secret_key_ref}
    assert {n: (r.name, r.key) for n, r in secret_env.items()} == {"_SPARK_AUTH_SECRET": ("test-spark-auth", "secret")}
    assert all(e.value is None for e in submit.env_vars)


def test_without_authentication_no_secret_and_no_auth_confs(monkeypatch):
    platform = spark_tasks.SparkPlatform.from_env({**SAMPLE_ENV, spark_tasks.ENV_AUTH_SECRET_NAME: ""})
    app = spark_tasks.SparkApp(app_name="x", application="local:///x.py", target="standalone", platform=platform)
    args = app.spark_submit_arguments()
    assert "spark.authenticate=true" not in args
    # the ports are spark-job's (job/src/ports.ts): the DAG may not set them
    assert not any(a.startswith(("spark.blockManager.port", "spark.driver.port")) for a in args)


def test_the_dag_cannot_override_the_pinned_ports():
    for key in ("spark.driver.port", "spark.driver.blockManager.port", "spark.blockManager.port"):
        with pytest.raises(ValueError, match=key):
            spark_tasks.SparkApp(app_name="x", application="local:///x.py", target="standalone", conf={key: "1234"}, platform=spark_tasks.SparkPlatform.from_env(SAMPLE_ENV))


def test_driver_listens_on_fixed_ports_a_network_policy_can_name(submit):
    assert {(p.name, p.container_port, p.protocol) for p in submit.ports} == {
        ("driver-rpc", 7078, "TCP"),
        ("driver-blocks", 7079, "TCP"),
        ("spark-ui", 4040, "TCP"),  # metrics, named like a Kubernetes driver's port (PodMonitor)
    }
    assert all(not p.host_port for p in submit.ports)


def test_pod_fits_the_driver_heap_and_is_restricted(submit):
    assert submit.container_resources.requests == {"cpu": "250m", "memory": "1536Mi"}
    assert submit.container_resources.limits == {"cpu": "2", "memory": "1536Mi"}
    pod = pod_of(submit)
    assert restricted_violations(pod) == []
    assert pod["spec"]["securityContext"] == RESTRICTED_POD
    for container in pod["spec"]["containers"]:
        assert container["securityContext"] == RESTRICTED_CONTAINER
    assert [c["image"] for c in pod["spec"]["containers"]] == [IMAGE, IMAGE]
    # No pod templates: the driver runs here, executors on the standalone workers; its event log
    # goes to the history server's claim.
    assert {v["name"] for v in pod["spec"]["volumes"]} == {"xcom", "tmp", "event-logs"}
