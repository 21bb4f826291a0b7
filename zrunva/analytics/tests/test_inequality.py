"""The inequality measures against figures worked out by hand."""

import math

import numpy as np
import pytest

from zrunva.analytics import inequality


def test_gini_of_one_two_three_four():
    # Σ|xᵢ − xⱼ| over ordered pairs = 2 × (1+2+3+1+2+1) = 20; 2 n² mean = 2 × 16 × 2.5 = 80.
    assert inequality.gini([1, 2, 3, 4]) == pytest.approx(0.25)


def test_gini_of_equal_and_of_one_holding_everything():
    assert inequality.gini([5, 5, 5]) == pytest.approx(0.0)
    # Four people, one holds all: 1 − 1/n = 0.75.
    assert inequality.gini([0, 0, 0, 10]) == pytest.approx(0.75)


def test_weights_count_a_value_once_per_person():
    # A household of 3 at 1 and one of 1 at 5 are the people [1, 1, 1, 5]: mean 2,
    # Σ|xᵢ − xⱼ| = 2 × 3 × 4 = 24, 2 n² mean = 2 × 16 × 2 = 64 → 0.375.
    assert inequality.gini([1, 5], [3, 1]) == pytest.approx(0.375)
    assert inequality.gini([1, 5], [3, 1]) == pytest.approx(inequality.gini([1, 1, 1, 5]))


def test_no_welfare_has_no_gini():
    assert math.isnan(inequality.gini([0, 0]))


def test_median():
    assert inequality.median([4, 1, 3, 2]) == 2.5
    assert inequality.median([1, 2, 3]) == 2
    # People [10, 10, 10, 20]: the middle falls within the tens.
    assert inequality.median([20, 10], [1, 3]) == 10


def test_headcount_and_poverty_gap():
    # Line 100: people at 50, 80, 100, 150. Below it: 50 and 80 (100 is not below).
    values = [50, 80, 100, 150]
    assert inequality.headcount(values, 100) == pytest.approx(0.5)
    # Shortfalls 0.5 and 0.2, over 4 people: 0.7 / 4 = 0.175.
    assert inequality.poverty_gap(values, 100) == pytest.approx(0.175)
    # The household at 50 has three members: people [50, 50, 50, 80, 100, 150].
    assert inequality.headcount(values, 100, [3, 1, 1, 1]) == pytest.approx(4 / 6)
    assert inequality.poverty_gap(values, 100, [3, 1, 1, 1]) == pytest.approx((1.5 + 0.2) / 6)


def test_deciles_of_people():
    assert list(inequality.deciles(list(range(10, 0, -1)))) == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    # Twenty equal-weight values: two to a decile.
    assert list(inequality.deciles(np.arange(20))) == [d for d in range(1, 11) for _ in (0, 1)]
    # A household of 5 poorest people fills the first half: deciles by people, not households.
    assert list(inequality.deciles([1, 2, 3, 4, 5, 6], [5, 1, 1, 1, 1, 1])) == [1, 6, 7, 8, 9, 10]
