"""Raw JSON requests to the API server through kubernetes-asyncio, and what their failures mean.

The recorder never decodes objects into kubernetes-asyncio's typed models (about 27× slower than
a dict, and it loses fields the client does not know): it asks the `ApiClient` for the bare
aiohttp response (`_preload_content=False`), so the client still does TLS, tokens and exec
credential refreshes, and reads the bytes itself with orjson.
"""

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from kubernetes_asyncio.client import ApiClient

from stswatch.errors import ClusterError, ForbiddenError


class ConflictError(ClusterError):
    """409 Conflict: a write's resourceVersion (or a create's name) is no longer current."""


class GoneError(Exception):
    """410 Gone: the resourceVersion asked for is older than the server still remembers."""


class MissingError(Exception):
    """404: the object or collection does not exist (callers say which, for the user)."""


class TransientApiError(Exception):
    """A failure worth retrying after a pause: 429, 5xx, a dropped or silent connection."""


# What a retry loop treats as "try again later" rather than as the end of the recording.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TransientApiError,
    aiohttp.ClientConnectionError,
    aiohttp.ClientPayloadError,
    TimeoutError,
)


@dataclass(frozen=True)
class Request:
    """One request to the API server; `verb` and `what` name it in error messages."""

    path: str
    verb: str  # get | list | watch | create | patch | delete (RBAC's words, for the messages)
    what: str  # e.g. "pods in namespace 'lab'"
    params: Sequence[tuple[str, str]] = ()
    body: dict[str, Any] | None = None
    method: str = "GET"
    content_type: str = "application/json"  # a PATCH names its patch type here


async def open_response(
    api: ApiClient, request: Request, *, limits: aiohttp.ClientTimeout
) -> aiohttp.ClientResponse:
    """Send `request`; return the open response once its status says the body is usable."""
    response: aiohttp.ClientResponse = await api.call_api(
        request.path,
        request.method,
        query_params=list(request.params),
        header_params={"Accept": "application/json", "Content-Type": request.content_type},
        body=request.body,
        auth_settings=["BearerToken"],
        _preload_content=False,
        _request_timeout=limits,
    )
    if response.status >= 400:
        try:
            body = await response.read()
        finally:
            response.release()
        raise failure_for(status=response.status, body=body, request=request)
    return response


async def get_json(
    api: ApiClient, request: Request, *, limits: aiohttp.ClientTimeout
) -> dict[str, Any]:
    """Send `request` and decode the JSON body of its answer."""
    response = await open_response(api, request, limits=limits)
    async with response:
        body = await response.read()
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise malformed(request, server=server_of(api), problem="not JSON") from exc
    if not isinstance(decoded, dict):
        problem = f"unexpected answer {decoded!r:.80}"
        raise malformed(request, server=server_of(api), problem=problem)
    return decoded


def server_of(api: ApiClient) -> str:
    """The API server's URL, for messages."""
    return str(api.configuration.host)


def failure_for(*, status: int, body: bytes, request: Request) -> Exception:
    """The exception an HTTP error status (or a watch ERROR event's code) stands for."""
    message = _status_message(body)
    said = f": {message}" if message else ""
    if status in (401, 403):
        refused = "unauthorized" if status == 401 else "forbidden"
        return ForbiddenError(
            f"the API server refused to {request.verb} {request.what} ({status} {refused}){said}"
        )
    if status == 404:
        return MissingError(f"{request.what} not found{said}")
    if status == 409:
        return ConflictError(f"{request.verb} {request.what}: 409 Conflict{said}")
    if status == 410:
        return GoneError(f"{request.verb} {request.what}: 410 Gone{said}")
    if status == 429 or status >= 500:
        return TransientApiError(f"{request.verb} {request.what}: HTTP {status}{said}")
    return ClusterError(f"{request.verb} {request.what} failed: HTTP {status}{said}")


def _status_message(body: bytes) -> str:
    try:
        status = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", "replace").strip()
    return str(status.get("message", "")) if isinstance(status, dict) else ""


async def iter_lines(
    content: aiohttp.StreamReader, *, chunk_size: int = 1 << 20
) -> AsyncIterator[bytes]:
    """Complete newline-terminated lines of a stream, however long each line is.

    aiohttp's own `readline` gives up on lines above its buffer limit (128 KiB by default,
    2 MiB in kubernetes-asyncio), and one watch event is one line holding a whole object,
    which etcd allows up to 1.5 MiB and more with large annotations (kopf#275). A trailing
    piece without a newline is a line cut by a dropped connection: it is not an event and is
    not yielded; the caller re-watches from the last complete event's resourceVersion.
    """
    pending: list[bytes] = []
    async for chunk in content.iter_chunked(chunk_size):
        start = 0
        end = chunk.find(b"\n")
        while end >= 0:
            if pending:
                pending.append(chunk[start:end])
                line = b"".join(pending)
                pending.clear()
            else:
                line = chunk[start:end]
            if line:
                yield line
            start = end + 1
            end = chunk.find(b"\n", start)
        if start < len(chunk):
            pending.append(chunk[start:])


def malformed(request: Request, *, server: str, problem: str) -> ClusterError:
    """The failure for an answer that is JSON but not the shape the API promises."""
    return ClusterError(
        f"the API server at {server} sent a malformed answer to {request.verb} {request.what}: "
        f"{problem}"
    )


def watch_event(event: Any, *, request: Request, server: str) -> tuple[str, dict[str, Any]]:
    """The type and object of a decoded watch event, checked to be shaped as the API says."""
    if not isinstance(event, dict):
        raise malformed(request, server=server, problem=f"an event that is {_shape(event)}")
    kind_of_event, obj = event.get("type"), event.get("object")
    if not isinstance(kind_of_event, str):
        raise malformed(request, server=server, problem=f"an event type {kind_of_event!r:.40}")
    if not isinstance(obj, dict):
        raise malformed(request, server=server, problem=f"an event object that is {_shape(obj)}")
    if kind_of_event == "ERROR":
        code = obj.get("code", 500)
        if not isinstance(code, int) or isinstance(code, bool):
            raise malformed(request, server=server, problem=f"an ERROR code {code!r:.40}")
    else:
        checked_metadata(obj, request=request, server=server)
    return kind_of_event, obj


def list_page(
    page: dict[str, Any], *, request: Request, server: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The items and metadata of one LIST page, checked to be shaped as the API says."""
    items = page.get("items") or []
    if not isinstance(items, list):
        raise malformed(request, server=server, problem=f"'items' that is {_shape(items)}")
    for item in items:
        if not isinstance(item, dict):
            raise malformed(request, server=server, problem=f"an item that is {_shape(item)}")
        checked_metadata(item, request=request, server=server)
    metadata = page.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise malformed(request, server=server, problem=f"'metadata' that is {_shape(metadata)}")
    return items, metadata


# A LIST is followed page by page while the server hands out `continue` tokens; one that repeats
# a token (or never stops) would be followed forever. 100,000 pages of 500 are 50 million objects.
MAX_LIST_PAGES = 100_000


def continue_token(
    metadata: dict[str, Any], *, seen: set[str], request: Request, server: str
) -> str:
    """The next page's `continue` token ("" when the list is complete), remembered in `seen`;
    a token seen before, or a list past MAX_LIST_PAGES pages, is a malformed answer."""
    token = metadata.get("continue") or ""
    if not isinstance(token, str):
        raise malformed(request, server=server, problem=f"a continue token {token!r:.40}")
    if token in seen:
        problem = f"the continue token {token!r:.40} a second time (the list would never end)"
        raise malformed(request, server=server, problem=problem)
    if token and len(seen) >= MAX_LIST_PAGES:
        problem = f"more than {MAX_LIST_PAGES} pages (the list would never end)"
        raise malformed(request, server=server, problem=problem)
    if token:
        seen.add(token)
    return token


# A shape: the JSON type of each field a reader steps into (`[]`: every item of a list).
Shape = tuple[tuple[tuple[str, ...], type | tuple[type, ...]], ...]


def checked_shape(
    obj: dict[str, Any], shape: Shape, *, request: Request, server: str
) -> dict[str, Any]:
    """`obj`, once each field of `shape` it has is of its type (else a malformed answer naming
    the field: exit 3)."""
    for path, kind in shape:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        for field, value in _at(obj, path, ()):
            # A field may be null (absent); an item of a list may not. A JSON true is an int to
            # Python, never to the API.
            if value is None and path[-1] != "[]":
                continue
            if isinstance(value, kinds) and not isinstance(value, bool):
                continue
            problem = f"{'.'.join(field)} that is {type(value).__name__} {value!r:.40}"
            raise malformed(request, server=server, problem=problem)
    return obj


def _at(
    node: Any, path: tuple[str, ...], walked: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(field path as walked, value) of every node at `path` (`[]`: each item of a list)."""
    if not path:
        yield walked, node
        return
    key, rest = path[0], path[1:]
    if key == "[]":
        for i, item in enumerate(node if isinstance(node, list) else ()):
            yield from _at(item, rest, (*walked[:-1], f"{walked[-1]}[{i}]"))
    elif isinstance(node, dict) and key in node:
        yield from _at(node[key], rest, (*walked, key))


def checked_metadata(obj: dict[str, Any], *, request: Request, server: str) -> dict[str, Any]:
    """An object's metadata, whose name, namespace, uid and resourceVersion are strings."""
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise malformed(request, server=server, problem=f"'metadata' that is {_shape(metadata)}")
    for key in ("name", "namespace", "uid", "resourceVersion"):
        value = metadata.get(key)
        if value is not None and not isinstance(value, str):
            raise malformed(request, server=server, problem=f"metadata.{key} {value!r:.40}")
    return metadata


def _shape(value: Any) -> str:
    return "null" if value is None else f"a JSON {type(value).__name__} ({value!r:.40})"
