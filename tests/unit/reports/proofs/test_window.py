"""A verdict whose episode straddles a window's edge is inconclusive (the window), never fail."""

from pathlib import Path

from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.render import render_text
from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.window import Moment, WindowRequest
from tests.fixtures.verdicts import verdict_of, web_set


def _out_of_order(path: Path) -> tuple[int, int]:
    """A scale-up 0→3 that creates web-2 before web-1 (ordinal creation fails); returns the
    moments just after web-0 is Ready and just after web-2 is."""
    b = web_set(replicas=3)
    b.bring_up("web", 0)
    b.tick(1000)
    after_first = b.now_ns
    b.bring_up("web", 2)
    b.tick(1000)
    after_second = b.now_ns
    b.bring_up("web", 1)
    b.stop(after_ms=10_000)
    b.write(path)
    return after_first, after_second


def _window(path: Path, **bounds: int) -> VerifyResult:
    request = WindowRequest(**{k: Moment(k, wall_ns=v) for k, v in bounds.items()})
    return analyse(path, "s1", window=request).result


def test_an_episode_begun_before_the_window_is_inconclusive_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    since, _ = _out_of_order(path)
    assert verdict_of(analyse(path, "s1").result, "ordinal-creation", "scale-up").outcome == "fail"
    result = _window(path, since=since)
    verdict = verdict_of(result, "ordinal-creation", "scale-up")
    assert verdict.outcome == "inconclusive"
    assert verdict.missing == "window"
    assert "began before the window" in verdict.reason
    assert "the window alone shows fail" in verdict.reason
    assert result.count("fail") == 0


def test_an_episode_still_open_at_until_is_inconclusive_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _, until = _out_of_order(path)
    result = _window(path, until=until)
    verdict = verdict_of(result, "ordinal-creation", "scale-up")
    assert verdict.outcome == "inconclusive"
    assert verdict.missing == "window"
    assert "still open" in verdict.reason
    assert "--until" in verdict.reason
    assert result.count("fail") == 0


def test_an_episode_inside_the_window_is_decided_as_without_it(tmp_path: Path) -> None:
    b = web_set(replicas=2)
    for ordinal in range(2):
        b.bring_up("web", ordinal)
    b.tick(60_000)
    since = b.now_ns
    b.set_spec("web", replicas=4)
    b.bring_up("web", 3)  # out of order: fails
    b.bring_up("web", 2)
    b.set_status("web", replicas=4, readyReplicas=4, observedGeneration=2)
    b.tick(60_000)
    until = b.now_ns
    b.set_spec("web", replicas=5)
    b.bring_up("web", 4)
    b.write(tmp_path / "s.db")
    whole = verdict_of(analyse(tmp_path / "s.db", "s1").result, "ordinal-creation", "scale-up", 1)
    result = _window(tmp_path / "s.db", since=since, until=until)
    inside = verdict_of(result, "ordinal-creation", "scale-up", 1)
    assert inside == whole
    assert inside.outcome == "fail"


def test_the_verification_names_the_window_it_read(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    since, until = _out_of_order(path)
    result = _window(path, since=since, until=until)
    assert result.window is not None
    assert (result.window.since_wall_ns, result.window.until_wall_ns) == (since, until)
    header = render_text(result).splitlines()[1]
    assert header.startswith("window: 20")
    assert " – 20" in header
    assert result.to_dict()["window"] == {"since_wall_ns": since, "until_wall_ns": until}
    assert analyse(path, "s1").result.window is None
    assert "window:" not in render_text(analyse(path, "s1").result)
