"""One Spark (and Airflow) version: lib/versions.ts, job/Dockerfile, the DAG defaults and the test env agree."""

from __future__ import annotations

import re

import pytest

import spark_tasks
from dag_support import REPO

VERSIONS_TS = REPO / "lib" / "versions.ts"
DOCKERFILE = REPO / "job" / "Dockerfile"
LOCK = REPO / "requirements" / "airflow-lock.txt"


def ts_const(name: str) -> str:
    match = re.search(rf"^export const {name}\s*=\s*'([^']+)'\s*;", VERSIONS_TS.read_text(), re.MULTILINE)
    assert match, f"no `export const {name} = '...';` in {VERSIONS_TS.relative_to(REPO)}"
    return match.group(1)


def dockerfile_spark_image() -> str:
    """The apache/spark image job/Dockerfile builds FROM (ARG defaults resolved)."""
    if not DOCKERFILE.exists():
        pytest.fail(f"{DOCKERFILE.relative_to(REPO)} is missing")
    args: dict[str, str] = {}
    images = []
    for line in DOCKERFILE.read_text().splitlines():
        line = line.strip()
        if m := re.match(r"ARG\s+(\w+)=(\S+)", line):
            args[m.group(1)] = m.group(2).strip("\"'")
        elif m := re.match(r"FROM\s+(?:--platform=\S+\s+)?(\S+)", line, re.IGNORECASE):
            image = re.sub(r"\$\{?(\w+)\}?", lambda v: args.get(v.group(1), v.group(0)), m.group(1))
            images.append(image)
    spark = [i for i in images if i.split(":")[0] in ("apache/spark", "docker.io/apache/spark")]
    assert len(spark) == 1, f"expected one FROM apache/spark in job/Dockerfile, got {images}"
    return spark[0]


def test_dag_spark_version_equals_lib_versions_ts():
    assert spark_tasks.SPARK_VERSION == ts_const("SPARK_VERSION")
    assert spark_tasks.SPARK_SCALA_VERSION == ts_const("SPARK_SCALA_VERSION")


def test_default_example_jar_is_of_that_version():
    version, scala = ts_const("SPARK_VERSION"), ts_const("SPARK_SCALA_VERSION")
    assert spark_tasks.SPARK_EXAMPLES_JAR == f"local:///opt/spark/examples/jars/spark-examples_{scala}-{version}.jar"
    for dag_file in ("spark_on_kubernetes.py", "spark_standalone.py"):
        text = (REPO / "dags" / dag_file).read_text()
        assert version not in text, f"{dag_file}: no Spark version in a DAG; use spark_tasks' constants"


def test_example_dags_run_an_app_the_job_image_carries():
    for dag_file in ("spark_on_kubernetes.py", "spark_standalone.py"):
        text = (REPO / "dags" / dag_file).read_text()
        apps = re.findall(r'f"\{JOB_APPS\}/([\w.]+)"', text)
        assert apps, f"{dag_file}: runs no app of job/apps"
        for app in apps:
            assert (REPO / "job" / "apps" / app).is_file(), f"{dag_file}: job/apps/{app} does not exist"


def test_job_image_is_built_from_that_spark_version():
    image = dockerfile_spark_image()
    tag = image.split(":", 1)[1]
    version, scala = ts_const("SPARK_VERSION"), ts_const("SPARK_SCALA_VERSION")
    assert tag == version or tag.startswith(f"{version}-"), f"job/Dockerfile FROM {image}, lib/versions.ts says {version}"
    assert f"scala{scala}" in tag, f"job/Dockerfile FROM {image} is not the Scala {scala} build"
    assert spark_tasks.SPARK_VERSION == version


def test_airflow_of_the_test_env_is_the_airflow_of_the_image():
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", LOCK.read_text(), re.MULTILINE))
    assert pins["apache-airflow"] == ts_const("AIRFLOW_VERSION")
    import airflow

    assert airflow.__version__ == pins["apache-airflow"], "the venv is not built from the lock: re-run scripts/ensure-airflow-venv.sh"


def test_the_driver_metrics_confs_are_the_constructs():
    """SPARK_METRICS_CONF of dags/ (standalone drivers) equals lib/monitoring.ts's (cluster, Kubernetes drivers)."""
    text = (REPO / "lib" / "monitoring.ts").read_text()
    block = text.split("export const SPARK_METRICS_CONF", 1)[1].split("};", 1)[0]
    pairs = dict(re.findall(r"'([^']+)': ([A-Z_]+|'[^']*')", block))
    constants = dict(re.findall(r"export const ([A-Z_]+) = '([^']*)';", text))
    ts = {k: constants[v] if not v.startswith("'") else v.strip("'") for k, v in pairs.items()}
    assert ts == dict(spark_tasks.SPARK_METRICS_CONF)
