"""What status and doctor print cites sources a user can open, never internal notes."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
TEXTS = sorted(
    [
        *ROOT.joinpath("reports", "stswatch", "reports", "live").glob("*.py"),
        ROOT / "watcher" / "stswatch" / "set_reader.py",
        ROOT / "watcher" / "stswatch" / "cli" / "checker.py",
        ROOT / "docs" / "doctor-samples.txt",
    ]
)
_INTERNAL = re.compile(r"\bQ\d{1,2}\b|STATEFULSET\.md|SEED\.md|/work/shared|\.\./shared")


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_internal_note_references(path: Path) -> None:
    assert _INTERNAL.findall(path.read_text(encoding="utf-8")) == []
