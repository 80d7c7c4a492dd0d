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
