"""A refusal reads the same wherever the API server says it: a scenario step and a recorder
both word a 403 by `stswatch.kube.api.failure_for`, against the lab's real RBAC."""

import asyncio
import re
from pathlib import Path

import pytest
from kubernetes_asyncio.client import ApiClient
from record_support import service_account_kubeconfig

from stswatch.errors import ExitCode, ForbiddenError
from stswatch.kube.cluster import connect
from stswatch.kube.kinds import STATEFUL_SET
from stswatch.lab.lab import LabHandle
from stswatch.record.records import Record
from stswatch.record.reflector import Reflector
from stswatch.record.scope import NamespaceWorld
from stswatch.scenario.objects import Objects

pytestmark = pytest.mark.integration

# failure_for's one sentence: verb and resource as RBAC names them, then the server's Status.
_REFUSED = re.compile(r"the API server refused to (\w+) (.+) \(403 forbidden\): (.+)")


async def _nothing(record: Record) -> None:
    raise AssertionError(f"a refused reflector recorded {record!r}")


async def _nothing_recalled(uids: object) -> dict[str, str]:
    return {}


async def test_a_403_reads_the_same_in_a_scenario_step_and_in_a_recorder(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    config = await service_account_kubeconfig(
        kube_api, lab, namespace=namespace, name="nobody", path=tmp_path / "nobody.kubeconfig"
    )
    cluster = await connect(kubeconfig=config, context=None)
    try:
        with pytest.raises(ForbiddenError) as step:
            await Objects(cluster.api, namespace).patch(
                "StatefulSet", "web", body={"spec": {"replicas": 2}}, patch_type="merge"
            )
        reflector = Reflector(
            api=cluster.api,
            kind=STATEFUL_SET,
            namespace=namespace,
            sink=_nothing,
            recall=_nothing_recalled,
            membership=NamespaceWorld(namespace=namespace),
            keep_env=False,
        )
        with pytest.raises(ForbiddenError) as recorder:
            async with asyncio.timeout(60):
                await reflector.run()
    finally:
        await cluster.close()

    user = f'User "system:serviceaccount:{namespace}:nobody"'
    in_ns = f"in namespace '{namespace}'"
    said = {}
    for who, failure in (("step", step.value), ("recorder", recorder.value)):
        assert failure.exit_code == ExitCode.FORBIDDEN
        matched = _REFUSED.fullmatch(failure.message)
        assert matched is not None, failure.message
        said[who] = matched.groups()
        assert user in matched.group(3), failure.message
    assert said["step"][:2] == ("patch", f"statefulsets/web {in_ns}")
    assert said["recorder"][:2] == ("list", f"statefulsets {in_ns}")
    print(f"scenario step: {step.value.message}\nrecorder:      {recorder.value.message}")
