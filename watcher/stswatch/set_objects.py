"""What one read of a StatefulSet's world saw, as the API returned it: the one live-read shape.

`stswatch.set_reader` fills it from a cluster (watcher/ never imports reports/); the reading side's
`stswatch.reports.live.world.World` is this shape with the controller's rules over it, so the
fields are written once and mypy checks both sides against them.
"""

from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class SetObjects:
    """One StatefulSet and everything it lives by, at one moment; `now` is the reader's clock
    (epoch seconds). Only `statefulset` is required: a reader may be refused a kind, or it
    does not exist."""

    namespace: str
    statefulset: Obj
    now: float
    pods: tuple[Obj, ...] = ()  # pods of the set (selected, or named <set>-<ordinal>)
    claims: tuple[Obj, ...] = ()  # PVCs of the namespace
    volumes: tuple[Obj, ...] = ()  # PVs (cluster-wide)
    storage_classes: tuple[Obj, ...] = ()
    service: Obj | None = None  # the governing Service, None when it does not exist
    endpoint_slices: tuple[Obj, ...] = ()  # slices of the governing Service
    events: tuple[Obj, ...] = ()  # Events of the namespace
    nodes: tuple[Obj, ...] = ()
    nodes_known: bool = True  # False when nodes could not be listed (then none is "gone")
    unreadable: tuple[str, ...] = ()  # reads refused, e.g. "list storageclasses (403 forbidden)"
