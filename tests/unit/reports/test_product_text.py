"""What users read cites sources they can open: no internal note numbers in the rendering side.

The controller's function names, Kubernetes documentation pages, KEPs and this repository's
`docs/` are citable; internal notes ("Q3", "STATEFULSET.md") are not.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
READING = ROOT / "reports" / "stswatch" / "reports"
RENDERING = sorted(
    [
        *READING.joinpath("timeline", "templates").iterdir(),
        *READING.joinpath("timeline").glob("*.py"),
        *(READING / "proofs" / name for name in ("render.py", "explain.py")),
        *ROOT.joinpath("docs").glob("*.md"),
        ROOT / "README.md",
    ]
)
_INTERNAL = re.compile(r"\bQ\d{1,2}\b|STATEFULSET\.md|/work/shared|\.\./shared")


@pytest.mark.parametrize("path", RENDERING, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_internal_note_references(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _INTERNAL.findall(text) == []


def test_the_controller_page_cites_public_sources() -> None:
    text = (ROOT / "docs" / "controller.md").read_text(encoding="utf-8")
    for cited in (
        "https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/",
        "processReplica",
        "processCondemned",
        "updateStatefulSet",
        "keps/sig-apps/1847-autoremove-statefulset-pvcs",
        "publishNotReadyAddresses",
        "targetRef",
    ):
        assert cited in text
