"""Lifecycles rebuilt from synthetic recordings."""

from pathlib import Path

from stswatch.reports.history.episodes import find_episodes
from stswatch.reports.history.lifecycles import Transition, build_lifecycles
from tests.fixtures.builder import SERVER, ClusterBuilder


def _three(b: ClusterBuilder) -> None:
    b.service("web-headless")
    b.statefulset("web", replicas=3)
    for ordinal in range(3):
        b.bring_up("web", ordinal)


def test_pod_incarnations_carry_every_transition(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _three(b)
    b.take_down("web", 1)
    b.bring_up("web", 1)
    life = build_lifecycles(b.write(tmp_path / "s.db"))
    slots = life.set_pods("lab", "web")
    assert sorted(slots) == [0, 1, 2]
    assert len(slots[1]) == 2
    old, new = slots[1]
    assert [t.what for t in old.transitions] == [
        "created", "pending", "scheduled", "running", "ip", "unready", "ready", "terminating",
        "deleted",
    ]  # fmt: skip
    assert old.uid != new.uid
    assert new.hostname == "web-1"
    assert new.subdomain == "web-headless"
    assert new.claims == ("data-web-1",)
    assert old.created.rank < old.deleted.rank < new.created.rank  # type: ignore[union-attr]


def test_pvc_bound_and_statefulset_spec_history(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _three(b)
    b.set_spec("web", replicas=5)
    b.set_spec("web", image="nginx:2")
    life = build_lifecycles(b.write(tmp_path / "s.db"))
    pvc = next(p for p in life.pvcs if p.name == "data-web-0")
    assert pvc.volume_name == "pv-data-web-0"
    assert [t.what for t in pvc.transitions] == ["created", "bound"]
    (sts,) = life.statefulsets
    assert [s.changed for s in sts.specs] == [(), ("replicas",), ("template_hash",)]
    assert sts.specs[1].replicas == 5


def test_ordering_basis(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _three(b)
    assert build_lifecycles(b.write(tmp_path / "a.db")).ordering.basis == "resourceVersion"
    b.servers = [SERVER, "https://10.0.0.1:6443"]
    assert build_lifecycles(b.write(tmp_path / "b.db")).ordering.basis == "receive"


def test_dns_observations_from_endpoint_slices(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _three(b)
    b.endpoints("web-headless")
    life = build_lifecycles(b.write(tmp_path / "s.db"))
    assert {d.fqdn for d in life.dns} == {
        f"web-{i}.web-headless.lab.svc.cluster.local" for i in range(3)
    }


def test_a_relisted_change_may_have_happened_anywhere_in_its_gap(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _three(b)
    b.gap("StatefulSet", ms=1000)
    # Unseen: replicas 3→4 and web-3 created; the relist then shows the set's latest version.
    b.bring_up("web", 3)
    b.observed = "relist"
    b.set_spec("web", replicas=4)
    b.observed = "watch"
    life = build_lifecycles(b.write(tmp_path / "s.db"))
    (sts,) = life.statefulsets
    relisted = sts.specs[-1]
    web3 = life.set_pods("lab", "web")[3][0]
    assert web3.created.rank < relisted.rank
    assert life.ordering.earliest(relisted.change_id) <= web3.created.rank
    episodes = find_episodes(life)
    assert episodes[-1].summary == "web: scale-up 3→4 (OrderedReady)"
    assert episodes[-1].contains(web3.created.rank)


def test_statuses_between_is_the_window_at_or_after_start_and_before_end(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=3)
    for ready in range(1, 4):
        b.set_status("web", readyReplicas=ready)
    (sts,) = build_lifecycles(b.write(tmp_path / "s.db")).statefulsets
    first, one, two, three = sts.statuses
    assert sts.statuses_between(one.rank, three.rank) == (one, two)
    assert sts.statuses_between(one.rank + 1, three.rank + 1) == (two, three)
    assert sts.statuses_between(first.rank, first.rank) == ()
    assert sts.statuses_between(three.rank + 1, three.rank + 9) == ()


def _orphan_and_adopt(b: ClusterBuilder, name: str, uid: str | None) -> None:
    pod = b.get("Pod", name)
    refs = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": uid,
             "controller": True}] if uid else []  # fmt: skip
    pod["metadata"]["ownerReferences"] = refs
    b.emit("Pod", pod, "MODIFIED")


def test_a_pod_adopted_by_a_new_set_of_its_name_was_controlled_by_both(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _three(b)
    b.delete("StatefulSet", "web")
    _orphan_and_adopt(b, "web-0", None)
    new_uid = b.statefulset("web", replicas=3, claims=("data", "logs"))["metadata"]["uid"]
    _orphan_and_adopt(b, "web-0", new_uid)
    life = build_lifecycles(b.write(tmp_path / "s.db"))
    old, new = life.statefulsets_named("lab", "web")
    assert (old.uid, new.uid) == (life.statefulsets[0].uid, new_uid)
    assert life.statefulset(new_uid) is new
    assert life.statefulset(old.uid) is old
    assert life.statefulset("no-such-uid") is None
    assert life.statefulset(None) is None
    assert life.statefulsets_named("lab", "db") == ()
    web0, web1 = life.set_pods("lab", "web")[0][0], life.set_pods("lab", "web")[1][0]
    assert web0.ever_controlled_by(old.uid)
    assert web0.ever_controlled_by(new_uid)
    assert web1.ever_controlled_by(old.uid)
    assert not web1.ever_controlled_by(new_uid)
    assert [p.name for incs in life.pods_of(new).values() for p in incs] == ["web-0"]


def test_a_pod_whose_lists_are_not_lists_is_read_as_having_none(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _three(b)
    pod = b.get("Pod", "web-2")
    pod["metadata"]["ownerReferences"] = True
    pod["status"]["conditions"] = True
    pod["spec"]["volumes"] = 7
    b.emit("Pod", pod, "MODIFIED")
    life = build_lifecycles(b.write(tmp_path / "s.db"))
    (web2,) = (p for p in life.pods if p.name == "web-2")
    assert web2.statefulset == "web"  # from its first change, which had a list
    assert [uid for uid, _ in web2.controllers][-1] is None  # the last names no controller
    assert web2.claims == ("data-web-2",)


def test_a_step_is_the_transition_its_constructor_builds(tmp_path: Path) -> None:
    """`step` sets a Transition's slots itself: field for field what `Transition(...)` gives."""
    b = ClusterBuilder()
    _three(b)
    life = build_lifecycles(b.write(tmp_path / "s.db"))
    for pod in life.pods:
        for t in pod.transitions:
            rebuilt = Transition(
                t.what, t.change_id, t.resource_version, t.received_wall_ns, t.rank, t.detail,
                t.api_time,
            )  # fmt: skip
            assert t == rebuilt
            assert hash(t) == hash(rebuilt)
            assert repr(t) == repr(rebuilt)
