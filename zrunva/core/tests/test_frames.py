import polars as pl

from zrunva.core.frames import Grouping


def test_members_find_their_household_row_sorted_or_not():
    for ids in ([3, 5, 9], [9, 3, 5]):
        grouping = Grouping.of(pl.Series(ids), pl.Series([1, 3, 3, 9, 9, 9, 12, None]))
        rows = [ids[r] if r >= 0 else None for r in grouping.rows]
        assert rows == [None, 3, 3, 9, 9, 9, None, None]
        assert dict(zip(ids, grouping.count().tolist(), strict=True)) == {3: 2, 5: 0, 9: 3}


def test_sums_counts_and_gathers_per_household():
    grouping = Grouping.of(pl.Series([10, 20]), pl.Series([20, 10, 20, 30]))
    assert grouping.sum(pl.Series([1.5, 2.0, None, 7.0])).tolist() == [2.0, 1.5]
    assert grouping.count(pl.Series([True, True, None, True])).tolist() == [1, 1]
    assert grouping.gather(pl.Series(["a", "b"])).to_list() == ["b", "a", "b", None]


def test_no_households_or_no_members():
    assert Grouping.of(pl.Series([], dtype=pl.Int64), pl.Series([1])).rows.tolist() == [-1]
    assert Grouping.of(pl.Series([1]), pl.Series([], dtype=pl.Int64)).count().tolist() == [0]
