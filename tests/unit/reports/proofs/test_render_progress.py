"""`stswatch verify` output tells each episode's progress and holds, and why a verdict is
inconclusive (a gap, the end of the recording, never recorded), in text, JSON and JUnit."""

import xml.etree.ElementTree as ET
from dataclasses import replace

import orjson

from stswatch.reports.proofs.render import render_json, render_junit, render_text
from tests.fixtures.episodes import RETENTION, episode, gap_ref, hold, result, verdict


def _halted() -> str:
    held = (hold("web-1", start=1.0, end=2.5), hold("web-2", start=3.0, end=None))
    return render_text(result(episode(holds=held, verdicts=(verdict("pass"),))))


def test_text_has_the_progress_line_and_every_hold() -> None:
    text = _halted()
    assert "  progress [halted]: scale-up halted within the recording" in text
    assert "held at web-1 (not Ready) for 1.5 s, until web-1 Ready [Running, not Ready]" in text
    assert "halted at web-2 (not Ready) for 3.0 s, still held when the" in text
    assert f"  PVC retention: {RETENTION}" in text
    hold_at = text.index("held at web-1")
    assert text.index("#7 rv 1007", hold_at) < text.index("halted at web-2")


def test_a_session_without_gaps_never_blames_a_gap() -> None:
    ended = verdict("inconclusive", proof="stable-network-identity", missing="recording-end")
    text = render_text(result(episode(verdicts=(ended,))))
    assert "gap" not in text.split("gaps: 0", 1)[1]
    assert "inconclusive: the end of the recording: it ended (or is still live)" in text
    assert "- the end of the recording" in text
    assert "never recorded" not in text


def test_each_inconclusive_cause_is_named_once_and_a_gap_by_number() -> None:
    verdicts = (
        verdict("inconclusive", missing="gap", gap=gap_ref(3)),
        verdict("inconclusive", proof="stable-storage", missing="not-recorded"),
        verdict("inconclusive", proof="stable-network-identity", missing="not-recorded"),
    )
    text = render_text(result(episode(verdicts=verdicts), gaps=(gap_ref(3),)))
    assert "overlaps recorded gap #3 (Pod changes may be missing: 410 Gone)" in text
    footer = text.split("totals:", 1)[1]
    assert footer.count("- never recorded") == 1
    assert footer.count("- a recorded gap") == 1
    assert "end of the recording" not in footer


def test_no_inconclusive_no_explanation() -> None:
    assert "inconclusive is not counted" not in _halted()


def test_json_carries_progress_holds_missing_and_retention() -> None:
    data = orjson.loads(
        render_json(
            result(
                episode(
                    holds=(hold(),), verdicts=(verdict("inconclusive", missing="recording-end"),)
                )
            )
        )
    )
    first = data["episodes"][0]
    assert first["progress"]["state"] == "halted"
    assert first["progress"]["holds"][0]["pod"] == "web-2"
    assert first["progress"]["holds"][0]["evidence"][0]["change_id"] == 7
    assert first["retention_policy"] == RETENTION
    assert first["verdicts"][0]["missing"] == "recording-end"


def test_junit_testcases_carry_progress_and_the_inconclusive_cause() -> None:
    verdicts = (verdict("fail"), verdict("inconclusive", proof="stable-storage", missing="gap"))
    xml = render_junit(result(episode(holds=(hold(),), verdicts=verdicts)))
    cases = {c.get("name"): c for c in ET.fromstring(xml).iter("testcase")}
    out = cases["ordered-ready-gating"].findtext("system-out") or ""
    assert "progress [halted]: scale-up halted within the recording" in out
    assert "at web-2 (not Ready" in out
    skipped = cases["stable-storage"].find("skipped")
    assert skipped is not None
    message = skipped.get("message", "")
    assert message.startswith("inconclusive: a recorded gap")


def test_recorded_control_characters_cannot_drive_a_terminal_or_break_junit() -> None:
    hostile = replace(hold(), detail="\x1b[2J\x07 cleared", released_by="web-2\rReady")
    verified = result(episode(holds=(hostile,), verdicts=(verdict("fail"),)))
    text = render_text(verified)
    assert "\x1b" not in text
    assert "\r" not in text
    assert "[\\x1b[2J\\x07 cleared]" in text
    xml = render_junit(verified)
    out = ET.fromstring(xml).find(".//testcase/system-out")  # well-formed: it parses
    assert out is not None
    assert "\\x1b[2J\\x07 cleared" in (out.text or "")


def test_retention_is_said_once_per_statefulset_until_it_changes() -> None:
    text = render_text(
        result(episode(1), episode(2, kind="scale-down"), episode(3, statefulset="db"))
    )
    assert text.count(f"PVC retention: {RETENTION}") == 2  # web's first episode, db's
