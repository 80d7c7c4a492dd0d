"""Frozen records built without their dataclass `__init__`, where a verification builds
hundreds of thousands of them (transitions, evidence, status versions).

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__` (plain
assignment is what frozen refuses), which costs about twice what setting each slot through its
descriptor does. `builder(cls)` makes, once per class and as `dataclasses` makes `__init__`, a
function that does the latter: its result is equal, field for field, to the constructor's.
"""

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def builder(cls: type[T]) -> Callable[..., T]:
    """A function building `cls` from the value of every field, in order (positional; no
    defaults). `cls` must be a frozen dataclass with slots and no `__post_init__`: one that
    sets nothing but its fields."""
    names = [f.name for f in fields(cls)] if is_dataclass(cls) else []
    frozen = getattr(getattr(cls, "__dataclass_params__", None), "frozen", False)
    if not frozen or names != list(getattr(cls, "__slots__", ())) or "__post_init__" in vars(cls):
        raise TypeError(f"{cls.__name__} is not a frozen slots dataclass without __post_init__")
    # The names are the class's field names: identifiers, safe to put in the source.
    source = "\n".join(
        [f"def build({', '.join(names)}):", "    made = new(cls)"]
        + [f"    set_{name}(made, {name})" for name in names]
        + ["    return made"]
    )
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace.update({f"set_{name}": getattr(cls, name).__set__ for name in names})
    exec(source, namespace)
    made: Callable[..., T] = namespace["build"]
    made.__qualname__ = made.__name__ = f"build_{cls.__name__}"
    return made
