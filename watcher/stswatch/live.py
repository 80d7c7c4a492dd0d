"""Reading one StatefulSet's world from a live cluster for `status` and `doctor`, and watching it.

One GET of the set, then every other read at once (pods by the set's selector, claims, the
governing Service and its EndpointSlices; for `doctor` also PVs, StorageClasses, Events and
Nodes), so the answer costs about two round trips whatever the replica count. A 404 names what
exists nearby; a 401/403 names the verb and resource (`stswatch.record.api.failure_for`).
"""

import asyncio
import difflib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from stswatch.errors import ClusterError, ForbiddenError, NotFoundError
from stswatch.record.api import (
    TRANSIENT_ERRORS,
    GoneError,
    MissingError,
    Request,
    continue_token,
    get_json,
    iter_lines,
    list_page,
    malformed,
    open_response,
)
from stswatch.record.cluster import Cluster

Obj = dict[str, Any]

_READ = aiohttp.ClientTimeout(total=60, sock_connect=10)


@dataclass(frozen=True)
class SetObjects:
    """What one read saw, as the API returned it; the fields of `stswatch.reports.live.world.World`.

    (`watcher/` never imports `reports/`: the CLI turns this into a `World`.)
    """

    namespace: str
    statefulset: Obj
    now: float
    pods: tuple[Obj, ...]
    claims: tuple[Obj, ...]
    volumes: tuple[Obj, ...]
    storage_classes: tuple[Obj, ...]
    service: Obj | None
    endpoint_slices: tuple[Obj, ...]
    events: tuple[Obj, ...]
    nodes: tuple[Obj, ...]
    nodes_known: bool
    unreadable: tuple[str, ...]


_PAGE = 500
WATCH_SECONDS = 300
# A watch without a resourceVersion starts at "now": a 410 only means "watch again".
_RETRY_WATCH: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, GoneError)


def label_selector(selector: Obj) -> str:
    """A metav1.LabelSelector as the `labelSelector` query string (`a=b,c in (d,e),!f`)."""
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or ():
        key, operator = expression.get("key"), expression.get("operator")
        values = ",".join(expression.get("values") or ())
        terms.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": f"{key}",
                "DoesNotExist": f"!{key}",
            }.get(str(operator), "")
        )
    return ",".join(t for t in terms if t)


async def _get(cluster: Cluster, path: str, what: str) -> Obj | None:
    """GET one object; None on 404."""
    try:
        return await get_json(cluster.api, Request(path, "get", what), limits=_READ)
    except MissingError:
        return None
    except TRANSIENT_ERRORS as exc:
        raise ClusterError(f"cannot get {what} from {cluster.server_url}: {exc}") from exc


async def _list(
    cluster: Cluster, path: str, what: str, params: tuple[tuple[str, str], ...] = ()
) -> list[Obj]:
    """LIST a collection, every page; a 404 (kind not served) is an empty list."""
    items: list[Obj] = []
    token = ""
    seen: set[str] = set()
    while True:
        query = (*params, ("limit", str(_PAGE)), *((("continue", token),) if token else ()))
        request = Request(path, "list", what, query)
        try:
            page = await get_json(cluster.api, request, limits=_READ)
        except MissingError:
            return items
        except TRANSIENT_ERRORS as exc:
            raise ClusterError(f"cannot list {what} from {cluster.server_url}: {exc}") from exc
        page_items, metadata = list_page(page, request=request, server=cluster.server_url)
        items.extend(page_items)
        token = continue_token(metadata, seen=seen, request=request, server=cluster.server_url)
        if not token:
            return items


def _nearby(name: str, names: list[str], *, kinds: str) -> str:
    """`; did you mean redis?`, `; the StatefulSets there: a, b`, `; there are no StatefulSets`."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    if close:
        return f"; did you mean {' or '.join(close)}?"
    shown = sorted(names)[:8]
    more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
    return f"; the {kinds} there: {', '.join(shown)}{more}" if shown else f"; there are no {kinds}"


# The fields of a StatefulSet the reader and the live checks step into, and the JSON type the
# API gives each (apps/v1 StatefulSetSpec); an item type for the lists.
_SET_SHAPE: tuple[tuple[tuple[str, ...], type, type | None], ...] = (
    (("metadata",), dict, None),
    (("spec",), dict, None),
    (("spec", "selector"), dict, None),
    (("spec", "selector", "matchLabels"), dict, None),
    (("spec", "selector", "matchExpressions"), list, dict),
    (("spec", "serviceName"), str, None),
    (("spec", "template"), dict, None),
    (("spec", "volumeClaimTemplates"), list, dict),
    (("spec", "updateStrategy"), dict, None),
    (("spec", "updateStrategy", "rollingUpdate"), dict, None),
    (("spec", "persistentVolumeClaimRetentionPolicy"), dict, None),
    (("spec", "ordinals"), dict, None),
    (("status",), dict, None),
)


def checked_statefulset(obj: Obj, *, request: Request, server: str) -> Obj:
    """`obj`, once every field in `_SET_SHAPE` it has is of the API's type (else a malformed
    answer naming the field: exit 3, never an AttributeError)."""
    for path, kind, item_kind in _SET_SHAPE:
        value: Any = obj
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        field = ".".join(path)
        if value is not None and not isinstance(value, kind):
            problem = f"{field} that is {type(value).__name__} {value!r:.40}"
            raise malformed(request, server=server, problem=problem)
        items: list[Any] = value if isinstance(value, list) else []
        if item_kind is not None and any(not isinstance(i, item_kind) for i in items):
            problem = f"{field} holding an item that is not an object"
            raise malformed(request, server=server, problem=problem)
    return obj


async def read_statefulset(cluster: Cluster, *, namespace: str, name: str) -> Obj:
    """GET the set; a missing set or namespace is a NotFoundError naming what exists nearby.

    The nearby names are a courtesy: a reader refused namespaces or the namespace's
    StatefulSets still gets the not-found message, without them.
    """
    path = f"/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}"
    what = f"statefulsets/{name} in namespace '{namespace}'"
    found = await _get(cluster, path, what)
    if found is not None:
        request = Request(path, "get", what)
        return checked_statefulset(found, request=request, server=cluster.server_url)
    try:
        exists = await _get(cluster, f"/api/v1/namespaces/{namespace}", f"namespace {namespace}")
    except ForbiddenError:
        exists = {}
    if exists is None:
        names = await _names(cluster, "/api/v1/namespaces", "namespaces")
        raise NotFoundError(
            f"namespace '{namespace}' does not exist on {cluster.server_url}"
            + (_nearby(namespace, names, kinds="namespaces") if names is not None else "")
        )
    names = await _names(
        cluster,
        f"/apis/apps/v1/namespaces/{namespace}/statefulsets",
        f"statefulsets in namespace '{namespace}'",
    )
    raise NotFoundError(
        f"StatefulSet '{name}' in namespace '{namespace}' does not exist on "
        f"{cluster.server_url}"
        + (_nearby(name, names, kinds="StatefulSets") if names is not None else "")
    )


async def _names(cluster: Cluster, path: str, what: str) -> list[str] | None:
    """The names in a collection; None when the reader may not list it."""
    try:
        items = await _list(cluster, path, what)
    except ForbiddenError:
        return None
    return [str((i.get("metadata") or {}).get("name")) for i in items]


async def read_objects(cluster: Cluster, *, namespace: str, name: str, doctor: bool) -> SetObjects:
    """Everything `status` (or, with `doctor`, `doctor`) needs about one StatefulSet."""
    statefulset = await read_statefulset(cluster, namespace=namespace, name=name)
    spec = statefulset.get("spec") or {}
    selector = label_selector(spec.get("selector") or {})
    service_name = str(spec.get("serviceName") or "")
    ns_path = f"/api/v1/namespaces/{namespace}"
    in_ns = f"in namespace '{namespace}'"
    reads: dict[str, Awaitable[Any]] = {
        "pods": _list(cluster, f"{ns_path}/pods", f"pods {in_ns}", (("labelSelector", selector),)),
        "claims": _list(
            cluster, f"{ns_path}/persistentvolumeclaims", f"persistentvolumeclaims {in_ns}"
        ),
    }
    if service_name:
        reads["service"] = _get(
            cluster, f"{ns_path}/services/{service_name}", f"services/{service_name} {in_ns}"
        )
        reads["slices"] = _list(
            cluster,
            f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices",
            f"endpointslices {in_ns}",
            (("labelSelector", f"kubernetes.io/service-name={service_name}"),),
        )
    unreadable: list[str] = []
    if doctor:
        # Cluster-wide kinds a namespace-scoped reader is often refused: doctor then says which
        # checks it could not make instead of failing.
        for key, path, resource in (
            ("volumes", "/api/v1/persistentvolumes", "persistentvolumes"),
            ("classes", "/apis/storage.k8s.io/v1/storageclasses", "storageclasses"),
            ("nodes", "/api/v1/nodes", "nodes"),
        ):
            reads[key] = _optional(_list(cluster, path, resource), resource, unreadable)
        reads["events"] = _list(cluster, f"{ns_path}/events", f"events {in_ns}")
    results = dict(zip(reads, await asyncio.gather(*reads.values()), strict=True))
    pods = [p for p in results["pods"] if _belongs(p, name)]
    return SetObjects(
        namespace=namespace,
        statefulset=statefulset,
        now=time.time(),
        pods=tuple(pods),
        claims=tuple(results["claims"]),
        volumes=tuple(results.get("volumes", ())),
        storage_classes=tuple(results.get("classes", ())),
        service=results.get("service"),
        endpoint_slices=tuple(results.get("slices", ())),
        events=tuple(results.get("events", ())),
        nodes=tuple(results.get("nodes", ())),
        nodes_known=doctor and not any(u.startswith("list nodes") for u in unreadable),
        unreadable=tuple(unreadable),
    )


async def _optional(read: Awaitable[list[Obj]], resource: str, refused: list[str]) -> list[Obj]:
    """A LIST whose 401/403 is noted in `refused` (as "list RESOURCE (...)") instead of raised."""
    try:
        return await read
    except ForbiddenError as exc:
        said = "401 unauthorized" if "(401" in str(exc) else "403 forbidden"
        refused.append(f"list {resource} ({said})")
        return []


def _belongs(pod: Obj, set_name: str) -> bool:
    """Selected pods named `<set>-<ordinal>`, or controlled by a StatefulSet of that name."""
    meta = pod.get("metadata") or {}
    owners = meta.get("ownerReferences") or ()
    if any(o.get("kind") == "StatefulSet" and o.get("name") == set_name for o in owners):
        return True
    name = str(meta.get("name", ""))
    return name.startswith(f"{set_name}-") and name[len(set_name) + 1 :].isdigit()


async def watch_world(
    cluster: Cluster,
    *,
    namespace: str,
    name: str,
    redraw: Callable[[SetObjects], None],
    settle_s: float = 0.2,
) -> None:
    """Redraw on every change of the set, its pods, claims or Service, until cancelled.

    One WATCH per kind (pods by the set's selector, the set and the Service by name, the
    namespace's claims); each event marks the view stale, and the view is read again once the
    burst of events settles, so a scale of 100 pods redraws a few times, not 100.
    """
    statefulset = await read_statefulset(cluster, namespace=namespace, name=name)
    spec = statefulset.get("spec") or {}
    changed = asyncio.Event()
    ns_path = f"/api/v1/namespaces/{namespace}"
    watches = [
        (f"{ns_path}/pods", f"pods in namespace '{namespace}'",
         ("labelSelector", label_selector(spec.get("selector") or {}))),
        (f"/apis/apps/v1/namespaces/{namespace}/statefulsets", f"statefulsets/{name}",
         ("fieldSelector", f"metadata.name={name}")),
        (f"{ns_path}/persistentvolumeclaims", f"persistentvolumeclaims in namespace '{namespace}'",
         None),
    ]  # fmt: skip
    if spec.get("serviceName"):
        watches.append(
            (f"{ns_path}/services", f"services/{spec['serviceName']}",
             ("fieldSelector", f"metadata.name={spec['serviceName']}"))
        )  # fmt: skip
    try:
        async with asyncio.TaskGroup() as group:
            for path, what, selector in watches:
                group.create_task(_watch_forever(cluster, path, what, selector, changed))
            while True:
                redraw(await read_objects(cluster, namespace=namespace, name=name, doctor=False))
                await changed.wait()
                await asyncio.sleep(settle_s)
                changed.clear()
    except BaseExceptionGroup as group:
        raise _first(group) from None


def _first(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first leaf of an exception group (a refused watch, say), to report as one line."""
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


async def _watch_forever(
    cluster: Cluster,
    path: str,
    what: str,
    selector: tuple[str, str] | None,
    changed: asyncio.Event,
) -> None:
    """Set `changed` on every event of one watch; reconnect when the server ends it."""
    limits = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=WATCH_SECONDS + 60)
    params = [("watch", "1"), ("timeoutSeconds", str(WATCH_SECONDS))]
    if selector is not None:
        params.append(selector)
    while True:
        request = Request(path, "watch", what, tuple(params))
        try:
            response = await open_response(cluster.api, request, limits=limits)
            async with response:
                async for _line in iter_lines(response.content):
                    changed.set()
        except _RETRY_WATCH:
            await asyncio.sleep(1.0)
