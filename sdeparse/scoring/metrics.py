"""Pure functions over confusion matrices: accuracy, weighted kappa, precision, recall.

A confusion matrix is a square sequence of integer rows: rows gold, columns predicted, both in
the task's label order. Every function computes with exact rationals (`fractions.Fraction`) and
returns a Fraction, or None where the figure is undefined (no data at all), so the float a
report shows is the correctly rounded value of the formula, not of some summation order.

Weights are read as the decimal they were written as: a task file's ``0.67`` is taken to mean
67/100, not the binary float nearest to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

Matrix = Sequence[Sequence[int]]
Weights = Sequence[Sequence[float | int | Fraction]]


def exact(value: float | int | Fraction) -> Fraction:
    """A weight as an exact rational; floats by their shortest decimal spelling (0.67 -> 67/100)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(float(value)))


def zeros(size: int) -> list[list[int]]:
    """An empty size x size confusion matrix."""
    return [[0] * size for _ in range(size)]


def add(a: Matrix, b: Matrix) -> list[list[int]]:
    """The cell-wise sum of two matrices of the same shape."""
    if len(a) != len(b):
        raise ValueError(f"matrices of different sizes: {len(a)} and {len(b)}")
    return [[x + y for x, y in zip(ra, rb, strict=True)] for ra, rb in zip(a, b, strict=True)]


def total(matrix: Matrix) -> int:
    """N, the number of (gold, predicted) pairs counted."""
    return sum(sum(row) for row in matrix)


def row_sums(matrix: Matrix) -> list[int]:
    """Gold counts per label."""
    return [sum(row) for row in matrix]


def column_sums(matrix: Matrix) -> list[int]:
    """Predicted counts per label."""
    return [sum(row[j] for row in matrix) for j in range(len(matrix))]


def accuracy(matrix: Matrix) -> Fraction | None:
    """Diagonal / N: the share of pairs predicted right; None for an empty matrix."""
    n = total(matrix)
    if n == 0:
        return None
    return Fraction(sum(matrix[i][i] for i in range(len(matrix))), n)


def ratio(numerator: int, denominator: int) -> Fraction | None:
    """numerator / denominator, None when the denominator is 0."""
    return Fraction(numerator, denominator) if denominator else None


def kappa(matrix: Matrix, weights: Weights) -> Fraction | None:
    """Weighted kappa with agreement weights w (rows gold, columns predicted).

    p_o = Σ w_ij O_ij / N, p_e = Σ w_ij r_i c_j / N², κ = (p_o − p_e) / (1 − p_e); κ = 0 when
    1 − p_e = 0. None for an empty matrix (N = 0), where p_o is undefined. With identity
    weights this is Cohen's kappa.
    """
    size = len(matrix)
    if len(weights) != size or any(len(row) != size for row in weights):
        raise ValueError(f"weights must be {size}x{size} like the matrix")
    n = total(matrix)
    if n == 0:
        return None
    w = [[exact(x) for x in row] for row in weights]
    rows, cols = row_sums(matrix), column_sums(matrix)
    p_o = sum((w[i][j] * matrix[i][j] for i in range(size) for j in range(size)), Fraction(0)) / n
    p_e = sum(
        (w[i][j] * rows[i] * cols[j] for i in range(size) for j in range(size)), Fraction(0)
    ) / (n * n)
    if p_e == 1:
        return Fraction(0)
    return (p_o - p_e) / (1 - p_e)


def precision(matrix: Matrix, index: int) -> Fraction | None:
    """Diagonal / column sum for one label; None when the label was never predicted."""
    return ratio(matrix[index][index], column_sums(matrix)[index])


def recall(matrix: Matrix, index: int) -> Fraction | None:
    """Diagonal / row sum for one label; None when the label never occurs in the gold."""
    return ratio(matrix[index][index], row_sums(matrix)[index])


def to_float(value: Fraction | None) -> float | None:
    """The correctly rounded float of an exact figure (None stays None)."""
    return None if value is None else float(value)
