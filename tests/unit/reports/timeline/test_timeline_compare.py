"""Comparison figures and alignment: OrderedReady against Parallel."""

from pathlib import Path

import pytest

from stswatch.reports.analysis import analyse
from stswatch.reports.timeline.compare import compare, figures
from stswatch.reports.timeline.html import render_comparison
from stswatch.reports.timeline.model import Timeline
from tests.browser.sessions import lab_session, write_session
from tests.fixtures.builder import ClusterBuilder


def _session(tmp_path: Path, policy: str, *, lead_ms: int = 0) -> Timeline:
    b = ClusterBuilder()
    b.tick(lead_ms)
    lab_session(b, policy=policy)
    path = tmp_path / f"{policy}.db"
    write_session(b, path, session=policy)
    return analyse(path, policy).timeline()


def test_figures_tell_the_policies_apart(tmp_path: Path) -> None:
    ordered = figures(_session(tmp_path, "OrderedReady"))
    parallel = figures(_session(tmp_path, "Parallel"))
    assert ordered.scale_up is not None
    assert (ordered.scale_up.from_replicas, ordered.scale_up.to_replicas) == (0, 3)
    assert ordered.burst_width == 1
    assert parallel.burst_width == 3
    assert ordered.time_to_all_ready is not None
    assert parallel.time_to_all_ready is not None
    assert parallel.time_to_all_ready < ordered.time_to_all_ready
    assert ordered.creation_spacing_median is not None
    assert parallel.creation_spacing_median is not None
    assert parallel.creation_spacing_median < ordered.creation_spacing_median
    assert ordered.scale_down is not None
    assert (ordered.scale_down.from_replicas, ordered.scale_down.to_replicas) == (5, 3)
    assert ordered.scale_down_duration is not None
    assert ordered.scale_down_duration > 0


def test_sessions_are_aligned_at_their_first_scale_up(tmp_path: Path) -> None:
    a = _session(tmp_path, "OrderedReady")
    b = _session(tmp_path, "Parallel", lead_ms=7_000)
    both = compare(a, b)
    assert both.figures_a.scale_up is not None
    assert both.figures_b.scale_up is not None
    assert both.figures_b.scale_up.start == pytest.approx(both.figures_a.scale_up.start + 7.0)
    assert both.a.scale == both.b.scale
    x_a = both.a.x(both.figures_a.scale_up.start)
    x_b = both.b.x(both.figures_b.scale_up.start)
    assert x_a == x_b
    html = render_comparison(both)
    assert html.count('<svg id="tl') == 2
    assert "burst width" in html
    assert html.count('class="verdicts"') == 2
    who = "OrderedReady · PVC retention whenScaled=Retain, whenDeleted=Retain</h2>"
    assert (
        f'<h2 class="session-title">A · <span class="mono">OrderedReady</span> · lab/redis · {who}'
        in html
    )


def test_a_session_without_scale_up_has_no_figures(tmp_path: Path) -> None:
    b = ClusterBuilder(observed="list")
    b.statefulset("redis", replicas=1, service="redis-headless")
    b.bring_up("redis", 0)
    write_session(b, tmp_path / "s.db")
    found = figures(analyse(tmp_path / "s.db", "s1").timeline())
    assert found.scale_up is None
    assert found.burst_width is None
    assert found.time_to_all_ready is None


def test_a_deleted_statefulset_is_no_scale_down(tmp_path: Path) -> None:
    # Deleted with --cascade=orphan and created again: the spec.replicas line drops to 0 at the
    # deletion, but nothing was scaled down and no pod went.
    b = ClusterBuilder()
    b.statefulset("redis", replicas=0, service="redis-headless")
    b.set_spec("redis", replicas=2)
    b.bring_up("redis", 0)
    b.bring_up("redis", 1)
    b.delete("StatefulSet", "redis")
    b.statefulset("redis", replicas=2, service="redis-headless")
    write_session(b, tmp_path / "s.db")
    found = figures(analyse(tmp_path / "s.db", "s1").timeline())
    assert found.scale_up is not None
    assert found.scale_down is None
    assert found.scale_down_duration is None
