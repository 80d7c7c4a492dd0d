"""One recorded session analysed: loaded, rebuilt into lifecycles, verified, ready to draw.

The one pipeline of the reading side. `stswatch report`, `verify` and `compare`, the scenario
pipeline and `bench/` all start here, so a session is filtered and verified the same way
whichever command reads it, and lifecycles are built once per session.
"""

from dataclasses import dataclass, field
from pathlib import Path

from stswatch.reports.history.lifecycles import Lifecycles, build_lifecycles
from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import Recording, load_recording, no_cyclic_gc
from stswatch.reports.timeline.build import build_timeline
from stswatch.reports.timeline.changes import ChangeDiffs
from stswatch.reports.timeline.model import Timeline
from stswatch.reports.window import WindowRequest
from stswatch.reports.window_reader import load_window


@dataclass(frozen=True)
class Analysis:
    """A session's recording, its lifecycles and its verdicts."""

    recording: Recording
    lifecycles: Lifecycles
    result: VerifyResult
    # The changes' diffs, gathered while the lifecycles decoded the session (`drawn`).
    diffs: ChangeDiffs | None = field(default=None, repr=False, compare=False)

    def timeline(self, statefulset: str | None = None) -> Timeline:
        """The timeline of one StatefulSet (NAME or NAMESPACE/NAME; default: the session's
        recorded scope, else the only one), with the verdicts beside it.

        Raises NotFoundError when `statefulset` was not recorded.
        """
        with no_cyclic_gc():
            return build_timeline(
                self.recording,
                lifecycles=self.lifecycles,
                result=self.result,
                statefulset=statefulset,
                gathered=self.diffs,
            )


def analyse(
    path: Path,
    session: str,
    *,
    statefulset: str | None = None,
    window: WindowRequest | None = None,
    drawn: bool = False,
) -> Analysis:
    """Load `session` from the store at `path` and verify it (only `statefulset`'s episodes when
    given, a name). With a `window`, only its stretch and StatefulSet are read
    (`stswatch.reports.window_reader`), and verdicts cut by its edges say so. When it will be
    `drawn`, the changes' diffs are gathered as the lifecycles decode the session (one decoding
    for both), and held until the analysis is dropped.

    Raises NotFoundError for a missing session or StatefulSet, StoreError for a store that
    cannot be read, UsageError for a window that ends before it starts (see `stswatch.errors`).
    """
    if window is None or window.empty:
        recording = load_recording(path, session, objects=False)  # read back when asked
    else:
        recording = load_window(path, session, window)
    diffs = ChangeDiffs() if drawn else None
    with no_cyclic_gc():
        lifecycles = build_lifecycles(recording, seen=diffs)
    events = None if diffs is None else diffs.events_of(recording.changes)
    result = verify(recording, statefulset=statefulset, lifecycles=lifecycles, events=events)
    return Analysis(recording, lifecycles, result, diffs)
