"""A session followed while it is recorded: news within 2 s, verdicts read live until settled."""

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.render import render_json
from stswatch.reports.serve.app import create_app
from tests.browser.sessions import store_session
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.events_stream import next_news
from tests.fixtures.recording_now import hold_session, record_one_more

Client = TestClient[object, object]


async def test_a_new_change_reaches_a_follower_within_two_seconds(
    client: Client, store: Path
) -> None:
    hold_session(store)
    stream = await client.get("/sessions/s1/events")
    assert stream.headers["Content-Type"] == "text/event-stream"
    first = await next_news(stream, within_s=2)
    assert first["recording"] is True
    for _ in range(3):
        written_at = time.monotonic()
        newest = await asyncio.to_thread(record_one_more, store)
        news = await next_news(stream, within_s=2)
        assert news == {
            "newest_change_id": newest,
            "recording": True,
            "why": "change",
            "error": None,
        }
        assert time.monotonic() - written_at < 2.0
    stream.close()


async def test_a_stopped_recorder_is_told(client: Client, store: Path) -> None:
    hold_session(store)
    stream = await client.get("/sessions/s1/events")
    await next_news(stream, within_s=2)
    hold_session(store, heartbeat_ns=time.time_ns() - 60 * 10**9)
    news = await next_news(stream, within_s=2)
    assert (news["why"], news["recording"]) == ("stopped", False)
    stream.close()


def halted_session(path: Path) -> None:
    """0→3 under OrderedReady, web-2 created and Running but not Ready 20 s later."""
    b = ClusterBuilder(namespace="lab")
    b.service("web-headless")
    b.statefulset("web", replicas=3)
    b.bring_up("web", 0)
    b.bring_up("web", 1)
    b.create_pod("web", 2)
    b.schedule("web-2")
    b.run("web-2")
    b.tick(20_000)
    b.set_status("web", readyReplicas=2)  # the recorder is still hearing of the set
    store_session(b, path)


async def test_an_episode_under_way_reads_live_while_recorded(tmp_path: Path) -> None:
    path = tmp_path / "halted.db"
    halted_session(path)
    hold_session(path)
    async with TestClient(TestServer(create_app(path))) as client:
        summary = await (await client.get("/api/sessions/s1/summary")).json()
        verdicts = await (await client.get("/api/sessions/s1/verdicts")).json()
    assert summary["recording"] is True
    assert summary["totals"]["live"] > 0
    assert summary["episodes"][-1]["live"] is True
    assert any(h.startswith("web: halted at web-2 (not Ready) for ") for h in summary["holds"])
    assert all(h.endswith(" so far") for h in summary["holds"])
    last = verdicts["episodes"][-1]["verdicts"]
    assert {(v["outcome"], v["missing"]) for v in last} == {("inconclusive", "live")}
    assert all(v["reason"].startswith("live: decided when the episode completes") for v in last)


async def test_a_session_no_recorder_holds_is_shown_as_verify_decides(tmp_path: Path) -> None:
    path = tmp_path / "halted.db"
    halted_session(path)
    hold_session(path, heartbeat_ns=time.time_ns() - 60 * 10**9)  # the recorder died
    async with TestClient(TestServer(create_app(path))) as client:
        verdicts = await (await client.get("/api/sessions/s1/verdicts")).read()
        summary = await (await client.get("/api/sessions/s1/summary")).json()
    assert verdicts == render_json(analyse(path, "s1").result).encode()
    assert summary["recording"] is False
    assert summary["totals"]["live"] == 0
    assert summary["holds"] == []


async def test_the_live_report_says_why_its_verdicts_wait(tmp_path: Path) -> None:
    path = tmp_path / "halted.db"
    halted_session(path)
    hold_session(path)
    async with TestClient(TestServer(create_app(path))) as client:
        page = await (await client.get("/sessions/s1/report")).text()
    assert "live: decided when the episode completes" in page
    assert "the session is still being recorded" in page


def schema_one(path: Path, *, run_open: bool) -> None:
    """The store as schema 1 left it: no holder table; its run open or closed."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE holder")
        conn.execute("PRAGMA user_version = 1")
        conn.execute("UPDATE run SET ended_wall_ns = ?", (None if run_open else 1,))
    conn.close()


@pytest.mark.parametrize(
    ("run_open", "last_change_s_ago", "recording"),
    [(True, 1, True), (True, 60, False), (False, 1, False)],
)
async def test_a_schema_one_store_is_recorded_while_its_run_is_open_and_writing(
    tmp_path: Path, run_open: bool, last_change_s_ago: int, recording: bool
) -> None:
    path = tmp_path / "old.db"
    halted_session(path)
    schema_one(path, run_open=run_open)
    record_one_more(path, received_wall_ns=time.time_ns() - last_change_s_ago * 10**9)
    async with TestClient(TestServer(create_app(path))) as client:
        summary = await (await client.get("/api/sessions/s1/summary")).json()
    assert summary["recording"] is recording
    assert (summary["totals"]["live"] > 0) is recording
