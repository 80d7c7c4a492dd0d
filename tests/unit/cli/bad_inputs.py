"""Every command driven with bad input: the cases, how to run them, and docs/bad-input.md.

`test_bad_input.py` runs each case and checks it ends in its documented exit code with one
clear line, never a traceback; `docs/bad-input.md` is this module's rendering of what they
printed (regenerate with `python -m tests.unit.cli.bad_inputs > docs/bad-input.md`; a test
fails when it is stale).
"""

import asyncio
import gzip
import os
import re
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from tests.fixtures.hostile import privileged_pod, scenario_applying
from tests.fixtures.http import serving
from tests.unit.cli.sandbox import full_disk, read_only, run_in_mounts

DOC = Path(__file__).parents[3] / "docs" / "bad-input.md"
RECORDINGS = Path(__file__).parents[2] / "fixtures" / "recordings"
SESSION = "lesson-orderedready"
HEADER = "name: t\ndescription: d\nstatefulset: redis\n"
ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


@dataclass(frozen=True)
class BadInput:
    """One bad input to one command, and the exit code it must end with."""

    command: str
    what: str
    argv: Callable[["Workspace"], list[str]]
    code: ExitCode
    # Shell commands that mount what the case needs (a full disk, a read-only folder): the
    # command then runs in a mount namespace of its own (tests/unit/cli/sandbox.py).
    mounts: Callable[["Workspace"], list[str]] | None = None


@dataclass(frozen=True)
class Outcome:
    """What a case printed: its exit code, stderr's first line, and any uncaught exception."""

    code: int
    message: str
    lines: int
    exception: BaseException | None


@dataclass(frozen=True)
class Workspace:
    """A folder of bad (and a few good) files, and a scripted API server's URL."""

    root: Path
    malformed_server: str

    def __truediv__(self, name: str) -> str:
        return str(self.root / name)


def _kubeconfig(server: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": server}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "lab", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "lab",
        }
    )


def prepare(root: Path, *, malformed_server: str) -> Workspace:
    """Write every file the cases name into `root`."""
    with gzip.open(RECORDINGS / "lesson.db.gz") as src, (root / "lesson.db").open("wb") as dst:
        shutil.copyfileobj(src, dst)
    (root / "corrupt.db").write_bytes(b"not a database" * 512)
    shutil.copy(root / "lesson.db", root / "newer.db")
    with sqlite3.connect(root / "newer.db") as conn:
        conn.execute("PRAGMA user_version = 99")
    _bad_rows(root / "lesson.db")
    (root / "precious.txt").write_text("a user's file\n")
    (root / "disk").mkdir()
    _pending_log_copy(root / "lesson.db", media=root / "media")
    (root / "kc-binary").write_bytes(bytes(range(256)) * 8)
    (root / "kc-not-yaml").write_text("clusters: [\n")
    (root / "kc-list").write_text("- a\n- b\n")
    (root / "kc-unreachable").write_text(_kubeconfig("http://127.0.0.1:1"))
    (root / "kc-not-url").write_text(_kubeconfig("127.0.0.1:6443"))
    exec_plugin = yaml.safe_load(_kubeconfig("http://127.0.0.1:1"))
    exec_plugin["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": str(root / "no-such-plugin"),
        }
    }
    (root / "kc-exec").write_text(yaml.safe_dump(exec_plugin))
    (root / "kc-malformed").write_text(_kubeconfig(malformed_server))
    scenarios = root / "scenarios"
    scenarios.mkdir()
    (root / "outside.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n")
    files = {
        "not-yaml.yaml": "steps: [\n",
        "unknown-step.yaml": HEADER + "steps:\n  - jump: {height: 3}\n",
        "missing-field.yaml": HEADER + "steps:\n  - scale: {}\n",
        "alias-bomb.yaml": HEADER + ALIAS_BOMB + "steps:\n  - scale: {replicas: 1}\n",
        "dev-zero.yaml": HEADER + "steps:\n  - apply: {path: /dev/zero}\n",
        "outside.yaml": HEADER + "steps:\n  - apply: {path: ../outside.yaml}\n",
        "passwd.yaml": HEADER + "steps:\n  - apply: {path: ../../../../../../etc/passwd}\n",
        "oversized.yaml": HEADER + "#" * (1 << 20) + "\nsteps: []\n",
        "deep.yaml": "[" * 100_000,
    }
    for name, text in files.items():
        (scenarios / name).write_text(text)
    privileged = scenario_applying(privileged_pod())
    (scenarios / "privileged.yaml").write_text(yaml.safe_dump(privileged))
    (scenarios / "binary.yaml").write_bytes(b"\xff\xfe\x00\x01" * 64)
    os.mkfifo(scenarios / "pipe.yaml")
    os.mkfifo(root / "pipe.db")
    return Workspace(root, malformed_server)


# Stores with one row stswatch cannot have written: (file, SQL, parameter).
BAD_ROWS = {
    "null-object.db": ("UPDATE change SET object = ? WHERE id = 7", "null"),
    "long-version.db": ("UPDATE change SET resource_version = ? WHERE id = 7", "9" * 5000),
    "bad-scope.db": ("UPDATE session SET scope = ? WHERE id = 1", "{oops"),
    "injected.db": ("UPDATE change SET object = ? WHERE id = 7", '{"metadata": {}}, "x": 1'),
}


def _bad_rows(store: Path) -> None:
    for name, (sql, value) in BAD_ROWS.items():
        shutil.copy(store, store.with_name(name))
        with sqlite3.connect(store.with_name(name)) as conn:
            conn.execute(sql, (value,))


def _pending_log_copy(store: Path, *, media: Path) -> None:
    """`media/copy.db` and its -wal, copied while a writer had changes only in the log."""
    media.mkdir()
    source = store.with_name("writing.db")
    shutil.copy(store, source)
    conn = sqlite3.connect(source, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE session SET name = name || '-renamed'")
    for suffix in ("", "-wal"):
        shutil.copy(f"{source}{suffix}", f"{media / 'copy.db'}{suffix}")
    conn.close()


def _record(kubeconfig: str) -> Callable[[Workspace], list[str]]:
    def argv(w: Workspace) -> list[str]:
        return ["record", "--session", "s", "--db", w / "new.db", "-n", "lab",
                "--duration", "5s", "--kubeconfig", w / kubeconfig]  # fmt: skip

    return argv


def _check(name: str) -> Callable[[Workspace], list[str]]:
    return lambda w: ["scenario", "check", w / f"scenarios/{name}"]


CASES: tuple[BadInput, ...] = (
    BadInput("record", "kubeconfig that does not exist", _record("nope"), ExitCode.CLUSTER),
    BadInput("record", "kubeconfig of binary bytes", _record("kc-binary"), ExitCode.CLUSTER),
    BadInput("record", "kubeconfig that is not YAML", _record("kc-not-yaml"), ExitCode.CLUSTER),
    BadInput("record", "kubeconfig that is a YAML list", _record("kc-list"), ExitCode.CLUSTER),
    BadInput(
        "record",
        "unknown --context",
        lambda w: [*_record("kc-unreachable")(w), "--context", "prod"],
        ExitCode.CLUSTER,
    ),
    BadInput("record", "unreachable API server", _record("kc-unreachable"), ExitCode.CLUSTER),
    BadInput(
        "record",
        "API server whose pod LIST has `items` that is not a list",
        _record("kc-malformed"),
        ExitCode.CLUSTER,
    ),
    BadInput(
        "record",
        "-A with --statefulset",
        lambda w: ["record", "--session", "s", "-A", "--statefulset", "redis"],
        ExitCode.USAGE,
    ),
    BadInput(
        "record",
        "--duration that is not a duration",
        lambda w: ["record", "--session", "s", "--duration", "soon"],
        ExitCode.USAGE,
    ),
    BadInput(
        "record",
        "--continuous without --dir",
        lambda w: ["record", "--continuous", "-n", "lab"],
        ExitCode.USAGE,
    ),
    BadInput(
        "record",
        "--retain that is not an age",
        lambda w: ["record", "--continuous", "--dir", w / "pieces", "--retain", "a week"],
        ExitCode.USAGE,
    ),
    BadInput(
        "record",
        "--max-size that is not a size",
        lambda w: ["record", "--continuous", "--dir", w / "pieces", "--max-size", "2 parsecs"],
        ExitCode.USAGE,
    ),
    BadInput(
        "record",
        "--retain without --continuous",
        lambda w: ["record", "--session", "s", "--retain", "7d"],
        ExitCode.USAGE,
    ),
    BadInput(
        "record",
        "--continuous with an unreachable API server (nothing created)",
        lambda w: ["record", *_record("kc-unreachable")(w)[5:], "--continuous", "--dir", w / "p"],
        ExitCode.CLUSTER,
    ),
    BadInput(
        "sessions",
        "store that does not exist",
        lambda w: ["sessions", "--db", w / "no.db"],
        ExitCode.NOT_FOUND,
    ),
    BadInput(
        "verify",
        "store that is a named pipe (it exists: not 'no such')",
        lambda w: ["verify", SESSION, "--db", w / "pipe.db"],
        ExitCode.STORE,
    ),
    BadInput(
        "sessions",
        "store that is not SQLite",
        lambda w: ["sessions", "--db", w / "corrupt.db"],
        ExitCode.STORE,
    ),
    BadInput(
        "sessions",
        "store from a newer stswatch",
        lambda w: ["sessions", "--db", w / "newer.db"],
        ExitCode.STORE,
    ),
    BadInput(
        "sessions",
        "--db that is a folder",
        lambda w: ["sessions", "--db", str(w.root)],
        ExitCode.USAGE,
    ),
    BadInput(
        "export",
        "session that does not exist, -o an existing file (left as it was)",
        lambda w: ["export", "nosuch", "--db", w / "lesson.db", "-o", w / "precious.txt"],
        ExitCode.NOT_FOUND,
    ),
    BadInput(
        "export",
        "-o in a folder that does not exist",
        lambda w: ["export", SESSION, "--db", w / "lesson.db", "-o", w / "no/such/out.jsonl"],
        ExitCode.OUTPUT,
    ),
    BadInput(
        "export",
        "-o a device",
        lambda w: ["export", SESSION, "--db", w / "lesson.db", "-o", "/dev/null"],
        ExitCode.OUTPUT,
    ),
    BadInput(
        "export",
        "-o the store it reads (left as it was)",
        lambda w: ["export", SESSION, "--db", w / "lesson.db", "-o", w / "lesson.db"],
        ExitCode.OUTPUT,
    ),
    BadInput(
        "verify",
        "session that does not exist",
        lambda w: ["verify", "nosuch", "--db", w / "lesson.db"],
        ExitCode.NOT_FOUND,
    ),
    BadInput(
        "verify",
        "StatefulSet that was not recorded",
        lambda w: ["verify", SESSION, "--db", w / "lesson.db", "--statefulset", "nope"],
        ExitCode.NOT_FOUND,
    ),
    BadInput(
        "verify",
        "store that is not SQLite",
        lambda w: ["verify", SESSION, "--db", w / "corrupt.db"],
        ExitCode.STORE,
    ),
    BadInput(
        "export",
        "-o on a full disk, over an existing file (kept)",
        lambda w: ["export", SESSION, "--db", w / "lesson.db", "-o", w / "disk/out.jsonl"],
        ExitCode.OUTPUT,
        mounts=lambda w: full_disk(w.root / "disk", keep={"out.jsonl": "old"}),
    ),
    BadInput(
        "verify",
        "store row whose object is `null`",
        lambda w: ["verify", SESSION, "--db", w / "null-object.db"],
        ExitCode.STORE,
    ),
    BadInput(
        "report",
        "store row with a resourceVersion of 5,000 digits",
        lambda w: ["report", SESSION, "--db", w / "long-version.db", "--text"],
        ExitCode.STORE,
    ),
    BadInput(
        "sessions",
        "session whose scope is not JSON",
        lambda w: ["sessions", "--db", w / "bad-scope.db"],
        ExitCode.STORE,
    ),
    BadInput(
        "export",
        "store row whose object would inject a key into the line",
        lambda w: ["export", SESSION, "--db", w / "injected.db", "-o", w / "injected.jsonl"],
        ExitCode.STORE,
    ),
    BadInput(
        "verify",
        "store on a read-only mount whose -wal holds changes, without its -shm",
        lambda w: ["verify", SESSION, "--db", w / "media/copy.db"],
        ExitCode.STORE,
        mounts=lambda w: read_only(w.root / "media"),
    ),
    BadInput(
        "verify",
        "--since that is neither a time nor a duration",
        lambda w: ["verify", SESSION, "--db", w / "lesson.db", "--since", "yesterday"],
        ExitCode.USAGE,
    ),
    BadInput(
        "verify",
        "--until before --since",
        lambda w: [
            "verify",
            SESSION,
            "--db",
            w / "lesson.db",
            "--since",
            "2026-11-24T21:52:40Z",
            "--until",
            "2026-11-24T21:52:30Z",
        ],
        ExitCode.USAGE,
    ),
    BadInput(
        "verify",
        "a window wholly before the session",
        lambda w: [
            "verify",
            SESSION,
            "--db",
            w / "lesson.db",
            "--since",
            "2020-01-01T00:00:00Z",
            "--until",
            "2020-01-01T01:00:00Z",
        ],
        ExitCode.USAGE,
    ),
    BadInput(
        "report",
        "--until with a unit it does not know",
        lambda w: ["report", SESSION, "--db", w / "lesson.db", "--text", "--until", "5w"],
        ExitCode.USAGE,
    ),
    BadInput(
        "export",
        "--statefulset that was not recorded, in a window",
        lambda w: [
            "export",
            SESSION,
            "--db",
            w / "lesson.db",
            "--since",
            "5s",
            "--statefulset",
            "nope",
        ],
        ExitCode.NOT_FOUND,
    ),
    BadInput(
        "serve",
        "a store that does not exist",
        lambda w: ["serve", "--db", w / "nope.db"],
        ExitCode.NOT_FOUND,
    ),
    BadInput(
        "serve", "a corrupt store", lambda w: ["serve", "--db", w / "corrupt.db"], ExitCode.STORE
    ),
    BadInput(
        "serve",
        "--listen without a port",
        lambda w: ["serve", "--db", w / "lesson.db", "--listen", "127.0.0.1"],
        ExitCode.USAGE,
    ),
    BadInput(
        "serve",
        "--listen with a port out of range",
        lambda w: ["serve", "--db", w / "lesson.db", "--listen", "127.0.0.1:70000"],
        ExitCode.USAGE,
    ),
    BadInput(
        "serve",
        "--listen on an address this machine does not have",
        lambda w: ["serve", "--db", w / "lesson.db", "--listen", "192.0.2.1:8080"],
        ExitCode.USAGE,
    ),
    BadInput(
        "verify",
        "unknown --format",
        lambda w: ["verify", SESSION, "--format", "xml"],
        ExitCode.USAGE,
    ),
    BadInput(
        "report",
        "neither -o nor --text",
        lambda w: ["report", SESSION, "--db", w / "lesson.db"],
        ExitCode.USAGE,
    ),
    BadInput(
        "report",
        "--text with -o (nothing would be written)",
        lambda w: ["report", SESSION, "--db", w / "lesson.db", "--text", "-o", w / "r.html"],
        ExitCode.USAGE,
    ),
    BadInput(
        "report",
        "-o in a folder that does not exist",
        lambda w: ["report", SESSION, "--db", w / "lesson.db", "-o", w / "no/r.html"],
        ExitCode.OUTPUT,
    ),
    BadInput(
        "report",
        "store from a newer stswatch",
        lambda w: ["report", SESSION, "--db", w / "newer.db", "--text"],
        ExitCode.STORE,
    ),
    BadInput(
        "compare",
        "second session that does not exist",
        lambda w: ["compare", SESSION, "nosuch", "--db", w / "lesson.db", "-o", w / "c.html"],
        ExitCode.NOT_FOUND,
    ),
    BadInput("scenario check", "file that does not exist", _check("nope.yaml"), ExitCode.NOT_FOUND),
    BadInput("scenario check", "not YAML", _check("not-yaml.yaml"), ExitCode.BAD_INPUT),
    BadInput("scenario check", "unknown step", _check("unknown-step.yaml"), ExitCode.BAD_INPUT),
    BadInput("scenario check", "missing field", _check("missing-field.yaml"), ExitCode.BAD_INPUT),
    BadInput(
        "scenario check", "600-byte YAML alias bomb", _check("alias-bomb.yaml"), ExitCode.BAD_INPUT
    ),
    BadInput(
        "scenario check", "`apply: {path: /dev/zero}`", _check("dev-zero.yaml"), ExitCode.BAD_INPUT
    ),
    BadInput(
        "scenario check",
        "`apply: {path: /dev/zero}` with --allow-outside-paths",
        lambda w: [*_check("dev-zero.yaml")(w), "--allow-outside-paths"],
        ExitCode.BAD_INPUT,
    ),
    BadInput(
        "scenario check",
        "`apply: {path: ../outside.yaml}`",
        _check("outside.yaml"),
        ExitCode.BAD_INPUT,
    ),
    BadInput(
        "scenario check",
        "`apply: {path: ../../../etc/passwd}`",
        _check("passwd.yaml"),
        ExitCode.BAD_INPUT,
    ),
    BadInput("scenario check", "file over 1 MiB", _check("oversized.yaml"), ExitCode.BAD_INPUT),
    BadInput("scenario check", "binary bytes", _check("binary.yaml"), ExitCode.BAD_INPUT),
    BadInput("scenario check", "a named pipe", _check("pipe.yaml"), ExitCode.BAD_INPUT),
    BadInput("scenario check", "100,000 nested `[`", _check("deep.yaml"), ExitCode.BAD_INPUT),
    BadInput(
        "scenario check",
        "Pod with `privileged`, `hostPID` and `hostPath: /`",
        _check("privileged.yaml"),
        ExitCode.BAD_INPUT,
    ),
    BadInput(
        "scenario run",
        "--session prefix already in the store",
        lambda w: ["scenario", "run", "lesson", "--session", "lesson", "--db", w / "lesson.db"],
        ExitCode.USAGE,
    ),
    BadInput(
        "scenario run",
        "kubeconfig that does not exist",
        lambda w: [
            "scenario",
            "run",
            "lesson",
            "--session",
            "fresh",
            "--db",
            w / "new.db",
            "--kubeconfig",
            w / "nope",
        ],
        ExitCode.CLUSTER,
    ),
    BadInput(
        "status",
        "kubeconfig of binary bytes",
        lambda w: ["status", "-n", "lab", "redis", "--kubeconfig", w / "kc-binary"],
        ExitCode.CLUSTER,
    ),
    BadInput(
        "status",
        "kubeconfig whose server has no scheme",
        lambda w: ["status", "-n", "lab", "redis", "--kubeconfig", w / "kc-not-url"],
        ExitCode.CLUSTER,
    ),
    BadInput(
        "doctor",
        "kubeconfig whose exec credential plugin does not exist",
        lambda w: ["doctor", "-n", "lab", "redis", "--kubeconfig", w / "kc-exec"],
        ExitCode.CLUSTER,
    ),
    BadInput(
        "status",
        "API server whose pod LIST has `items` that is not a list",
        lambda w: ["status", "-n", "lab", "redis", "--kubeconfig", w / "kc-malformed"],
        ExitCode.CLUSTER,
    ),
    BadInput(
        "status",
        "StatefulSet whose `spec.selector` is a list",
        lambda w: ["status", "-n", "odd", "redis", "--kubeconfig", w / "kc-malformed"],
        ExitCode.CLUSTER,
    ),
    BadInput(
        "doctor",
        "pod LIST that repeats its `continue` token",
        lambda w: ["doctor", "-n", "loop", "redis", "--kubeconfig", w / "kc-malformed"],
        ExitCode.CLUSTER,
    ),
    BadInput(
        "status",
        "namespace given twice",
        lambda w: ["status", "-n", "lab", "lab", "redis"],
        ExitCode.USAGE,
    ),
    BadInput(
        "doctor",
        "unreachable API server",
        lambda w: ["doctor", "-n", "lab", "redis", "--kubeconfig", w / "kc-unreachable"],
        ExitCode.CLUSTER,
    ),
    BadInput(
        "doctor",
        "API server whose pod LIST has `items` that is not a list",
        lambda w: ["doctor", "-n", "lab", "redis", "--kubeconfig", w / "kc-malformed"],
        ExitCode.CLUSTER,
    ),
    BadInput("lab up", "--nodes 0", lambda w: ["lab", "up", "--nodes", "0"], ExitCode.USAGE),
    BadInput("(any)", "unknown command", lambda w: ["frobnicate"], ExitCode.USAGE),
)


def run_case(case: BadInput, workspace: Workspace) -> Outcome:
    """Run one case (in-process, or in its mounts); stderr normalised (folder, ports)."""
    if case.mounts is not None:
        done = run_in_mounts(case.mounts(workspace), case.argv(workspace))
        crashed = RuntimeError(done.stderr[-2000:]) if "Traceback" in done.stderr else None
        return _outcome(done.returncode, done.stderr, crashed, workspace)
    result = CliRunner().invoke(main, case.argv(workspace))
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return _outcome(result.exit_code, result.stderr, exception, workspace)


def _outcome(
    code: int, stderr: str, exception: BaseException | None, workspace: Workspace
) -> Outcome:
    text = stderr.strip().replace(str(workspace.root), "<dir>")
    text = re.sub(r"127\.0\.0\.1:(?!1\b)\d+", "127.0.0.1:<port>", text)
    lines = text.splitlines()
    error_lines = [line for line in lines if line.startswith(("stswatch: error:", "Error:"))]
    message = error_lines[0] if error_lines else (lines[-1] if lines else "")
    return Outcome(code, message, len(error_lines), exception)


def render(outcomes: list[tuple[BadInput, Outcome]]) -> str:
    """docs/bad-input.md."""
    rows = [
        f"| `{case.command}` | {case.what} | {outcome.code} | `{_cell(outcome.message)}` |"
        for case, outcome in outcomes
    ]
    return "\n".join(
        [
            "# Bad input: what each command says, and its exit code",
            "",
            "Every row is a case of `tests/unit/cli/bad_inputs.py`, run by",
            "`tests/unit/cli/test_bad_input.py`, which checks that each ends with its",
            "documented exit code and one clear line, never a traceback. This page is generated",
            "from what they printed (`python -m tests.unit.cli.bad_inputs > docs/bad-input.md`);",
            "`<dir>` is the test's folder. Exit codes: [README](../README.md#exit-codes).",
            "",
            "What needs a running cluster is tried against the lab by",
            "`tests/integration/test_record_guards.py`: RBAC without `watch` on Events nor any",
            "verb on PersistentVolumes (exit 5, every missing verb named at once, no file",
            "written), a second `record` on a session another recorder holds (exit 11, naming",
            "its pid, host and start), and a session whose Lease another pod holds (exit 11).",
            "",
            "| command | bad input | exit | message (stderr) |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


@contextmanager
def malformed_api_server() -> Iterator[str]:
    """An API server whose pod LIST has `items` that is no list; in namespace `odd` a
    StatefulSet whose selector is a list, in namespace `loop` LISTs that never end."""

    async def answer(request: web.Request) -> web.StreamResponse:
        if request.method != "GET":  # access reviews: not served, the recorder goes on
            return web.json_response({"kind": "Status", "code": 404}, status=404)
        if request.path == "/version":
            return web.json_response({"gitVersion": "v1.34.4"})
        if request.path == "/api/v1/namespaces/lab":
            return web.json_response({"kind": "Namespace", "metadata": {"name": "lab"}})
        if request.query.get("watch") == "true":
            response = web.StreamResponse()
            await response.prepare(request)
            await asyncio.sleep(30)  # silent until the recorder stops on the malformed pods
            return response
        if request.path == "/apis/apps/v1/namespaces/odd/statefulsets/redis":
            return web.json_response({"metadata": {"name": "redis"}, "spec": {"selector": [1]}})
        if request.path == "/api/v1/namespaces/loop/pods":
            return web.json_response({"items": [], "metadata": {"continue": "again"}})
        items: Any = {"not": "a list"} if request.path.endswith("/pods") else []
        return web.json_response({"items": items, "metadata": {"resourceVersion": "1"}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    with serving(app) as url:
        yield url


def run_all(root: Path) -> list[tuple[BadInput, Outcome]]:
    """Every case, in a fresh workspace under `root`."""
    with malformed_api_server() as server:
        workspace = prepare(root, malformed_server=server)
        return [(case, run_case(case, workspace)) for case in CASES]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        sys.stdout.write(render(run_all(Path(tmp))))
