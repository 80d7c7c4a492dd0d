"""Timelines built from small synthetic recordings: lanes, segments, series, events, verdicts."""

import sqlite3
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from stswatch.errors import NotFoundError
from stswatch.reports.analysis import analyse
from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import Recording, load_recording
from stswatch.reports.timeline.build import build_timeline
from stswatch.reports.timeline.changes import ChangeDiffs, change_views, diffed
from stswatch.reports.timeline.compare import figures
from stswatch.reports.timeline.html import render_report
from stswatch.reports.timeline.model import (
    ChangeView,
    ChangeViews,
    EvidenceLink,
    State,
    Timeline,
    timeline_json,
)
from stswatch.reports.timeline.text import timeline_text
from tests.browser.sessions import (
    bring_up,
    event,
    lab_session,
    status,
    store_session,
    take_down,
    write_session,
)
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.real import real_store, rewrite


def _timeline(recording: Recording, statefulset: str | None = None) -> Timeline:
    return build_timeline(
        recording,
        lifecycles=build_lifecycles(recording),
        result=verify(recording),
        statefulset=statefulset,
    )


@pytest.fixture
def lab(tmp_path: Path) -> Recording:
    b = ClusterBuilder()
    lab_session(b)
    b.gap("Pod", ms=500)
    return write_session(
        b,
        tmp_path / "s.db",
        marks=(("scale to 5", 9000, {}), ("redis-3 Ready", 9500, {"step": 8, "note": "5 Ready"})),
    )


def test_one_lane_per_ordinal_and_per_claim(lab: Recording) -> None:
    timeline = _timeline(lab)
    pods = [lane for lane in timeline.lanes if lane.kind == "pod"]
    claims = [lane for lane in timeline.lanes if lane.kind == "pvc"]
    assert [lane.name for lane in pods] == [f"redis-{i}" for i in range(5)]
    assert [lane.ordinal for lane in pods] == list(range(5))
    assert [lane.name for lane in claims] == [f"data-redis-{i}" for i in range(5)]
    assert timeline.statefulset == "redis"
    assert timeline.policy == "OrderedReady"
    assert timeline.ordering.startswith("numeric resourceVersions")


def test_a_recreated_pod_is_two_incarnations_in_one_lane(lab: Recording) -> None:
    lane = next(lane for lane in _timeline(lab).lanes if lane.name == "redis-0")
    assert lane.incarnations == 2
    uids = list(dict.fromkeys(seg.uid for seg in lane.segments))
    assert len(uids) == 2
    first = [seg.state for seg in lane.segments if seg.uid == uids[0]]
    assert first == [
        State.PENDING, State.SCHEDULED, State.RUNNING, State.READY, State.TERMINATING,
    ]  # fmt: skip
    second = [seg for seg in lane.segments if seg.uid == uids[1]]
    assert second[-1].state == State.READY
    assert second[-1].open_end
    old_end = [seg for seg in lane.segments if seg.uid == uids[0]][-1].end
    assert old_end <= second[0].start


def test_segments_are_contiguous_and_point_at_their_evidence(lab: Recording) -> None:
    timeline = _timeline(lab)
    changes = {c.id: c for c in lab.changes}
    for lane in timeline.lanes:
        for seg in lane.segments:
            cited = changes[seg.change_id]
            assert cited.uid == seg.uid
            assert cited.name == lane.name
            assert seg.start <= seg.end <= timeline.duration
            if seg.state == State.READY:
                conditions = cited.object["status"]["conditions"]
                assert {"type": "Ready", "status": "True"}.items() <= next(
                    c for c in conditions if c["type"] == "Ready"
                ).items()
        by_uid: dict[str, float] = {}
        for seg in lane.segments:
            if seg.uid in by_uid:
                assert seg.start == pytest.approx(by_uid[seg.uid])
            by_uid[seg.uid] = seg.end


def test_claims_show_pending_then_bound_with_the_volume(lab: Recording) -> None:
    lane = next(lane for lane in _timeline(lab).lanes if lane.name == "data-redis-3")
    assert [(seg.state, seg.note) for seg in lane.segments] == [
        (State.CLAIM_PENDING, ""),
        (State.BOUND, "pv-data-redis-3"),
    ]


def test_statefulset_counts_are_step_lines(lab: Recording) -> None:
    timeline = _timeline(lab)
    desired = timeline.series_named("spec.replicas")
    ready = timeline.series_named("status.readyReplicas")
    assert desired is not None
    assert ready is not None
    assert [s.value for s in desired.steps] == [3, 5, 3]
    assert max(s.value for s in ready.steps) == 5
    times = [s.t for s in ready.steps]
    assert times == sorted(times)


def test_events_markers_gaps_and_marks(lab: Recording) -> None:
    timeline = _timeline(lab)
    assert {e.reason for e in timeline.statefulset_events} >= {
        "SuccessfulCreate",
        "SuccessfulDelete",
    }
    lane = next(lane for lane in timeline.lanes if lane.name == "redis-1")
    assert [e.reason for e in lane.events] == ["Scheduled"]
    assert lane.events[0].change_id in {m[1] for m in lane.moments}
    assert [(g.kind, g.detail) for g in timeline.gaps] == [("Pod", "410 Gone")]
    assert timeline.gaps[0].end - timeline.gaps[0].start == pytest.approx(0.5)
    assert [(m.number, m.label, m.t, m.note) for m in timeline.marks] == [
        ("", "scale to 5", 9.0, ""),
        ("8", "redis-3 Ready", 9.5, "5 Ready"),
    ]


def test_verdicts_and_episodes_come_from_verify(lab: Recording) -> None:
    timeline = _timeline(lab)
    result = verify(lab)
    assert timeline.verdicts is not None
    assert len(timeline.verdicts) == len(result.verdicts)
    assert {v.outcome for v in timeline.verdicts} <= {"pass", "fail", "n-a", "inconclusive"}
    assert [b.name for b in timeline.episodes] == [e.kind for e in result.episodes]
    ids = {c.id for c in timeline.changes}
    for verdict in timeline.verdicts:
        assert all(e.change_id in ids for e in verdict.evidence)
    assert timeline.latencies


def test_without_verification_the_verdicts_are_none_not_empty(lab: Recording) -> None:
    timeline = build_timeline(lab, lifecycles=build_lifecycles(lab), result=None)
    assert timeline.verdicts is None
    assert timeline.episodes == ()


def test_every_change_is_inspectable_with_its_diff(lab: Recording) -> None:
    timeline = _timeline(lab)
    assert len(timeline.changes) == len(lab.changes)
    views = {c.id: c for c in timeline.changes}
    lane = next(lane for lane in timeline.lanes if lane.name == "redis-2")
    ready = next(seg for seg in lane.segments if seg.state == State.READY)
    view = views[ready.change_id]
    assert view.lane == "pod/redis-2"
    assert view.previous_id is not None
    assert view.diff is not None
    assert ("~", "status.conditions[type=Ready].status", "False", "True") in view.diff
    first = views[lane.segments[0].change_id]
    assert first.previous_id is None
    assert first.object is not None
    assert first.object["metadata"]["name"] == "redis-2"


def test_the_changes_read_as_a_tuple_of_change_views(lab: Recording) -> None:
    # Held as columns, built when asked: the same views, in order, and the same JSON.
    views = _timeline(lab).changes
    listed = tuple(views)
    assert all(isinstance(v, ChangeView) for v in listed)
    assert views == listed
    assert ChangeViews.of(listed) == views
    assert len(views) == len(listed)
    assert (views[0], views[-1], views[1:3]) == (listed[0], listed[-1], listed[1:3])
    assert list(views.column("id")) == [v.id for v in listed]
    timeline = _timeline(lab)
    assert timeline_json(timeline) == timeline_json(replace(timeline, changes=listed))  # type: ignore[arg-type]


def test_a_verdicts_evidence_reads_as_a_tuple_of_links(lab: Recording) -> None:
    # Made when asked from what the verdict cites: the same links, in order, and the same JSON.
    timeline = _timeline(lab)
    assert timeline.verdicts is not None
    evidence = next(v.evidence for v in timeline.verdicts if len(v.evidence) > 2)
    listed = tuple(evidence)
    assert all(isinstance(e, EvidenceLink) for e in listed)
    assert evidence == listed
    assert (evidence[0], evidence[-1], evidence[1:3]) == (listed[0], listed[-1], listed[1:3])
    assert list(evidence.change_ids) == [e.change_id for e in listed]
    as_tuples = tuple(replace(v, evidence=tuple(v.evidence)) for v in timeline.verdicts)  # type: ignore[arg-type]
    assert timeline_json(timeline) == timeline_json(replace(timeline, verdicts=as_tuples))


def test_change_views_read_the_recordings_columns_as_each_changes_fields(lab: Recording) -> None:
    # All the table's changes: its columns; some of them (a row gone): each change's fields.
    diffs = diffed(lab.decoded())
    lanes = {diffs[1][0].id: "pod/web-0"}
    whole = change_views(diffs, start_wall_ns=5, lanes=lanes, table=lab.changes)
    assert whole == change_views(diffs, start_wall_ns=5, lanes=lanes)
    assert whole[1].lane == "pod/web-0"
    assert whole[1].t == (lab.changes[1].received_wall_ns - 5) / 1e9
    some = change_views(diffs[1:], start_wall_ns=5, lanes=lanes, table=lab.changes)
    assert some == whole[1:]


def test_the_diffs_gathered_with_the_lifecycles_are_those_of_one_decoding(tmp_path: Path) -> None:
    # An Event counted twice (a MODIFIED one), and one pod's two changes whose resourceVersions
    # say the other order than their receipt: the lifecycles read them by version, the diffs in
    # the order recorded.
    b = ClusterBuilder()
    lab_session(b)
    event(b, kind="Pod", name="redis-1", reason="BackOff", message="Back-off restarting")
    counted = b.get("Event", next(name for kind, name in b.live if kind == "Event"))
    counted["count"] = 2
    b.emit("Event", counted, "MODIFIED")
    path = tmp_path / "s.db"
    store_session(b, path)
    with sqlite3.connect(path) as conn:
        (first, second), (rv1, rv2) = zip(
            *conn.execute(
                "SELECT id, resource_version FROM change WHERE name = 'redis-1' AND kind = 'Pod' "
                "ORDER BY id LIMIT 2 OFFSET 1"
            ),
            strict=True,
        )
        conn.executemany(
            "UPDATE change SET resource_version = ? WHERE id = ?", ((rv2, first), (rv1, second))
        )
    recording = load_recording(path, "s1", objects=False)
    gathered = ChangeDiffs()
    lifecycles = build_lifecycles(recording, seen=gathered)
    ordering = lifecycles.ordering
    assert ordering.rank[first] > ordering.rank[second]
    once = ChangeDiffs()
    for change, obj in recording.decoded():
        once(change, obj)
    assert gathered.of(recording.changes) == (once.diffed(), once.events())
    assert any(change.event == "MODIFIED" for change, _ in once.events())
    result = verify(recording, lifecycles=lifecycles)
    events = gathered.events_of(recording.changes)
    assert events == once.events()
    assert verify(recording, lifecycles=lifecycles, events=events) == result
    drawn = build_timeline(recording, lifecycles=lifecycles, result=result, gathered=gathered)
    alone = build_timeline(recording, lifecycles=lifecycles, result=result)
    assert timeline_json(drawn) == timeline_json(alone)
    assert ChangeDiffs().of(recording.changes) is None  # nothing gathered: decoded when drawn
    drawn_analysis = analyse(path, "s1", drawn=True)
    assert timeline_json(drawn_analysis.timeline()) == timeline_json(analyse(path, "s1").timeline())


def test_a_named_statefulset_must_exist(lab: Recording) -> None:
    with pytest.raises(NotFoundError, match="no StatefulSet 'nope'"):
        _timeline(lab, statefulset="nope")


def test_several_statefulsets_draw_one_and_say_so(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("redis", replicas=1, service="redis-headless")
    bring_up(b, "redis", 0)
    b.statefulset("cache", replicas=1, service="redis-headless")
    b.create_pod("cache", 0)
    recording = write_session(b, tmp_path / "s.db")
    timeline = _timeline(recording)
    assert timeline.statefulset == "cache"
    assert [lane.name for lane in timeline.lanes if lane.kind == "pod"] == ["cache-0"]
    assert any("2 StatefulSets" in note for note in timeline.notes)
    chosen = _timeline(recording, statefulset="lab/redis")
    assert [lane.name for lane in chosen.lanes if lane.kind == "pod"] == ["redis-0"]


def test_pods_listed_at_start_begin_in_their_listed_state(tmp_path: Path) -> None:
    b = ClusterBuilder(observed="list")
    b.statefulset("redis", replicas=1, service="redis-headless")
    bring_up(b, "redis", 0)
    status(b, "redis")
    b.observed = "watch"
    take_down(b, "redis", 0)
    event(b, kind="Pod", name="redis-0", reason="Killing", message="Stopping container")
    timeline = _timeline(write_session(b, tmp_path / "s.db"))
    lane = timeline.lanes[0]
    assert lane.segments[-1].state == State.TERMINATING
    assert not lane.segments[-1].open_end


def test_the_analysed_timeline_reads_the_store_and_json_round_trips(tmp_path: Path) -> None:
    b = ClusterBuilder()
    lab_session(b)
    write_session(b, tmp_path / "s.db", session="lab")
    timeline = analyse(tmp_path / "s.db", "lab").timeline()
    loaded = orjson.loads(timeline_json(timeline))
    assert loaded["format"] == "stswatch-timeline"
    assert len(loaded["timeline"]["lanes"]) == len(timeline.lanes)
    assert loaded["timeline"]["lanes"][0]["segments"][0]["state"] == "pending"


def test_an_empty_session_still_draws(tmp_path: Path) -> None:
    write_session(ClusterBuilder(), tmp_path / "s.db")
    timeline = analyse(tmp_path / "s.db", "s1").timeline()
    assert timeline.lanes == ()
    assert timeline.verdicts == ()
    assert any("No StatefulSet" in note for note in timeline.notes)
    html = render_report(timeline)
    assert "No StatefulSet was recorded" in html
    assert "redis" not in timeline_text(timeline)
    assert figures(timeline).scale_up is None


def test_a_silent_gap_is_drawn_as_a_gap(tmp_path: Path) -> None:
    # b42 edited: web-2's Pod rows #491..#503 lost with no gap recorded; the lifecycles find the
    # stretch (the next web-2 proves the old one gone) and the timeline draws it as the recorder's
    # own gaps are drawn, not only the verdicts naming it.
    session = "b42-orphan-mid-rollout-readopt-old-orderedready"
    path = real_store(tmp_path, "cases8")
    assert _timeline(load_recording(path, session)).gaps == ()
    rewrite(path, "DELETE FROM change WHERE kind = 'Pod' AND name = 'web-2' AND id BETWEEN 491 "
                  "AND 503")  # fmt: skip
    (gap,) = _timeline(load_recording(path, session)).gaps
    assert gap.kind == "Pod"
    assert gap.name.startswith("gap: rows missing without a gap record: web-2 (uid 9c03bb)")
    assert gap.end > gap.start


def test_a_hold_still_open_is_drawn_as_long_as_it_lasted(tmp_path: Path) -> None:
    # b77: after the revert the set stood still 120 s to the recording's end; the episode's own
    # changes span 0.01 s. The drawn stretch is the hold's, not the episode's last changes.
    recording = load_recording(real_store(tmp_path, "cases13"),
                               "b77-failed-recreated-at-update-rev-orderedready")  # fmt: skip
    band = _timeline(recording).episodes[-1]
    (held,) = band.holds
    assert held.open_end
    assert held.end - held.start == pytest.approx(120.0, abs=0.1)
