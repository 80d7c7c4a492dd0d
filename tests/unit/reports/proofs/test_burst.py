"""Parallel's one order (`runForAll` over `slowStartBatch`): batches of 1, 2, 4, … (at most 500)
in ordinal order, none within a batch. A creation out of batch order fails; within a batch any
order passes."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.burst import batch
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import move, real_store, spread
from tests.fixtures.verdicts import verdict_of

SESSION = "lesson-parallel"


@pytest.mark.parametrize(
    ("index", "number"),
    [
        (0, 0),
        (1, 1),
        (2, 1),
        (3, 2),
        (6, 2),
        (7, 3),
        (254, 7),
        (255, 8),
        (510, 8),
        (511, 9),
        (1010, 9),
        (1011, 10),
    ],
)
def test_batches_grow_by_doubling_up_to_max_batch_size(index: int, number: int) -> None:
    assert batch(index) == number


def test_recorded_parallel_scale_up_is_told_in_batches(tmp_path: Path) -> None:
    """The real 0→3 and 3→5 (data-redis-4 before data-redis-3: one batch, no order)."""
    result = verify(load_recording(real_store(tmp_path, "lesson"), SESSION))
    creation = verdict_of(result, "ordinal-creation", "scale-up")
    assert creation.outcome == "not-applicable"
    assert creation.reason.startswith(
        "Parallel: pods are created in bursts, in slowStartBatch batches of 1, 2, 4, … in "
        "ordinal order, with no order within a batch"
    )
    assert not result.failed


def test_creation_ahead_of_an_earlier_batch_fails(tmp_path: Path) -> None:
    """redis-2 (batch 2) and its claim moved before redis-0 (batch 1), missing and in range: no
    Parallel sync creates it so."""
    path = real_store(tmp_path, "lesson")
    spread(path, SESSION)
    move(path, 249, 5185)  # data-redis-2 before data-redis-0 (5190)
    move(path, 258, 5186)  # redis-2 before redis-0 (5220)
    result = verify(load_recording(path, SESSION))
    failed = [v for v in result.verdicts if v.outcome == "fail"]
    assert [v.proof for v in failed] == ["ordinal-creation"]
    assert failed[0].reason.startswith(
        "redis-2 was created before redis-0, though redis-0 was missing and in range: Parallel "
        "creates in slowStartBatch batches"
    )
    assert "redis-0 is in batch 1, redis-2 in batch 2" in failed[0].reason


def test_creation_order_within_one_batch_is_free(tmp_path: Path) -> None:
    """redis-4 moved before redis-3 in the 3→5 scale-up: indices 3 and 4, one batch."""
    path = real_store(tmp_path, "lesson")
    spread(path, SESSION)
    move(path, 340, 6235)  # redis-4 before redis-3 (6240)
    result = verify(load_recording(path, SESSION))
    assert not result.failed
