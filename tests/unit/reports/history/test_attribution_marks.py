"""A scenario mark is cited for a deletion only when it names the object as a whole word."""

from stswatch.reports.history.attribution import Attribution

_S = 1_000_000_000


def _marks(*labels: str) -> Attribution:
    marks = tuple((i * _S, label) for i, label in enumerate(labels))
    return Attribution(events_recorded=True, event_gaps=(), actions={}, marks=marks)


def test_a_claims_step_is_not_its_pods() -> None:
    # b129: 'delete Pod web-1', then 1.7 s later 'delete PersistentVolumeClaim data-web-1': the
    # pod's deletion is the first step's, though the later one's label holds "web-1" too.
    at = _marks("delete Pod web-1", "delete PersistentVolumeClaim data-web-1")
    assert at.mark_near(0, "web-1") == "delete Pod web-1"
    assert at.mark_near(1 * _S, "data-web-1") == "delete PersistentVolumeClaim data-web-1"


def test_a_name_is_not_the_prefix_of_another() -> None:
    at = _marks("delete Pod web-10")
    assert at.mark_near(0, "web-1") is None
    assert at.mark_near(0, "web-10") == "delete Pod web-10"


def test_a_finalizer_step_on_a_claim_does_not_name_its_pod() -> None:
    # The finalizer's remover (proofs/finalizers.removed_unrecorded) reads the same marks.
    at = _marks("remove the finalizer from data-web-1", "remove the finalizer from web-1")
    assert at.marks_naming("web-1", 0, 1 * _S) == ["remove the finalizer from web-1"]
    assert at.marks_naming("data-web-1", 0, 1 * _S) == ["remove the finalizer from data-web-1"]
