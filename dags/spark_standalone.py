"""
### Orders report on the standalone Spark cluster (client mode)

One task runs `spark-job submit --target standalone` in a pod of the job image: spark-submit runs
the driver inside that pod (client mode) against `SPARK_MASTER_URL`, executors run on the standalone
workers and reach the driver at the pod's IP. The task ends when the application ends, with its exit
code; its log is the driver's log. No SSH, no Spark installation in the Airflow image.

The application (`job/apps/orders_report.py`) joins, shuffles, broadcasts and collects results of
several MiB, and checks its totals.

Configuration: the DAG contract environment (`SPARK_JOB_IMAGE`, `SPARK_NAMESPACE`,
`SPARK_SUBMITTER_SERVICE_ACCOUNT`, `SPARK_MASTER_URL`), set by the Airflow construct; see
`spark_tasks.py`.
"""

from __future__ import annotations

import pendulum

from airflow.sdk import Param, dag
from spark_tasks import JOB_APPS, spark_submit_standalone


@dag(
    dag_id="spark_standalone",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["spark", "standalone", "example"],
    doc_md=__doc__,
    params={
        "orders": Param(200_000, type="integer", minimum=1, description="number of generated orders"),
        "pause_seconds": Param(0, type="integer", minimum=0, maximum=3600, description="pause between the app's two stages (to watch its UI)"),
    },
)
def spark_standalone() -> None:
    spark_submit_standalone(
        "",
        "orders-report",
        f"{JOB_APPS}/orders_report.py",
        app_args=["--orders", "{{ params.orders }}", "--pause-seconds", "{{ params.pause_seconds }}"],
    )


spark_standalone()
