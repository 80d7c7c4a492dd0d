"""`stswatch record|sessions|export`: bad input gives one line and its documented exit code."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import yaml
from aiohttp import web
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from stswatch.record.records import GapRecord
from stswatch.record.writable_store import open_store
from tests.fixtures.http import serving


def kubeconfig(path: Path, *, server: str, contexts: tuple[str, ...] = ("lab",)) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "not-a-valid-token"}}],
                "contexts": [
                    {"name": n, "context": {"cluster": "c", "user": "u"}} for n in contexts
                ],
                "current-context": contexts[0],
            }
        )
    )
    return path


@pytest.fixture
def refusing_server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that answers every request 401, in its own thread."""

    async def refuse(request: web.Request) -> web.Response:
        status = {"kind": "Status", "code": 401, "message": "Unauthorized"}
        return web.json_response(status, status=401)

    app = web.Application()
    app.router.add_get("/{tail:.*}", refuse)
    with serving(app) as url:
        yield url


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_missing_kubeconfig_is_a_cluster_error(tmp_path: Path) -> None:
    code, out = invoke("record", "--session", "s", "--kubeconfig", str(tmp_path / "nope"))
    assert code == ExitCode.CLUSTER
    assert "no such file" in out


def test_unknown_context_names_the_known_ones(tmp_path: Path) -> None:
    config = kubeconfig(tmp_path / "kc", server="http://127.0.0.1:1", contexts=("lab", "prod"))
    code, out = invoke("record", "--session", "s", "--kubeconfig", str(config), "--context", "x")
    assert code == ExitCode.CLUSTER
    assert "no context named 'x' (contexts: lab, prod)" in out


def test_unreachable_server_is_a_cluster_error(tmp_path: Path) -> None:
    config = kubeconfig(tmp_path / "kc", server="http://127.0.0.1:1")
    code, out = invoke("record", "--session", "s", "--kubeconfig", str(config))
    assert code == ExitCode.CLUSTER
    assert "cannot reach the API server at http://127.0.0.1:1" in out


def test_a_refused_request_names_verb_and_resource(tmp_path: Path, refusing_server: str) -> None:
    config = kubeconfig(tmp_path / "kc", server=refusing_server)
    code, out = invoke("record", "--session", "s", "--kubeconfig", str(config))
    assert code == ExitCode.FORBIDDEN
    assert "refused to get /version (401 unauthorized)" in out


def test_all_namespaces_with_a_statefulset_is_a_usage_error() -> None:
    code, out = invoke("record", "--session", "s", "-A", "--statefulset", "redis")
    assert code == ExitCode.USAGE
    assert "-A records every namespace" in out


def test_sessions_and_export_on_a_missing_or_corrupt_store(tmp_path: Path) -> None:
    code, out = invoke("sessions", "--db", str(tmp_path / "none.db"))
    assert code == ExitCode.NOT_FOUND
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"garbage" * 1000)
    code, out = invoke("export", "s", "--db", str(corrupt))
    assert code == ExitCode.STORE
    assert "not a database" in out
    assert corrupt.read_bytes() == b"garbage" * 1000


async def _recorded_store(path: Path, make_change: object) -> None:
    store = await open_store(path)
    session = await store.begin_session(name="s1", scope={"namespace": "lab"}, now_wall_ns=10**9)
    run_id = await store.start_run(
        session_id=session.id,
        now_wall_ns=10**9,
        server_url="https://127.0.0.1:6443",
        server_version="v1.34.4",
        stswatch_version="0.1.0",
        keep_env=False,
    )
    changes = [make_change(f"redis-{i}") for i in range(3)]  # type: ignore[operator]
    gap = GapRecord("Pod", "410 Gone", "1", "2", 1, 2)
    await store.write_batch(
        session_id=session.id, run_id=run_id, written_wall_ns=1, changes=changes, gaps=[gap]
    )
    await store.end_run(run_id=run_id, now_wall_ns=3 * 10**9, reason="duration")
    await store.close()


def test_sessions_lists_counts_and_export_writes_json_lines(
    tmp_path: Path, make_change: object
) -> None:
    db = tmp_path / "s.db"
    asyncio.run(_recorded_store(db, make_change))
    code, out = invoke("sessions", "--db", str(db))
    assert code == 0, out
    row = out.splitlines()[1].split()
    assert row[0] == "s1"
    assert row[3:8] == ["1", "3", "1", "0", "2.0s"]
    code, out = invoke("export", "s1", "--db", str(db), "-o", str(tmp_path / "out.jsonl"))
    assert code == 0, out
    lines = [orjson.loads(x) for x in (tmp_path / "out.jsonl").read_bytes().splitlines()]
    assert [x["name"] for x in lines] == ["redis-0", "redis-1", "redis-2"]
    assert lines[0]["object"]["metadata"]["name"] == "redis-0"
    assert lines[0]["session"] == "s1"
    code, out = invoke("export", "nope", "--db", str(db))
    assert code == ExitCode.NOT_FOUND
    assert "sessions: s1" in out


def test_an_empty_kubeconfig_adds_nothing_to_a_list_and_alone_is_named_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kubectl reads an empty file in $KUBECONFIG as no config; alone it is no kubeconfig."""
    empty = tmp_path / "empty"
    empty.write_text("\n")
    code, out = invoke("status", "-n", "lab", "redis", "--kubeconfig", str(empty))
    assert code == ExitCode.CLUSTER
    assert f"kubeconfig {empty}: empty" in out
    real = kubeconfig(tmp_path / "kc", server="http://127.0.0.1:1")
    monkeypatch.setenv("KUBECONFIG", f"{empty}:{real}")
    code, out = invoke("status", "-n", "lab", "redis")
    assert code == ExitCode.CLUSTER
    assert "cannot reach the API server at http://127.0.0.1:1" in out


def test_malformed_kubeconfig_is_one_line_and_exit_3(tmp_path: Path) -> None:
    broken = tmp_path / "kubeconfig"
    broken.write_text("clusters: [\n")
    db = tmp_path / "s.db"
    result = CliRunner().invoke(
        main, ["record", "--session", "s", "--kubeconfig", str(broken), "--db", str(db)]
    )
    assert result.exit_code == ExitCode.CLUSTER
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "not valid YAML" in lines[0]
    assert not db.exists()
