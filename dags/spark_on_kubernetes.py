"""
### Orders report on Kubernetes (cluster mode)

`submit` runs `spark-job submit --target k8s` in a pod of the job image: spark-submit creates the
driver pod (name derived from the app name and the run id, pod templates and application defaults
from the `SPARK_POD_TEMPLATES_CONFIGMAP` ConfigMap) and returns at once; the CLI writes
`{"driverPod", "namespace", ...}` to `/airflow/xcom/return.json`, which becomes this task's XCom.
A retry adopts the driver an earlier try created instead of submitting a duplicate. The driver and
executors run the job image too (`spark.kubernetes.container.image`): its entrypoint hands Spark's
`driver`/`executor` commands to Spark's own entrypoint.

`monitor` runs `spark-job monitor --driver-pod <driverPod>` in a deferrable pod: it watches the driver
pod and streams its log, which lands in this task's log; the task fails when the driver fails
(OOMKilled, evicted, deleted, ...), with the reason on the first line.

The application (`job/apps/orders_report.py`) joins, shuffles, broadcasts and collects results of
several MiB, and checks its totals, so a run proves the network paths Spark needs, not only that
it starts. Trigger with `{"mode": "raise"}` or `{"mode": "oom-driver"}` to see how a failing
application and a driver over its memory limit are reported.

Configuration: the DAG contract environment (`SPARK_JOB_IMAGE`, `SPARK_NAMESPACE`,
`SPARK_SUBMITTER_SERVICE_ACCOUNT`, `SPARK_DRIVER_SERVICE_ACCOUNT`, `SPARK_POD_TEMPLATES_CONFIGMAP`),
set by the Airflow construct; see `spark_tasks.py`.
"""

from __future__ import annotations

import pendulum

from airflow.sdk import Param, dag
from spark_tasks import JOB_APPS, spark_submit_and_monitor


@dag(
    dag_id="spark_on_kubernetes",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["spark", "kubernetes", "example"],
    doc_md=__doc__,
    params={
        "orders": Param(200_000, type="integer", minimum=1, description="number of generated orders"),
        "mode": Param("ok", enum=["ok", "raise", "oom-driver"], description="ok, or a failure to try"),
        "pause_seconds": Param(0, type="integer", minimum=0, maximum=3600, description="pause between the app's two stages (to watch its UI)"),
    },
)
def spark_on_kubernetes() -> None:
    spark_submit_and_monitor(
        "",
        "orders-report",
        f"{JOB_APPS}/orders_report.py",
        app_args=["--orders", "{{ params.orders }}", "--mode", "{{ params.mode }}", "--pause-seconds", "{{ params.pause_seconds }}"],
    )


spark_on_kubernetes()
