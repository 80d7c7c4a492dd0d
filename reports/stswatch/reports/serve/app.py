"""The web application: routes, the answers in HTML, JSON and server-sent events, and its limits.

Every route is a GET (HEAD); nothing writes. Failures are the project's own (`stswatch.errors`)
and answer with their one-line message and an HTTP status (`_STATUS`): 400 for a bad value,
404 for a missing session or StatefulSet, 503 for a store that cannot be read or an analysis
queue that is full. Routes, as `docs/serve.md` describes them:

    /                                       the store's sessions
    /sessions/{session}                     a session's page, followed live (?since&until&...)
    /sessions/{session}/report              the report `stswatch report` draws, same query
    /sessions/{session}/events              server-sent events: the session's newest change
    /api/sessions                           the sessions, counted (as `stswatch sessions`)
    /api/sessions/{session}/verdicts        `stswatch verify --format json`, same query
    /api/sessions/{session}/summary         StatefulSets, episodes, totals, open holds
    /api/sessions/{session}/timeline        `stswatch report --format json`, same query
    /api/sessions/{session}/changes         `stswatch export` lines, paged by id (?after&limit)
    /healthz                                the store can be read
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware

from stswatch.errors import (
    NotFoundError,
    StoreError,
    StswatchError,
    UsageError,
    WaitTimeoutError,
)
from stswatch.reports.proofs.render import render_json
from stswatch.reports.proofs.verdict import EpisodeResult
from stswatch.reports.serve.follow import Hub, News
from stswatch.reports.serve.pages import Page, render
from stswatch.reports.serve.query import page_of, session_name, window_of
from stswatch.reports.serve.reader import Served, StoreReader
from stswatch.reports.timeline.html import render_report
from stswatch.reports.timeline.model import timeline_json
from stswatch.reports.window import WindowRequest, stamp

READER: web.AppKey[StoreReader] = web.AppKey("reader", StoreReader)
HUB: web.AppKey[Hub] = web.AppKey("hub", Hub)

STREAM_S = 3600.0  # an events stream is closed after an hour; the browser reconnects on its own
KEEPALIVE_S = 15.0  # a comment line on a quiet stream, so proxies keep it open
SEND_TIMEOUT_S = 5.0  # a page that does not take a few bytes in this long is let go
_EPISODE_MARGIN_NS = 5 * 10**9  # an episode's own window opens and closes this far around it

_STATUS: tuple[tuple[type[StswatchError], int], ...] = (
    (UsageError, 400),
    (NotFoundError, 404),
    (StoreError, 503),
    (WaitTimeoutError, 503),
)
# Every answer: no sniffing, no referrer, never framed by another site.
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
}
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# A page of any web site can make the browser ask a loopback server, by a name of its own that
# it rebinds to 127.0.0.1 (DNS rebinding): the Host header is then that name, never one of these.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_REPORT_FRAMING = "frame-ancestors 'self'"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(
    path: Path,
    *,
    max_followers: int | None = None,
    hosts: frozenset[str] | None = LOOPBACK_HOSTS,
) -> web.Application:
    """The application serving the store at `path`, read-only, to requests whose Host is one of
    `hosts` (None: any; for a server bound beyond loopback, which the user chose)."""
    app = web.Application(middlewares=[_host_guard(hosts), _failures])
    reader = StoreReader(path)
    hub = Hub(reader) if max_followers is None else Hub(reader, max_followers=max_followers)
    app[READER] = reader
    app[HUB] = hub
    app.on_response_prepare.append(_secure)
    app.on_shutdown.append(_stop_following)
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/sessions/{session}", session_page)
    app.router.add_get("/sessions/{session}/report", report)
    app.router.add_get("/sessions/{session}/events", events, allow_head=False)  # a stream
    app.router.add_get("/api/sessions", api_sessions)
    app.router.add_get("/api/sessions/{session}/verdicts", api_verdicts)
    app.router.add_get("/api/sessions/{session}/summary", api_summary)
    app.router.add_get("/api/sessions/{session}/timeline", api_timeline)
    app.router.add_get("/api/sessions/{session}/changes", api_changes)
    return app


async def _stop_following(app: web.Application) -> None:
    await app[HUB].close()
    app[READER].close()


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(_HEADERS)
    if "Content-Security-Policy" not in response.headers:
        framed = request.path.endswith("/report")
        response.headers["Content-Security-Policy"] = _REPORT_FRAMING if framed else _API_CSP


def _host_guard(hosts: frozenset[str] | None) -> Middleware:
    """Answer 421 to a request addressed to a name the server does not go by."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = (request.url.host or "").lower()
        if hosts is not None and host not in hosts:
            return web.Response(
                status=421,
                text=f"stswatch serve answers as {', '.join(sorted(hosts))} only, not {host!r}\n",
            )
        return await handler(request)

    return guard


@web.middleware
async def _failures(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A project failure as its status and one line: JSON under /api, plain text elsewhere."""
    try:
        return await handler(request)
    except StswatchError as exc:
        status = next((s for kind, s in _STATUS if isinstance(exc, kind)), 500)
        headers = {"Retry-After": "5"} if status == 503 else None
        if request.path.startswith("/api/"):
            body = {"error": exc.message, "exit_code": int(exc.exit_code)}
            return web.json_response(body, status=status, headers=headers, dumps=_dumps)
        return web.Response(text=f"stswatch: {exc.message}\n", status=status, headers=headers)


def _dumps(data: Any) -> str:
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()


def _json(data: Any) -> web.Response:
    return web.Response(
        body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _html(page: Page) -> web.Response:
    return web.Response(
        text=page.html,
        content_type="text/html",
        headers={"Content-Security-Policy": page.csp, "Cache-Control": "no-store"},
    )


def _session(request: web.Request) -> str:
    return session_name(request.match_info["session"])


def _query(request: web.Request) -> Mapping[str, str]:
    """The query string, each key once: a key given twice is refused, not guessed at."""
    query = request.rel_url.query
    for key in query:
        if len(query.getall(key)) > 1:
            raise UsageError(f"{key}= is given more than once")
    return {k: query[k] for k in query}


def _session_url(session: str, tail: str = "", window: WindowRequest | None = None) -> str:
    url = f"/sessions/{quote(session, safe='')}{tail}"
    return f"{url}?{_window_query(window)}" if window is not None else url


def _api_url(session: str, tail: str, window: WindowRequest | None) -> str:
    url = f"/api/sessions/{quote(session, safe='')}{tail}"
    return f"{url}?{_window_query(window)}" if window is not None else url


def _window_query(window: WindowRequest) -> str:
    values = {
        "since": window.since.text if window.since else None,
        "until": window.until.text if window.until else None,
        "statefulset": window.statefulset,
    }
    return urlencode({k: v for k, v in values.items() if v})


# --- pages ------------------------------------------------------------------------------------


async def index(request: web.Request) -> web.Response:
    """The store's sessions; their StatefulSets, episodes and totals are filled in as analysed."""
    reader = request.app[READER]
    overviews = await reader.sessions()
    rows = [
        {
            **asdict(o),
            "scope": _scope_text(o.scope),
            "href": _session_url(o.name),
            "summary": _api_url(o.name, "/summary", None),
        }
        for o in overviews
    ]
    data = {"page": "store", "sessions": [{"summary": r["summary"]} for r in rows]}
    return _html(render("index.html.j2", data=data, store=str(reader.path), sessions=rows))


def _scope_text(scope: Mapping[str, Any]) -> str:
    if scope.get("all_namespaces"):
        where = "all namespaces"
    else:
        where = f"namespace {scope.get('namespace') or '?'}"
    named = scope.get("statefulset")
    return f"{where}, StatefulSet {named}" if named else where


async def session_page(request: web.Request) -> web.Response:
    """A session's page: the report framed, followed as the session is recorded."""
    session = _session(request)
    window = window_of(_query(request))
    reader = request.app[READER]
    seen = await reader.activity(session)  # 404 at once for a session that does not exist
    data = {
        "page": "session",
        "newest": seen.newest_change_id,
        "report": _session_url(session, "/report", window),
        "summary": _api_url(session, "/summary", window),
        "events": _session_url(session, "/events"),
    }
    query = {
        "since": window.since.text if window and window.since else "",
        "until": window.until.text if window and window.until else "",
        "statefulset": window.statefulset if window and window.statefulset else "",
    }
    page = render(
        "session.html.j2",
        data=data,
        store=str(reader.path),
        session=session,
        query=query,
        whole=_session_url(session),
        report=data["report"],
    )
    return _html(page)


async def report(request: web.Request) -> web.Response:
    """The report of the session (or window), drawn by `stswatch report`'s own renderer."""
    served = await _served(request)
    statefulset = served.key.statefulset
    return await _product(
        request,
        served,
        ("html", statefulset or ""),
        lambda: render_report(served.timeline_analysis().timeline(statefulset)).encode(),
        # The report carries its own CSP (hashes of its inline script and style) in a <meta>.
        content_type="text/html",
    )


async def _product(
    request: web.Request,
    served: Served,
    name: tuple[str, ...],
    render: Callable[[], bytes],
    *,
    content_type: str = "application/json",
) -> web.Response:
    """What `render` draws from the analysis (kept for the next request), never cached."""
    body = await request.app[READER].product(served, name, render)
    return web.Response(
        body=body, content_type=content_type, charset="utf-8", headers={"Cache-Control": "no-store"}
    )


async def _served(request: web.Request) -> Served:
    session = _session(request)
    window = window_of(_query(request))
    return await request.app[READER].served(session, window)


# --- the JSON API -----------------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    """200 when the store can be read, with how many sessions it holds; else 503 and why."""
    reader = request.app[READER]
    sessions = await reader.sessions()
    return _json(
        {"status": "ok", "sessions": len(sessions), "following": request.app[HUB].following}
    )


async def api_sessions(request: web.Request) -> web.Response:
    """Every session of the store, counted, as `stswatch sessions` lists them."""
    overviews = await request.app[READER].sessions()
    return _json({"sessions": [asdict(o) for o in overviews]})


async def api_verdicts(request: web.Request) -> web.Response:
    """`stswatch verify --format json` of the session (or window); under-way episodes read live."""
    served = await _served(request)
    return await _product(
        request, served, ("verdicts",), lambda: render_json(served.view.result).encode()
    )


async def api_timeline(request: web.Request) -> web.Response:
    """`stswatch report --format json` of the session (or window)."""
    served = await _served(request)
    statefulset = served.key.statefulset
    return await _product(
        request,
        served,
        ("timeline", statefulset or ""),
        lambda: timeline_json(served.timeline_analysis().timeline(statefulset)),
    )


async def api_summary(request: web.Request) -> web.Response:
    """What the pages show beside the report: StatefulSets, episodes (each with its own
    window's link), verdict totals with `live` apart, and the open holds so far."""
    served = await _served(request)
    session = served.key.session
    result, live = served.view.result, set(served.view.live_episodes)
    totals = dict.fromkeys(("pass", "fail", "not-applicable", "inconclusive", "live"), 0)
    for episode in result.episodes:
        for verdict in episode.verdicts:
            totals["live" if episode.index in live else verdict.outcome] += 1
    episodes = [
        {
            "index": e.index,
            "kind": e.kind,
            "statefulset": e.statefulset,
            "namespace": e.namespace,
            "summary": e.summary,
            "state": e.progress.state if e.progress else "",
            "progress": e.progress.text if e.progress else "",
            "live": e.index in live,
            "href": _episode_url(session, e),
        }
        for e in result.episodes
    ]
    return _json(
        {
            "session": session,
            "recording": served.view.recording,
            "newest_change_id": served.activity.newest_change_id,
            "statefulsets": list(result.statefulsets),
            "episodes": episodes,
            "totals": totals,
            "holds": list(served.view.holds),
        }
    )


def _episode_url(session: str, episode: EpisodeResult) -> str:
    """The session's page for an episode's own window (a margin either side) and StatefulSet."""
    query = {
        "since": stamp(episode.start_wall_ns - _EPISODE_MARGIN_NS),
        "until": stamp(episode.end_wall_ns + _EPISODE_MARGIN_NS),
        "statefulset": f"{episode.namespace}/{episode.statefulset}",
    }
    return f"{_session_url(session)}?{urlencode(query)}"


async def api_changes(request: web.Request) -> web.Response:
    """The session's changes after an id, as `stswatch export` writes them, a page at a time."""
    session = _session(request)
    page = page_of(_query(request))
    found = await request.app[READER].changes(session, after=page.after, limit=page.limit)
    lines = b",".join(line.rstrip(b"\n") for line in found.lines)
    following = None
    if found.last_id is not None and len(found.lines) == page.limit:
        following = (
            f"{_api_url(session, '/changes', None)}?after={found.last_id}&limit={page.limit}"
        )
    tail = orjson.dumps({"last_id": found.last_id, "next": following})
    body = b'{"changes":[' + lines + b"]," + tail[1:]
    return web.Response(
        body=body, content_type="application/json", headers={"Cache-Control": "no-store"}
    )


# --- live -------------------------------------------------------------------------------------


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: `news` with the session's newest change id whenever it moves (or its
    last episode may have settled, or its recorder stopped), a comment line when quiet."""
    session = _session(request)
    hub = request.app[HUB]
    await request.app[READER].activity(session)  # 404 before the stream opens
    if hub.following >= hub.max_followers:
        raise WaitTimeoutError(
            f"{hub.following} pages already follow this store (at most {hub.max_followers})"
        )
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    closes_at = loop.time() + STREAM_S
    async with hub.follow(session) as inbox:
        try:
            await _send(response, b"retry: 1000\n\n")
            while loop.time() < closes_at:
                news = await inbox.next(wait_s=KEEPALIVE_S)
                if hub.closed:
                    break
                await _send(response, b": quiet\n\n" if news is None else _event(news))
        except (TimeoutError, ConnectionError):
            pass  # the page stopped reading or went away: let it go, nothing else waits on it
    return response


def _event(news: News) -> bytes:
    data = {
        "newest_change_id": news.newest_change_id,
        "recording": news.recording,
        "why": news.why,
        "error": news.error,
    }
    return b"event: news\ndata: " + orjson.dumps(data) + b"\n\n"


async def _send(response: web.StreamResponse, data: bytes) -> None:
    await asyncio.wait_for(response.write(data), SEND_TIMEOUT_S)
