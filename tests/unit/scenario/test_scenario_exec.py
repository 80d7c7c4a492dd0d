"""`Objects.exec` against a scripted API server speaking `v4.channel.k8s.io` (a protocol edge):
the exit status arrives, binary output is no traceback, a missing pod is exit 4."""

import orjson
import pytest
from aiohttp import web

from stswatch.errors import ExitCode, NotFoundError
from stswatch.scenario.exec_stream import ERROR, STDOUT
from stswatch.scenario.objects import Objects
from tests.unit.record.conftest import api_client_for

EXEC_PATH = "/api/v1/namespaces/ns/pods/{pod}/exec"
EXIT_3 = {
    "metadata": {},
    "status": "Failure",
    "message": "command terminated with non-zero exit code: exit code 3",
    "reason": "NonZeroExitCode",
    "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
}


def _app() -> web.Application:
    async def exec_(request: web.Request) -> web.StreamResponse:
        if request.match_info["pod"] != "web-0":
            return web.json_response({"kind": "Status", "code": 404}, status=404)
        socket = web.WebSocketResponse(protocols=("v4.channel.k8s.io",))
        await socket.prepare(request)
        await socket.send_bytes(bytes([STDOUT]) + b"\xff\xfebinary")
        await socket.send_bytes(bytes([ERROR]) + orjson.dumps(EXIT_3))
        await socket.close()
        return socket

    app = web.Application()
    app.router.add_get(EXEC_PATH.format(pod="{pod}"), exec_)
    return app


async def test_the_exit_status_and_binary_output_arrive() -> None:
    async with api_client_for(_app()) as api:
        result = await Objects(api, "ns").exec("web-0", command=["sh", "-c", "x"], container=None)
    assert result.exit_code == 3
    assert result.failure == EXIT_3["message"]
    assert result.output == "\ufffd\ufffdbinary"


async def test_exec_into_a_pod_that_does_not_exist_is_not_found() -> None:
    # It was exit 3 with aiohttp's raw "Invalid response status"; the README says 4.
    async with api_client_for(_app()) as api:
        with pytest.raises(NotFoundError) as info:
            await Objects(api, "ns").exec("nosuch", command=["true"], container=None)
    assert info.value.exit_code == ExitCode.NOT_FOUND
    assert info.value.message == "exec in pod nosuch: no pod nosuch in namespace ns"
