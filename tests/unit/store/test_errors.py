"""The exit-code contract: one table, every failure class mapped into it, the README in step."""

import importlib
import pkgutil
from pathlib import Path

import pytest

import stswatch
from stswatch.errors import MEANINGS, ExitCode, StswatchError, exit_code_table

README = Path(__file__).parents[3] / "README.md"


def _all_failure_classes() -> list[type[StswatchError]]:
    for module in pkgutil.walk_packages(stswatch.__path__, "stswatch."):
        importlib.import_module(module.name)
    found: list[type[StswatchError]] = []
    pending = [StswatchError]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


def test_every_code_has_a_meaning() -> None:
    assert set(MEANINGS) == set(ExitCode)


def test_the_readme_table_is_the_one_in_failures() -> None:
    text = README.read_text()
    assert exit_code_table() in text, (
        "README's exit code table differs from stswatch.errors; paste this:\n" + exit_code_table()
    )


def test_every_failure_class_names_its_code() -> None:
    classes = _all_failure_classes()
    assert len(classes) >= 10
    for cls in classes:
        assert isinstance(cls.exit_code, ExitCode), cls
        assert cls.exit_code not in (ExitCode.OK, ExitCode.VERDICT_FAILED), cls


def test_the_base_class_has_no_default_code() -> None:
    assert "exit_code" not in vars(StswatchError)
    with pytest.raises(TypeError, match="must set exit_code"):

        class Unmapped(StswatchError):
            pass
