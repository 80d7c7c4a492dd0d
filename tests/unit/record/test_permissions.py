"""Every verb a recording needs is checked before anything is written, and all missing at once."""

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from stswatch.errors import ExitCode
from stswatch.kube.cluster import Cluster
from stswatch.kube.kinds import WATCHED_KINDS
from stswatch.record.permissions import MissingPermissionsError, needed
from stswatch.record.recorder import Recorder
from stswatch.record.scope import RecordScope

SCOPE = RecordScope(namespace="lab", all_namespaces=False, statefulset="redis")
REFUSED = {("watch", "events"), ("list", "persistentvolumes"), ("watch", "persistentvolumes")}


def reviewer(asked: list[dict[str, Any]]) -> web.Application:
    """An API server that answers access reviews (refusing REFUSED) and nothing else."""

    async def review(request: web.Request) -> web.Response:
        body = await request.json()
        attributes = body["spec"]["resourceAttributes"]
        asked.append(attributes)
        allowed = (attributes["verb"], attributes["resource"]) not in REFUSED
        return web.json_response({**body, "status": {"allowed": allowed}}, status=201)

    app = web.Application()
    app.router.add_post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review)
    return app


def test_the_scope_needs_its_gets_and_list_and_watch_of_every_kind() -> None:
    wanted = needed(SCOPE, kinds=WATCHED_KINDS)
    assert (wanted[0].verb, wanted[0].resource, wanted[0].name) == ("get", "namespaces", "lab")
    assert (wanted[1].verb, wanted[1].resource_name(), wanted[1].name) == (
        "get",
        "statefulsets.apps",
        "redis",
    )
    assert len(wanted) == 2 + 8 * 2
    volumes = [p for p in wanted if p.resource == "persistentvolumes"]
    assert {p.namespace for p in volumes} == {None}


async def test_missing_verbs_are_all_named_and_no_store_is_created(
    serve: Any, tmp_path: Path
) -> None:
    asked: list[dict[str, Any]] = []
    db = tmp_path / "s.db"
    async with serve(reviewer(asked)) as api:
        server = str(api.configuration.host)
        cluster = Cluster(api, server, "v1.34.4", "lab", "test")
        recorder = Recorder(cluster=cluster, db_path=db, session="s", scope=SCOPE)
        with pytest.raises(MissingPermissionsError) as info:
            await recorder.run(duration=1)
    assert info.value.exit_code == ExitCode.FORBIDDEN
    assert info.value.message == (
        f"the API server at {server} does not grant what this recording needs, so nothing was "
        "recorded: missing list, watch on persistentvolumes cluster-wide; "
        "watch on events in namespace 'lab'"
    )
    assert len(asked) == 18
    assert not db.exists()


async def test_a_refused_access_review_is_answered_by_trying_each_verb(
    serve: Any, tmp_path: Path
) -> None:
    # The review's own 403 skipped the check: 106 changes were written before the watch's 403.
    tried: list[tuple[str, str]] = []

    async def refuse_review(request: web.Request) -> web.Response:
        return web.json_response({"kind": "Status", "code": 403}, status=403)

    async def anything(request: web.Request) -> web.Response:
        verb = "watch" if request.query.get("watch") else request.method
        resource = request.path.rstrip("/").split("/")[-1]
        tried.append((verb, request.path))
        if verb == "watch" and resource == "events":
            return web.json_response({"kind": "Status", "code": 403}, status=403)
        if request.path.endswith("/namespaces/lab") or request.path.endswith("/redis"):
            return web.json_response({"metadata": {"name": "x"}})
        return web.json_response({"items": [], "metadata": {"resourceVersion": "1"}})

    app = web.Application()
    app.router.add_post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", refuse_review)
    app.router.add_get("/{tail:.*}", anything)
    db = tmp_path / "s.db"
    async with serve(app) as api:
        server = str(api.configuration.host)
        cluster = Cluster(api, server, "v1.34.4", "lab", "test")
        recorder = Recorder(cluster=cluster, db_path=db, session="s", scope=SCOPE)
        with pytest.raises(MissingPermissionsError) as info:
            await recorder.run(duration=1)
    assert info.value.message.endswith("missing watch on events in namespace 'lab'")
    assert ("watch", "/api/v1/namespaces/lab/events") in tried
    assert ("GET", "/apis/apps/v1/namespaces/lab/statefulsets/redis") in tried
    assert len(tried) == 18
    assert not db.exists()
