"""Frozen records built through their slots: the same records their constructors build."""

from dataclasses import dataclass, fields

import pytest

from stswatch.reports.frozen import builder
from stswatch.reports.history.lifecycles import DnsObservation
from stswatch.reports.history.replay import Decision
from stswatch.reports.history.statefulsets import StatusVersion
from stswatch.reports.history.transition import Transition
from stswatch.reports.proofs.verdict import Evidence


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (Transition, ("ready", 7, "1234", 1_700_000_000_000_000_000, 3, "", None)),
        (Evidence, (7, "1234", 1_700_000_000_000_000_000, "Pod", "web-1", "MODIFIED", "note")),
        (StatusVersion, (7, "1234", 1, 3, 2, 3, 3, 3, 3, 0, "web-1", "web-2", 1)),
        (Decision, ("held", "web-2 Running, not Ready", None, "not Ready", 2)),
        (
            DnsObservation,
            ("lab", "web", "web-1", ("10.0.0.1",), True, "u", "web-x", 7, "1", 2, 3, True, None),
        ),
    ],
)
def test_a_built_record_is_the_constructors(cls: type, values: tuple[object, ...]) -> None:
    built, constructed = builder(cls)(*values), cls(*values)
    assert built == constructed
    assert hash(built) == hash(constructed)
    assert repr(built) == repr(constructed)
    with pytest.raises(AttributeError):
        setattr(built, fields(cls)[0].name, None)  # still frozen


def test_only_a_frozen_slots_dataclass_without_post_init_is_built() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclass(slots=True)
    class Thawed:
        a: int

    @dataclass(frozen=True, slots=True)
    class Derived:
        a: int

        def __post_init__(self) -> None:
            pass

    for cls in (NoSlots, Thawed, Derived, int):
        with pytest.raises(TypeError):
            builder(cls)
