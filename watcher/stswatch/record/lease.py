"""One recorder per session inside a cluster: a `coordination.k8s.io` Lease named after it.

The local lock lives in the store (`stswatch.record.writable_store`, table `holder`); that only
works when both recorders see the same file. The in-cluster recorder (deploy/kubernetes) may
have a second pod started on another node with another volume during a rollout or a partition,
so there the standard mechanism of Kubernetes controllers is used as well: a Lease in the
recorder's namespace, held with `holderIdentity` and renewed well within
`leaseDurationSeconds` (Kubernetes docs, "Leases"). Every write carries the resourceVersion last
read, so two claimants racing for an expired Lease cannot both win: the loser gets 409 Conflict.
"""

import asyncio
import hashlib
import os
import re
import socket
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import structlog
from kubernetes_asyncio.client import ApiClient

from stswatch.errors import SessionHeldError
from stswatch.kube.api import TRANSIENT_ERRORS, ConflictError, MissingError, Request, get_json
from stswatch.kube.cluster import IN_CLUSTER, Cluster

log = structlog.get_logger(__name__)

LEASE_DURATION_S = 30
RENEW_EVERY_S = 10.0
_LIMITS = aiohttp.ClientTimeout(total=15, sock_connect=10)
_NOT_A_NAME = re.compile(r"[^a-z0-9-]+")


def lease_name(session: str) -> str:
    """`stswatch-session-<session>` as a DNS label; a hash keeps different sessions apart."""
    slug = _NOT_A_NAME.sub("-", session.lower()).strip("-")[:30] or "session"
    digest = hashlib.sha256(session.encode()).hexdigest()[:8]
    return f"stswatch-session-{slug}-{digest}"


def lease_for(cluster: Cluster, *, session: str) -> "SessionLease | None":
    """The session's Lease when the recorder runs in a pod (its service account), else None.

    Every builder of a `Recorder` asks here: `stswatch record` and a scenario's runs alike. In a
    pod two recorders may not share one store file, so only the Lease keeps them apart; outside
    one the store's `holder` row does. The Lease lives in the pod's namespace, named after the
    session, and names this process (`host/pid`) as its holder.
    """
    if cluster.source != IN_CLUSTER:
        return None
    return SessionLease(
        cluster.api,
        namespace=cluster.default_namespace,
        session=session,
        identity=f"{socket.gethostname()}/{os.getpid()}",
    )


def _micro_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _seconds(micro_time: str | None) -> float | None:
    if not micro_time:
        return None
    return datetime.fromisoformat(micro_time.replace("Z", "+00:00")).timestamp()


class SessionLease:
    """The Lease that says which recorder records `session`; acquire, keep, release."""

    def __init__(
        self,
        api: ApiClient,
        *,
        namespace: str,
        session: str,
        identity: str,
        clock: Any = time.time,
        name: str | None = None,
        duration_s: int = LEASE_DURATION_S,
    ) -> None:
        self._api = api
        self._namespace = namespace
        self._name = name or lease_name(session)
        self._duration_s = duration_s
        # Renewed three times per duration, as LEASE_DURATION_S / RENEW_EVERY_S.
        self._renew_every_s = duration_s * RENEW_EVERY_S / LEASE_DURATION_S
        self._identity = identity
        self._clock = clock
        self._collection = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
        self._lease: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        """The Lease's name."""
        return self._name

    @property
    def duration_s(self) -> int:
        """leaseDurationSeconds: how long an unrenewed Lease keeps its holder."""
        return self._duration_s

    @property
    def namespace(self) -> str:
        """The Lease's namespace."""
        return self._namespace

    async def acquire(self) -> None:
        """Take the Lease, or raise SessionHeldError naming the recorder that holds it."""
        current = await self._read()
        now = self._clock()
        if current is None:
            self._lease = await self._send("create", self._collection, self._body(now, None))
            return
        spec = current.get("spec") or {}
        holder = spec.get("holderIdentity")
        renewed = _seconds(spec.get("renewTime"))
        duration = int(spec.get("leaseDurationSeconds") or LEASE_DURATION_S)
        live = renewed is not None and now < renewed + duration
        if holder and holder != self._identity and live:
            raise SessionHeldError(
                f"this session is being recorded by another recorder: {holder}, holder of "
                f"Lease {self._namespace}/{self._name} since {spec.get('acquireTime')}, "
                f"renewed {now - renewed:.0f} s ago; stop that one first, or record under "
                "another session name"
            )
        transitions = int(spec.get("leaseTransitions") or 0) + (1 if holder else 0)
        body = self._body(now, current, transitions=transitions)
        self._lease = await self._send("update", f"{self._collection}/{self._name}", body)

    async def keep(self) -> None:
        """Renew the Lease every RENEW_EVERY_S until cancelled; SessionHeldError once lost.

        An API server that does not answer (restarting, say) is tried again at the next renewal;
        once the Lease may have expired unrenewed, another recorder may hold it: this one stops.
        """
        renewed = self._clock()
        while True:
            await asyncio.sleep(self._renew_every_s)
            assert self._lease is not None, "acquire() first"
            now = self._clock()
            body = self._body(now, self._lease)
            try:
                self._lease = await self._send("update", f"{self._collection}/{self._name}", body)
                renewed = now
            except TRANSIENT_ERRORS as exc:
                if now - renewed >= self._duration_s:
                    raise SessionHeldError(
                        f"could not renew Lease {self._namespace}/{self._name} for "
                        f"{now - renewed:.0f} s ({exc}); another recorder may hold it now, so "
                        "this one stops"
                    ) from exc
                log.warning("could not renew the session's Lease", lease=self._name, error=str(exc))

    async def release(self) -> None:
        """Give the Lease up (holder cleared) so the next recorder need not wait it out."""
        if self._lease is None:
            return
        body = self._body(self._clock(), self._lease)
        body["spec"]["holderIdentity"] = None
        body["spec"]["renewTime"] = None
        await self._send("update", f"{self._collection}/{self._name}", body)
        self._lease = None

    def _body(
        self, now: float, current: dict[str, Any] | None, *, transitions: int | None = None
    ) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self._name, "namespace": self._namespace}
        spec: dict[str, Any] = {
            "holderIdentity": self._identity,
            "leaseDurationSeconds": self._duration_s,
            "acquireTime": _micro_time(now),
            "renewTime": _micro_time(now),
        }
        if current is not None:
            metadata["resourceVersion"] = current["metadata"]["resourceVersion"]
            previous = current.get("spec") or {}
            if previous.get("holderIdentity") == self._identity and transitions is None:
                spec["acquireTime"] = previous.get("acquireTime") or spec["acquireTime"]
            spec["leaseTransitions"] = (
                transitions if transitions is not None else previous.get("leaseTransitions", 0)
            )
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": metadata,
            "spec": spec,
        }

    async def _read(self) -> dict[str, Any] | None:
        request = Request(path=f"{self._collection}/{self._name}", verb="get", what=self._what())
        try:
            return await get_json(self._api, request, limits=_LIMITS)
        except MissingError:
            return None

    async def _send(self, verb: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        method = "POST" if verb == "create" else "PUT"
        request = Request(path=path, verb=verb, what=self._what(), body=body, method=method)
        try:
            return await get_json(self._api, request, limits=_LIMITS)
        except ConflictError as exc:
            raise SessionHeldError(
                f"another recorder took Lease {self._namespace}/{self._name} first ({exc}); "
                "this one stops without recording more"
            ) from exc

    def _what(self) -> str:
        return f"Lease {self._name!r} in namespace {self._namespace!r}"
