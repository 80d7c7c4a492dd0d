"""The one client's verbs against a scripted API server (protocol edges the lab will not show
on demand): a list served in pages keeps its first page's resourceVersion, a watch's ERROR
event is the failure `failure_for` words, and a refusal reads the same on every verb."""

import orjson
import pytest
from aiohttp import web
from kubernetes_asyncio.client import ApiClient

from stswatch.errors import ClusterError, ExitCode, ForbiddenError
from stswatch.kube import verbs
from tests.unit.record.conftest import api_client_for

PVCS = "/api/v1/persistentvolumeclaims"
FORBIDDEN = {
    "kind": "Status",
    "code": 403,
    "message": 'persistentvolumeclaims is forbidden: User "x"',
}


def _claim(name: str) -> dict[str, object]:
    return {"metadata": {"name": name, "namespace": "lab", "uid": f"u-{name}"}}


def _app() -> web.Application:
    async def claims(request: web.Request) -> web.StreamResponse:
        if request.query.get("watch") == "1":
            response = web.StreamResponse()
            await response.prepare(request)
            added = {"type": "ADDED", "object": _claim("c")}
            gone = {
                "type": "ERROR",
                "object": {"kind": "Status", "code": 410, "message": "too old"},
            }
            await response.write(orjson.dumps(added) + b"\n" + orjson.dumps(gone) + b"\n")
            return response
        if request.query.get("continue") == "page-2":
            page = {"metadata": {"resourceVersion": "99"}, "items": [_claim("b")]}
        else:
            meta = {"resourceVersion": "41", "continue": "page-2"}
            page = {"metadata": meta, "items": [_claim("a")]}
        return web.json_response(page)

    async def refused(request: web.Request) -> web.Response:
        return web.json_response(FORBIDDEN, status=403)

    app = web.Application()
    app.router.add_get(PVCS, claims)
    app.router.add_route("*", "/api/v1/namespaces/lab/persistentvolumeclaims/{name}", refused)
    return app


async def test_a_paged_list_is_served_at_its_first_pages_version() -> None:
    async with api_client_for(_app()) as api:
        items = await verbs.list_all(api, PVCS, what="persistentvolumeclaims")
    assert [i["metadata"]["name"] for i in items] == ["a", "b"]
    assert items.resource_version == "41"


async def test_a_watch_error_event_ends_the_watch_as_failure_for_words_it() -> None:
    seen: list[str] = []

    async def follow(api: ApiClient) -> None:
        events = verbs.watch(api, PVCS, what="persistentvolumeclaims", params=(), seconds=5)
        async for kind, obj in events:
            seen.append(f"{kind} {obj['metadata']['name']}")

    async with api_client_for(_app()) as api:
        with pytest.raises(ClusterError) as ended:
            await follow(api)
    assert seen == ["ADDED c"]
    assert ended.value.message == "watch persistentvolumeclaims: 410 Gone: too old"


@pytest.mark.parametrize("verb", ["get", "patch", "delete"])
async def test_a_refusal_reads_the_same_on_every_verb(verb: str) -> None:
    path = "/api/v1/namespaces/lab/persistentvolumeclaims/data-0"
    what = "persistentvolumeclaims/data-0 in namespace 'lab'"

    async def ask(api: ApiClient) -> object:
        if verb == "get":
            return await verbs.get_or_none(api, path, what=what)
        if verb == "patch":
            body, merge = {"spec": {}}, "application/merge-patch+json"
            return await verbs.patch(api, path, what=what, body=body, content_type=merge)
        return await verbs.delete(api, path, what=what)

    async with api_client_for(_app()) as api:
        with pytest.raises(ForbiddenError) as refused:
            await ask(api)
    assert refused.value.exit_code == ExitCode.FORBIDDEN
    assert refused.value.message == (
        f"the API server refused to {verb} {what} (403 forbidden): {FORBIDDEN['message']}"
    )
