"""Task-level dry run: every template of every task renders for a sample DagRun.

The monitor's arguments render against return.json as the job CLI's own code writes it
(job/test/fixtures/return.json), pulled through Airflow's real ``ti.xcom_pull``.
"""

from __future__ import annotations

import pytest

from dag_support import SAMPLE_ENV, SAMPLE_RUN_ID, pod_of, render_task, restricted_violations

RETURN_VALUE_KEYS = ["driverPod", "namespace", "appName", "appId", "submissionId", "submittedAt", "target"]


def all_tasks(dagbag):
    return [(dag_id, task.task_id) for dag_id in sorted(dagbag.dags) for task in dagbag.dags[dag_id].tasks]


def test_fixture_is_the_return_json_contract(return_json):
    assert list(return_json) == RETURN_VALUE_KEYS
    assert return_json["target"] == "k8s"
    assert return_json["driverPod"] and return_json["namespace"]


def test_monitor_renders_the_driver_pod_and_namespace_from_submits_return_json(dagbag, return_json):
    monitor = dagbag.dags["spark_on_kubernetes"].get_task("monitor")
    rendered, _ = render_task(monitor, {("submit", "return_value"): return_json})
    assert rendered.arguments == [
        "monitor",
        "--driver-pod", return_json["driverPod"],
        "--namespace", return_json["namespace"],
    ]  # fmt: skip


def test_submit_renders_run_dag_and_task_ids(dagbag):
    submit = dagbag.dags["spark_on_kubernetes"].get_task("submit")
    rendered, _ = render_task(submit, {})
    args = rendered.arguments
    assert args[args.index("--run-id") + 1] == SAMPLE_RUN_ID
    assert args[args.index("--dag-id") + 1] == "spark_on_kubernetes"
    assert args[args.index("--task-id") + 1] == "submit"


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from _strings(v)
    elif hasattr(value, "to_dict"):
        yield from _strings(value.to_dict())


@pytest.fixture(scope="module")
def xcoms(return_json):
    return {("submit", "return_value"): return_json}


def test_every_template_of_every_task_renders_and_the_pod_stays_restricted(dagbag, xcoms):
    rendered_count = 0
    for dag_id, task_id in all_tasks(dagbag):
        task = dagbag.dags[dag_id].get_task(task_id)
        rendered, context = render_task(task, xcoms)
        for field in rendered.template_fields:
            for text in _strings(getattr(rendered, field)):
                assert "{{" not in text and "{%" not in text, f"{dag_id}.{task_id}.{field} left a template: {text}"
            rendered_count += 1
        pod = pod_of(rendered, context)
        assert restricted_violations(pod) == [], f"{dag_id}.{task_id}"
        assert pod["spec"]["containers"][0]["image"] == SAMPLE_ENV["SPARK_JOB_IMAGE"]
        labels = pod["metadata"]["labels"]
        assert labels["dag_id"] == dag_id and labels["task_id"] == task_id
    print(f"\nrendered {rendered_count} template fields of {len(all_tasks(dagbag))} tasks")
