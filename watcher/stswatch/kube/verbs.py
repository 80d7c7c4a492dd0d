"""The verbs on one ApiClient: get, list (every page), watch, create, patch, delete, as dicts.

Every answer goes through `api.open_response`, so every refusal is worded by `api.failure_for`
(a 403 during a scenario step reads as a 403 while recording does). What a caller cannot act
on becomes a user-facing failure here: a 404 where an object must exist is a `NotFoundError`; a
429, a 5xx, a dropped or silent connection is a `TransientClusterError`, which a caller that
waits (a scenario's `wait`) may ask again and which otherwise ends the command with exit 3.
"""

from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
import orjson
from kubernetes_asyncio.client import ApiClient

from stswatch.errors import ClusterError, NotFoundError, StswatchError
from stswatch.kube.api import (
    TRANSIENT_ERRORS,
    MissingError,
    Request,
    Shape,
    TransientApiError,
    checked_shape,
    continue_token,
    failure_for,
    get_json,
    iter_lines,
    list_page,
    malformed,
    open_response,
    server_of,
    watch_event,
)

Obj = dict[str, Any]

# One answer's budget: long enough for a LIST page of 500 pods on a loaded server.
DEFAULT_LIMITS = aiohttp.ClientTimeout(total=60, sock_connect=10)
PAGE = 500  # items per LIST page, as kubectl asks


class TransientClusterError(ClusterError):
    """The API server was unreachable or overloaded (429, 5xx); a caller that waits may ask
    again, any other ends with exit 3."""


async def send(
    api: ApiClient, request: Request, *, limits: aiohttp.ClientTimeout = DEFAULT_LIMITS
) -> Obj:
    """The decoded answer to `request`; a 404 stays a `MissingError` for the caller to name."""
    try:
        return await get_json(api, request, limits=limits)
    except TRANSIENT_ERRORS as exc:
        raise _unanswered(request, server=server_of(api), reason=exc) from exc


async def get_or_none(
    api: ApiClient, path: str, *, what: str, limits: aiohttp.ClientTimeout = DEFAULT_LIMITS
) -> Obj | None:
    """GET one object; None when it does not exist."""
    try:
        return await send(api, Request(path, "get", what), limits=limits)
    except MissingError:
        return None


class Listing(list[Obj]):
    """The items of one LIST, and the resourceVersion it was served at, to WATCH from (a
    paginated list's first page's: every page is read from that one snapshot)."""

    resource_version: str = ""


async def list_all(
    api: ApiClient,
    path: str,
    *,
    what: str,
    params: Sequence[tuple[str, str]] = (),
    shape: Shape = (),
    limits: aiohttp.ClientTimeout = DEFAULT_LIMITS,
) -> Listing:
    """LIST a collection, every page, each item checked against `shape`; a 404 (a kind the
    server does not serve) is an empty list."""
    items = Listing()
    token = ""
    seen: set[str] = set()
    server = server_of(api)
    while True:
        query = (*params, ("limit", str(PAGE)), *((("continue", token),) if token else ()))
        request = Request(path, "list", what, query)
        try:
            page = await send(api, request, limits=limits)
        except MissingError:
            return items
        page_items, metadata = list_page(page, request=request, server=server)
        for item in page_items:
            checked_shape(item, shape, request=request, server=server)
        items.extend(page_items)
        items.resource_version = items.resource_version or str(
            metadata.get("resourceVersion") or ""
        )
        token = continue_token(metadata, seen=seen, request=request, server=server)
        if not token:
            return items


async def watch(
    api: ApiClient, path: str, *, what: str, params: Sequence[tuple[str, str]], seconds: int
) -> AsyncIterator[tuple[str, Obj]]:
    """(type, object) of each event of one WATCH request, which the server ends after
    `seconds`. An ERROR event (410 Gone: the version is too old) is raised as `failure_for`
    words it; a dropped connection as `TransientClusterError`. Callers list again and re-watch,
    as the recorder's reflectors do (`stswatch.record.reflector`)."""
    request = Request(
        path, "watch", what, (*params, ("watch", "1"), ("timeoutSeconds", str(seconds)))
    )
    limits = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=seconds + 60)
    server = server_of(api)
    try:
        response = await open_response(api, request, limits=limits)
        async with response:
            async for line in iter_lines(response.content):
                try:
                    decoded = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise malformed(
                        request, server=server, problem="an event that is not JSON"
                    ) from exc
                kind, obj = watch_event(decoded, request=request, server=server)
                if kind == "ERROR":
                    body = orjson.dumps(obj)
                    raise refusal(int(obj.get("code", 500)), body, request=request, server=server)
                yield kind, obj
    except TRANSIENT_ERRORS as exc:
        raise _unanswered(request, server=server, reason=exc) from exc


async def create(api: ApiClient, path: str, *, what: str, body: Obj) -> Obj:
    """POST `body` to the collection at `path`; a name already taken is a `ConflictError`."""
    request = Request(path, "create", what, body=body, method="POST")
    return await _must_exist(api, request)


async def patch(
    api: ApiClient,
    path: str,
    *,
    what: str,
    body: Obj,
    content_type: str,
    params: Sequence[tuple[str, str]] = (),
) -> Obj:
    """PATCH one object (`content_type` names the patch type); the object as it is now."""
    request = Request(path, "patch", what, params, body, "PATCH", content_type)
    return await _must_exist(api, request)


async def delete(api: ApiClient, path: str, *, what: str, body: Obj | None = None) -> bool:
    """DELETE one object (`body`: DeleteOptions); False when it was already gone. A failed
    precondition (another object of that name) is a `ConflictError`."""
    try:
        await send(api, Request(path, "delete", what, body=body, method="DELETE"))
    except MissingError:
        return False
    return True


def refusal(status: int, body: bytes, *, request: Request, server: str) -> StswatchError:
    """`failure_for`'s answer as the failure a user reads, for an answer that came by another
    road than `send` (a websocket upgrade)."""
    failure = failure_for(status=status, body=body, request=request)
    if isinstance(failure, StswatchError):
        return failure
    if isinstance(failure, MissingError):
        return NotFoundError(f"{request.what} does not exist on {server}")
    if isinstance(failure, TransientApiError):
        return _unanswered(request, server=server, reason=failure)
    return ClusterError(str(failure))  # 410 Gone, which only a watch expects


def _unanswered(request: Request, *, server: str, reason: BaseException) -> TransientClusterError:
    return TransientClusterError(f"cannot {request.verb} {request.what} from {server}: {reason}")


async def _must_exist(api: ApiClient, request: Request) -> Obj:
    try:
        return await send(api, request)
    except MissingError as exc:
        raise NotFoundError(f"{request.what} does not exist on {server_of(api)}") from exc
