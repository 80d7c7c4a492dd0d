"""What the recorder hands to the store: one frozen record per change, gap or mark row."""

import zlib
from dataclasses import dataclass
from typing import Literal, NamedTuple

Event = Literal["ADDED", "MODIFIED", "DELETED"]
Observed = Literal["list", "watch", "relist"]


class ChangeRecord(NamedTuple):
    """One received change of one object; `object_json` is the redacted object as JSON text.

    A NamedTuple, not a frozen dataclass: one is made per change on the recorder's hot path,
    and a tuple is built in a fraction of the time (a frozen dataclass sets each field through
    `object.__setattr__`). Both are immutable.
    """

    kind: str
    namespace: str | None
    name: str
    uid: str
    event: Event
    resource_version: str
    observed: Observed
    received_wall_ns: int
    received_mono_ns: int
    object_json: str


@dataclass(frozen=True, slots=True)
class GapRecord:
    """A window in which changes of `kind` may have been missed (closed by a relist)."""

    kind: str
    reason: str
    from_resource_version: str | None
    to_resource_version: str | None
    from_wall_ns: int
    to_wall_ns: int


@dataclass(frozen=True, slots=True)
class MarkRecord:
    """A labelled moment; `detail_json` is a JSON object as text."""

    label: str
    detail_json: str
    received_wall_ns: int
    received_mono_ns: int


Record = ChangeRecord | GapRecord | MarkRecord


def object_digest(object_json: bytes) -> int:
    """A small digest (CRC-32) of an object's JSON as UTF-8, to tell recorded states apart."""
    return zlib.crc32(object_json)
