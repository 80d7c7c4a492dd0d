"""Labels on a character row that never overlap: extra rows, then a short form, never garbled.

The text timeline marks where each episode starts with `^` and its name. Episodes often start
close together (a pod recreated during a scale-up), and a label written over another reads as
nonsense ("^scale-upeated"), so each label goes on the first row where it has room, with one
blank column either side; past `max_rows` rows only its short form (the episode's number, which
the episode list below the timeline spells out) is placed, on a new row if need be. Near the right
edge a label is turned around so it ends at its caret (`scale-down^`).
"""

from collections.abc import Iterable

Cells = list[str]


def label_rows(
    marks: Iterable[tuple[int, str, str]], *, width: int, max_rows: int = 3
) -> list[str]:
    """Rows of labels for `(column, label, short label)` marks, each at most `width` wide."""
    rows: list[Cells] = []
    for col, label, short in marks:
        if not _place(rows, _fit(col, label, width), width=width, max_rows=max_rows):
            _place(rows, _fit(col, short, width), width=width, max_rows=None)
    return ["".join(row).rstrip() for row in rows]


def _fit(col: int, label: str, width: int) -> tuple[int, str]:
    """Where `label` goes: `^label` from `col`, else `label^` ending at it, else cut to fit."""
    forward = f"^{label}"
    if col + len(forward) <= width:
        return col, forward
    backward = f"{label}^"
    if col + 1 >= len(backward):
        return col + 1 - len(backward), backward
    room = width - col  # the label is longer than the row on both sides of its caret
    return col, forward[: room - 1] + "…" if room > 1 else "^"


def _place(rows: list[Cells], at: tuple[int, str], *, width: int, max_rows: int | None) -> bool:
    """Write the text on the first row with room (a new one while allowed); False if none."""
    start, text = at
    for row in rows:
        if all(cell == " " for cell in row[max(start - 1, 0) : start + len(text) + 1]):
            row[start : start + len(text)] = text
            return True
    if max_rows is not None and len(rows) >= max_rows:
        return False
    rows.append([" "] * width)
    rows[-1][start : start + len(text)] = text
    return True
