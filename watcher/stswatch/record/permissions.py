"""Checking, before anything is written, that the API server grants every verb a recording needs.

Without `watch` on one kind, a recorder would commit the other kinds' lists and then stop on the
403, leaving half a session that a later run "resumes" with false gaps. So each verb on each
resource the scope needs is asked of the API server first, with one `SelfSubjectAccessReview`
each (what `kubectl auth can-i` asks; Kubernetes docs, "Authorization: Checking API access"),
and all that are missing are reported at once. A server that refuses the review itself (or
does not serve it) gets each verb tried instead (`_probe`): a LIST of one item, a WATCH opened
and closed, a GET, a dry-run write; only a 401/403 counts as refused. No session row is written
before every watch is known to be allowed.
"""

import asyncio
from dataclasses import dataclass

import aiohttp
import structlog
from kubernetes_asyncio.client import ApiClient

from stswatch.errors import ClusterError, ForbiddenError
from stswatch.kube.api import TRANSIENT_ERRORS, MissingError, Request, get_json, open_response
from stswatch.kube.kinds import STATEFUL_SET, Kind
from stswatch.record.scope import RecordScope

log = structlog.get_logger(__name__)

_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
_LEASES = "coordination.k8s.io"
_PROBE_NAME = "stswatch-permission-probe"  # a name no object has: a GET or PUT of it says 404
_LIST_VERBS = ("list", "watch")
_LIMITS = aiohttp.ClientTimeout(total=15, sock_connect=10)
_UNCHECKABLE: tuple[type[BaseException], ...] = (
    ForbiddenError,
    ClusterError,
    MissingError,
    *TRANSIENT_ERRORS,
)


class MissingPermissionsError(ForbiddenError):
    """The API server would refuse some verb a recording needs; nothing was written."""


@dataclass(frozen=True)
class Permission:
    """One verb on one resource, in a namespace (None: cluster-wide)."""

    verb: str
    resource: str
    group: str
    namespace: str | None
    name: str | None = None
    prefix: str = "/api/v1"  # where the API serves the resource: /api/v1, /apis/<group>/<ver>

    def resource_name(self) -> str:
        """`statefulsets.apps`, `pods` (core group), as RBAC rules and kubectl name them."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    def where(self) -> str:
        return f"in namespace {self.namespace!r}" if self.namespace else "cluster-wide"


def needed(
    scope: RecordScope, kinds: tuple[Kind, ...], *, lease_namespace: str | None = None
) -> list[Permission]:
    """Every verb the recorder uses for `scope`: the scope's gets, each kind's list and watch.

    With `lease_namespace`, also what holding the session's Lease there takes.
    """
    wanted: list[Permission] = []
    if scope.namespace is not None and not scope.all_namespaces:
        wanted.append(Permission("get", "namespaces", "", None, scope.namespace))
        if scope.statefulset is not None:
            kind = STATEFUL_SET
            wanted.append(
                Permission(
                    "get", kind.plural, kind.group, scope.namespace, scope.statefulset, kind.prefix
                )
            )
    for kind in kinds:
        namespace = scope.list_namespace if kind.namespaced else None
        wanted.extend(
            Permission(v, kind.plural, kind.group, namespace, prefix=kind.prefix)
            for v in _LIST_VERBS
        )
    if lease_namespace is not None:
        wanted.extend(
            Permission(verb, "leases", _LEASES, lease_namespace, prefix=f"/apis/{_LEASES}/v1")
            for verb in ("get", "create", "update")
        )
    return wanted


async def check_permissions(
    api: ApiClient,
    *,
    server: str,
    scope: RecordScope,
    kinds: tuple[Kind, ...],
    lease_namespace: str | None = None,
) -> None:
    """Raise MissingPermissionsError naming every verb `scope` needs that the server refuses."""
    wanted = needed(scope, kinds, lease_namespace=lease_namespace)
    try:
        allowed = await asyncio.gather(*(_allowed(api, p) for p in wanted))
    except _UNCHECKABLE as exc:
        # Every authenticated user may ask (ClusterRole system:basic-user); a server that does
        # not answer is asked the verbs themselves, before any session row exists.
        log.warning("access reviews refused; trying each verb", server=server, error=str(exc))
        allowed = await asyncio.gather(*(_probe(api, p, server=server) for p in wanted))
    missing = [p for p, ok in zip(wanted, allowed, strict=True) if not ok]
    if missing:
        raise MissingPermissionsError(
            f"the API server at {server} does not grant what this recording needs, so nothing "
            f"was recorded: missing {_describe(missing)}"
        )


def _describe(missing: list[Permission]) -> str:
    """`list, watch on pods in namespace 'x'; get on namespaces 'x' cluster-wide`, grouped."""
    grouped: dict[tuple[str, str, str | None], list[str]] = {}
    for p in missing:
        target = p.resource_name() + (f" {p.name!r}" if p.name else "")
        grouped.setdefault((target, p.where(), p.namespace), []).append(p.verb)
    return "; ".join(
        f"{', '.join(verbs)} on {target} {where}" for (target, where, _), verbs in grouped.items()
    )


async def _allowed(api: ApiClient, permission: Permission) -> bool:
    attributes = {
        "verb": permission.verb,
        "group": permission.group,
        "resource": permission.resource,
        **({"namespace": permission.namespace} if permission.namespace else {}),
        **({"name": permission.name} if permission.name else {}),
    }
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attributes},
    }
    request = Request(
        path=_REVIEWS, verb="create", what="selfsubjectaccessreviews", body=review, method="POST"
    )
    answer = await get_json(api, request, limits=_LIMITS)
    status = answer.get("status")
    return isinstance(status, dict) and status.get("allowed") is True


async def _probe(api: ApiClient, permission: Permission, *, server: str) -> bool:
    """Whether the server lets `permission`'s verb through, found by trying it harmlessly.

    Authorization comes before everything else the server checks, so any answer but 401/403
    (200, 404 for the probe name, 409/422 of a dry-run write) means the verb is allowed.
    """
    p = permission
    where = f"/namespaces/{p.namespace}" if p.namespace else ""
    collection = f"{p.prefix}{where}/{p.resource}"
    named = f"{collection}/{p.name or _PROBE_NAME}"
    body = {
        "apiVersion": f"{_LEASES}/v1",
        "kind": "Lease",
        "metadata": {"name": _PROBE_NAME, **({"namespace": p.namespace} if p.namespace else {})},
    }
    dry_run = (("dryRun", "All"),)
    request = {
        "get": Request(named, "get", f"{p.resource_name()} {p.where()}"),
        "list": Request(collection, "list", p.resource_name(), (("limit", "1"),)),
        "watch": Request(
            collection, "watch", p.resource_name(), (("watch", "1"), ("timeoutSeconds", "1"))
        ),
        "create": Request(collection, "create", p.resource_name(), dry_run, body, "POST"),
        "update": Request(named, "update", p.resource_name(), dry_run, body, "PUT"),
    }[p.verb]
    try:
        response = await open_response(api, request, limits=_LIMITS)
        response.release()  # a watch's stream is not read: its 200 is the answer
    except ForbiddenError:
        return False
    except (MissingError, ClusterError):
        return True
    except TRANSIENT_ERRORS as exc:
        raise ClusterError(
            f"cannot check the permissions a recording needs on {server}: {exc}"
        ) from exc
    return True
