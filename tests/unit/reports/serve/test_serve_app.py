"""`stswatch serve`'s pages and JSON API over a store the `ClusterBuilder` wrote."""

import asyncio
import gc
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient
from markupsafe import escape

from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.render import render_json
from stswatch.reports.recording import export_jsonl
from stswatch.reports.serve import app as app_module
from stswatch.reports.serve import reader as reader_module
from stswatch.reports.timeline.html import render_report
from stswatch.reports.window import WindowRequest, parse_moment

Client = TestClient[object, object]


async def test_the_store_page_lists_its_sessions(client: Client) -> None:
    response = await client.get("/")
    assert response.status == 200
    page = await response.text()
    assert 'href="/sessions/s1"' in page
    assert "namespace lab" in page
    assert "/api/sessions/s1/summary" in page  # the script fills in sets, episodes and totals


async def test_the_report_is_the_one_stswatch_report_draws(client: Client, store: Path) -> None:
    response = await client.get("/sessions/s1/report")
    assert response.status == 200
    assert response.content_type == "text/html"
    drawn = render_report(analyse(store, "s1").timeline())
    assert await response.text() == drawn


async def test_a_window_is_drawn_as_report_since_until_draws_it(
    client: Client, store: Path
) -> None:
    since, until = "2025-11-24T16:00:03Z", "8s"
    response = await client.get(f"/sessions/s1/report?since={since}&until={until}")
    assert response.status == 200
    window = WindowRequest(parse_moment(since), parse_moment(until), None)
    assert await response.text() == render_report(analyse(store, "s1", window=window).timeline())


async def test_verdicts_have_verify_json_shape(client: Client, store: Path) -> None:
    response = await client.get("/api/sessions/s1/verdicts")
    assert response.status == 200
    assert await response.read() == render_json(analyse(store, "s1").result).encode()


async def test_summary_counts_sets_episodes_and_verdicts(client: Client, store: Path) -> None:
    summary = await (await client.get("/api/sessions/s1/summary")).json()
    result = analyse(store, "s1").result
    assert summary["statefulsets"] == list(result.statefulsets)
    assert len(summary["episodes"]) == len(result.episodes) > 0
    assert summary["totals"]["pass"] == result.count("pass") > 0
    assert summary["totals"]["live"] == 0
    assert summary["recording"] is False
    first = summary["episodes"][0]
    assert re.fullmatch(
        r"/sessions/s1\?since=[^&]+&until=[^&]+&statefulset=lab%2Fredis", first["href"]
    )


async def test_an_episode_link_opens_its_own_window(client: Client) -> None:
    summary = await (await client.get("/api/sessions/s1/summary")).json()
    href = summary["episodes"][1]["href"]
    page = await client.get(href)
    assert page.status == 200
    verdicts = await (
        await client.get(
            href.replace("/sessions/", "/api/sessions/", 1).replace("?", "/verdicts?", 1)
        )
    ).json()
    assert verdicts["window"] is not None


async def test_changes_are_exported_lines_paged_by_id(client: Client, store: Path) -> None:
    with (store.parent / "export.jsonl").open("wb") as out:
        export_jsonl(store, session="s1", out=out)
    exported = [
        orjson.loads(line) for line in (store.parent / "export.jsonl").read_bytes().splitlines()
    ]
    seen, url = [], "/api/sessions/s1/changes?limit=25"
    for _ in range(100):
        page = await (await client.get(url)).json()
        seen.extend(page["changes"])
        if page["next"] is None:
            break
        url = page["next"]
    assert seen == exported
    last = await (await client.get(f"/api/sessions/s1/changes?after={exported[-1]['id']}")).json()
    assert last == {"changes": [], "last_id": None, "next": None}


async def test_sessions_api_counts_as_sessions_lists(client: Client) -> None:
    found = await (await client.get("/api/sessions")).json()
    assert [s["name"] for s in found["sessions"]] == ["s1"]
    assert found["sessions"][0]["changes"] > 0


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_timeline_api_is_report_format_json(client: Client) -> None:
    found = await (await client.get("/api/sessions/s1/timeline")).json()
    assert found["format"] == "stswatch-timeline"


async def test_pages_admit_only_their_own_script_and_style(client: Client) -> None:
    response = await client.get("/sessions/s1")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", csp)
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = await response.text()
    in_page = csp.removesuffix("; frame-ancestors 'none'")
    assert f'content="{escape(in_page)}"' in page
    assert "http://" not in page  # nothing loaded from anywhere
    assert "https://" not in page


async def test_nothing_stays_frozen_after_an_analysis(client: Client) -> None:
    # Loading a session freezes what is alive (right for a command that exits); a server that
    # kept it frozen would never collect the cycles of the requests alive then.
    assert (await client.get("/api/sessions/s1/verdicts")).status == 200
    assert gc.get_freeze_count() == 0


async def test_pages_asked_at_once_share_one_analysis_and_one_drawing(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    analysed, drawn = reader_module.analyse, app_module.render_report

    def counted_analyse(*args: Any, **kwargs: Any) -> Any:
        calls.append("analyse")
        return analysed(*args, **kwargs)

    def counted_render(*args: Any, **kwargs: Any) -> Any:
        calls.append("render")
        return drawn(*args, **kwargs)

    monkeypatch.setattr(reader_module, "analyse", counted_analyse)
    monkeypatch.setattr(app_module, "render_report", counted_render)
    pages = await asyncio.gather(*(client.get("/sessions/s1/report") for _ in range(8)))
    bodies = {await page.read() for page in pages}
    assert len(bodies) == 1
    assert calls == ["analyse", "render"]
