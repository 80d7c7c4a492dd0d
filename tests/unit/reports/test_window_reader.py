"""Windows and slices: the state before the window rebuilt, the window read, older stores read."""

import hashlib
import sqlite3
from pathlib import Path

import pytest

from stswatch.errors import NotFoundError, UsageError
from stswatch.reports.analysis import analyse
from stswatch.reports.recording import Change, load_recording
from stswatch.reports.window import Moment, WindowRequest, parse_moment
from stswatch.reports.window_reader import load_window
from tests.fixtures.real import real_store
from tests.fixtures.verdicts import running_web

LONG_AGO = Moment("2000-01-01T00:00:00Z", wall_ns=946_684_800 * 10**9)


def _day_of_web(path: Path) -> int:
    """web-0..2 up, web-2 scaled away, then (from the returned moment) web-1 recreated."""
    b = running_web()
    b.set_spec("web", replicas=2)
    b.take_down("web", 2)
    b.set_status("web", replicas=2, readyReplicas=2, observedGeneration=2)
    b.tick(1000)
    since = b.now_ns
    b.take_down("web", 1)
    b.bring_up("web", 1)
    b.set_status("web", readyReplicas=2)
    b.stop(after_ms=10_000)
    b.write(path)
    return since


def _last_before(changes: tuple[Change, ...], since: int) -> dict[str, Change]:
    """The last change of each object (uid) before `since`, for objects not deleted by then."""
    last: dict[str, Change] = {}
    for change in changes:
        if change.received_wall_ns < since and change.kind != "Event":
            last[change.uid] = change
    return {uid: c for uid, c in last.items() if c.event != "DELETED"}


@pytest.mark.parametrize("statefulset", [None, "web"])
def test_the_state_at_since_is_each_objects_last_change_before_it(
    tmp_path: Path, statefulset: str | None
) -> None:
    path = tmp_path / "s.db"
    since = _day_of_web(path)
    full = load_recording(path, "s1")
    request = WindowRequest(since=Moment("t", wall_ns=since), statefulset=statefulset)
    window = load_window(path, "s1", request)
    assert window.window is not None
    expected = _last_before(full.changes, since)
    state = [c for c in window.changes if c.id in window.window.seeded]
    assert {c.id for c in state} == {c.id for c in expected.values()}
    # web-2 was deleted before the window: it is not in the state
    assert not any(c.name == "web-2" for c in window.changes)
    for change in state:
        recorded = expected[change.uid]
        # read as a list reads it (the object already existed), unless it is its creation
        created = (recorded.event, recorded.observed) == ("ADDED", "watch")
        assert (change.event, change.observed) == ("ADDED", "watch" if created else "list")
        assert (change.resource_version, change.received_wall_ns) == (
            recorded.resource_version,
            recorded.received_wall_ns,
        )
        assert change.object == recorded.object
    inside = [c for c in full.changes if c.received_wall_ns >= since]
    assert [c.id for c in window.changes if c.id not in window.window.seeded] == [
        c.id for c in inside
    ]


def test_a_statefulset_under_way_brings_the_change_that_set_its_spec(tmp_path: Path) -> None:
    b = running_web()
    b.set_spec("web", replicas=5)
    b.bring_up("web", 3)
    b.set_status("web", replicas=4, readyReplicas=4)
    b.tick(1000)
    since = b.now_ns
    b.bring_up("web", 4)
    b.set_status("web", replicas=5, readyReplicas=5)
    recording = b.write(tmp_path / "s.db")
    spec_change = next(
        c
        for c in recording.changes
        if c.kind == "StatefulSet" and c.object["spec"]["replicas"] == 5
    )
    request = WindowRequest(since=Moment("t", wall_ns=since))
    window = load_window(tmp_path / "s.db", "s1", request)
    sets = [c for c in window.changes if c.kind == "StatefulSet"]
    assert sets[0].object["spec"]["replicas"] == 3  # the last change of the spec before
    assert sets[1].id == spec_change.id
    assert sets[1].observed == "watch"
    assert {sets[0].id, sets[1].id} <= window.window.seeded if window.window else False
    episodes = analyse(tmp_path / "s.db", "s1", window=request).result.episodes
    under_way = next(e for e in episodes if e.summary.startswith("web: scale-up 3→5"))
    assert {v.missing for v in under_way.verdicts} == {"window"}


def test_a_window_reads_only_its_statefulsets_objects(tmp_path: Path) -> None:
    b = running_web()
    b.service("db-headless")
    b.statefulset("db", replicas=1, service="db-headless")
    b.bring_up("db", 0)
    path = tmp_path / "s.db"
    b.write(path)
    window = load_window(path, "s1", WindowRequest(statefulset="web"))
    names = {c.name for c in window.changes}
    assert {"web-0", "data-web-0", "web-headless", "web-headless-abcde"} <= names
    assert not {n for n in names if n.startswith("db")}


def test_moments_and_bounds() -> None:
    assert parse_moment("1h").duration_ns == 3600 * 10**9
    assert parse_moment("1.5m").duration_ns == 90 * 10**9
    assert parse_moment("2026-12-06T10:00:00Z").wall_ns == 1_796_551_200 * 10**9
    assert parse_moment("2026-12-06T11:00:00+01:00").wall_ns == 1_796_551_200 * 10**9
    assert parse_moment("2026-12-06 10:00").wall_ns == 1_796_551_200 * 10**9  # UTC
    assert parse_moment("2026-12-06t10:00:00z").wall_ns == 1_796_551_200 * 10**9  # RFC 3339 5.6
    start, end = 1000 * 10**9, 5000 * 10**9
    last_hour = WindowRequest(since=parse_moment("1000s"))
    assert last_hour.bounds(start_ns=start, end_ns=end) == (4000 * 10**9, end)
    half_hour = WindowRequest(since=parse_moment("1000s"), until=parse_moment("10s"))
    assert half_hour.bounds(start_ns=start, end_ns=end) == (4000 * 10**9, 4010 * 10**9)
    assert WindowRequest(until=parse_moment("10s")).bounds(start_ns=start, end_ns=end) == (
        start,
        1010 * 10**9,
    )
    with pytest.raises(UsageError, match="neither a time"):
        parse_moment("yesterday")
    backwards = WindowRequest(since=parse_moment("10s"), until=Moment("t", wall_ns=2000 * 10**9))
    with pytest.raises(UsageError, match="ends before it starts"):
        backwards.bounds(start_ns=start, end_ns=end)
    before = WindowRequest(
        since=Moment("a", wall_ns=100 * 10**9), until=Moment("b", wall_ns=200 * 10**9)
    )
    with pytest.raises(UsageError, match="ends before the session began"):
        before.bounds(start_ns=start, end_ns=end)
    after = WindowRequest(since=Moment("a", wall_ns=6000 * 10**9), until=parse_moment("10s"))
    with pytest.raises(UsageError, match="begins after the session ended"):
        after.bounds(start_ns=start, end_ns=end)
    edges = WindowRequest(since=Moment("a", wall_ns=end), until=parse_moment("10s"))
    assert edges.bounds(start_ns=start, end_ns=end) == (end, end + 10 * 10**9)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0001-01-01T00:00:00Z", "outside the times a recording can hold"),
        ("9999-12-31T23:59:59Z", "outside the times a recording can hold"),
        ("99999999999d", "longer than a hundred years"),
        ("9" * 400 + "h", "longer than a hundred years"),
    ],
)
def test_a_moment_beyond_what_a_store_can_hold_is_a_usage_error(text: str, says: str) -> None:
    """Wall times are 64-bit ns in SQLite: exit 2 naming why, not an OverflowError traceback."""
    with pytest.raises(UsageError, match=says):
        parse_moment(text)


@pytest.mark.parametrize(
    ("store", "session"),
    [
        ("lesson", "lesson-orderedready"),
        ("lesson", "lesson-parallel"),
        ("halt", "halt-orderedready"),
        ("gap", "gap"),
        ("proofs", "proofs-orderedready"),
        ("replace", "replace-orderedready"),
        ("cases", "forced-rollback-orderedready"),
        ("cases2", "ondelete-update-parallel"),
    ],
)
def test_a_window_that_holds_everything_gives_the_same_verdicts(
    tmp_path: Path, store: str, session: str
) -> None:
    path = real_store(tmp_path, store)
    whole = analyse(path, session).result
    window = analyse(path, session, window=WindowRequest(since=LONG_AGO)).result
    assert window.window is not None  # the verification says what it read
    assert {**window.to_dict(), "window": None} == whole.to_dict()
    for name in whole.statefulsets:
        one = analyse(path, session, statefulset=name).result
        sliced = analyse(
            path, session, statefulset=name, window=WindowRequest(since=LONG_AGO, statefulset=name)
        ).result
        assert {**sliced.to_dict(), "window": None} == one.to_dict()


def test_an_older_store_is_read_in_place_unchanged_even_without_its_indexes(
    tmp_path: Path,
) -> None:
    path = real_store(tmp_path, "lesson")  # schema 1
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    request = WindowRequest(since=parse_moment("8s"), statefulset="redis")
    indexed = load_window(path, "lesson-orderedready", request)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    conn = sqlite3.connect(path)
    for index in ("change_by_object", "change_by_uid", "change_by_time"):
        conn.execute(f"DROP INDEX {index}")
    conn.commit()
    conn.close()
    bare = load_window(path, "lesson-orderedready", request)
    assert [c.id for c in bare.changes] == [c.id for c in indexed.changes]
    assert bare.window == indexed.window


def test_an_unrecorded_statefulset_is_not_found(tmp_path: Path) -> None:
    path = real_store(tmp_path, "lesson")
    with pytest.raises(NotFoundError, match=r"no StatefulSet 'nope' \(recorded: redis\)"):
        load_window(path, "lesson-orderedready", WindowRequest(statefulset="nope"))


def test_verify_takes_a_statefulset_as_namespace_slash_name_as_report_does(
    tmp_path: Path,
) -> None:
    """`--statefulset NAMESPACE/NAME` picks the same set in verify as in report and export."""
    path = real_store(tmp_path, "lesson")
    with sqlite3.connect(path) as conn:
        (namespace,) = conn.execute(
            "SELECT namespace FROM change WHERE kind = 'StatefulSet' LIMIT 1"
        ).fetchone()
    whole = analyse(path, "lesson-orderedready", statefulset="redis").result
    named = analyse(path, "lesson-orderedready", statefulset=f"{namespace}/redis").result
    assert [e.verdicts for e in named.episodes] == [e.verdicts for e in whole.episodes]
    assert named.episodes
    assert named.statefulsets == whole.statefulsets == ("redis",)  # as serve's verdicts say
    with pytest.raises(NotFoundError, match="no StatefulSet 'elsewhere/redis'"):
        analyse(path, "lesson-orderedready", statefulset="elsewhere/redis")


def test_a_session_whose_only_run_never_closed_and_saw_nothing_ends_where_it_starts(
    tmp_path: Path,
) -> None:
    """An open run has no end: the session's end is not 1970 (the window did not 'end before it
    started'), so an unrecorded StatefulSet is simply not found."""
    path = real_store(tmp_path, "lesson")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO session (name, created_wall_ns, scope) SELECT 'killed', "
            "created_wall_ns, scope FROM session LIMIT 1"
        )
        conn.execute(
            "INSERT INTO run (session_id, started_wall_ns, ended_wall_ns, server_url, "
            "server_version, stswatch_version) SELECT id, created_wall_ns, NULL, "
            "'https://127.0.0.1:6443', 'v1.34.4', '0' FROM session WHERE name = 'killed'"
        )
    with pytest.raises(NotFoundError, match="no StatefulSet 'web'"):
        load_window(path, "killed", WindowRequest(statefulset="web"))
