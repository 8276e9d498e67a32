"""sdeparse.scoring.metrics against figures computed by hand from the SPEC §4 formulas."""

from fractions import Fraction as F

import pytest

import sdeparse.metrics
from sdeparse.scoring import metrics

PAPER = [
    [1.0, 0.5, 0.0, 0.5],
    [0.67, 1.0, 0.67, 0.67],
    [0.0, 0.5, 1.0, 0.5],
    [0.5, 0.67, 0.5, 1.0],
]
IDENTITY = [[1.0 if i == j else 0.0 for j in range(4)] for i in range(4)]

# Pooled matrix of tests/fixtures/eval/three.jsonl (rows gold, columns predicted,
# order 正面 中性 负面 未提及): one 负面 predicted as 中性, everything else right.
POOLED = [
    [2, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 1, 1, 0],
    [0, 0, 0, 13],
]


def test_sums_and_accuracy():
    assert metrics.total(POOLED) == 18
    assert metrics.row_sums(POOLED) == [2, 1, 2, 13]
    assert metrics.column_sums(POOLED) == [2, 2, 1, 13]
    assert metrics.accuracy(POOLED) == F(17, 18)
    assert metrics.accuracy(metrics.zeros(4)) is None


def test_paper_weighted_kappa_by_hand():
    # p_o = (17 + 0.5) / 18 = 315/324
    # Σ w r_i c_j: 正面 2·(2 + 1 + 0 + 6.5) = 19; 中性 1·(1.34 + 2 + 0.67 + 8.71) = 12.72;
    # 负面 2·(0 + 1 + 1 + 6.5) = 17; 未提及 13·(1 + 1.34 + 0.5 + 13) = 205.92; total 254.64
    # κ = (315 − 254.64) / (324 − 254.64) = 60.36 / 69.36 = 503/578
    assert metrics.kappa(POOLED, PAPER) == F(503, 578)


def test_plain_cohen_kappa_by_hand():
    # p_o = 17/18 = 306/324, p_e = (4 + 2 + 2 + 169)/324 = 177/324, κ = 129/147 = 43/49
    assert metrics.kappa(POOLED, IDENTITY) == F(43, 49)


def test_kappa_single_aspect_by_hand():
    # 食品评价 of the fixture: 正面→正面, 负面→中性, 中性→中性
    food = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    # p_o = 2.5/3; Σ w r c = 2 + 2.67 + 1 = 5.67 over 9; κ = 1.83/3.33 = 61/111
    assert metrics.kappa(food, PAPER) == F(61, 111)
    assert metrics.accuracy(food) == F(2, 3)


def test_kappa_is_zero_when_chance_agreement_is_one():
    only_placeholder = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 3]]
    assert metrics.kappa(only_placeholder, PAPER) == 0
    assert metrics.kappa(only_placeholder, IDENTITY) == 0


def test_kappa_perfect_and_empty():
    perfect = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 2]]
    # p_e = (1 + 0.5·2 + 0.5·2 + 4)/9 = 7/9, p_o = 1 -> κ = 1
    assert metrics.kappa(perfect, PAPER) == 1
    assert metrics.kappa(metrics.zeros(4), PAPER) is None


def test_kappa_asymmetric_weights_use_rows_as_gold():
    # gold 中性 predicted 正面 weighs 0.67; gold 正面 predicted 中性 weighs 0.5
    a = [[0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    b = [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    # one pair: p_o = w, p_e = w -> κ = 0 either way, so use two pairs
    a2 = [[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    # p_o = (1 + 0.67)/2; r = [1,1,0,0], c = [2,0,0,0]: p_e = (1·2 + 0.67·2)/4
    po, pe = (1 + F(67, 100)) / 2, (2 + F(134, 100)) / 4
    assert metrics.kappa(a2, PAPER) == (po - pe) / (1 - pe)
    assert metrics.kappa(a, PAPER) == 0 and metrics.kappa(b, PAPER) == 0


def test_weights_read_as_written_decimals():
    assert metrics.exact(0.67) == F(67, 100)
    assert metrics.exact(1) == F(1)
    assert metrics.exact(F(1, 3)) == F(1, 3)


def test_precision_recall_by_hand():
    assert [metrics.precision(POOLED, i) for i in range(4)] == [1, F(1, 2), 1, 1]
    assert [metrics.recall(POOLED, i) for i in range(4)] == [1, 1, F(1, 2), 1]
    never = [[1, 0], [0, 0]]
    assert metrics.precision(never, 1) is None
    assert metrics.recall(never, 1) is None


def test_shape_errors():
    with pytest.raises(ValueError):
        metrics.kappa(POOLED, [[1.0]])
    with pytest.raises(ValueError):
        metrics.add([[1]], [[1, 0], [0, 1]])


def test_old_module_name_re_exports_the_same_functions():
    assert sdeparse.metrics.kappa is metrics.kappa
    assert set(sdeparse.metrics.__all__) <= set(dir(metrics))
