"""The HTML report is one self-contained, safe file: CSP by hash, escaped strings, bounded size."""

import base64
import gzip
import hashlib
import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stswatch.reports.analysis import analyse
from stswatch.reports.timeline.html import json_texts, render_report, report_json, script_json
from tests.browser.sessions import HOSTILE, hostile_pod_event, lab_session, write_session
from tests.fixtures.builder import ClusterBuilder

_DATA_BLOCK = re.compile(
    r'<script type="application/json" id="stswatch-data">(.*?)</script>', re.DOTALL
)


def _report(tmp_path: Path, *, hostile: bool = False) -> str:
    b = ClusterBuilder()
    lab_session(b, hostile=hostile)
    if hostile:
        hostile_pod_event(b)
    write_session(b, tmp_path / "s.db", session="lab")
    return render_report(analyse(tmp_path / "s.db", "lab").timeline())


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_csp_admits_exactly_the_inline_script_and_style(tmp_path: Path) -> None:
    html = _report(tmp_path)
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert csp is not None
    assert html.index("Content-Security-Policy") < html.index("<style>")
    policy = dict(part.split(" ", 1) for part in unescape(csp[1]).split("; "))
    assert policy["default-src"] == "'none'"
    assert policy["img-src"] == "data:"
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert style is not None
    assert len(scripts) == 1
    assert policy["style-src"] == f"'sha256-{_sha256(style[1])}'"
    assert policy["script-src"] == f"'sha256-{_sha256(scripts[0])}'"


def test_nothing_outside_is_referenced(tmp_path: Path) -> None:
    html = _report(tmp_path)
    assert not re.search(r"(?i)(src|href)\s*=\s*[\"']?(https?:|//)", html)
    assert "@import" not in html
    assert set(re.findall(r"url\(([^)]*)\)", html)) <= {"#hatch0"}
    assert "style=" not in html  # a style attribute would be refused by the CSP


def test_inspector_data_is_json_that_cannot_close_its_block(tmp_path: Path) -> None:
    html = _report(tmp_path, hostile=True)
    block = _DATA_BLOCK.search(html)
    assert block is not None
    assert "<" not in block[1]
    assert ">" not in block[1]
    data = orjson.loads(block[1])
    changes = data["timelines"][0]["changes"]
    details = [orjson.loads(text) for text in changes["detail"]]
    assert len(details) == len(changes["id"]) == len(changes["t"]) == len(changes["lane"])
    assert len(details) == len(changes["obj"]) == len(changes["ev"]) == len(changes["rv"])
    messages = [d for d in details if isinstance(d, dict)]  # the whole object: a first change
    assert any(HOSTILE[0] in (m.get("message") or "") for m in messages)


def test_script_json_escapes_markup_and_line_separators() -> None:
    text = str(script_json({"k": "</script><!-- & ' \u2028"}))
    assert text == '{"k":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u0027 \\u2028"}'
    assert orjson.loads(text) == {"k": "</script><!-- & ' \u2028"}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_recorded_strings_are_escaped_in_markup(tmp_path: Path, hostile: str) -> None:
    html = _report(tmp_path, hostile=True)
    assert hostile not in html
    assert html.count("<script") == 2
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _sized(tmp_path: Path, *, pods: int, step_ms: int) -> tuple[int, int, int]:
    """The report's size, its size with the drawing alone (no episodes, verdicts), its holds."""
    b = ClusterBuilder(step_ms=step_ms)
    b.statefulset("redis", replicas=pods, service="redis-headless")
    for ordinal in range(pods):
        b.bring_up("redis", ordinal)
    path = tmp_path / f"{pods}-{step_ms}.db"
    write_session(b, path)
    timeline = analyse(path, "s1").timeline()
    drawing = replace(timeline, episodes=(), verdicts=None, latencies=())
    holds = sum(len(band.holds) for band in timeline.episodes)
    return len(render_report(timeline).encode()), len(render_report(drawing).encode()), holds


def test_size_is_bounded_by_the_data_not_the_duration(tmp_path: Path) -> None:
    short, short_drawing, _ = _sized(tmp_path, pods=10, step_ms=100)
    long, long_drawing, long_holds = _sized(tmp_path, pods=10, step_ms=60_000)  # 600 times longer
    assert long_drawing < short_drawing * 1.1  # same changes: the drawing does not grow
    # Stretched 600 times, a pod's start (3 minutes) can be a notable hold, which the report
    # tells in the verdicts and among the episode's holds: a bounded cost per hold.
    assert long - short < short * 0.02 + 1_500 * long_holds
    four_times, _, _ = _sized(tmp_path, pods=40, step_ms=100)
    assert four_times < short * 4.5


def test_large_data_is_gzipped_inside_the_json_block() -> None:
    data = {"timelines": [{"changes": {"1": {"message": "</script>" * 100}}}]}
    packed = orjson.loads(str(script_json(data, limit=100)))
    assert set(packed) == {"gzip"}
    assert orjson.loads(gzip.decompress(base64.b64decode(packed["gzip"]))) == data
    assert orjson.loads(str(script_json(data, limit=10**6))) == data


def test_large_report_data_is_gzipped_as_a_line_per_change() -> None:
    texts = [[orjson.dumps([["~", "a", 1, 2]]), orjson.dumps({"m": "</script>\u2028\n"})], [b"[]"]]
    data = {
        "timelines": [
            {"changes": {"id": list(range(len(lines))), "detail": list(lines)}} for lines in texts
        ]
    }
    packed = orjson.loads(str(report_json(data, limit=0)))
    assert set(packed) == {"gzip", "lines"}
    first, *lines = gzip.decompress(base64.b64decode(packed["gzip"])).split(b"\n")
    assert orjson.loads(first) == {
        "timelines": [{"changes": {"id": [0, 1]}}, {"changes": {"id": [0]}}]
    }
    assert lines == [t for group in texts for t in group]  # timeline after timeline


def test_small_report_data_is_plain_json_with_a_string_per_change() -> None:
    data = {"timelines": [{"changes": {"id": [7], "detail": [orjson.dumps({"m": "<b>"})]}}]}
    plain = orjson.loads(str(report_json(data)))
    assert plain == {"timelines": [{"changes": {"id": [7], "detail": ['{"m":"<b>"}']}}]}


# JSON values as a recording holds them, the one-dump separator's string among them.
_SEPARATOR = "\x00stswatch\x00"
_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False),
    st.sampled_from([_SEPARATOR, "", ",", '"', "\\u0000"]), st.text(max_size=8),
)  # fmt: skip
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)
_CONTAINERS = st.lists(_VALUES, max_size=4) | st.dictionaries(
    st.sampled_from([_SEPARATOR, "a", "b"]), _VALUES
)


@given(st.lists(_CONTAINERS, max_size=6))
def test_json_texts_are_each_values_own_dump(values: list[object]) -> None:
    # One dump of them all, split: the same bytes as a dump of each, even where a recorded string
    # is the separator's.
    assert json_texts(values) == [orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS) for v in values]
