"""Render timelines as one self-contained HTML file: inline SVG, CSS and script, nothing loaded.

Safety: every string from the cluster goes through Jinja's autoescaping; the click-to-inspect data
is embedded as JSON with `<`, `>`, `&` and the JavaScript line separators escaped, so no recorded
text can close the data block or start markup; a Content-Security-Policy allows only the one
inline script and stylesheet (by their SHA-256 hashes) and `data:` images, so even a bug in
escaping could not load or run anything else.
"""

import base64
import gzip
import hashlib
import zlib
from collections.abc import Sequence, Set
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

import jinja2
import orjson
from markupsafe import Markup

from stswatch.reports.proofs.explain import INCONCLUSIVE_LEAD, present_causes
from stswatch.reports.recording import no_cyclic_gc
from stswatch.reports.timeline.compare import Comparison
from stswatch.reports.timeline.layout import CHART_LANE, Drawing, layout
from stswatch.reports.timeline.model import STATE_LABELS, ChangeViews, Timeline
from stswatch.reports.timeline.virtual import lane_data
from stswatch.safe_text import JS_CLASS, plain

INLINE_JSON_LIMIT = 2_000_000
T = TypeVar("T")
_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("'"): "\\u0027",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


@dataclass(frozen=True)
class _Assets:
    """The inline stylesheet and script, and the CSP that admits exactly them."""

    style: str
    script: str

    @property
    def csp(self) -> str:
        return inline_only_csp(style=self.style, script=self.script)


def inline_only_csp(
    *, style: str, script: str, form_action: str = "'none'", also: tuple[str, ...] = ()
) -> str:
    """A Content-Security-Policy admitting only this inline stylesheet and script (by hash) and
    `data:` images, plus the directives in `also` (`stswatch serve`'s pages add their own origin
    for the events and the framed report)."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src '{_sha256(script)}'",
            f"style-src '{_sha256(style)}'",
            "img-src data:",
            *also,
            "base-uri 'none'",
            f"form-action {form_action}",
        )
    )


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def script_json(data: Any, *, limit: int | None = None) -> Markup:
    """JSON safe to place inside a <script type="application/json"> element.

    Above `limit` bytes the JSON is gzipped and base64-encoded inside a {"gzip": ...} wrapper
    (the script inflates it with the browser's own DecompressionStream): a 1,000-pod session's
    changes shrink about tenfold, and small reports stay plain, readable JSON. Level 1: at
    10,000 pods (117 MB of JSON) level 6 took 1.27 s for 7.8 MB, level 1 0.50 s for 11.6 MB
    (the file 14.0 MB at level 5, 17.9 MB at level 1; Chromium loaded both in the same time).
    """
    raw = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    if len(raw) > (INLINE_JSON_LIMIT if limit is None else limit):
        packed = base64.b64encode(gzip.compress(raw, compresslevel=1, mtime=0))
        raw = orjson.dumps({"gzip": packed.decode("ascii")})
    return Markup(raw.decode("utf-8").translate(_JSON_ESCAPES))


def report_json(data: dict[str, Any], *, limit: int | None = None) -> Markup:
    """The inspector data (`inspector_data`) for its <script type="application/json"> block.

    Small, it is `script_json`'s plain JSON, each change's JSON text a string in it. Above
    `limit` bytes it is gzipped as lines: the data without those texts, then one line per change
    (timeline after timeline), each change's JSON text as it is (a JSON string of each would
    escape every quote of it, and Chromium parse 200,000 strings at once); the script splits the
    lines and parses one when it is shown. JSON text holds no raw newline.
    """
    details = [JsonTexts.held(tl["changes"].pop("detail")) for tl in data["timelines"]]
    raw = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    if len(raw) + sum(texts.size for texts in details) <= (
        INLINE_JSON_LIMIT if limit is None else limit
    ):
        for tl, texts in zip(data["timelines"], details, strict=True):
            tl["changes"]["detail"] = [t.decode() for t in texts.each()]
        return script_json(data, limit=limit)
    # Gzipped as `gzip.compress(lines, compresslevel=1, mtime=0)` would (zlib's gzip wrapper),
    # fed piece by piece: the lines are never copied into one.
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [packer.compress(raw)]
    for texts in details:
        if len(texts):
            parts += (packer.compress(b"\n"), packer.compress(texts.joined(b"\n")))
    packed = b"".join([*parts, packer.flush()])
    wrapped = orjson.dumps({"gzip": base64.b64encode(packed).decode("ascii"), "lines": True})
    return Markup(wrapped.decode("ascii"))  # base64: nothing in it to escape


def printable(value: object) -> object:
    """A string from the cluster or a store with its controls shown escaped, as on a terminal:
    a title or tooltip cannot carry ESC sequences or reverse its text (U+202E); markup the
    renderer built itself is left as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return plain(value)
    return value


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("stswatch.reports.timeline", "templates"),
        autoescape=True,
        finalize=printable,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_ENV = _environment()
_ENV.globals.update(
    STATE_LABELS=STATE_LABELS,
    CHART_LANE=CHART_LANE,
    MAX_EVIDENCE_LISTED=60,
    INCONCLUSIVE_LEAD=INCONCLUSIVE_LEAD,
    present_causes=present_causes,
    OUTCOME_LABELS={"pass": "pass", "fail": "fail", "n-a": "n/a", "inconclusive": "inconclusive"},
    # Python, not filters, for what counts or lists every lane or every piece of evidence: a
    # verdict of a 10,000-pod session cites 100,000 changes.
    evidence_ids=lambda evidence: " ".join(map(str, evidence.change_ids)),
    lanes_of_kind=lambda timeline, kind: sum(1 for lane in timeline.lanes if lane.kind == kind),
    SERIES_LEGEND=(
        ("spec.replicas", "sr-desired", "spec.replicas"),
        ("status.replicas", "sr-replicas", "status.replicas"),
        ("status.readyReplicas", "sr-ready", "readyReplicas"),
    ),
)


def _assets() -> _Assets:
    folder = resources.files("stswatch.reports.timeline").joinpath("templates")
    return _Assets(
        style=folder.joinpath("report.css").read_text(encoding="utf-8"),
        script=folder.joinpath("report.js")
        .read_text(encoding="utf-8")
        .replace("@OBEYED@", JS_CLASS),
    )


def inspector_data(drawings: Sequence[Drawing]) -> dict[str, Any]:
    """What the script needs to show a clicked moment: changes, lane moments and each scale."""
    return {"timelines": [_timeline_data(d) for d in drawings]}


def _timeline_data(drawing: Drawing) -> dict[str, Any]:
    timeline, chart = drawing.timeline, drawing.chart
    rows = {r.lane.key: [r.y, r.height] for r in drawing.rows}
    # The virtualised lanes' moments are found by the script from the changes themselves.
    moments = {} if drawing.virtual else {lane.key: lane.moments for lane in timeline.lanes}
    on_chart: set[int] = set()
    if chart is not None:
        rows[CHART_LANE] = [chart.y, chart.height]
        moments[CHART_LANE] = chart.moments
        on_chart = {change_id for _, change_id in chart.moments}
    found = {
        "session": timeline.session,
        "scale": {
            "left": drawing.scale.left,
            "width": drawing.scale.width,
            "tMin": drawing.scale.t_min,
            "pxPerS": drawing.scale.px_per_s,
            "offset": drawing.offset,
        },
        "rows": rows,
        "plot": [drawing.plot_top, drawing.plot_bottom],
        "moments": moments,
        "changes": change_columns(timeline.changes, on_chart=on_chart),
    }
    if drawing.virtual:
        holds = tuple(h for band in timeline.episodes for h in band.holds)
        found["virtual"] = lane_data(timeline, holds)
    return found


def change_columns(changes: ChangeViews, *, on_chart: Set[int]) -> dict[str, Any]:
    """The changes as columns: what the page needs at once (id, time, lane, object, event), and
    each change's diff (or, the first of its object, the whole object) as its own JSON text
    (bytes here: `report_json` places them), which the script parses only when it is shown.
    A change drawn on the counts chart (`on_chart`, ids) is on its lane.

    200,000 changes as objects with their diffs took Chromium seconds to parse; numbers in
    arrays and one string per change take a fraction of that. What repeats is said once: each
    object's kind, namespace, name and uid in `objects`, the event types and how a change was
    seen in `words`. The script finds each change's previous one (the same kind and uid's last
    change before it, none after a DELETED: `changes.diffed`'s rule), which its diff is from.
    """
    ids, column = changes.column("id"), changes.column
    lanes: dict[str | None, int] = {None: -1}
    objects: dict[tuple[str, str | None, str, str], int] = {}
    words: dict[str, int] = {}
    drawn = column("lane")
    if on_chart:
        drawn = [CHART_LANE if i in on_chart else lane for i, lane in zip(ids, drawn, strict=True)]
    return {
        "id": list(ids),
        "t": list(column("t")),
        "lane": _numbered(drawn, lanes, first=-1),
        "lanes": [lane for lane in lanes if lane is not None],
        "obj": [
            objects.setdefault(key, len(objects))  # a tuple caches no hash: one lookup, not two
            for key in zip(
                column("kind"), column("namespace"), column("name"), column("uid"), strict=True
            )
        ],
        "objects": list(objects),
        "ev": _numbered(column("event"), words),
        "seen": _numbered(column("observed"), words),
        "words": list(words),
        "rv": list(column("resource_version")),
        "detail": JsonTexts(
            [
                obj if diff is None else diff
                for diff, obj in zip(column("diff"), column("object"), strict=True)
            ]
        ),
    }


def _numbered(values: Sequence[T], numbers: dict[T, int], *, first: int = 0) -> list[int]:
    """Each value's number in `numbers`, a value not in it numbered next (`first` + how many
    it holds), in the order values first appear: one lookup a value, no call."""
    for value in dict.fromkeys(values):
        if value not in numbers:
            numbers[value] = first + len(numbers)
    return list(map(numbers.__getitem__, values))


# Between two values in `json_texts`' one dump: a string no value holds (a value that does is
# found by counting, and the values are then dumped one by one).
_SEPARATOR = "\x00stswatch\x00"
_SEPARATOR_JSON = b',"\\u0000stswatch\\u0000",'


def json_texts(values: Sequence[Any]) -> list[bytes]:
    """Each value's JSON text (`orjson.dumps`)."""
    return JsonTexts(values).each()


class JsonTexts:
    """Values' JSON texts (`orjson.dumps` of each), made in one dump of them all: 200,000 calls
    cost twice the dump itself. They are held as that dump, the separator between them, and
    joined by replacing it (`joined`) or cut apart only when asked (`each`).

    Each value is a JSON array or object, so the separator (`,"<the string>",`) can only occur
    inside one as that string's own text, which counting finds (the values are then dumped one
    by one).
    """

    __slots__ = ("_count", "_each", "_whole")

    def __init__(self, values: Sequence[Any]) -> None:
        self._count = len(values)
        self._each: list[bytes] | None = None
        between: list[Any] = [_SEPARATOR] * (2 * len(values) - 1) if values else []
        between[::2] = values
        # The dump with its brackets: slicing them off copies it (70 MB at 10,000 pods).
        whole = orjson.dumps(between, option=orjson.OPT_NON_STR_KEYS)
        self._whole = whole
        if whole.count(_SEPARATOR_JSON) != max(len(values) - 1, 0):
            self._each = [orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS) for value in values]

    @classmethod
    def held(cls, texts: "Sequence[bytes] | JsonTexts") -> "JsonTexts":
        """`texts` as JsonTexts: as they are, or (JSON texts already made) holding them."""
        if isinstance(texts, JsonTexts):
            return texts
        found = cls([])
        found._count, found._each = len(texts), list(texts)
        return found

    def __len__(self) -> int:
        return self._count

    @property
    def size(self) -> int:
        """The texts' bytes, all together."""
        if self._each is not None:
            return sum(map(len, self._each))
        return len(self._whole) - 2 - max(self._count - 1, 0) * len(_SEPARATOR_JSON)

    def each(self) -> list[bytes]:
        """Each value's JSON text, in order."""
        if self._each is not None:
            return self._each
        return self._whole[1:-1].split(_SEPARATOR_JSON) if self._count else []

    def joined(self, between: bytes) -> memoryview:
        """The texts in order, `between` between each two (a view: not copied once more)."""
        if self._each is not None:
            return memoryview(between.join(self._each))
        return memoryview(self._whole.replace(_SEPARATOR_JSON, between))[1:-1]


def render_page(
    template: str, *, drawings: Sequence[Drawing], json_limit: int | None = None, **context: Any
) -> str:
    """Render `template` with the inline assets, their CSP and the inspector data."""
    assets = _assets()
    with no_cyclic_gc():  # the inspector data is a million small containers at 10,000 pods
        return _ENV.get_template(template).render(
            csp=assets.csp,
            # Our own files, admitted by their CSP hashes; never anything recorded.
            style=Markup(assets.style),
            script=Markup(assets.script),
            data=report_json(inspector_data(drawings), limit=json_limit),
            drawings=drawings,
            **context,
        )


def render_report(timeline: Timeline, *, json_limit: int | None = None) -> str:
    """One session's report: the timeline, the verdicts beside it, the latency table."""
    with no_cyclic_gc():
        drawing = layout(timeline)
        return render_page(
            "report.html.j2",
            drawings=(drawing,),
            json_limit=json_limit,
            timeline=timeline,
            drawing=drawing,
        )


def render_comparison(comparison: Comparison) -> str:
    """Two sessions on one time scale, one above the other, figures and verdicts side by side."""
    return render_page(
        "compare.html.j2",
        drawings=(comparison.a, comparison.b),
        comparison=comparison,
        a=comparison.a.timeline,
        b=comparison.b.timeline,
        fa=comparison.figures_a,
        fb=comparison.figures_b,
    )
