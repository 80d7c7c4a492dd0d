"""The live reader's pure parts: label selectors as query strings, nearby names."""

import pytest

from watcher.live import _nearby, label_selector


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


def test_nearby_names() -> None:
    assert _nearby("rediss", ["redis", "web"]) == "did you mean redis?"
    assert _nearby("zzz", ["redis", "web"]) == "there: redis, web"
    assert _nearby("zzz", []) == "there are none"
