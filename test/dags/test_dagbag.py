"""DagBag integrity: every file of dags/ parses without errors, fast, with and without the contract env."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap

import pytest

import spark_tasks
from dag_support import (
    DAGS_DIR,
    MEASUREMENTS,
    PARSE_BUDGET_FILE_S,
    PARSE_BUDGET_FOLDER_S,
    SAMPLE_ENV,
    load_dagbag,
    python_dag_files,
)

EXPECTED_DAGS = {"spark_on_kubernetes", "spark_standalone"}


def test_dags_folder_parses_with_zero_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED_DAGS


def test_cold_parse_of_the_dags_folder_is_within_the_budget():
    """Parse time as a fresh dag-processor sees it: Airflow loaded, the provider and dags/ not yet."""
    script = textwrap.dedent(
        f"""
        import json, sys, time
        from airflow.dag_processing.dagbag import BundleDagBag
        start = time.perf_counter()
        bag = BundleDagBag(dag_folder={str(DAGS_DIR)!r}, bundle_path={str(DAGS_DIR)!r}, bundle_name="dags-folder")
        total = time.perf_counter() - start
        print(json.dumps({{
            "total": total,
            "errors": {{str(k): v for k, v in bag.import_errors.items()}},
            "dags": sorted(bag.dag_ids),
            "files": {{s.file: s.duration.total_seconds() for s in bag.dagbag_stats}},
        }}))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], env={**os.environ, **SAMPLE_ENV}, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    MEASUREMENTS.append(f"cold parse of dags/: {result['total']:.2f} s (budget {PARSE_BUDGET_FOLDER_S} s)")
    for name, seconds in sorted(result["files"].items()):
        MEASUREMENTS.append(f"  {name}: {seconds:.3f} s (budget {PARSE_BUDGET_FILE_S} s)")
    assert result["errors"] == {}
    assert set(result["dags"]) == EXPECTED_DAGS
    assert result["total"] < PARSE_BUDGET_FOLDER_S
    assert all(seconds < PARSE_BUDGET_FILE_S for seconds in result["files"].values())


@pytest.mark.parametrize("path", python_dag_files(), ids=lambda p: p.name)
def test_each_file_parses_alone_with_zero_import_errors(path):
    bag = load_dagbag(dag_folder=path)
    assert bag.import_errors == {}
    assert bag.parse_seconds < PARSE_BUDGET_FILE_S
    if path.name != "spark_tasks.py":
        assert len(bag.dag_ids) == 1, "one DAG per file"


def test_dags_parse_without_any_contract_env_using_the_documented_defaults():
    bag = load_dagbag(env={})
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == EXPECTED_DAGS
    for dag in bag.dags.values():
        for task in dag.tasks:
            assert task.namespace == "spark-clu-jobs"
            assert task.service_account_name == ("spark-submitter" if dag.dag_id == "spark_on_kubernetes" else None)
            # No image is ever invented: the task fails at run time instead (test_runtime_checks.py).
            assert task.image == "unset-spark-job-image"
            assert spark_tasks.ENV_JOB_IMAGE in task.contract_missing


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_follows_the_airflow_3_conventions(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert dag.catchup is False
    assert dag.start_date.tzinfo is not None and dag.start_date.utcoffset().total_seconds() == 0
    assert dag.start_date.tzinfo.name == "UTC"
    assert dag.tags and {"spark"} <= set(dag.tags)
    assert dag.doc_md and dag.doc_md.strip().startswith("###")
    assert dag.max_active_runs == 1
    assert type(dag.timetable).__name__ == "NullTimetable"  # schedule=None: an example, triggered by hand
    for task in dag.tasks:
        assert task.retries >= 1, f"{task.task_id}: retrying is safe and expected"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_serializes_like_the_dag_processor_does(dagbag, dag_id):
    from airflow.serialization.serialized_objects import DagSerialization

    dag = dagbag.dags[dag_id]
    data = DagSerialization.to_dict(dag)
    round_trip = DagSerialization.from_dict(data)
    assert set(round_trip.task_ids) == set(dag.task_ids)


def test_only_spark_tasks_reads_the_environment():
    """dags/ reads the contract in one place: no other file touches os.environ or getenv."""
    for path in python_dag_files():
        if path.name == "spark_tasks.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | {
            n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
        }
        assert not names & {"environ", "getenv"}, f"{path.name} reads the environment; use spark_tasks"


def test_the_contract_names_are_exactly_what_spark_tasks_reads():
    """Every name SparkPlatform.from_env looks up is a contract name, and every contract name is read."""

    class Recording(dict):
        def __init__(self):
            super().__init__()
            self.seen = set()

        def get(self, key, default=None):
            self.seen.add(key)
            return super().get(key, default)

        def __getitem__(self, key):
            self.seen.add(key)
            return super().__getitem__(key)

    env = Recording()
    spark_tasks.SparkPlatform.from_env(env)
    assert env.seen == set(spark_tasks.CONTRACT_ENV_NAMES)
    assert len(spark_tasks.CONTRACT_ENV_NAMES) == len(set(spark_tasks.CONTRACT_ENV_NAMES))
    assert set(SAMPLE_ENV) == set(spark_tasks.CONTRACT_ENV_NAMES)
    assert all(name.startswith("SPARK_") for name in spark_tasks.CONTRACT_ENV_NAMES)


def test_dag_folder_has_no_package_marker():
    # The ConfigMap flattens paths; DAG files import spark_tasks as a top-level module.
    assert not (DAGS_DIR / "__init__.py").exists()
