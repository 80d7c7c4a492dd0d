"""What a relist after a recorder gap can and cannot tell (cases22, kwok, the real controller,
recorded with `stswatch record` stopped and started again on one session): a claim replaced in
the gap is a replacement, not a claim kept; a spec that changed twice unseen is said to have;
an order the relist's list made up is no 'would have been pass'; no time is made of the gap."""

from pathlib import Path

from stswatch.reports.proofs.render import render_text
from stswatch.reports.proofs.verdict import EpisodeResult, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite


def _episodes(result: VerifyResult, kind: str) -> list[EpisodeResult]:
    return [e for e in result.episodes if e.kind == kind]


def test_a_claim_replaced_in_a_gap_is_not_told_as_kept(tmp_path: Path) -> None:
    """b8-claimgap: a client deleted data-web-1 (uid 4ad697a1) and web-1 while the recorder
    was down; the relist records the new claim (uid e5045340) and the new web-1 before the old
    claim's DELETED (at the list's resourceVersion). The new web-1 mounts the new claim."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, "b8-claimgap-orderedready-230637"))
    (recreated,) = _episodes(result, "pod-recreated")
    storage = next(v for v in recreated.verdicts if v.proof == "stable-storage")
    assert "4ad697a1-654c-4afb-87cb-e46c53966d21 → e5045340" in storage.reason
    assert "kept data-web-1" not in storage.reason
    assert storage.outcome != "pass"
    assert recreated.progress is not None
    assert recreated.progress.text.startswith("completed while the recorder was down (gap #")
    assert "how long it took was not recorded" in recreated.progress.text
    owners = [v for v in result.verdicts if v.proof == "claim-owner-references"]
    assert owners
    assert all(v.reason.count("data-web-1,") == 1 for v in owners)


def test_a_spec_changed_twice_in_a_gap_is_told_so(tmp_path: Path) -> None:
    """b8-zerogap2: the set scaled 4→0→2 while the recorder was down; the relist shows
    replicas 2 at generation 5 (3 before): one episode 4→2, said to be two changes made unseen,
    and its order, made by the relist's list, is no pass."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, "b8-zerogap2-orderedready-230739"))
    scale_down = _episodes(result, "scale-down")[-1]
    assert "generation 3 → 5, so 2 spec changes were made unseen" in scale_down.summary
    reverse = next(v for v in scale_down.verdicts if v.proof == "reverse-order-scale-down")
    assert reverse.outcome == "inconclusive"
    assert "would have been pass by changes a relist recorded" in reverse.reason
    texts = [v.reason for v in result.verdicts] + [
        e.progress.text for e in result.episodes if e.progress is not None
    ]
    assert not any("turned ," in t for t in texts)
    # its changes run backwards in id (the relist numbered them as received): the text's range
    # still reads from the lower id
    assert scale_down.first_change_id > scale_down.last_change_id
    lines = render_text(result).splitlines()
    header = next(line for line in lines if line.startswith(f"#{scale_down.index} "))
    low, high = scale_down.last_change_id, scale_down.first_change_id
    assert header.endswith(f"[changes {low}..{high}, 13.14s]")


def test_a_hold_released_inside_a_gap_is_told_with_its_bounds(tmp_path: Path) -> None:
    """b8-termgap: web-2 held Terminating by a finalizer; a client removed it while the recorder
    was down, and the relist recorded web-2 gone: the hold lasted between the gap's start and
    the relist, not exactly until the relist."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, "b8-termgap-orderedready-232418"))
    scale_down = _episodes(result, "scale-down")[-1]
    assert scale_down.progress is not None
    assert (
        "until web-2 gone (web-2 was gone when the recorder came back: the gap from 23:24:33.95 "
        "to 23:24:42.20 hides when, so the hold lasted 4.0 to 12.3 s)"
    ) in scale_down.progress.text


def test_a_slow_call_ambiguity_is_not_told_as_never_recorded(tmp_path: Path) -> None:
    """b283 edited: the condemned web-2's deletion landed 8 s after the sync decided it, after
    the scale back to 3, and the status right after it (#5349) is edited to observe generation 3
    (as recorded, its generation 2 proves the spec: `read_by_sync`): inconclusive because the
    recording cannot tell which spec it was decided under, with every kind recorded: its cause
    is 'cannot-tell', not 'not-recorded'."""
    path = real_store(tmp_path, "cases22")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.status.observedGeneration', 3) "
        "WHERE id = 5349",
    )
    result = verify(load_recording(path, "b283-when-scaled-claim-update-held-orderedready"))
    undecided = [v for v in result.verdicts if v.outcome == "inconclusive"]
    assert undecided
    assert all(v.missing != "not-recorded" for v in undecided)
    assert any(v.missing == "cannot-tell" for v in undecided)
