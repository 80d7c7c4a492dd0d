"""The HTML report shows each episode's progress and holds, the retention policy, and why each
inconclusive verdict is inconclusive; every cluster string in them stays escaped."""

import re
from pathlib import Path

from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.timeline.compare import compare
from stswatch.reports.timeline.html import render_comparison, render_report
from tests.fixtures.episodes import (
    HOSTILE_POD,
    RETENTION,
    episode,
    gap_ref,
    hold,
    recorded_timeline,
    result,
    verdict,
)


def _html(tmp_path: Path, verified: VerifyResult) -> str:
    return render_report(recorded_timeline(tmp_path / "s.db", verified))


def _halted(tmp_path: Path) -> str:
    held = (hold("web-1", start=1.0, end=2.5), hold(HOSTILE_POD, start=3.0, end=None))
    ended = verdict("inconclusive", proof="stable-storage", missing="recording-end")
    return _html(tmp_path, result(episode(holds=held, verdicts=(verdict("pass"), ended))))


def test_header_shows_retention_beside_pod_management(tmp_path: Path) -> None:
    html = _halted(tmp_path)
    assert (
        "<dt>podManagementPolicy</dt><dd>OrderedReady</dd>\n"
        f"<dt>PVC retention</dt><dd>{RETENTION}</dd>"
    ) in html


def test_held_stretches_are_drawn_with_a_title_and_a_legend_key(tmp_path: Path) -> None:
    html = _halted(tmp_path)
    tabs = re.findall(r'<rect class="held-tab"[^>]*><title>([^<]*)</title>', html)
    tab_x = re.findall(r'<rect class="held-tab" x="([0-9.]+)"', html)[0]
    assert tabs[0] == (
        "held at web-1 (not Ready) for 1.5 s, until web-1 Ready [Running, not Ready] "
        "(1.00s → 2.50s)"
    )
    assert 'fill="url(#held0)" data-c="7"' in html
    assert '<pattern id="held0"' in html
    outline = re.search(r'<path class="held-lane" d="(M[0-9. ]+h[0-9.]+v[0-9.]+h-[0-9.]+z)"', html)
    assert outline is not None  # web-1's lane is outlined; the hostile pod has no lane
    assert outline[1].startswith(f"M{tab_x} ")
    assert "held: the controller waited on one pod</span>" in html
    assert set(re.findall(r"url\(([^)]*)\)", html)) == {"#held0"}  # nothing outside the file


def test_episode_panel_has_progress_and_holds(tmp_path: Path) -> None:
    html = _halted(tmp_path)
    panel = html.split('<section class="episodes"', 1)[1].split("</section>", 1)[0]
    assert '<span class="badge st-halted">halted</span> <span class="e-name">#1 scale-up' in panel
    assert '<p class="e-progress">scale-up halted within the recording</p>' in panel
    assert "still held when the episode ended" in panel
    assert 'data-ev="7">highlight</button>' in panel


def test_a_hostile_pod_name_is_escaped_everywhere(tmp_path: Path) -> None:
    html = _halted(tmp_path)
    assert HOSTILE_POD not in html
    assert "<img" not in html
    escaped = "at &lt;img src=x onerror=alert(1)&gt;&#34;-2 (not Ready"
    assert html.count(escaped) == 2  # the tab's title and the episode panel (no lane drawn)


def test_inconclusive_says_its_cause_and_lists_only_causes_present(tmp_path: Path) -> None:
    html = _halted(tmp_path)
    assert (
        '<p class="v-why">inconclusive: the end of the recording: it ended (or is still live)'
        in html
    )
    note = html.split('<div class="inconclusive-note">', 1)[1].split("</div>", 1)[0]
    assert "<li>the end of the recording" in note
    assert "gap" not in note
    assert "never recorded" not in note
    assert "recorded gap" not in html  # no gap in this session: no gap key, no gap blamed


def test_a_gap_is_named_when_it_is_the_cause(tmp_path: Path) -> None:
    gapped = verdict("inconclusive", missing="gap", gap=gap_ref(4))
    lost = verdict("inconclusive", proof="stable-storage", missing="not-recorded")
    html = _html(tmp_path, result(episode(verdicts=(gapped, lost))))
    assert "overlaps recorded gap #4 (Pod changes may be missing: 410 Gone)</p>" in html
    note = html.split('<div class="inconclusive-note">', 1)[1].split("</div>", 1)[0]
    assert note.count("<li>") == 2
    assert "<li>a recorded gap" in note
    assert "<li>never recorded" in note


def test_no_holds_no_held_key_and_no_inconclusive_note(tmp_path: Path) -> None:
    html = _html(tmp_path, result(episode(state="completed", verdicts=(verdict("pass"),))))
    assert "held: the controller" not in html
    assert 'class="held-tab"' not in html
    assert "inconclusive-note" not in html.split("</style>", 1)[1]
    assert '<span class="badge st-completed">completed</span>' in html


def test_comparison_draws_holds_and_each_sessions_causes(tmp_path: Path) -> None:
    lost = verdict("inconclusive", missing="not-recorded")
    held = recorded_timeline(tmp_path / "s.db", result(episode(holds=(hold(),), verdicts=(lost,))))
    html = render_comparison(compare(held, held))
    body = html.split("</style>", 1)[1]
    assert body.count('<rect class="held-tab"') == 2
    assert "held: the controller waited on one pod</span>" in body
    assert body.count("<li>never recorded: this session holds no change") == 2
    assert "recorded gap" not in body
