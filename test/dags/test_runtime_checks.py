"""A missing contract value never breaks parsing; the task fails when it runs, before any pod exists."""

from __future__ import annotations

from unittest import mock

import pytest

import spark_tasks
from dag_support import SAMPLE_ENV, load_dagbag


def _without(*names):
    return {k: v for k, v in SAMPLE_ENV.items() if k not in names}


@pytest.mark.parametrize(
    ("dag_id", "task_id", "unset", "missing"),
    [
        ("spark_on_kubernetes", "submit", ["SPARK_JOB_IMAGE"], ["SPARK_JOB_IMAGE"]),
        ("spark_on_kubernetes", "submit", ["SPARK_POD_TEMPLATES_CONFIGMAP"], ["SPARK_POD_TEMPLATES_CONFIGMAP"]),
        ("spark_on_kubernetes", "monitor", ["SPARK_JOB_IMAGE"], ["SPARK_JOB_IMAGE"]),
        ("spark_on_kubernetes", "monitor", ["SPARK_POD_TEMPLATES_CONFIGMAP", "SPARK_MASTER_URL"], []),
        ("spark_standalone", "submit", ["SPARK_MASTER_URL"], ["SPARK_MASTER_URL"]),
        ("spark_standalone", "submit", ["SPARK_POD_TEMPLATES_CONFIGMAP"], []),
        ("spark_standalone", "submit", list(SAMPLE_ENV), ["SPARK_JOB_IMAGE", "SPARK_MASTER_URL"]),
    ],
)
def test_task_fails_at_runtime_naming_the_missing_variables(dag_id, task_id, unset, missing):
    from airflow.sdk.exceptions import AirflowFailException

    bag = load_dagbag(_without(*unset))
    assert bag.import_errors == {}
    task = bag.dags[dag_id].get_task(task_id)
    assert task.contract_missing == missing
    if not missing:
        return
    with mock.patch.object(spark_tasks.KubernetesPodOperator, "execute") as parent_execute:
        with pytest.raises(AirflowFailException) as err:
            task.execute(context={})
    parent_execute.assert_not_called()
    for name in missing:
        assert name in str(err.value)
    assert "No pod was created" in str(err.value)


def test_complete_contract_runs_the_operator():
    task = load_dagbag().dags["spark_on_kubernetes"].get_task("submit")
    with mock.patch.object(spark_tasks.KubernetesPodOperator, "execute", return_value={"ok": 1}) as parent_execute:
        assert task.execute(context={}) == {"ok": 1}
    parent_execute.assert_called_once()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"conf": {"spark.kubernetes.namespace": "x"}}, "spark.kubernetes.namespace is set by spark-job"),
        ({"conf": {"spark.kubernetes.driver.pod.name": "x"}}, "is set by spark-job"),
        ({"spark_args": ["--master", "local"]}, "--master is set by spark-job"),
        ({"spark_args": ["--deploy-mode=client"]}, "is set by spark-job"),
        ({"conf": {"spark.authenticate": "false"}}, "spark.authenticate is set by spark-job for Kubernetes apps"),
        ({"conf": {"spark.network.crypto.enabled": "false"}}, "each authenticates with a key of its own"),
        ({"target": "yarn"}, 'target must be "k8s" or "standalone"'),
        ({"app_name": " "}, "app_name must not be empty"),
    ],
)
def test_dag_author_errors_fail_at_parse_time(kwargs, message):
    args = {"app_name": "a", "application": "local:///x.jar", **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        spark_tasks.SparkApp(platform=spark_tasks.SparkPlatform.from_env(SAMPLE_ENV), **args)


def test_standalone_apps_may_set_authentication_confs():
    # the standalone cluster's own secret decides there; the helper sets spark.authenticate itself
    app = spark_tasks.SparkApp(
        platform=spark_tasks.SparkPlatform.from_env(SAMPLE_ENV),
        app_name="a",
        application="local:///x.py",
        target="standalone",
        conf={"spark.network.crypto.enabled": "true"},
    )
    assert "spark.network.crypto.enabled=true" in app.spark_submit_arguments()


def test_a_pipeline_is_a_few_lines():
    from airflow.sdk import DAG

    with DAG("two_apps", schedule=None) as dag:
        a_submit, a_monitor = spark_tasks.spark_submit_and_monitor(
            "etl", "daily etl", "local:///opt/spark-job/apps/pi.py", app_args=["10"], conf={"spark.executor.instances": "2"}
        )
        report = spark_tasks.spark_submit_standalone("report", "report", "local:///opt/spark-job/apps/pi.py")
        a_monitor >> report
    assert sorted(dag.task_ids) == ["etl_monitor", "etl_submit", "report_submit"]
    assert a_monitor.arguments[2] == "{{ ti.xcom_pull(task_ids='etl_submit')['driverPod'] }}"
    assert a_submit.name == "daily-etl-submit"
    assert a_submit.labels["spark-airflow-k8s/app-name"] == "daily-etl"
    sep = a_submit.arguments.index("--")
    assert a_submit.arguments[sep + 1 :] == [
        "--conf", "spark.executor.instances=2",
        "--conf", f"spark.kubernetes.container.image={SAMPLE_ENV['SPARK_JOB_IMAGE']}",
        "local:///opt/spark-job/apps/pi.py", "10",
    ]  # fmt: skip
