"""Redaction: what a stored object must never keep."""

import copy
from typing import Any

from stswatch.record.redact import ENV_MARKER, LAST_APPLIED, redact


def _containers(secret: str) -> list[dict[str, Any]]:
    return [
        {
            "name": "redis",
            "env": [
                {"name": "PASSWORD", "value": secret},
                {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            ],
        }
    ]


def _pod(secret: str = "hunter2") -> dict[str, Any]:
    return {
        "metadata": {
            "name": "redis-0",
            "managedFields": [{"manager": "kube-controller-manager"}],
            "annotations": {LAST_APPLIED: '{"secret": "x"}', "keep": "me"},
        },
        "spec": {"containers": _containers(secret), "initContainers": _containers(secret)},
    }


def test_pod_loses_managed_fields_last_applied_and_env_values() -> None:
    pod = redact(_pod(), kind="Pod", keep_env=False)
    assert "managedFields" not in pod["metadata"]
    assert pod["metadata"]["annotations"] == {"keep": "me"}
    for list_name in ("containers", "initContainers"):
        env = pod["spec"][list_name][0]["env"]
        assert env[0] == {"name": "PASSWORD", "value": ENV_MARKER}
        assert env[1]["valueFrom"]["secretKeyRef"]["name"] == "s"
    assert "hunter2" not in repr(pod)


def test_keep_env_keeps_values_but_still_drops_bookkeeping() -> None:
    pod = redact(_pod(), kind="Pod", keep_env=True)
    assert pod["spec"]["containers"][0]["env"][0]["value"] == "hunter2"
    assert "managedFields" not in pod["metadata"]


def test_statefulset_template_and_revision_data_are_redacted() -> None:
    template = {"spec": {"containers": _containers("hunter2")}}
    sts = redact(
        {"metadata": {}, "spec": {"template": template}}, kind="StatefulSet", keep_env=False
    )
    rev = redact(
        {"metadata": {}, "data": {"spec": {"template": copy.deepcopy(template)}}},
        kind="ControllerRevision",
        keep_env=False,
    )
    assert "hunter2" not in repr(sts)
    assert "hunter2" not in repr(rev)


def test_odd_shapes_are_left_alone() -> None:
    odd: dict[str, Any] = {"metadata": {"annotations": None}, "spec": {"containers": [None, {}]}}
    assert redact(copy.deepcopy(odd), kind="Pod", keep_env=False) == odd
    assert redact({}, kind="Event", keep_env=False) == {}
