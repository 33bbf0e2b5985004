"""pytest fixtures of the DAG tests; the environment set-up and helpers live in dag_support.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dag_support import DAGS_DIR, MEASUREMENTS, RETURN_JSON_FIXTURE, load_dagbag


@pytest.fixture(scope="session")
def dagbag():
    """dags/ parsed once with the sample contract environment."""
    bag = load_dagbag()
    print(f"\nDagBag of {DAGS_DIR}: {len(bag.dags)} DAGs parsed in {bag.parse_seconds:.2f} s")
    return bag


@pytest.fixture(scope="session")
def return_json() -> dict[str, Any]:
    """return.json as written by the job CLI's own code (job/test/fixtures/return.json)."""
    if not RETURN_JSON_FIXTURE.exists():
        pytest.fail(
            f"{RETURN_JSON_FIXTURE} is missing: it is produced by the job CLI's own code "
            "(cd job && npm run fixture); the DAG tests render against it"
        )
    return json.loads(RETURN_JSON_FIXTURE.read_text())


def pytest_terminal_summary(terminalreporter):
    if MEASUREMENTS:
        terminalreporter.section("DAG parse times")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)
