"""Cluster and store text made safe to print: a string someone else chose must not drive a terminal.

Whoever can create an Event in a namespace, set a container's termination message or name a
session in a shared store chooses those bytes. Printed raw, `ESC[2J` clears the screen, OSC 0
sets the window title, OSC 8 plants a hyperlink, U+202E reverses the text after it, and a line
feed inside a field forges a line of its own ("StatefulSet x/y: healthy, no findings"). Every
text renderer passes such text through here: each C0 and C1 control and DEL, the Unicode line
and paragraph separators and the bidirectional controls (U+202A–E, U+2066–9, and the marks
U+200E, U+200F, U+061C) are shown escaped (`\\x1b`, `\\n`, `\\u202e`), so the reader sees what
was sent. It also keeps JUnit XML well-formed (XML 1.0 admits no other control characters, and
ElementTree does not escape them). JSON escapes C0 controls itself; `json_text` and `json_bytes`
write the rest (DEL, C1, the separators and bidirectional controls) as `\\u` escapes, which a
JSON reader turns back into the same characters: the document stays exact.
"""

import re
from collections.abc import Iterable

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_ESCAPES: dict[int, str] = {
    **{c: f"\\x{c:02x}" for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))},
    **{c: f"\\u{c:04x}" for c in (*_BIDI, 0x2028, 0x2029)},
    **{ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"},
}
_FIELD = str.maketrans(_ESCAPES)
# The same characters as a JavaScript RegExp character class, for the pages' scripts (report.js,
# serve.js place recorded text with textContent, showing these as \u escapes); tab, line feed and
# carriage return excepted: textContent shows them as white space.
JS_CLASS = "".join(f"\\u{c:04x}" for c in sorted(_ESCAPES) if c not in (0x09, 0x0A, 0x0D))
_LINES = str.maketrans({c: e for c, e in _ESCAPES.items() if c != 0x0A})


def field(text: str) -> str:
    """`text` as one field on one line: every control (line feeds too) shown escaped."""
    return text.translate(_FIELD)


def plain(text: str) -> str:
    """`text` whose line feeds are the renderer's own: every other control shown escaped."""
    return text.translate(_LINES)


def lines(rows: Iterable[str]) -> str:
    """One printed line per row, each a `field`, ending in a line feed (empty when no rows)."""
    return "".join(f"{field(row)}\n" for row in rows)


# The characters JSON leaves raw (it escapes only U+0000-U+001F, `"` and `\\`) that a terminal
# obeys, found in a JSON text's strings only: outside them a JSON text is ASCII punctuation,
# digits and literals.
_JSON_RAW = (0x7F, *range(0x80, 0xA0), *_BIDI, 0x2028, 0x2029)
_JSON_TEXT = re.compile("|".join(re.escape(chr(c)) for c in _JSON_RAW))
_JSON_BYTES = re.compile(b"|".join(re.escape(chr(c).encode("utf-8")) for c in _JSON_RAW))


def json_text(text: str) -> str:
    """A JSON text with DEL, C1, the line and paragraph separators and the bidirectional
    controls inside its strings written as `\\u` escapes (the same JSON value)."""
    if _JSON_TEXT.search(text) is None:
        return text
    return _JSON_TEXT.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def json_bytes(raw: bytes) -> bytes:
    """`json_text` for UTF-8 JSON bytes (orjson's output)."""
    if _JSON_BYTES.search(raw) is None:
        return raw
    return _JSON_BYTES.sub(lambda m: f"\\u{ord(m[0].decode('utf-8')):04x}".encode("ascii"), raw)
