"""
### SparkPi on Kubernetes (cluster mode)

`submit` runs `spark-job submit --target k8s` in a pod of the job image: spark-submit creates the
driver pod (name derived from the app name and the run id, pod templates from the
`SPARK_POD_TEMPLATES_CONFIGMAP` ConfigMap) and returns at once; the CLI writes
`{"driverPod", "namespace", ...}` to `/airflow/xcom/return.json`, which becomes this task's XCom.
A retry adopts the driver an earlier try created instead of submitting a duplicate. The driver and
executors run the job image too (`spark.kubernetes.container.image`): its entrypoint hands Spark's
`driver`/`executor` commands to Spark's own entrypoint.

`monitor` runs `spark-job monitor --driver-pod <driverPod>` in a deferrable pod: it watches the driver
pod and streams its log, which lands in this task's log; the task fails when the driver fails
(OOMKilled, evicted, deleted, ...), with the reason on the first line.

Configuration: the DAG contract environment (`SPARK_JOB_IMAGE`, `SPARK_NAMESPACE`,
`SPARK_SUBMITTER_SERVICE_ACCOUNT`, `SPARK_DRIVER_SERVICE_ACCOUNT`, `SPARK_POD_TEMPLATES_CONFIGMAP`),
set by the Airflow construct; see `spark_tasks.py`.
"""

from __future__ import annotations

import pendulum

from airflow.sdk import dag
from spark_tasks import SPARK_EXAMPLES_JAR, spark_submit_and_monitor


@dag(
    dag_id="spark_on_kubernetes",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["spark", "kubernetes", "example"],
    doc_md=__doc__,
)
def spark_on_kubernetes() -> None:
    spark_submit_and_monitor(
        "",
        "spark-pi",
        SPARK_EXAMPLES_JAR,
        main_class="org.apache.spark.examples.SparkPi",
        app_args=["1000"],
    )


spark_on_kubernetes()
