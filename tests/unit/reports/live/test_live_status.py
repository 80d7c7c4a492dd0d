"""`stswatch status` from object dicts: ordinal order, missing ordinals, claims, Service, policy."""

import json

import pytest
import yaml

from stswatch.reports.live.doctor import diagnose
from stswatch.reports.live.doctor import render_text as doctor_text
from stswatch.reports.live.status import MissingOrdinals, set_status
from stswatch.reports.live.status_render import render_json, render_table, render_yaml
from tests.fixtures.live_objects import claim, healthy, pod, service, statefulset, ts


def test_rows_are_in_ordinal_order_with_missing_ordinals_shown() -> None:
    world = healthy(
        statefulset=statefulset(replicas=5, ready=2),
        pods=(pod(2), pod(0)),  # list order 2, 0; ordinals 1, 3 and 4 have no pod
        claims=(claim(0), claim(1), claim(2)),
    )
    status = set_status(world)
    assert [(r.ordinal, r.phase) for r in status.rows] == [
        (0, "Running"), (1, "missing"), (2, "Running"),
    ]  # fmt: skip
    assert status.missing == [MissingOrdinals(3, 4)]
    assert status.rows[1].claims[0].status == "Bound"
    assert status.rows[0].claims[0].volume == "pvc-0"
    assert status.rows[0].dns == "redis-0.redis-headless.lab.svc.cluster.local"
    table = render_table(status)
    assert "2/5 ready" in table
    assert "claim data-redis-0: Bound, 1Gi, class lab, RWO, volume pvc-0" in table
    assert table.splitlines()[-1].split()[:4] == ["3..4", "-", "missing", "×2"]


@pytest.mark.timeout(20)
def test_rows_follow_what_exists_not_replicas() -> None:
    # The API accepts replicas: 2147483647; status died of MemoryError, doctor spun.
    world = healthy(
        statefulset=statefulset(replicas=2**31 - 1, ready=2),
        pods=(pod(0), pod(1), pod(2, ready=False, ready_since=ts(600))),
    )
    status = set_status(world)
    assert [r.ordinal for r in status.rows] == [0, 1, 2]
    assert status.missing == [MissingOrdinals(3, 2**31 - 2)]
    table = render_table(status)
    assert len(table.splitlines()) < 30
    assert table.splitlines()[-1].split()[:4] == ["3..2147483646", "-", "missing", "×2147483644"]
    assert json.loads(render_json(status))["missing"] == [{"first": 3, "last": 2**31 - 2}]
    findings = diagnose(world)
    text = doctor_text(world, findings)
    assert len(text.splitlines()) < 100
    assert "held: not created: redis-3..2147483646" in text


def test_start_ordinal_and_out_of_range_pods() -> None:
    world = healthy(
        statefulset=statefulset(replicas=2, start=5),
        pods=(pod(5), pod(6), pod(7, deleting="2023-11-14T22:13:00Z")),
    )
    status = set_status(world)
    assert status.ordinals_start == 5
    assert [(r.ordinal, r.in_range) for r in status.rows] == [(5, True), (6, True), (7, False)]
    assert status.rows[2].phase == "Terminating"
    table = render_table(status)
    assert "start 5 (5..6)" in table
    assert "Terminating (out of range)" in table


def test_service_state_and_policy_fields() -> None:
    status = set_status(healthy(statefulset=statefulset(policy="Parallel", partition=2)))
    assert status.pod_management_policy == "Parallel"
    assert status.partition == 2
    assert status.max_unavailable == "1"
    assert (status.service.exists, status.service.headless, status.service.selects) == (
        True, True, 3,
    )  # fmt: skip
    missing = set_status(healthy(service=None))
    assert not missing.service.exists
    assert "MISSING" in render_table(missing)
    wrong = set_status(healthy(service=service(headless=False, selector={"app": "other"})))
    assert (wrong.service.headless, wrong.service.selects) == (False, 0)


def test_restarts_and_last_termination() -> None:
    crashing = [{
        "name": "redis", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"reason": "Error", "exitCode": 1,
                                     "finishedAt": "2023-11-14T22:10:00Z"}},
    }]  # fmt: skip
    world = healthy(pods=(pod(0), pod(1, ready=False, containers=crashing), pod(2)))
    row = set_status(world).rows[1]
    assert (row.restarts, row.last_termination, row.ready) == (4, "Error (exit 1)", False)


def test_json_and_yaml_carry_the_same_fields() -> None:
    status = set_status(healthy())
    as_json = json.loads(render_json(status))
    as_yaml = yaml.safe_load(render_yaml(status))
    assert as_json == as_yaml
    assert as_json["rows"][2]["claims"][0]["name"] == "data-redis-2"
    assert as_json["retention_when_scaled"] == "Retain"
