"""The session's Lease through an API server that stops answering: renewals retried, then stop."""

import itertools
from typing import Any

import pytest
from aiohttp import web
from kubernetes_asyncio.client import ApiClient, Configuration

from stswatch.errors import SessionHeldError
from stswatch.kube.cluster import IN_CLUSTER, Cluster
from stswatch.record import lease as lease_module
from stswatch.record.lease import SessionLease, lease_for, lease_name


def test_lease_names_are_dns_labels_apart_per_session() -> None:
    name = lease_name("Lesson_Parallel/1")
    assert name.startswith("stswatch-session-lesson-parallel-1-")
    assert len(name) <= 63
    assert lease_name("a") != lease_name("A")


async def test_renewals_survive_a_silent_server_until_the_lease_may_have_expired(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lease_module, "RENEW_EVERY_S", 0.01)
    updates: list[int] = []

    async def leases(request: web.Request) -> web.Response:
        if request.method == "GET":
            return web.json_response({"kind": "Status", "code": 404}, status=404)
        if request.method == "POST":
            body = await request.json()
            body["metadata"]["resourceVersion"] = "1"
            return web.json_response(body, status=201)
        updates.append(1)
        return web.json_response({"kind": "Status", "code": 503}, status=503)

    app = web.Application()
    app.router.add_route("*", "/apis/coordination.k8s.io/v1/namespaces/ns/leases{tail:.*}", leases)
    ticks = itertools.count()
    async with serve(app) as api:
        lease = SessionLease(
            api, namespace="ns", session="s", identity="me", clock=lambda: 10.0 * next(ticks)
        )
        await lease.acquire()
        with pytest.raises(SessionHeldError, match=r"could not renew Lease ns/stswatch-session-s"):
            await lease.keep()
    assert len(updates) == 3  # at 10 s and 20 s it tries again; at 30 s it gives up


async def test_only_a_recorder_in_a_pod_takes_the_session_lease() -> None:
    # One decision for every builder of a Recorder: `record` and a scenario's runs alike.
    async with ApiClient(Configuration(host="https://api.example:6443")) as api:
        in_pod = Cluster(api, "https://api.example:6443", "v1.34.1", "recorders", IN_CLUSTER)
        lease = lease_for(in_pod, session="lesson-parallel")
        assert lease is not None
        assert (lease.namespace, lease.name) == ("recorders", lease_name("lesson-parallel"))
        from_a_laptop = Cluster(api, "https://api.example:6443", "v1.34.1", "lab", "/k/config")
        assert lease_for(from_a_laptop, session="lesson-parallel") is None
