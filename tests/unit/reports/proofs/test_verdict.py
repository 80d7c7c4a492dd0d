"""The verdict types' own behaviour."""

from dataclasses import asdict

from stswatch.reports.proofs.verdict import Evidence, evidence


def test_evidence_built_through_its_slots_is_the_constructors() -> None:
    fields = (7, "1234", 1_700_000_000_000_000_000, "Pod", "web-1", "MODIFIED", "web-1 Ready")
    built, constructed = evidence(*fields), Evidence(*fields)
    assert built == constructed
    assert hash(built) == hash(constructed)
    assert repr(built) == repr(constructed)
    assert asdict(built) == asdict(constructed)
