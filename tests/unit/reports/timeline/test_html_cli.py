"""`stswatch report` and `stswatch compare` from the command line."""

import re
import sqlite3
from pathlib import Path

import orjson
from click.testing import CliRunner

from stswatch import safe_text
from stswatch.cli import main
from tests.browser.sessions import lab_session, write_session
from tests.fixtures.builder import ClusterBuilder


def _store(tmp_path: Path, policy: str = "OrderedReady") -> Path:
    b = ClusterBuilder()
    lab_session(b, policy=policy)
    path = tmp_path / f"{policy}.db"
    write_session(b, path, session=policy.lower())
    return path


def test_report_writes_html_json_and_prints_text(tmp_path: Path) -> None:
    db = _store(tmp_path)
    runner = CliRunner()
    out = tmp_path / "r.html"
    result = runner.invoke(main, ["report", "orderedready", "--db", str(db), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    out_json = tmp_path / "r.json"
    result = runner.invoke(
        main, ["report", "orderedready", "--db", str(db), "--format", "json", "-o", str(out_json)]
    )
    assert result.exit_code == 0, result.output
    assert orjson.loads(out_json.read_bytes())["timeline"]["statefulset"] == "redis"
    result = runner.invoke(main, ["report", "orderedready", "--db", str(db), "--text"])
    assert result.exit_code == 0, result.output
    assert "redis-0 ×2" in result.output


def test_report_needs_an_output_and_a_known_session(tmp_path: Path) -> None:
    db = _store(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["report", "orderedready", "--db", str(db)])
    assert result.exit_code == 2
    assert "-o FILE" in result.output
    result = runner.invoke(main, ["report", "nope", "--db", str(db), "--text"])
    assert result.exit_code == 4
    assert "no session named 'nope'" in result.output


def test_compare_two_stores(tmp_path: Path) -> None:
    a = _store(tmp_path, "OrderedReady")
    b = _store(tmp_path, "Parallel")
    out = tmp_path / "c.html"
    result = CliRunner().invoke(
        main,
        ["compare", "orderedready", "parallel", "--db", str(a), "--db-b", str(b), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "orderedready" in html
    assert "parallel" in html


def test_the_html_shows_store_text_with_its_controls_escaped(tmp_path: Path) -> None:
    """An Event message and a session name with ESC, C1 and bidi controls reach the page's
    title and tooltips escaped, as on a terminal (the inspector's JSON block stays exact)."""
    db = _store(tmp_path)
    hostile = "X\x1b]0;owned\x07\u202eEVIL\x9b2J"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE change SET object = json_set(object, '$.message', ?) WHERE kind = 'Event'",
            (hostile,),
        )
        conn.execute("UPDATE session SET name = ?", ("orderedready" + hostile,))
    out = tmp_path / "r.html"
    argv = ["report", "orderedready" + hostile, "--db", str(db), "-o", str(out)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    page = re.sub(r"<script[^>]*>.*?</script>", "", out.read_text(), flags=re.S)
    assert safe_text.plain(page) == page
    assert "EVIL\\x9b2J" in page
