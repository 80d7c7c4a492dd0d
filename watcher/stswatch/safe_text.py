"""Recorded text made safe to print: a string from the cluster must not drive a terminal.

Event messages, reasons and annotations can hold escape sequences; each control character
(other than a line break) becomes "?", which also keeps JUnit XML well-formed (XML 1.0 admits no
control characters but tab and line breaks, and ElementTree does not escape them).
"""

_CONTROLS = dict.fromkeys((*range(0x00, 0x0A), *range(0x0B, 0x20), *range(0x7F, 0xA0)), "?")


def plain(text: str) -> str:
    """`text` with every control character but the line feed replaced by "?"."""
    return text.translate(_CONTROLS)
