"""Reflector protocol edge cases a real API server cannot be made to produce on demand.

A small scripted aiohttp server on 127.0.0.1 plays the API server: each LIST answers from a
script, each WATCH request runs the next scripted stream (cut lines, huge objects, silence,
410 Gone).
"""

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import orjson
import pytest
from aiohttp import web
from kubernetes_asyncio.client import ApiClient, Configuration

from stswatch.errors import ClusterError, ExitCode, ForbiddenError
from stswatch.kube.kinds import CONTROLLER_REVISION, EVENT, POD, STATEFUL_SET, Kind
from stswatch.record.records import ChangeRecord, GapRecord, Record
from stswatch.record.reflector import Reflector, WatchTimeouts
from stswatch.record.scope import NamespaceWorld

Stream = Callable[[web.StreamResponse], Awaitable[None]]
EXPIRED = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}
FAST = WatchTimeouts(server_seconds=5, read_seconds=0.5, list_seconds=5, max_backoff_seconds=0.2)


def pod(name: str, rv: str, *, uid: str | None = None, size: int = 0) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": "lab",
        "uid": uid or f"uid-{name}",
        "resourceVersion": rv,
    }
    if size:
        metadata["annotations"] = {"big": "x" * size}
    return {"kind": "Pod", "apiVersion": "v1", "metadata": metadata, "status": {"phase": "Running"}}


def line(event: str, obj: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": event, "object": obj}) + b"\n"


class ScriptedApiServer:
    """Answers pod LISTs from `lists` and pod WATCHes with the next of `streams`."""

    def __init__(self) -> None:
        self.lists: list[tuple[str, list[dict[str, Any]]]] = []
        self.list_status = 200
        self.streams: list[Stream] = []
        self.watch_versions: list[str] = []
        self.app = web.Application()
        self.app.router.add_get("/api/v1/namespaces/lab/pods", self._pods)

    async def _pods(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("watch") != "true":
            if self.list_status != 200:
                body = {"kind": "Status", "code": self.list_status, "message": "no pods for you"}
                return web.json_response(body, status=self.list_status)
            version, items = self.lists.pop(0) if len(self.lists) > 1 else self.lists[0]
            return web.json_response(
                {
                    "kind": "PodList",
                    "apiVersion": "v1",
                    "metadata": {"resourceVersion": version},
                    "items": items,
                }
            )
        self.watch_versions.append(request.query["resourceVersion"])
        response = web.StreamResponse()
        await response.prepare(request)
        if self.streams:
            await self.streams.pop(0)(response)
        else:
            await asyncio.sleep(30)  # nothing scripted: stay silent until the client gives up
        return response


@pytest.fixture
async def server(serve: Any) -> AsyncIterator[tuple[ScriptedApiServer, ApiClient]]:
    scripted = ScriptedApiServer()
    async with serve(scripted.app) as api:
        yield scripted, api


async def record_until(
    api: ApiClient, done: Callable[[list[Record]], bool], **kwargs: Any
) -> list[Record]:
    """Run a pod reflector until `done(records)` holds (at most 10 s), then stop it."""
    records: list[Record] = []

    async def sink(record: Record) -> None:
        records.append(record)

    async def recall(uids: Sequence[str]) -> dict[str, str]:
        """The sink's records play the store."""
        last = {r.uid: r.object_json for r in records if isinstance(r, ChangeRecord)}
        return {uid: last[uid] for uid in uids if uid in last}

    reflector = Reflector(
        api=api,
        kind=POD,
        namespace="lab",
        sink=sink,
        recall=recall,
        membership=NamespaceWorld(namespace="lab"),
        keep_env=False,
        timeouts=FAST,
        **kwargs,
    )
    task = asyncio.create_task(reflector.run())
    try:
        async with asyncio.timeout(10):
            while not done(records):
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return records


def changes(records: list[Record]) -> list[tuple[str, str, str, str]]:
    return [
        (r.event, r.name, r.resource_version, r.observed)
        for r in records
        if isinstance(r, ChangeRecord)
    ]


async def test_a_line_cut_mid_json_is_dropped_and_rewatched_from_the_last_version(
    server: tuple[ScriptedApiServer, ApiClient],
) -> None:
    scripted, api = server
    scripted.lists = [("10", [pod("redis-0", "9")])]

    async def cut(response: web.StreamResponse) -> None:
        await response.write(line("ADDED", pod("redis-1", "11")))
        await response.write(line("MODIFIED", pod("redis-1", "12"))[:40])  # connection drops

    async def rest(response: web.StreamResponse) -> None:
        await response.write(line("MODIFIED", pod("redis-1", "12")))

    scripted.streams = [cut, rest]
    records = await record_until(api, lambda rs: len(changes(rs)) >= 3)
    assert changes(records) == [
        ("ADDED", "redis-0", "9", "list"),
        ("ADDED", "redis-1", "11", "watch"),
        ("MODIFIED", "redis-1", "12", "watch"),
    ]
    assert scripted.watch_versions[:2] == ["10", "11"]


async def test_a_two_mebibyte_object_arrives_whole(
    server: tuple[ScriptedApiServer, ApiClient],
) -> None:
    scripted, api = server
    scripted.lists = [("10", [])]
    big = pod("redis-0", "11", size=2 * 1024 * 1024)

    async def huge(response: web.StreamResponse) -> None:
        data = line("ADDED", big)
        for start in range(0, len(data), 64 * 1024):  # trickled in many TCP writes
            await response.write(data[start : start + 64 * 1024])

    scripted.streams = [huge]
    records = await record_until(api, lambda rs: len(changes(rs)) >= 1)
    stored = orjson.loads(next(r for r in records if isinstance(r, ChangeRecord)).object_json)
    assert len(stored["metadata"]["annotations"]["big"]) == 2 * 1024 * 1024


async def test_silence_times_out_and_rewatches(
    server: tuple[ScriptedApiServer, ApiClient],
) -> None:
    scripted, api = server
    scripted.lists = [("10", [])]

    async def silent(response: web.StreamResponse) -> None:
        await asyncio.sleep(5)  # longer than the 0.5 s read timeout

    async def speaks(response: web.StreamResponse) -> None:
        await response.write(line("ADDED", pod("redis-0", "11")))

    scripted.streams = [silent, speaks]
    records = await record_until(api, lambda rs: len(changes(rs)) >= 1)
    assert changes(records) == [("ADDED", "redis-0", "11", "watch")]
    assert scripted.watch_versions[:2] == ["10", "10"]


async def test_bookmarks_advance_the_version_without_recording(
    server: tuple[ScriptedApiServer, ApiClient],
) -> None:
    scripted, api = server
    scripted.lists = [("10", [])]
    bookmark = {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": "15"}}

    async def marks(response: web.StreamResponse) -> None:
        await response.write(line("BOOKMARK", bookmark))

    async def speaks(response: web.StreamResponse) -> None:
        await response.write(line("ADDED", pod("redis-0", "16")))

    scripted.streams = [marks, speaks]
    records = await record_until(api, lambda rs: len(changes(rs)) >= 1)
    assert changes(records) == [("ADDED", "redis-0", "16", "watch")]
    assert scripted.watch_versions[:2] == ["10", "15"]


async def test_gone_relists_records_the_difference_and_a_gap(
    server: tuple[ScriptedApiServer, ApiClient],
) -> None:
    scripted, api = server
    first = [pod("redis-0", "8"), pod("redis-1", "9"), pod("redis-2", "9")]
    # Unseen while the watch was gone: redis-0 changed, redis-1 went, redis-2 was replaced by a
    # new incarnation (new uid), redis-3 appeared.
    second = [
        pod("redis-0", "30"),
        pod("redis-2", "31", uid="uid-redis-2-b"),
        pod("redis-3", "32"),
    ]
    scripted.lists = [("10", first), ("40", second)]

    async def gone(response: web.StreamResponse) -> None:
        await response.write(line("ERROR", EXPIRED))

    scripted.streams = [gone]
    records = await record_until(api, lambda rs: any(isinstance(r, GapRecord) for r in rs))
    assert changes(records)[3:] == [
        ("DELETED", "redis-1", "40", "relist"),
        ("DELETED", "redis-2", "40", "relist"),
        ("MODIFIED", "redis-0", "30", "relist"),
        ("ADDED", "redis-2", "31", "relist"),
        ("ADDED", "redis-3", "32", "relist"),
    ]
    gap = next(r for r in records if isinstance(r, GapRecord))
    assert (gap.kind, gap.reason) == ("Pod", "410 Gone")
    assert (gap.from_resource_version, gap.to_resource_version) == ("10", "40")
    assert gap.from_wall_ns <= gap.to_wall_ns


async def test_an_object_deleted_unseen_keeps_its_last_recorded_state(
    server: tuple[ScriptedApiServer, ApiClient],
) -> None:
    scripted, api = server
    scripted.lists = [("10", [pod("redis-0", "9")]), ("40", [])]
    last = pod("redis-0", "12", size=100)

    async def changed_then_gone(response: web.StreamResponse) -> None:
        await response.write(line("MODIFIED", last))
        await response.write(line("ERROR", EXPIRED))

    scripted.streams = [changed_then_gone]
    records = await record_until(api, lambda rs: any(isinstance(r, GapRecord) for r in rs))
    deleted = [r for r in records if isinstance(r, ChangeRecord) and r.event == "DELETED"]
    assert [(r.name, r.resource_version, r.observed) for r in deleted] == [
        ("redis-0", "40", "relist")
    ]
    assert orjson.loads(deleted[0].object_json) == last


async def test_a_list_cut_after_a_recorded_page_is_retried_as_a_relist_with_a_gap(
    serve: Any,
) -> None:
    # The first list is recorded page by page; its continue token expires before page two.
    answers = [
        ("10", [pod("redis-0", "9"), pod("redis-1", "9")], "page-2"),
        (410, [], ""),
        ("20", [pod("redis-1", "15"), pod("redis-2", "16")], ""),
    ]

    async def pods(request: web.Request) -> web.StreamResponse:
        if request.query.get("watch") == "true":
            response = web.StreamResponse()
            await response.prepare(request)
            await asyncio.sleep(30)
            return response
        version, items, token = answers.pop(0) if len(answers) > 1 else answers[0]
        if version == 410:
            return web.json_response(EXPIRED, status=410)
        metadata = {"resourceVersion": version, "continue": token}
        return web.json_response({"kind": "PodList", "metadata": metadata, "items": items})

    app = web.Application()
    app.router.add_get("/api/v1/namespaces/lab/pods", pods)
    async with serve(app) as api:
        records = await record_until(api, lambda rs: any(isinstance(r, GapRecord) for r in rs))
    assert changes(records) == [
        ("ADDED", "redis-0", "9", "list"),
        ("ADDED", "redis-1", "9", "list"),
        ("DELETED", "redis-0", "20", "relist"),
        ("MODIFIED", "redis-1", "15", "relist"),
        ("ADDED", "redis-2", "16", "relist"),
    ]
    gap = next(r for r in records if isinstance(r, GapRecord))
    assert (gap.reason, gap.from_resource_version, gap.to_resource_version) == (
        "list interrupted",
        "10",
        "20",
    )


async def test_a_refused_list_names_the_verb_and_resource(
    server: tuple[ScriptedApiServer, ApiClient],
) -> None:
    scripted, api = server
    scripted.list_status = 403
    with pytest.raises(ForbiddenError, match=r"refused to list pods in namespace 'lab' \(403"):
        await record_until(api, lambda rs: False)


def _send(*lines: bytes) -> Stream:
    async def stream(response: web.StreamResponse) -> None:
        for raw in lines:
            await response.write(raw)
        await asyncio.sleep(30)

    return stream


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"[1, 2]\n", "an event that is a JSON list"),
        (b'"ADDED"\n', "an event that is a JSON str"),
        (b'{"type": "ADDED", "object": [1]}\n', "an event object that is a JSON list"),
        (b'{"type": "ERROR", "object": {"code": "gone"}}\n', "an ERROR code 'gone'"),
        (b'{"type": "ADDED", "object": {"metadata": 7}}\n', "'metadata' that is a JSON int"),
        (
            b'{"type": "ADDED", "object": {"metadata": {"name": 1}}}\n',
            "metadata.name 1",
        ),
    ],
)
async def test_a_malformed_watch_event_is_a_cluster_error_naming_the_server(
    server: tuple[ScriptedApiServer, ApiClient], raw: bytes, problem: str
) -> None:
    scripted, api = server
    scripted.lists = [("1", [])]
    scripted.streams = [_send(raw)]
    with pytest.raises(ClusterError) as info:
        await record_until(api, lambda rs: False)
    assert info.value.exit_code == ExitCode.CLUSTER
    assert info.value.message.startswith(
        f"the API server at {api.configuration.host} sent a malformed answer to watch pods "
        f"in namespace 'lab': {problem}"
    ), info.value.message


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"items": {"a": 1}}, "'items' that is a JSON dict"),
        ({"items": [1]}, "an item that is a JSON int"),
        ({"items": [], "metadata": "x"}, "'metadata' that is a JSON str"),
        ([1, 2], "unexpected answer [1, 2]"),
    ],
)
async def test_a_malformed_list_is_a_cluster_error(serve: Any, body: Any, problem: str) -> None:
    async def pods(request: web.Request) -> web.Response:
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/api/v1/namespaces/lab/pods", pods)
    async with serve(app) as api:
        with pytest.raises(ClusterError, match=re.escape(problem)):
            await record_until(api, lambda rs: False)


@pytest.mark.timeout(30)
async def test_a_list_that_repeats_its_continue_token_is_a_cluster_error(serve: Any) -> None:
    # It was followed forever (1,437 requests in 9 s) and `record` then said 0 changes, exit 0.
    asked: list[str] = []

    async def pods(request: web.Request) -> web.Response:
        asked.append(request.query.get("continue", ""))
        page = {"items": [pod("web-0", "5")], "metadata": {"continue": "again"}}
        return web.json_response(page)

    app = web.Application()
    app.router.add_get("/api/v1/namespaces/lab/pods", pods)
    async with serve(app) as api:
        with pytest.raises(ClusterError) as info:
            await record_until(api, lambda rs: False)
    assert info.value.message == (
        f"the API server at {api.configuration.host} sent a malformed answer to list pods in "
        "namespace 'lab': the continue token 'again' a second time (the list would never end)"
    )
    assert asked == ["", "again"]


async def stored(
    event: bytes, *, kind: Kind = POD, keep_env: bool = False
) -> tuple[ChangeRecord, Reflector]:
    """The change recorded for one watch-event line (scope: the whole namespace)."""
    records: list[Record] = []

    async def sink(record: Record) -> None:
        records.append(record)

    async def recall(uids: Sequence[str]) -> dict[str, str]:
        return {}

    api = ApiClient(configuration=Configuration(host="http://127.0.0.1:9"))  # never contacted
    reflector = Reflector(
        api=api,
        kind=kind,
        namespace="lab",
        sink=sink,
        recall=recall,
        membership=NamespaceWorld(namespace="lab"),
        keep_env=keep_env,
    )
    try:
        await reflector.handle_line(event)
    finally:
        await api.close()
    [change] = records
    assert isinstance(change, ChangeRecord)
    return change, reflector


async def test_a_watched_object_is_stored_redacted_in_its_own_key_order() -> None:
    """The stored JSON is the event's object less managedFields, the last-applied annotation and
    literal env values: key order kept, escapes and non-ASCII text as the decoder read them."""
    event = (
        b'{"type":"MODIFIED","object":{"status":{"phase":"Running"},"metadata":'
        b'{"uid":"u-1","name":"web-0","managedFields":[{"manager":"kubectl","fieldsV1":'
        b'{"f:spec":{}}}],"namespace":"lab","resourceVersion":"7","annotations":'
        b'{"note":"a \\"quoted\\" <b>caf\xc3\xa9</b>","kubectl.kubernetes.io/last-applied-'
        b'configuration":"{\\"secret\\":1}"}},"spec":{"containers":[{"name":"c","env":['
        b'{"name":"PASSWORD","value":"hunter2"},{"name":"POD","valueFrom":{"fieldRef":'
        b'{"fieldPath":"metadata.name"}}}]}]},"kind":"Pod","apiVersion":"v1"}}'
    )
    change, reflector = await stored(event)
    assert (change.event, change.name, change.uid, change.resource_version) == (
        "MODIFIED",
        "web-0",
        "u-1",
        "7",
    )
    assert change.object_json == (
        '{"status":{"phase":"Running"},"metadata":{"uid":"u-1","name":"web-0",'
        '"namespace":"lab","resourceVersion":"7","annotations":'
        '{"note":"a \\"quoted\\" <b>café</b>"}},"spec":{"containers":[{"name":"c","env":['
        '{"name":"PASSWORD","value":"<redacted by stswatch>"},{"name":"POD","valueFrom":'
        '{"fieldRef":{"fieldPath":"metadata.name"}}}]}]},"kind":"Pod","apiVersion":"v1"}'
    )
    assert reflector.resource_version == "7"


# Each: the watch-event line as a server might send it, then the exact JSON stored for it.
STORED_EXACTLY = [
    pytest.param(
        POD,
        b'{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"web-0","uid":"u-1",'
        b'"resourceVersion":"7"},"spec":{"containers":[{"name":"c"}]}}}',
        '{"kind":"Pod","metadata":{"name":"web-0","uid":"u-1","resourceVersion":"7"},'
        '"spec":{"containers":[{"name":"c"}]}}',
        id="no managedFields and no env: the object as sent",
    ),
    pytest.param(
        POD,
        b'{"type":"ADDED","object":{"metadata":{"name":"web-0","annotations":{"managedFields":'
        b'"[{\\"manager\\":\\"x\\"}]","note":"\\"managedFields\\":[]"},'
        b'"labels":{"managedFields":"yes"}},"spec":{"managedFields":[1]},"managedFields":[2]}}',
        '{"metadata":{"name":"web-0","annotations":{"managedFields":'
        '"[{\\"manager\\":\\"x\\"}]","note":"\\"managedFields\\":[]"},'
        '"labels":{"managedFields":"yes"}},"spec":{"managedFields":[1]},"managedFields":[2]}',
        id="only metadata.managedFields is dropped, not the text or other keys named so",
    ),
    pytest.param(
        POD,
        b'{"type":"ADDED","object":{"metadata":{"managedFields":[{"manager":"m"}]},'
        b'"spec":{"initContainers":[{"name":"i","env":[{"value":"v1","name":"A"},'
        b'{"name":"B","value":""},{"name":"C"},"odd",{"name":"D","valueFrom":{"secretKeyRef":'
        b'{"name":"s","key":"k"}},"value":"v4"}]}],"ephemeralContainers":[{"name":"e","env":'
        b'[{"name":"E","value":"v5"}]}],"containers":[{"name":"c","env":null}],'
        b'"tolerations":[{"key":"k","operator":"Equal","value":"kept"}]}}}',
        '{"metadata":{},"spec":{"initContainers":[{"name":"i","env":['
        '{"value":"<redacted by stswatch>","name":"A"},{"name":"B","value":'
        '"<redacted by stswatch>"},{"name":"C"},"odd",{"name":"D","valueFrom":{"secretKeyRef":'
        '{"name":"s","key":"k"}},"value":"<redacted by stswatch>"}]}],"ephemeralContainers":['
        '{"name":"e","env":[{"name":"E","value":"<redacted by stswatch>"}]}],'
        '"containers":[{"name":"c","env":null}],'
        '"tolerations":[{"key":"k","operator":"Equal","value":"kept"}]}}',
        id="env values of every container list redacted, odd entries and other values kept",
    ),
    pytest.param(
        POD,
        b'{"type":"MODIFIED","object" : { "metadata" : {"name":"web-0","managedFields":[]} ,'
        b'"zz-unknown":{"b":[1,2.50,-0,1E3,1e-7,18446744073709551615,true,null],"a":{}},'
        b'"dup":1,"note":"\\u003cb\\u003e \\u0026 \\/ \\u00e9 \\ud83d\\ude00","dup":2}}\n',
        '{"metadata":{"name":"web-0"},"zz-unknown":{"b":[1,2.5,0,1000.0,1e-7,'
        '18446744073709551615,true,null],"a":{}},"dup":2,"note":"<b> & / é 😀"}',
        id="unknown fields kept; whitespace, escapes, numbers and repeated keys as decoded",
    ),
    pytest.param(
        STATEFUL_SET,
        b'{"type":"MODIFIED","object":{"kind":"StatefulSet","metadata":{"name":"web",'
        b'"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","a":"b"},'
        b'"managedFields":[]},"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":'
        b'"c","env":[{"name":"P","value":"secret"}]}]}}}}}',
        '{"kind":"StatefulSet","metadata":{"name":"web","annotations":{"a":"b"}},"spec":'
        '{"replicas":3,"template":{"spec":{"containers":[{"name":"c","env":[{"name":"P",'
        '"value":"<redacted by stswatch>"}]}]}}}}',
        id="a StatefulSet's pod template env redacted",
    ),
    pytest.param(
        CONTROLLER_REVISION,
        b'{"type":"ADDED","object":{"kind":"ControllerRevision","metadata":{"name":"web-1"},'
        b'"data":{"spec":{"template":{"spec":{"containers":[{"name":"c","env":[{"name":"P",'
        b'"value":"secret"}]}]},"$patch":"replace"}}},"revision":1}}',
        '{"kind":"ControllerRevision","metadata":{"name":"web-1"},"data":{"spec":{"template":'
        '{"spec":{"containers":[{"name":"c","env":[{"name":"P","value":'
        '"<redacted by stswatch>"}]}]},"$patch":"replace"}}},"revision":1}',
        id="a ControllerRevision's template env redacted",
    ),
    pytest.param(
        EVENT,
        b'{"type":"ADDED","object":{"kind":"Event","metadata":{"name":"web-0.1","managedFields":'
        b'[{}]},"involvedObject":{"kind":"Pod","name":"web-0"},"spec":{"containers":[{"env":'
        b'[{"name":"P","value":"kept"}]}]},"message":"env \\"value\\" kept","count":2}}',
        '{"kind":"Event","metadata":{"name":"web-0.1"},"involvedObject":{"kind":"Pod","name":'
        '"web-0"},"spec":{"containers":[{"env":[{"name":"P","value":"kept"}]}]},"message":'
        '"env \\"value\\" kept","count":2}',
        id="another kind: nothing of its spec is taken for a pod spec",
    ),
]


@pytest.mark.parametrize(("kind", "event", "expected"), STORED_EXACTLY)
async def test_the_stored_json_is_exactly_the_redacted_object(
    kind: Kind, event: bytes, expected: str
) -> None:
    change, _ = await stored(event, kind=kind)
    assert change.object_json == expected


async def test_env_values_are_stored_when_the_user_asks_to_keep_them() -> None:
    event = (
        b'{"type":"ADDED","object":{"metadata":{"name":"web-0","managedFields":[{}]},"spec":'
        b'{"containers":[{"name":"c","env":[{"name":"P","value":"secret"}]}]}}}'
    )
    change, _ = await stored(event, keep_env=True)
    assert change.object_json == (
        '{"metadata":{"name":"web-0"},"spec":{"containers":[{"name":"c","env":'
        '[{"name":"P","value":"secret"}]}]}}'
    )
