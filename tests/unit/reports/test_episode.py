"""A session split into episodes."""

from pathlib import Path

from reports.episodes import find_episodes
from reports.lifecycle import build_lifecycles
from tests.fixtures.builder import ClusterBuilder


def test_session_splits_into_episodes(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.service("web-headless")
    b.statefulset("web", replicas=2)
    for ordinal in range(2):
        b.bring_up("web", ordinal)
    b.set_spec("web", replicas=3)
    b.bring_up("web", 2)
    b.set_spec("web", replicas=2)
    b.take_down("web", 2)
    b.take_down("web", 0)
    b.bring_up("web", 0)
    b.set_spec("web", image="nginx:2")
    b.delete("Service", "web-headless")
    b.service("web-headless")
    b.delete("StatefulSet", "web")
    b.statefulset("web", replicas=1, policy="Parallel")
    episodes = find_episodes(build_lifecycles(b.write(tmp_path / "s.db")))
    assert [(e.kind, e.summary) for e in episodes] == [
        ("scale-up", "web: scale-up 0→2 (OrderedReady)"),
        ("scale-up", "web: scale-up 2→3 (OrderedReady)"),
        ("scale-down", "web: scale-down 3→2 (OrderedReady)"),
        ("pod-recreated", episodes[3].summary),
        ("rolling-update", "web: rolling update (template changed, partition 0)"),
        ("service-deleted", "Service web-headless deleted"),
        ("service-recreated", episodes[6].summary),
        ("statefulset-replaced", episodes[7].summary),
        ("scale-up", "web: scale-up 0→1 (Parallel)"),
    ]
    assert episodes[3].summary.startswith("web-0 deleted and recreated")
    assert episodes[7].summary.endswith("podManagementPolicy OrderedReady → Parallel")


def test_listed_statefulset_has_no_creation_episode(tmp_path: Path) -> None:
    b = ClusterBuilder(observed="list")
    b.statefulset("web", replicas=2)
    b.observed = "watch"
    b.set_spec("web", replicas=4)
    episodes = find_episodes(build_lifecycles(b.write(tmp_path / "s.db")))
    assert [e.summary for e in episodes] == ["web: scale-up 2→4 (OrderedReady)"]
