"""Real recordings (`recordings/cases24.db.gz`, `cases21.db.gz`) edited into what the
StatefulSet controller could not have done: each edit must fail the guarantee it breaks, and the
recording as made, where the same situation was handled right, must still pass."""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import move, real_store, rewrite, spread
from tests.fixtures.verdicts import verdict_of

SCALE_DOWN_HELD = "b151-start-raised-while-down-held-orderedready"


def _place(path: Path, change_id: int, resource_version: int, wall_ns: int) -> None:
    """Move one change to another resourceVersion and receive time (a spread session)."""
    move(path, change_id, resource_version)
    rewrite(path, "UPDATE change SET received_wall_ns = ? WHERE id = ?", wall_ns, change_id)


def _verified(path: Path, session: str) -> VerifyResult:
    return verify(load_recording(path, session))


def test_a_condemned_pod_deleted_after_the_higher_one_was_gone_passes(tmp_path: Path) -> None:
    # b151: web-3, deleted by the scale-down 4→2 and kept Terminating by a finalizer, is gone at
    # #1352; ordinals.start 0→1 condemned web-0 too, deleted at #1353, 37 ms later.
    result = _verified(real_store(tmp_path, "cases24"), SCALE_DOWN_HELD)
    verdict = verdict_of(result, "reverse-order-scale-down", "scale-down", 1)
    assert verdict.outcome == "pass", verdict.reason


def test_a_condemned_pod_deleted_while_an_earlier_condemned_one_terminates_fails(
    tmp_path: Path,
) -> None:
    # b151 edited: web-0's deletion (#1353) and its SuccessfulDelete (#1358) moved to 1 s after
    # the ordinals.start change (#1349), while web-3, condemned by the earlier scale-down, is
    # still Terminating (until #1352): processCondemned waits at web-3 on every sync.
    path = real_store(tmp_path, "cases24")
    spread(path, SCALE_DOWN_HELD)
    _place(path, 1353, 28831, 1796662026622159950)
    _place(path, 1358, 28832, 1796662026632159950)
    verdict = verdict_of(_verified(path, SCALE_DOWN_HELD), "reverse-order-scale-down",
                         "scale-down", 1)  # fmt: skip
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-0 began terminating while the higher condemned web-3 was still Terminating (since "
        "#1343)"
    )
    assert [e.change_id for e in verdict.evidence] == [1343, 1353, 1352]


ROLLOUT = "b160-client-delete-lag-update-{}"
# b160 edited: web-1's deletion for the update and its SuccessfulDelete moved to 0.3 s after the
# new web-2 (created again after a client deleted the old one) was created, before it was Ready.
UPDATE_BEFORE_READY = {
    "orderedready": ((3278, 63541, 1796662385552082803), (3280, 63542, 1796662385562082803)),
    "parallel": ((3376, 64791, 1796662400167363614), (3377, 64792, 1796662400177363614)),
}


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_an_update_step_after_the_pod_above_was_ready_again_passes(
    tmp_path: Path, policy: str
) -> None:
    # b160: a client deletes web-2 as the rollout begins; the controller deletes web-1 for the
    # update only once the new web-2 is Ready (26 ms after, under OrderedReady).
    result = _verified(real_store(tmp_path, "cases24"), ROLLOUT.format(policy))
    verdict = verdict_of(result, "rolling-update", "rolling-update")
    assert verdict.outcome == "pass", verdict.reason


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_an_update_step_while_a_client_deleted_pod_above_is_not_ready_fails(
    tmp_path: Path, policy: str
) -> None:
    session = ROLLOUT.format(policy)
    path = real_store(tmp_path, "cases24")
    spread(path, session)
    for change_id, resource_version, wall_ns in UPDATE_BEFORE_READY[policy]:
        _place(path, change_id, resource_version, wall_ns)
    verdict = verdict_of(_verified(path, session), "rolling-update", "rolling-update")
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-1 was deleted for the update while web-2, above it, was not Ready (created again "
        "after a client deleted it): the update step walks"
    )


CLAIM_TEMPLATE_ADDED = "b185-claim-template-added-by-recreate-{}"


Edit = tuple[tuple[str | int, ...], Any]


def _clone(path: Path, change_id: int, rv: int, name: str, edits: tuple[Edit, ...] = ()) -> None:
    """Insert a copy of change `change_id` as object `name` (a new uid) at resourceVersion `rv`,
    received 1 µs after the change recorded just before it, with `edits` ((keys, value): the
    value set at that path of the object) applied."""
    conn = sqlite3.connect(path)
    with conn:
        row = conn.execute("SELECT * FROM change WHERE id = ?", (change_id,)).fetchone()
        cols = [d[0] for d in conn.execute("SELECT * FROM change LIMIT 0").description]
        new = dict(zip(cols, row, strict=True))
        (wall,) = conn.execute(
            "SELECT MAX(received_wall_ns) FROM change WHERE session_id = ? AND"
            " CAST(resource_version AS INTEGER) < ?",
            (new["session_id"], rv),
        ).fetchone()
        obj = json.loads(new["object"])
        obj["metadata"].update(name=name, uid=f"edit-{name}", resourceVersion=str(rv))
        for (*parents, last), value in edits:
            target = obj
            for key in parents:
                target = target[key]
            target[last] = value
        (new["id"],) = conn.execute("SELECT MAX(id) + 1 FROM change").fetchone()
        new.update(name=name, uid=f"edit-{name}", resource_version=str(rv), object=json.dumps(obj))
        new.update(received_wall_ns=wall + 1000, event="ADDED")
        marks = ", ".join("?" * len(cols))
        conn.execute(f"INSERT INTO change ({', '.join(cols)}) VALUES ({marks})", list(new.values()))
    conn.close()


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_no_pod_is_created_past_one_whose_update_is_refused(tmp_path: Path, policy: str) -> None:
    # b185: the set re-created with a second claim template adopts web-0..web-2, which mount no
    # logs claim: UpdateStatefulPod of web-0 is refused on every sync (FailedUpdate), and the
    # scale-up 3→5 creates nothing until a client deletes web-0.
    result = _verified(real_store(tmp_path, "cases21"), CLAIM_TEMPLATE_ADDED.format(policy))
    assert all(v.outcome != "fail" for v in result.verdicts), [
        v.reason for v in result.verdicts if v.outcome == "fail"
    ]


def test_a_pod_created_past_one_whose_update_is_refused_fails(tmp_path: Path) -> None:
    # b185 edited: web-3 (a copy of the recreated web-0, #123, with web-3's name, identity and
    # claims) and its claims data-web-3 and logs-web-3 (copies of logs-web-1, #135) created just
    # after the 13th FailedUpdate of web-0 (#115), while web-0 still mounted no logs-web-0.
    session = CLAIM_TEMPLATE_ADDED.format("orderedready")
    path = real_store(tmp_path, "cases21")
    spread(path, session)
    for rv, claim in ((3991, "data-web-3"), (3992, "logs-web-3")):
        _clone(path, 135, rv, claim)
    labels = ("metadata", "labels")
    claim = ("persistentVolumeClaim", "claimName")
    _clone(path, 123, 3993, "web-3", (
        ((*labels, "statefulset.kubernetes.io/pod-name"), "web-3"),
        ((*labels, "apps.kubernetes.io/pod-index"), "3"),
        (("spec", "hostname"), "web-3"),
        (("spec", "volumes", 0, *claim), "data-web-3"),
        (("spec", "volumes", 1, *claim), "logs-web-3"),
    ))  # fmt: skip
    verdict = verdict_of(_verified(path, session), "ordinal-creation", "scale-up", 1)
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-3 was created while web-0, below it, did not mount its claim logs-web-0 "
        "(storageMatches): processReplica's UpdateStatefulPod of web-0 is refused on every sync"
    )


LABEL_REMOVED = "b145-pod-name-label-removed-orderedready"


def test_a_pod_name_label_restored_at_once_passes(tmp_path: Path) -> None:
    # b145: a client removes web-1's identity labels (#357); the controller restores them 11 ms
    # later (#358, SuccessfulUpdate #359), then creates web-3 and web-4.
    result = _verified(real_store(tmp_path, "cases24"), LABEL_REMOVED)
    assert all(v.outcome != "fail" for v in result.verdicts)


def test_a_pod_created_above_one_left_without_its_pod_name_label_fails(tmp_path: Path) -> None:
    # b145 edited: the controller's restore of web-1's labels (#358) and its Event (#359) removed:
    # web-1 stays without its statefulset.kubernetes.io/pod-name label while web-4 is created.
    path = real_store(tmp_path, "cases24")
    rewrite(path, "DELETE FROM change WHERE id IN (358, 359)")
    verdict = verdict_of(_verified(path, LABEL_REMOVED), "ordinal-creation", "scale-up", 1)
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-4 was created while web-1, below it, had been without its "
        "statefulset.kubernetes.io/pod-name label for 8.6 s (since #357): processReplica restores"
    )
