"""
### SparkPi on the standalone Spark cluster (client mode)

One task runs `spark-job submit --target standalone` in a pod of the job image: spark-submit runs
the driver inside that pod (client mode) against `SPARK_MASTER_URL`, executors run on the standalone
workers and reach the driver at the pod's IP. The task ends when the application ends, with its exit
code; its log is the driver's log. No SSH, no Spark installation in the Airflow image.

Configuration: the DAG contract environment (`SPARK_JOB_IMAGE`, `SPARK_NAMESPACE`,
`SPARK_SUBMITTER_SERVICE_ACCOUNT`, `SPARK_MASTER_URL`), set by the Airflow construct; see
`spark_tasks.py`.
"""

from __future__ import annotations

import pendulum

from airflow.sdk import dag
from spark_tasks import SPARK_EXAMPLES_JAR, spark_submit_standalone


@dag(
    dag_id="spark_standalone",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["spark", "standalone", "example"],
    doc_md=__doc__,
)
def spark_standalone() -> None:
    spark_submit_standalone(
        "",
        "spark-pi",
        SPARK_EXAMPLES_JAR,
        main_class="org.apache.spark.examples.SparkPi",
        app_args=["1000"],
    )


spark_standalone()
