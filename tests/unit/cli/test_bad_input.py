"""Every command, driven with bad input, ends in its documented exit code with one clear line."""

from pathlib import Path

import pytest

from stswatch.errors import MEANINGS
from tests.unit.cli.bad_inputs import CASES, DOC, BadInput, Outcome, render, run_all


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[BadInput, Outcome]]:
    return run_all(tmp_path_factory.mktemp("bad-input"))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{c.command}: {c.what}" for c in CASES])
def test_bad_input_is_one_line_and_its_exit_code(
    outcomes: list[tuple[BadInput, Outcome]], index: int
) -> None:
    case, outcome = outcomes[index]
    assert outcome.exception is None, f"uncaught {outcome.exception!r}"
    assert outcome.code == case.code, (MEANINGS[case.code], outcome)
    assert outcome.lines == 1, outcome
    assert "Traceback" not in outcome.message


def test_the_bad_input_page_is_generated_from_these_cases(
    outcomes: list[tuple[BadInput, Outcome]],
) -> None:
    expected = render(outcomes)
    assert DOC.read_text() == expected, (
        "docs/bad-input.md is stale: python -m tests.unit.cli.bad_inputs > docs/bad-input.md"
    )


def test_the_readme_links_the_page() -> None:
    assert "(docs/bad-input.md)" in (Path(__file__).parents[3] / "README.md").read_text()
