"""Hostile requests and hostile recordings: clear refusals, escaped text, bounded followers."""

import asyncio
import gc
import re
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from aiohttp import TCPConnector
from aiohttp.test_utils import TestClient, TestServer

from stswatch import safe_text
from stswatch.reports.serve import app as serve_app
from stswatch.reports.serve import reader as reader_module
from stswatch.reports.serve.app import HUB, create_app
from tests.browser.sessions import HOSTILE, lab_session, store_session
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.events_stream import next_news
from tests.fixtures.recording_now import hold_session, record_one_more

Client = TestClient[object, object]
MARKUP = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/sessions/..%2F..%2Fetc%2Fpasswd", 404, "no session named '../../etc/passwd'"),
        ("/api/sessions/..%2Fstore.db/verdicts", 404, "no session named '../store.db'"),
        ("/sessions/a%00b/report", 400, "a session name is 1 to 256 printable characters"),
        ("/api/sessions/" + "x" * 300 + "/verdicts", 400, "1 to 256 printable characters"),
        ("/api/sessions/s1/verdicts?since=yesterday", 400, "is neither a time"),
        ("/api/sessions/s1/verdicts?since=99999999999999d", 400, "longer than a hundred years"),
        ("/api/sessions/s1/verdicts?until=9999-01-01", 400, "outside the times a recording"),
        ("/api/sessions/s1/verdicts?since=1h&since=2h", 400, "since= is given more than once"),
        ("/api/sessions/s1/verdicts?statefulset=%3Cb%3E", 400, "is not a StatefulSet name"),
        ("/api/sessions/s1/verdicts?statefulset=nope", 404, "has no StatefulSet 'nope'"),
        ("/api/sessions/s1/verdicts?since=" + "1" * 80, 400, "at most 64 printable characters"),
        ("/api/sessions/s1/changes?limit=5000", 400, "from 0 to 1,000"),
        ("/api/sessions/s1/changes?limit=0", 400, "limit=0 is below 1"),
        ("/api/sessions/s1/changes?after=-1", 400, "not a whole number"),
        ("/api/sessions/s1/changes?after=%C2%B2", 400, "not a whole number"),
        (
            "/api/sessions/s1/verdicts?since=2025-11-24T17:00:00Z&until=2025-11-24T16:00:00Z",
            400,
            "the window ends before it starts",
        ),
    ],
)
async def test_bad_requests_get_a_clear_refusal(
    client: Client, url: str, status: int, says: str | None
) -> None:
    response = await client.get(url)
    assert response.status == status
    if url.startswith("/api/"):
        body = await response.json()
        assert body["exit_code"] in (2, 4)
        text = body["error"]
    else:
        text = await response.text()
        assert response.content_type == "text/plain"
    assert says is None or says in text
    assert "Traceback" not in text


async def test_a_ten_year_window_is_the_whole_session(client: Client) -> None:
    whole = await (await client.get("/api/sessions/s1/summary")).json()
    decade = await (await client.get("/api/sessions/s1/summary?since=87600h")).json()
    assert decade["totals"] == whole["totals"]
    assert len(decade["episodes"]) == len(whole["episodes"])


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_nothing_writes(client: Client, method: str) -> None:
    for url in ("/", "/sessions/s1", "/api/sessions", "/api/sessions/s1/changes", "/healthz"):
        assert (await client.request(method, url)).status == 405


async def test_recorded_markup_is_text_on_every_page(tmp_path: Path) -> None:
    path = tmp_path / "hostile.db"
    builder = ClusterBuilder(namespace=MARKUP)
    lab_session(builder, hostile=True)
    store_session(builder, path, session=MARKUP)
    async with TestClient(TestServer(create_app(path))) as client:
        store_page = await (await client.get("/")).text()
        session_page = await client.get("/sessions/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        report = await client.get("/sessions/%3Cscript%3Ealert(1)%3C%2Fscript%3E/report")
        assert session_page.status == report.status == 200
        pages = (store_page, await session_page.text(), await report.text())
    for page in pages:
        for hostile in (MARKUP, *HOSTILE):
            assert hostile not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in store_page
    assert 'href="/sessions/%3Cscript%3Ealert%281%29%3C%2Fscript%3E"' in store_page


async def test_a_session_name_with_controls_is_listed_escaped(tmp_path: Path) -> None:
    """The store page shows a name's C1 and bidi controls escaped (`\\u202e`), as a terminal
    does: a session name cannot reverse the text after it."""
    path = tmp_path / "controls.db"
    hostile = "s1\u202egnp.exe\x9b2J"
    builder = ClusterBuilder()
    lab_session(builder)
    store_session(builder, path, session=hostile)
    async with TestClient(TestServer(create_app(path))) as client:
        page = await (await client.get("/")).text()
    shown = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert safe_text.plain(shown) == shown
    assert safe_text.field(hostile) in shown


async def test_followers_beyond_the_bound_are_turned_away(store: Path) -> None:
    async with TestClient(TestServer(create_app(store, max_followers=3))) as client:
        streams = [await client.get("/sessions/s1/events") for _ in range(3)]
        refused = await client.get("/sessions/s1/events")
        assert refused.status == 503
        assert "3 pages already follow this store (at most 3)" in await refused.text()
        for stream in streams:
            stream.close()


async def test_two_hundred_followers_one_poller_memory_bounded(store: Path) -> None:
    hold_session(store)
    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss
    # The client's own pool holds 100 connections by default: 200 pages need their own.
    client = TestClient(TestServer(create_app(store)), connector=TCPConnector(limit=0))
    await client.start_server()
    streams = [await client.get("/sessions/s1/events") for _ in range(200)]
    await asyncio.gather(*(next_news(s, within_s=5) for s in streams))
    assert client.app is not None
    hub = client.app[HUB]
    assert hub.following == 200
    assert len(hub._followers) == 1  # one poller for one session, however many pages
    newest = await asyncio.to_thread(record_one_more, store)
    news = await asyncio.gather(*(next_news(s, within_s=2) for s in streams))
    assert {n["newest_change_id"] for n in news} == {newest}
    grown = process.memory_info().rss - before
    assert grown < 64 * 2**20, f"200 followers took {grown / 2**20:.1f} MiB"
    for stream in streams:
        stream.close()
    await client.close()
    assert hub.following == 0


async def test_a_page_that_stops_reading_holds_up_no_one(client: Client, store: Path) -> None:
    hold_session(store)
    assert client.server.port is not None
    _, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(b"GET /sessions/s1/events HTTP/1.1\r\nHost: x\r\n\r\n")  # then never reads
    await writer.drain()
    reading = await client.get("/sessions/s1/events")
    await next_news(reading, within_s=2)
    for _ in range(3):
        newest = await asyncio.to_thread(record_one_more, store)
        while (await next_news(reading, within_s=2))["newest_change_id"] != newest:
            pass  # a "settled" or an earlier change may come first
    reading.close()
    writer.close()


async def test_a_stalled_write_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve_app, "SEND_TIMEOUT_S", 0.05)

    class Stalled:
        async def write(self, data: bytes) -> None:
            await asyncio.Event().wait()

    with pytest.raises(TimeoutError):
        await serve_app._send(Stalled(), b"data")  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example"])
async def test_a_rebound_name_gets_nothing(client: Client, host: str) -> None:
    for url in ("/", "/api/sessions", "/api/sessions/s1/changes", "/sessions/s1/events"):
        response = await client.get(url, headers={"Host": host})
        assert response.status == 421
        assert "stswatch serve answers as 127.0.0.1, ::1, localhost only" in await response.text()


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1", "[::1]:8080", "LOCALHOST"])
async def test_loopback_names_are_served(client: Client, host: str) -> None:
    assert (await client.get("/healthz", headers={"Host": host})).status == 200


async def test_a_server_bound_beyond_loopback_answers_any_name(store: Path) -> None:
    async with TestClient(TestServer(create_app(store, hosts=None))) as client:
        response = await client.get("/healthz", headers={"Host": "stswatch.example:8080"})
        assert response.status == 200


async def test_analyses_beyond_the_queue_are_turned_away(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader_module, "ANALYSES_WAITING", 2)
    analysed = reader_module.analyse

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        return analysed(*args, **kwargs)

    monkeypatch.setattr(reader_module, "analyse", slow)
    windows = [f"/api/sessions/s1/verdicts?since={minutes}m" for minutes in (1, 2, 3, 4)]
    answers = await asyncio.gather(*(client.get(url) for url in windows))
    statuses = sorted(a.status for a in answers)
    assert statuses == [200, 200, 503, 503]
    refused = next(a for a in answers if a.status == 503)
    assert refused.headers["Retry-After"] == "5"
    body = await refused.json()
    assert body == {
        "error": "2 analyses are already under way or waiting; ask again in a few seconds",
        "exit_code": 9,
    }
