"""The live reader's pure parts: label selectors as query strings, nearby names."""

import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from stswatch.set_reader import _nearby, label_selector


@pytest.mark.parametrize(
    ("selector", "query"),
    [
        ({"matchLabels": {"app": "redis"}}, "app=redis"),
        ({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2"),
        (
            {"matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["db", "cache"]},
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                {"key": "x", "operator": "Exists"},
                {"key": "y", "operator": "DoesNotExist"},
            ]},
            "tier in (db,cache),env notin (dev),x,!y",
        ),
        ({}, ""),
    ],
)  # fmt: skip
def test_label_selector(selector: dict, query: str) -> None:  # type: ignore[type-arg]
    assert label_selector(selector) == query


def test_nearby_names_read_as_a_sentence() -> None:
    # "(namespaces: there: a, b)" and "(StatefulSets did you mean redis?)" read garbled.
    kinds = "StatefulSets"
    assert _nearby("rediss", ["redis", "web"], kinds=kinds) == "; did you mean redis?"
    assert _nearby("redi", ["redis", "redi5"], kinds=kinds) == "; did you mean redis or redi5?"
    assert _nearby("zzz", ["redis", "web"], kinds=kinds) == "; the StatefulSets there: redis, web"
    assert _nearby("zzz", [], kinds="namespaces") == "; there are no namespaces"


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["status", "a", "b", "c"],
        ["status", "-n", "ns", "ns", "redis"],
        ["doctor", "-n", "ns", "ns", "redis"],
        ["status", "redis", "-o", "xml"],
    ],
)
def test_bad_command_lines_exit_2_before_any_cluster_read(argv: list[str]) -> None:
    result = CliRunner().invoke(main, [*argv, "--kubeconfig", "/nonexistent"])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "Traceback" not in result.output
