"""The few API calls a scenario makes, on plain JSON objects in one namespace.

Raw `ApiClient.call_api` on the paths `stswatch.kube.kinds` already knows keeps every kind on one
code
path (apply, patch, delete, get, list) and returns the server's JSON as dicts, which is what the
wait conditions read.
"""

from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.stream import WsApiClient

from stswatch.errors import (
    BadInputError,
    ClusterError,
    ForbiddenError,
    NotFoundError,
    StswatchError,
)
from stswatch.kube.kinds import PERSISTENT_VOLUME_CLAIM, POD, SERVICE, STATEFUL_SET, Kind
from stswatch.scenario.exec_stream import ExecOutput, ExecResult

FIELD_MANAGER = "stswatch"
KINDS: dict[str, Kind] = {k.name: k for k in (POD, PERSISTENT_VOLUME_CLAIM, SERVICE, STATEFUL_SET)}
_JSON = {200: "object", 201: "object", 202: "object"}
_PATCH_TYPES = {
    "apply": "application/apply-patch+yaml",  # the server reads JSON as YAML
    "strategic": "application/strategic-merge-patch+json",
    "merge": "application/merge-patch+json",
}
_DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
_STORAGE_CLASSES = "/apis/storage.k8s.io/v1/storageclasses"
_NAMESPACES = "/api/v1/namespaces"
_NODES = "/api/v1/nodes"
_KWOK_NODE = "kwok.x-k8s.io/node"
_REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)


class TransientScenarioError(ClusterError):
    """The API server was unreachable or overloaded (429, 5xx); a wait may look again."""


@dataclass(frozen=True)
class Objects:
    """Scenario objects in one namespace, through one ApiClient."""

    api: ApiClient
    namespace: str

    async def get(self, kind: str, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        try:
            return await _call(self.api, "GET", self._path(kind, name))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise _api_error(exc, doing=f"get {kind} {name}") from exc

    async def items(self, kind: str, *, label_selector: str | None = None) -> list[dict[str, Any]]:
        """Every object of `kind` in the namespace, optionally filtered by labels."""
        query = [("labelSelector", label_selector)] if label_selector else []
        path = KINDS[kind].list_path(namespace=self.namespace)
        return await _list(self.api, path, query=query, doing=f"list {kind}")

    async def apply(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply one manifest into the namespace (created or updated, forced)."""
        kind, name = manifest["kind"], manifest["metadata"]["name"]
        body = {**manifest, "metadata": {**manifest["metadata"], "namespace": self.namespace}}
        query = [("fieldManager", FIELD_MANAGER), ("force", "true")]
        return await self.patch(kind, name, body=body, patch_type="apply", query=query)

    async def patch(
        self,
        kind: str,
        name: str,
        *,
        body: dict[str, Any],
        patch_type: str,
        subresource: str | None = None,
        query: list[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        """Patch one object (`patch_type`: apply, strategic or merge)."""
        path = self._path(kind, name) + (f"/{subresource}" if subresource else "")
        query = query or [("fieldManager", FIELD_MANAGER)]
        headers = {"Content-Type": _PATCH_TYPES[patch_type]}
        try:
            return await _call(self.api, "PATCH", path, query, body=body, headers=headers)
        except ApiException as exc:
            raise _api_error(exc, doing=f"{patch_type} patch {kind} {name}") from exc

    async def delete(
        self, kind: str, name: str, *, propagation: str | None = None
    ) -> dict[str, Any] | None:
        """Delete one object (`propagation`: DeleteOptions.propagationPolicy, e.g. "Orphan");
        returns it as it was (None when it was already gone)."""
        before = await self.get(kind, name)
        if before is None:
            return None
        uid = before["metadata"]["uid"]
        body: dict[str, Any] = {"preconditions": {"uid": uid}}  # never a successor of that name
        if propagation is not None:
            body["propagationPolicy"] = propagation
        try:
            await _call(self.api, "DELETE", self._path(kind, name), body=body)
        except ApiException as exc:
            if exc.status in (404, 409):
                return before
            raise _api_error(exc, doing=f"delete {kind} {name}") from exc
        return before

    async def exec(self, pod: str, *, command: list[str], container: str | None) -> ExecResult:
        """Run `command` in the pod (no stdin, no tty): its output (bounded) and exit status."""
        query = [("command", part) for part in command]
        query += [("stdout", "true"), ("stderr", "true"), ("stdin", "false"), ("tty", "false")]
        query += [("container", container)] if container else []
        doing = f"exec in pod {pod}"
        output = ExecOutput()
        async with WsApiClient(configuration=self.api.configuration) as ws:
            try:
                # Not preloaded: the preloading reader drops the exit status (see exec_stream).
                connecting = await ws.call_api(
                    f"{self._path('Pod', pod)}/exec",
                    "GET",
                    query_params=query,
                    auth_settings=["BearerToken"],
                    _preload_content=False,
                )
                async with connecting as socket:
                    async for message in socket:
                        if message.type == aiohttp.WSMsgType.BINARY:
                            output.feed(message.data)
            except ApiException as exc:
                raise _api_error(exc, doing=doing) from exc
            except aiohttp.WSServerHandshakeError as exc:
                # The upgrade is refused with the status a GET would get (404: no such pod).
                if exc.status == 404:
                    missing = f"{doing}: no pod {pod} in namespace {self.namespace}"
                    raise NotFoundError(missing) from exc
                refused = ApiException(status=exc.status, reason=exc.message)
                raise _api_error(refused, doing=doing) from exc
            except aiohttp.ClientError as exc:
                raise ClusterError(f"{doing}: {exc}") from exc
        return output.result()

    def _path(self, kind: str, name: str) -> str:
        return f"{KINDS[kind].list_path(namespace=self.namespace)}/{name}"


async def create_namespace(api: ApiClient, *, name: str, labels: dict[str, str]) -> None:
    """Create a namespace for one scenario run; an existing one is an error (runs never share).

    `labels` should carry the Pod Security level it enforces (`stswatch.scenario.pod_security`).
    """
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    try:
        await _call(api, "POST", _NAMESPACES, body=body)
    except ApiException as exc:
        raise _api_error(exc, doing=f"create namespace {name}") from exc


async def delete_namespace(api: ApiClient, *, name: str) -> None:
    """Start deleting a namespace (does not wait for it to be gone)."""
    try:
        await _call(api, "DELETE", f"{_NAMESPACES}/{name}")
    except ApiException as exc:
        if exc.status != 404:
            raise _api_error(exc, doing=f"delete namespace {name}") from exc


async def default_storage_class(api: ApiClient) -> str:
    """The cluster's default StorageClass name; a clear error when there is none."""
    classes = await _list(api, _STORAGE_CLASSES, doing="list StorageClasses")
    for sc in classes:
        if sc["metadata"].get("annotations", {}).get(_DEFAULT_CLASS_ANNOTATION) == "true":
            return str(sc["metadata"]["name"])
    names = ", ".join(sc["metadata"]["name"] for sc in classes) or "none"
    raise NotFoundError(
        f"the cluster has no default StorageClass (classes: {names}); pass --storage-class"
    )


async def is_lab(api: ApiClient) -> bool:
    """Whether the cluster's nodes are kwok's fakes (annotation kwok.x-k8s.io/node: fake)."""
    nodes = await _list(api, _NODES, doing="list Nodes")
    return any(n["metadata"].get("annotations", {}).get(_KWOK_NODE) == "fake" for n in nodes)


async def _list(
    api: ApiClient, path: str, *, query: list[tuple[str, str]] | None = None, doing: str
) -> list[dict[str, Any]]:
    """The `items` of one list request; an API error says what was being listed."""
    try:
        body = await _call(api, "GET", path, query)
    except ApiException as exc:
        raise _api_error(exc, doing=doing) from exc
    items: list[dict[str, Any]] = body.get("items", [])
    return items


async def _call(
    api: ApiClient,
    method: str,
    path: str,
    query: list[tuple[str, str]] | None = None,
    *,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    try:
        result: dict[str, Any] = await api.call_api(
            path,
            method,
            query_params=query or [],
            header_params={"Accept": "application/json", **(headers or {})},
            body=body,
            response_types_map=_JSON,
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
            _request_timeout=_REQUEST_TIMEOUT,
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        raise TransientScenarioError(f"{method} {path}: API server unreachable ({reason})") from exc
    return result


def _api_error(exc: ApiException, *, doing: str) -> StswatchError:
    reason = _status_message(exc)
    if exc.status == 403 and "violates PodSecurity" in reason:
        # The namespace's Pod Security admission refused a pod (pod_security missed a field).
        return BadInputError(f"{doing}: {reason}; pass --allow-privileged to run it anyway")
    if exc.status in (401, 403):
        return ForbiddenError(f"{doing}: forbidden ({reason})")
    if exc.status == 429 or exc.status >= 500:
        return TransientScenarioError(f"{doing}: API error {exc.status} ({reason})")
    return ClusterError(f"{doing}: API error {exc.status} ({reason})")


def _status_message(exc: ApiException) -> str:
    """The Status message the API server sent, or the HTTP reason."""
    try:
        return str(orjson.loads(exc.body or b"{}").get("message") or exc.reason)
    except orjson.JSONDecodeError:
        return str(exc.reason)
