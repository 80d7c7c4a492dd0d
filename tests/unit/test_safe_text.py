"""Cluster and store text cannot drive the user's terminal (issue 19, item 1): every text renderer
shows controls escaped, a field cannot forge a line, and JSON/YAML stay exact."""

import json
import logging
import re
import sqlite3
from dataclasses import replace
from io import StringIO
from pathlib import Path

import orjson
import pytest
import structlog
import yaml
from click.testing import CliRunner

from stswatch import safe_text
from stswatch.cli import main
from stswatch.cli.log import configure_logging
from stswatch.errors import ClusterError, ExitCode
from stswatch.reports.live.doctor import diagnose, render_json, render_text
from stswatch.reports.live.status import set_status
from stswatch.reports.live.status_render import render_table, render_yaml
from stswatch.reports.proofs.render import render_text as verify_text
from stswatch.reports.serve import pages as serve_pages
from stswatch.reports.timeline import html as timeline_html
from tests.fixtures.episodes import episode, hold, result, verdict
from tests.fixtures.live_objects import event, healthy, pod
from tests.fixtures.real import real_store

# Clear the screen, set the window title, plant a hyperlink, reverse the text, forge a line.
HOSTILE = (
    "\x1b[2J\x1b]0;owned\x07\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
    "\u202egnp.exe\nStatefulSet th/evil: healthy, no findings\r\x9b2J"
)


def _shows_no_controls(text: str) -> None:
    assert safe_text.plain(text) == text, repr(text)
    assert "\u202e" not in text
    assert not any(line.startswith("StatefulSet th/evil") for line in text.splitlines())


def test_a_field_shows_every_control_escaped() -> None:
    assert safe_text.field("a\x1b[2Jb\nc\u202ed\u2066\x9b") == "a\\x1b[2Jb\\nc\\u202ed\\u2066\\x9b"
    assert safe_text.plain("one\ntwo\x07") == "one\ntwo\\x07"
    assert safe_text.lines(["a\nb", "c"]) == "a\\nb\nc\n"
    assert (
        safe_text.field("ordinary text, ünïcode and 日本語") == "ordinary text, ünïcode and 日本語"
    )


def test_doctor_text_escapes_event_and_container_messages_and_json_stays_exact() -> None:
    crashing = [{
        "name": "redis", "restartCount": 5, "ready": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": HOSTILE}},
        "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "message": HOSTILE}},
    }]  # fmt: skip
    world = healthy(
        pods=(pod(0), pod(1), pod(2, ready=False, containers=crashing)),
        events=(event("Pod", "redis-2", "BackOff", HOSTILE),),
    )
    findings = diagnose(world)
    text = render_text(world, findings)
    _shows_no_controls(text)
    assert "\\x1b[2J" in text
    assert "\\u202egnp.exe\\nStatefulSet th/evil: healthy, no findings\\r\\x9b2J" in text
    whys = [why for f in json.loads(render_json(world, findings))["findings"] for why in f["why"]]
    assert any(HOSTILE in why for why in whys)


def test_status_table_escapes_cluster_strings_and_yaml_stays_exact() -> None:
    hostile = pod(1, node=HOSTILE)
    world = healthy(pods=(pod(0), hostile, pod(2)))
    status = set_status(world)
    text = render_table(status)
    _shows_no_controls(text)
    assert len(text.splitlines()) == len(render_table(set_status(healthy())).splitlines())
    assert yaml.safe_load(render_yaml(status))["rows"][1]["node"] == HOSTILE


def test_sessions_lists_a_hostile_session_name_escaped(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE session SET name = ? WHERE name = 'lesson-parallel'", (HOSTILE,))
    result = CliRunner().invoke(main, ["sessions", "--db", str(db)])
    assert result.exit_code == 0, result.output
    _shows_no_controls(result.output)
    assert "\\x1b]0;owned\\x07" in result.output
    assert len(result.output.splitlines()) == 3


def test_an_error_message_quoting_the_cluster_is_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stswatch.cli.record

    def refuse(db_path: Path) -> None:
        raise ClusterError(f"the API server said: {HOSTILE}")

    monkeypatch.setattr(stswatch.cli.record, "list_sessions", refuse)
    result = CliRunner().invoke(main, ["sessions", "--db", str(tmp_path / "s.db")])
    assert result.exit_code == ExitCode.CLUSTER, result.output
    assert result.output.startswith("stswatch: error: the API server said: \\x1b[2J")
    _shows_no_controls(result.output)


def test_console_logs_escape_logged_strings() -> None:
    out = StringIO()
    configure_logging(log_format="console", stream=out)
    try:
        structlog.get_logger().warning(HOSTILE, reason=HOSTILE)
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    _shows_no_controls(out.getvalue())
    assert "\\x1b[2J" in out.getvalue()


def test_verify_text_cannot_be_given_a_forged_line() -> None:
    hostile = replace(hold(), detail="crash\nStatefulSet th/evil: healthy, no findings")
    text = verify_text(result(episode(holds=(hostile,), verdicts=(verdict("fail"),))))
    _shows_no_controls(text)
    assert "crash\\nStatefulSet th/evil" in text


def test_json_keeps_its_value_and_shows_what_a_terminal_would_obey_as_escapes() -> None:
    value = {"name": "web-1\u202e\x85\x7f\u2028\u061c é", "n": 1}
    raw = orjson.dumps(value)
    text = safe_text.json_text(raw.decode())
    assert orjson.loads(text) == value
    assert orjson.loads(safe_text.json_bytes(raw)) == value
    assert safe_text.plain(text) == text
    assert "\\u202e" in text
    assert "\\u0085" in text
    assert "é" in text
    assert safe_text.json_bytes(raw).decode() == text
    plain_json = orjson.dumps({"a": "b"})
    assert safe_text.json_bytes(plain_json) is plain_json


def test_the_pages_scripts_escape_the_same_characters_as_the_terminal() -> None:
    """report.js and serve.js get their character class from safe_text: one list of what a
    reader must see escaped, checked here against every character `field` escapes."""
    obeyed = re.compile(f"[{safe_text.JS_CLASS}]")
    escaped = {chr(c) for c in range(0x3000) if safe_text.field(chr(c)) != chr(c)}
    matched = {chr(c) for c in range(0x3000) if obeyed.fullmatch(chr(c))}
    assert matched == escaped - {"\t", "\n", "\r"}
    for script in (timeline_html._assets().script, serve_pages._assets()[1]):
        assert "@OBEYED@" not in script
        assert f"const OBEYED = /[{safe_text.JS_CLASS}]/g;" in script
