"""Reading one StatefulSet's world from a live cluster for `status` and `doctor`, and watching it.

One GET of the set, then every other read at once (pods by the set's selector, claims, the
governing Service and its EndpointSlices; for `doctor` also PVs, StorageClasses, Events and
Nodes), so the answer costs about two round trips whatever the replica count. A 404 names what
exists nearby; a 401/403 names the verb and resource (`stswatch.kube.api.failure_for`). The
reads are `stswatch.kube.verbs`, the client the recorder and the scenario driver use too.
"""

import asyncio
import difflib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from stswatch.errors import ForbiddenError, NotFoundError
from stswatch.kube.api import (
    TRANSIENT_ERRORS,
    GoneError,
    Request,
    Shape,
    checked_shape,
    iter_lines,
    open_response,
)
from stswatch.kube.cluster import Cluster
from stswatch.kube.verbs import get_or_none, list_all
from stswatch.set_objects import Obj, SetObjects

WATCH_SECONDS = 300
# A watch without a resourceVersion starts at "now": a 410 only means "watch again".
_RETRY_WATCH: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, GoneError)


# The fields the live checks step into, for each kind they read, and the JSON type the API gives
# each (apps/v1 StatefulSetSpec, core/v1 PodSpec, PodStatus, PersistentVolumeClaim); `[]` is
# every item of a list. A field of another type is a malformed answer naming it (exit 3), as
# the recorder's reflectors say of a malformed watch event, never an AttributeError.
_OBJECT_SHAPE: Shape = (
    (("metadata",), dict),
    (("metadata", "labels"), dict),
    (("metadata", "annotations"), dict),
    (("metadata", "ownerReferences"), list),
    (("metadata", "ownerReferences", "[]"), dict),
    (("metadata", "finalizers"), list),
    (("metadata", "creationTimestamp"), str),
    (("metadata", "deletionTimestamp"), str),
    (("spec",), dict),
    (("status",), dict),
)
SET_SHAPE: Shape = (
    *_OBJECT_SHAPE,
    (("metadata", "generation"), int),
    (("spec", "replicas"), int),
    (("spec", "minReadySeconds"), int),
    (("spec", "selector"), dict),
    (("spec", "selector", "matchLabels"), dict),
    (("spec", "selector", "matchExpressions"), list),
    (("spec", "selector", "matchExpressions", "[]"), dict),
    (("spec", "serviceName"), str),
    (("spec", "podManagementPolicy"), str),
    (("spec", "template"), dict),
    (("spec", "template", "metadata"), dict),
    (("spec", "template", "metadata", "labels"), dict),
    (("spec", "volumeClaimTemplates"), list),
    (("spec", "volumeClaimTemplates", "[]"), dict),
    (("spec", "volumeClaimTemplates", "[]", "metadata"), dict),
    (("spec", "volumeClaimTemplates", "[]", "spec"), dict),
    (("spec", "updateStrategy"), dict),
    (("spec", "updateStrategy", "type"), str),
    (("spec", "updateStrategy", "rollingUpdate"), dict),
    (("spec", "updateStrategy", "rollingUpdate", "partition"), int),
    (("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"), (int, str)),
    (("spec", "persistentVolumeClaimRetentionPolicy"), dict),
    (("spec", "ordinals"), dict),
    (("spec", "ordinals", "start"), int),
    (("status", "observedGeneration"), int),
    (("status", "currentRevision"), str),
    (("status", "updateRevision"), str),
)
_CONTAINERS = ("status", "containerStatuses", "[]")
_INIT_CONTAINERS = ("status", "initContainerStatuses", "[]")
POD_SHAPE: Shape = (
    *_OBJECT_SHAPE,
    (("spec", "nodeName"), str),
    (("spec", "volumes"), list),
    (("spec", "volumes", "[]"), dict),
    (("spec", "volumes", "[]", "persistentVolumeClaim"), dict),
    (("spec", "containers"), list),
    (("spec", "containers", "[]"), dict),
    (("status", "phase"), str),
    (("status", "podIP"), str),
    (("status", "conditions"), list),
    (("status", "conditions", "[]"), dict),
    *(
        (path, kind)
        for statuses in (_CONTAINERS, _INIT_CONTAINERS)
        for path, kind in (
            (statuses[:-1], list),
            (statuses, dict),
            ((*statuses, "restartCount"), int),
            ((*statuses, "state"), dict),
            ((*statuses, "lastState"), dict),
            *(((*statuses, key, state), dict) for key in ("state", "lastState")
              for state in ("waiting", "running", "terminated")),
        )
    ),
)  # fmt: skip
CLAIM_SHAPE: Shape = (
    *_OBJECT_SHAPE,
    (("spec", "accessModes"), list),
    (("spec", "storageClassName"), str),
    (("spec", "volumeName"), str),
    (("status", "phase"), str),
    (("status", "capacity"), dict),
)


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


def _nearby(name: str, names: list[str], *, kinds: str) -> str:
    """`; did you mean redis?`, `; the StatefulSets there: a, b`, `; there are no StatefulSets`."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    if close:
        return f"; did you mean {' or '.join(close)}?"
    shown = sorted(names)[:8]
    more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
    return f"; the {kinds} there: {', '.join(shown)}{more}" if shown else f"; there are no {kinds}"


def checked_statefulset(obj: Obj, *, request: Request, server: str) -> Obj:
    """The StatefulSet, checked against SET_SHAPE."""
    return checked_shape(obj, SET_SHAPE, request=request, server=server)


async def read_statefulset(cluster: Cluster, *, namespace: str, name: str) -> Obj:
    """GET the set; a missing set or namespace is a NotFoundError naming what exists nearby.

    The nearby names are a courtesy: a reader refused namespaces or the namespace's
    StatefulSets still gets the not-found message, without them.
    """
    path = f"/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}"
    what = f"statefulsets/{name} in namespace '{namespace}'"
    found = await get_or_none(cluster.api, path, what=what)
    if found is not None:
        request = Request(path, "get", what)
        return checked_statefulset(found, request=request, server=cluster.server_url)
    try:
        exists = await get_or_none(
            cluster.api, f"/api/v1/namespaces/{namespace}", what=f"namespace {namespace}"
        )
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
        items = await list_all(cluster.api, path, what=what)
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
        "pods": list_all(
            cluster.api,
            f"{ns_path}/pods",
            what=f"pods {in_ns}",
            params=(("labelSelector", selector),),
            shape=POD_SHAPE,
        ),
        "claims": list_all(
            cluster.api,
            f"{ns_path}/persistentvolumeclaims",
            what=f"persistentvolumeclaims {in_ns}",
            shape=CLAIM_SHAPE,
        ),
    }
    if service_name:
        reads["service"] = get_or_none(
            cluster.api,
            f"{ns_path}/services/{service_name}",
            what=f"services/{service_name} {in_ns}",
        )
        reads["slices"] = list_all(
            cluster.api,
            f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices",
            what=f"endpointslices {in_ns}",
            params=(("labelSelector", f"kubernetes.io/service-name={service_name}"),),
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
            reads[key] = _optional(list_all(cluster.api, path, what=resource), resource, unreadable)
        reads["events"] = list_all(cluster.api, f"{ns_path}/events", what=f"events {in_ns}")
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
