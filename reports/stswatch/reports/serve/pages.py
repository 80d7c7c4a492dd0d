"""The pages `serve` draws around the report: the store's sessions, and a session followed live.

The report itself is `stswatch.reports.timeline.html.render_report`, unchanged; a session's page
frames it and follows the recording (server-sent events), drawing the report anew when it
changed. These two pages are Jinja templates with autoescaping, their one stylesheet and script
admitted by hash in a Content-Security-Policy as strict as the report's, plus `connect-src
'self'` (the events and the JSON API) and `frame-src 'self'` (the report).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from stswatch.reports.timeline.html import inline_only_csp, printable, script_json
from stswatch.safe_text import JS_CLASS


@cache
def _assets() -> tuple[str, str]:
    """The one stylesheet and script of these pages."""
    folder = resources.files("stswatch.reports.serve").joinpath("templates")
    return (
        folder.joinpath("serve.css").read_text(encoding="utf-8"),
        folder.joinpath("serve.js").read_text(encoding="utf-8").replace("@OBEYED@", JS_CLASS),
    )


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("stswatch.reports.serve", "templates"),
    autoescape=True,
    finalize=printable,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Page:
    """A rendered page and the Content-Security-Policy it needs (also sent as a header)."""

    html: str
    csp: str


def render(template: str, *, data: Mapping[str, Any], **context: Any) -> Page:
    """`template` with the inline assets and `data` for the script (JSON, escaped for HTML)."""
    style, script = _assets()
    csp = inline_only_csp(
        style=style,
        script=script,
        form_action="'self'",  # the window form
        also=("connect-src 'self'", "frame-src 'self'"),
    )
    html = _ENV.get_template(template).render(
        csp=csp,
        style=Markup(style),
        script=Markup(script),
        data=script_json(dict(data)),
        **context,
    )
    # frame-ancestors counts only in a header (a <meta> policy may not carry it).
    return Page(html, f"{csp}; frame-ancestors 'none'")
