"""`stswatch doctor` from object dicts: one table row per diagnosis, and a healthy set."""

from typing import Any

import pytest

from stswatch.reports import causes
from stswatch.reports.live.doctor import diagnose, has_errors, render_text
from stswatch.reports.live.findings import Finding
from stswatch.reports.live.world import World
from tests.fixtures.live_objects import (
    claim,
    event,
    healthy,
    node,
    pod,
    service,
    statefulset,
    storage_class,
    ts,
)

CRASHING = [{
    "name": "redis", "restartCount": 5, "ready": False,
    "state": {"waiting": {"reason": "CrashLoopBackOff",
                          "message": "back-off 2m40s restarting failed container=redis"}},
    "lastState": {"terminated": {"reason": "Error", "exitCode": 1}},
}]  # fmt: skip
UNSCHEDULABLE = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                 "message": "0/3 nodes are available: 3 node(s) had untolerated taint"}  # fmt: skip
PENDING_2 = {"phase": "Pending", "ready": False}


def _world(case: str) -> World:
    """One broken world per diagnosis."""
    pending = (pod(0), pod(1), pod(2, **PENDING_2))  # type: ignore[arg-type]
    cases: dict[str, dict[str, Any]] = {
        "no storage class": {
            "statefulset": statefulset(storage_class="fast", ready=2),
            "pods": pending,
            "claims": (claim(0), claim(1), claim(2, phase="Pending", storage_class="fast")),
            "events": (
                event(
                    "PersistentVolumeClaim",
                    "data-redis-2",
                    "ProvisioningFailed",
                    'storageclass.storage.k8s.io "fast" not found',
                ),
            ),
        },
        "no default class": {
            "pods": pending,
            "claims": (claim(0), claim(1), claim(2, phase="Pending", storage_class=None)),
            "storage_classes": (storage_class(default=False),),
        },
        "no provisioner": {
            "pods": pending,
            "claims": (
                claim(0),
                claim(1),
                claim(2, phase="Pending", storage_class="none", created=ts(60)),
            ),
            "storage_classes": (storage_class(), storage_class("none", provisioner="x.io/none")),
            "events": (
                event(
                    "PersistentVolumeClaim",
                    "data-redis-2",
                    "ExternalProvisioning",
                    "Waiting for a volume to be created by the external provisioner 'x.io/none'",
                    type_="Normal",
                ),
            ),
        },
        "first consumer unschedulable": {
            "pods": (pod(0), pod(1), pod(2, phase="Pending", ready=False, scheduled=UNSCHEDULABLE)),
            "claims": (claim(0), claim(1), claim(2, phase="Pending", storage_class="wffc")),
            "storage_classes": (
                storage_class(),
                storage_class("wffc", binding="WaitForFirstConsumer"),
            ),
        },
        "no matching pv": {
            "pods": pending,
            "claims": (claim(0), claim(1), claim(2, phase="Pending", storage_class="local")),
            "storage_classes": (
                storage_class("local", provisioner="kubernetes.io/no-provisioner"),
            ),
        },
        "pv mismatch": {
            "pods": pending,
            "claims": (claim(0), claim(1), claim(2, phase="Pending", storage_class="local")),
            "storage_classes": (
                storage_class("local", provisioner="kubernetes.io/no-provisioner"),
            ),
            "volumes": (
                {
                    "metadata": {"name": "small"},
                    "status": {"phase": "Available"},
                    "spec": {
                        "storageClassName": "local",
                        "capacity": {"storage": "500Mi"},
                        "accessModes": ["ReadOnlyMany"],
                    },
                },
            ),
        },
        "service missing": {"service": None},
        "service not headless": {"service": service(headless=False)},
        "service external name": {
            "service": {
                "metadata": {"name": "redis-headless", "namespace": "lab"},
                "spec": {"type": "ExternalName", "externalName": "db.example.invalid"},
            }
        },
        "service selects none": {"service": service(selector={"app": "redis-wrong"})},
        "crash loop": {
            "pods": (pod(0), pod(1), pod(2, ready=False, containers=CRASHING)),
            "statefulset": statefulset(ready=2),
        },
        "stuck scale-up": {
            "statefulset": statefulset(ready=1),
            "pods": (pod(0), pod(1, ready=False, ready_since=ts(120))),
        },
        "stuck rollout": {
            "statefulset": statefulset(current="redis-aaa", update="redis-bbb", ready=2),
            "pods": (pod(0), pod(1), pod(2, ready=False, revision="redis-bbb")),
        },
        "stale claim": {"claims": tuple(claim(i) for i in range(5))},
        "retention deletes": {
            "statefulset": statefulset(retention={"whenScaled": "Delete", "whenDeleted": "Delete"}),
        },
        "stuck terminating": {
            "pods": (pod(0), pod(1), pod(2, deleting=ts(60), finalizers=["example.com/hold"])),
        },
        "image pull": {
            "pods": (
                pod(0),
                pod(1),
                pod(
                    2,
                    ready=False,
                    containers=[
                        {
                            "name": "redis",
                            "restartCount": 0,
                            "state": {
                                "waiting": {
                                    "reason": "ImagePullBackOff",
                                    "message": 'Back-off pulling image "redis:9"',
                                }
                            },
                        }
                    ],
                ),
            )
        },
        "oom killed": {
            "pods": (
                pod(0),
                pod(1),
                pod(
                    2,
                    containers=[
                        {
                            "name": "redis",
                            "restartCount": 2,
                            "state": {"running": {}},
                            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
                        }
                    ],
                ),
            )
        },
        "claim of an older pod": {
            "pods": (pod(0), pod(1)),
            "claims": (
                claim(0),
                claim(1),
                claim(2, owners=[{"kind": "Pod", "name": "redis-2", "uid": "uid-old"}]),
            ),
        },
        "claim being deleted": {
            "claims": (claim(0), claim(1), claim(2, deleting=ts(30))),
        },
        "quota refuses creation": {
            "statefulset": statefulset(replicas=5, ready=3),
            "pods": (pod(0), pod(1), pod(2)),
            "events": (
                event(
                    "StatefulSet",
                    "redis",
                    "FailedCreate",
                    'create Pod redis-3 in StatefulSet redis failed error: pods "redis-3" is '
                    "forbidden: exceeded quota: q, requested: pods=1, used: pods=3, limited: "
                    "pods=3",
                ),
            ),
        },
        "update refused": {
            "statefulset": statefulset(replicas=5, ready=3),
            "pods": (pod(0), pod(1), pod(2)),
            "events": (
                event(
                    "StatefulSet",
                    "redis",
                    "FailedUpdate",
                    'update Pod redis-0 in StatefulSet redis failed error: Pod "redis-0" is '
                    "invalid: spec: Forbidden: pod updates may not change fields",
                ),
            ),
        },
        "node gone": {
            "pods": (pod(0), pod(1), pod(2, deleting=ts(60), node="node-9")),
            "nodes": (node(),),
        },
    }
    return healthy(**cases[case])


EXPECTED = [
    ("no storage class", "error", (causes.CLAIM_NOT_BOUND, causes.NO_STORAGE_CLASS), '"fast"'),
    ("no default class", "error", (causes.CLAIM_NOT_BOUND, causes.NO_DEFAULT_STORAGE_CLASS),
     "is-default-class"),
    ("no provisioner", "error", (causes.CLAIM_NOT_BOUND, causes.NO_PROVISIONER), "x.io/none"),
    ("first consumer unschedulable", "error",
     (causes.CLAIM_NOT_BOUND, causes.WAITING_FOR_CONSUMER), "untolerated taint"),
    ("no matching pv", "error", (causes.CLAIM_NOT_BOUND, causes.NO_MATCHING_VOLUME), "local"),
    ("pv mismatch", "error", (causes.CLAIM_NOT_BOUND, causes.VOLUME_MISMATCH),
     "capacity 500Mi < 1Gi"),
    ("service missing", "error", (causes.SERVICE_MISSING,),
     "redis-2.redis-headless.lab.svc.cluster.local"),
    ("service not headless", "error", (causes.SERVICE_NOT_HEADLESS,), "10.96.0.10"),
    ("service external name", "error", (causes.SERVICE_NOT_HEADLESS,),
     "spec.type is ExternalName (a DNS alias of 'db.example.invalid')"),
    ("service selects none", "error", (causes.SERVICE_SELECTS_NO_POD,), "redis-wrong"),
    ("crash loop", "error", (causes.CRASH_LOOP,),
     "kubectl logs -n lab redis-2 -c redis --previous"),
    ("stuck scale-up", "error", (causes.SCALE_UP_STUCK, causes.NOT_READY), "not created: redis-2"),
    ("stuck rollout", "error", (causes.ROLLOUT_STUCK, causes.NOT_READY), "forced rollback"),
    ("stale claim", "warning", (causes.CLAIM_STALE,), "data-redis-3 data-redis-4"),
    ("retention deletes", "warning", (causes.RETENTION_DELETES,), "whenScaled"),
    ("stuck terminating", "error", (causes.STUCK_TERMINATING,), "example.com/hold"),
    ("node gone", "error", (causes.STUCK_TERMINATING, causes.NODE_GONE), "--force"),
    ("image pull", "error", (causes.CONTAINER_WAITING, "ImagePullBackOff"), "redis:9"),
    ("oom killed", "warning", (causes.CONTAINER_RESTARTED,), "OOMKilled (exit code 137)"),
    ("claim of an older pod", "error", (causes.CLAIM_OWNED_BY_OLD_POD,), "PodClaimIsStale"),
    ("claim being deleted", "warning", (causes.TERMINATING,), "pod(s) redis-2 still use it"),
    ("quota refuses creation", "error", (causes.CALL_REFUSED,), "exceeded quota: q"),
    ("update refused", "error", (causes.CALL_REFUSED,), "kubectl delete pod -n lab redis-0"),
]  # fmt: skip


def _text(finding: Finding) -> str:
    return " ".join([finding.what, *finding.why, *finding.fix])


def test_an_external_name_service_gets_no_selector_fix() -> None:
    """An ExternalName Service selects no pods and ignores a selector: one finding, no patch."""
    findings = diagnose(_world("service external name"))
    assert [f.causes for f in findings if "Service" in f.subject] == [
        (causes.SERVICE_NOT_HEADLESS,)
    ]
    assert not any(causes.SERVICE_SELECTS_NO_POD in f.causes for f in findings)


@pytest.mark.parametrize(("case", "severity", "finding_causes", "evidence"), EXPECTED)
def test_each_diagnosis(case: str, severity: str, finding_causes: tuple[str, ...],
                        evidence: str) -> None:  # fmt: skip
    findings = diagnose(_world(case))
    matching = [f for f in findings if f.causes == finding_causes]
    assert matching, [f.causes for f in findings]
    assert matching[0].severity == severity
    assert evidence in _text(matching[0]), matching[0]
    assert has_errors(findings) == (severity == "error")
    assert matching[0].reference


def test_a_healthy_set_has_no_finding() -> None:
    world = healthy()
    assert diagnose(world) == []
    assert render_text(world, []) == "StatefulSet lab/redis: healthy, no findings\n"


def test_parallel_does_not_halt_but_a_rollout_still_waits() -> None:
    parallel = healthy(statefulset=statefulset(policy="Parallel", ready=1),
                       pods=(pod(0), pod(1, ready=False)))  # fmt: skip
    found = diagnose(parallel)
    assert not has_errors(found)
    assert [f.severity for f in found if f.causes == (causes.NOT_READY,)] == ["warning"]
    rolling = healthy(
        statefulset=statefulset(policy="Parallel", current="redis-aaa", update="redis-bbb"),
        pods=(pod(0), pod(1), pod(2, ready=False, revision="redis-bbb")),
    )
    stuck = [f for f in diagnose(rolling) if causes.ROLLOUT_STUCK in f.causes]
    assert [f.severity for f in stuck] == ["error"]
    assert "kubectl delete pod -n lab redis-2" in " ".join(stuck[0].fix)


def test_a_refusal_of_a_set_at_its_spec_is_history() -> None:
    refused = event(
        "StatefulSet", "redis", "FailedCreate", "create Pod redis-2 in StatefulSet redis failed"
    )
    assert diagnose(healthy(events=(refused,))) == []


def test_terminating_within_grace_is_info() -> None:
    world = healthy(pods=(pod(0), pod(1), pod(2, deleting=ts(-20))))
    found = [f for f in diagnose(world) if causes.TERMINATING in f.causes]
    assert [f.severity for f in found] == ["info"]


def test_a_pod_holding_the_set_briefly_is_progress_not_a_fault() -> None:
    world = healthy(statefulset=statefulset(ready=1),
                    pods=(pod(0), pod(1, ready=False, ready_since=ts(3))))  # fmt: skip
    found = diagnose(world)
    assert not has_errors(found)
    progress = [f for f in found if f.subject == "StatefulSet redis"]
    assert [(f.severity, f.causes) for f in progress] == [("info", (causes.NOT_READY,))]
    assert progress[0].what.startswith("scale-up in progress: waiting for redis-1 (not Ready")


def test_refused_cluster_reads_are_named_not_guessed() -> None:
    world = _world("no storage class")
    refused = World(**{**world.__dict__, "storage_classes": (),
                       "unreadable": ("list storageclasses (403 forbidden)",)})  # fmt: skip
    found = [f for f in diagnose(refused) if causes.CLAIM_NOT_BOUND in f.causes]
    assert found[0].causes == (causes.CLAIM_NOT_BOUND,)
    assert "could not be listed (list storageclasses (403 forbidden))" in " ".join(found[0].why)
    assert "not checked: list storageclasses (403 forbidden) was refused" in render_text(
        refused, diagnose(refused)
    )


def test_ordered_scale_down_held_by_an_unready_pod_in_range() -> None:
    world = healthy(pods=(pod(0), pod(1, ready=False), pod(2), pod(3)))
    found = [f for f in diagnose(world) if causes.SCALE_DOWN_STUCK in f.causes]
    assert [f.severity for f in found] == ["error"]
    assert "held: not deleted: redis-3" in found[0].why


def test_waiting_out_min_ready_seconds_is_never_a_fault() -> None:
    set_ = statefulset(ready=2)
    set_["spec"]["minReadySeconds"] = 600
    world = healthy(statefulset=set_, pods=(pod(0), pod(1, ready_since=ts(120))))
    found = diagnose(world)
    assert not has_errors(found)
    assert [f.causes for f in found] == [(causes.NOT_AVAILABLE,)]
    assert found[0].severity == "info"


def test_a_set_with_no_pods_names_no_pod() -> None:
    # It reported a pod named "None" ("None.redis-headless.lab.svc.cluster.local").
    for replicas in (0, 3):
        world = healthy(statefulset=statefulset(replicas=replicas, ready=0), pods=(), claims=())
        text = render_text(world, diagnose(world))
        assert "None" not in text, text


@pytest.mark.parametrize("phase", ["Failed", "Succeeded"])
def test_a_terminal_pod_is_being_replaced_by_the_controller_not_holding_it(phase: str) -> None:
    # processReplica deletes a Failed or Succeeded pod (not yet terminating) and creates it
    # again, under any policy: the controller replay says "delete web-1 (Failed)" at such a
    # state. Doctor told a scale-up "held" (error, "make redis-1 Running and Ready") and a
    # rollout in need of a forced rollback ("the controller does not replace them by itself").
    terminal = {"phase": phase, "ready": False, "containers": []}
    scale_up = healthy(
        statefulset=statefulset(ready=1),
        pods=(pod(0), pod(1, **terminal)),  # type: ignore[arg-type]
    )
    rollout = healthy(
        statefulset=statefulset(policy="Parallel", current="redis-aaa", update="redis-bbb"),
        pods=(pod(0), pod(1), pod(2, revision="redis-bbb", **terminal)),  # type: ignore[arg-type]
    )
    for world in (scale_up, rollout):
        found = [f for f in diagnose(world) if f.subject == "StatefulSet redis"]
        assert [f.severity for f in found] == ["info"], found
        assert f"phase {phase}: processReplica deletes it and creates it again" in _text(found[0])
        assert "forced rollback" not in _text(found[0])


def test_a_pod_pending_for_long_still_holds_an_ordered_scale_up() -> None:
    world = healthy(
        statefulset=statefulset(ready=1),
        pods=(pod(0), pod(1, phase="Pending", ready=False)),
    )
    found = [f for f in diagnose(world) if causes.SCALE_UP_STUCK in f.causes]
    assert [f.severity for f in found] == ["error"]
    assert "redis-1: phase Pending" in _text(found[0])
