"""Lifecycles rebuilt from synthetic recordings."""

from pathlib import Path

from stswatch.reports.history.episodes import find_episodes
from stswatch.reports.history.lifecycles import build_lifecycles
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
