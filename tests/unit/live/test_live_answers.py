"""`status` and `doctor` against a scripted API server whose answers are not the API's shape
(issue 19 items 9 and 6): exit 3 naming the field or the endless list, never a traceback."""

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from tests.fixtures.http import serving
from tests.fixtures.live_objects import pod, statefulset
from tests.unit.record.test_cli_record import kubeconfig

SET_PATH = "/apis/apps/v1/namespaces/lab/statefulsets/redis"


def _status(tmp_path: Path, the_set: Any, *, pods_continue: str = "") -> tuple[int, str, str]:
    async def get_set(request: web.Request) -> web.Response:
        return web.json_response(the_set)

    async def listing(request: web.Request) -> web.Response:
        items = [pod(0)] if request.path.endswith("/pods") else []
        return web.json_response({"items": items, "metadata": {"continue": pods_continue}})

    app = web.Application()
    app.router.add_get(SET_PATH, get_set)
    app.router.add_get("/{tail:.*}", listing)
    with serving(app) as url:
        config = kubeconfig(tmp_path / "kc", server=url)
        results = [
            CliRunner().invoke(main, [command, "-n", "lab", "redis", "--kubeconfig", str(config)])
            for command in ("status", "doctor")
        ]
    for result in results:
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
    (status, doctor) = results
    assert (status.exit_code, len(status.output.splitlines())) == (
        doctor.exit_code, len(doctor.output.splitlines())
    ), doctor.output  # fmt: skip
    return status.exit_code, status.output, url


def _with_spec(**fields: Any) -> dict[str, Any]:
    the_set = statefulset()
    the_set["spec"].update(fields)
    return the_set


@pytest.mark.parametrize(
    ("the_set", "problem"),
    [
        ({**statefulset(), "spec": "x"}, "spec that is str 'x'"),
        (_with_spec(selector=[1]), "spec.selector that is list [1]"),
        (_with_spec(selector={"matchLabels": "app"}), "spec.selector.matchLabels that is str"),
        (_with_spec(volumeClaimTemplates=[1]), "spec.volumeClaimTemplates[0] that is int 1"),
        (_with_spec(serviceName=5), "spec.serviceName that is int 5"),
    ],
)
def test_a_set_of_the_wrong_shape_is_exit_3_naming_the_field(
    tmp_path: Path, the_set: dict[str, Any], problem: str
) -> None:
    # AttributeError tracebacks before.
    code, out, url = _status(tmp_path, the_set)
    assert code == ExitCode.CLUSTER, out
    assert (
        out
        == (
            f"stswatch: error: the API server at {url} sent a malformed answer to get "
            f"statefulsets/redis in namespace 'lab': {problem}"
        )
        + out[len(out.rstrip("\n").split(problem)[0]) + len(problem) :]
    )


@pytest.mark.timeout(60)
def test_a_list_that_repeats_its_continue_token_is_exit_3(tmp_path: Path) -> None:
    code, out, _ = _status(tmp_path, statefulset(), pods_continue="again")
    assert code == ExitCode.CLUSTER, out
    assert "the continue token 'again' a second time (the list would never end)" in out
