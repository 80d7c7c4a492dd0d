"""Ranks held by id offset (`RankById`, issue 18's memory) give the order a dict did: by
(resourceVersion, id), or by receive order, for consecutive, holed and sparse ids."""

import pytest

from stswatch.reports.history.ordering import RankById, _ranked


@pytest.mark.parametrize(
    "ids",
    [
        [10, 11, 12, 13, 14, 15],  # one session's consecutive ids
        [10, 12, 13, 17, 18, 19],  # another session's rows in between
        [3, 900, 4_000, 70_000, 70_001, 1_000_000],  # a window's seeded changes: sparse
    ],
)
def test_ranks_by_id_are_the_ranks_of_a_dict_iterated_in_rank_order(ids: list[int]) -> None:
    numbers = [50, 20, 50, 10, 99, 20]  # versions, ties broken by id
    versions, ranks = _ranked(ids, numbers)
    expected = {i: r for r, (_, i) in enumerate(sorted(zip(numbers, ids, strict=True)))}
    held = RankById(ids, ranks)
    assert dict(held.items()) == expected
    assert versions == sorted(numbers)
    assert list(held) == sorted(expected, key=expected.__getitem__)
    assert held.ids_by_rank() == list(held)
    assert len(held) == len(ids)
    for absent in (ids[0] - 1, ids[0] + 1 if ids[1] != ids[0] + 1 else ids[-1] + 1, ids[-1] + 5):
        with pytest.raises(KeyError):
            held[absent]


def test_ids_out_of_order_are_ranked_by_version_then_id() -> None:
    ids = [14, 11, 12, 10]
    versions, ranks = _ranked(ids, [7, 7, 3, 7])
    assert dict(RankById(ids, ranks).items()) == {12: 0, 10: 1, 11: 2, 14: 3}
    assert versions == [3, 7, 7, 7]
