"""The few API calls a scenario makes, on plain JSON objects in one namespace.

Every call goes through the one client, `stswatch.kube.verbs`, on the paths `stswatch.kube.kinds`
knows: the server's JSON as dicts (what the wait conditions read), and every refusal worded by
`stswatch.kube.api.failure_for`, as the recorder's are. Only the scenario's own words stay here:
apply, exec over a websocket, the run's namespace, a Pod Security refusal.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.stream import WsApiClient

from stswatch.errors import BadInputError, ClusterError, ForbiddenError, NotFoundError
from stswatch.kube import verbs
from stswatch.kube.api import ConflictError, Request
from stswatch.kube.kinds import PERSISTENT_VOLUME_CLAIM, POD, SERVICE, STATEFUL_SET, Kind
from stswatch.scenario.exec_stream import ExecOutput, ExecResult

FIELD_MANAGER = "stswatch"
KINDS: dict[str, Kind] = {k.name: k for k in (POD, PERSISTENT_VOLUME_CLAIM, SERVICE, STATEFUL_SET)}
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


@dataclass(frozen=True)
class Objects:
    """Scenario objects in one namespace, through one ApiClient."""

    api: ApiClient
    namespace: str

    async def get(self, kind: str, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        return await verbs.get_or_none(
            self.api, self._path(kind, name), what=self._what(kind, name)
        )

    async def items(self, kind: str, *, label_selector: str | None = None) -> list[dict[str, Any]]:
        """Every object of `kind` in the namespace, optionally filtered by labels."""
        query = [("labelSelector", label_selector)] if label_selector else []
        path = KINDS[kind].list_path(namespace=self.namespace)
        what = f"{KINDS[kind].plural} in namespace '{self.namespace}'"
        return await verbs.list_all(self.api, path, what=what, params=query)

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
        what = self._what(kind, name, subresource=subresource)
        content_type = _PATCH_TYPES[patch_type]
        with _pod_security():
            return await verbs.patch(
                self.api, path, what=what, body=body, content_type=content_type, params=query
            )

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
            await verbs.delete(
                self.api, self._path(kind, name), what=self._what(kind, name), body=body
            )
        except ConflictError:  # the uid precondition failed: a successor, not ours to delete
            return before
        return before

    async def exec(self, pod: str, *, command: list[str], container: str | None) -> ExecResult:
        """Run `command` in the pod (no stdin, no tty): its output (bounded) and exit status."""
        query = [("command", part) for part in command]
        query += [("stdout", "true"), ("stderr", "true"), ("stdin", "false"), ("tty", "false")]
        query += [("container", container)] if container else []
        doing = f"exec in pod {pod}"
        what = self._what("Pod", pod, subresource="exec")
        request = Request(f"{self._path('Pod', pod)}/exec", "create", what, query)
        output = ExecOutput()
        async with WsApiClient(configuration=self.api.configuration) as ws:
            try:
                # Not preloaded: the preloading reader drops the exit status (see exec_stream).
                connecting = await ws.call_api(
                    request.path,
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
                body = exc.body if isinstance(exc.body, bytes) else str(exc.body or "").encode()
                status = exc.status or 500
                raise verbs.refusal(status, body, request=request, server=self._server) from exc
            except aiohttp.WSServerHandshakeError as exc:
                # The upgrade is refused with the status a GET would get (404: no such pod).
                if exc.status == 404:
                    missing = f"{doing}: no pod {pod} in namespace {self.namespace}"
                    raise NotFoundError(missing) from exc
                body = exc.message.encode()
                raise verbs.refusal(exc.status, body, request=request, server=self._server) from exc
            except aiohttp.ClientError as exc:
                raise ClusterError(f"{doing}: {exc}") from exc
        return output.result()

    def _path(self, kind: str, name: str) -> str:
        return f"{KINDS[kind].list_path(namespace=self.namespace)}/{name}"

    def _what(self, kind: str, name: str, *, subresource: str | None = None) -> str:
        """`statefulsets/web in namespace 'x'`: the resource as RBAC and kubectl name it."""
        resource = "/".join((KINDS[kind].plural, name, *((subresource,) if subresource else ())))
        return f"{resource} in namespace '{self.namespace}'"

    @property
    def _server(self) -> str:
        return str(self.api.configuration.host)


async def create_namespace(api: ApiClient, *, name: str, labels: dict[str, str]) -> None:
    """Create a namespace for one scenario run; an existing one is an error (runs never share).

    `labels` should carry the Pod Security level it enforces (`stswatch.scenario.pod_security`).
    """
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    await verbs.create(api, _NAMESPACES, what=f"namespaces/{name}", body=body)


async def delete_namespace(api: ApiClient, *, name: str) -> None:
    """Start deleting a namespace (does not wait for it to be gone)."""
    await verbs.delete(api, f"{_NAMESPACES}/{name}", what=f"namespaces/{name}")


async def default_storage_class(api: ApiClient) -> str:
    """The cluster's default StorageClass name; a clear error when there is none."""
    classes = await verbs.list_all(api, _STORAGE_CLASSES, what="storageclasses")
    for sc in classes:
        if (sc["metadata"].get("annotations") or {}).get(_DEFAULT_CLASS_ANNOTATION) == "true":
            return str(sc["metadata"]["name"])
    names = ", ".join(sc["metadata"]["name"] for sc in classes) or "none"
    raise NotFoundError(
        f"the cluster has no default StorageClass (classes: {names}); pass --storage-class"
    )


async def is_lab(api: ApiClient) -> bool:
    """Whether the cluster's nodes are kwok's fakes (annotation kwok.x-k8s.io/node: fake)."""
    nodes = await verbs.list_all(api, _NODES, what="nodes")
    return any((n["metadata"].get("annotations") or {}).get(_KWOK_NODE) == "fake" for n in nodes)


@contextmanager
def _pod_security() -> Iterator[None]:
    """A write the namespace's Pod Security admission refused (`pod_security` missed a field)
    is the scenario's input to fix, not missing RBAC."""
    try:
        yield
    except ForbiddenError as exc:
        if "violates PodSecurity" not in exc.message:
            raise
        raise BadInputError(f"{exc.message}; pass --allow-privileged to run it anyway") from exc
