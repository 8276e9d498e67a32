"""The metric formulas moved to `sdeparse.scoring.metrics`; this name stays so old imports work."""

from .scoring.metrics import (
    Matrix,
    Weights,
    accuracy,
    add,
    column_sums,
    exact,
    kappa,
    precision,
    ratio,
    recall,
    row_sums,
    to_float,
    total,
    zeros,
)

__all__ = [
    "Matrix",
    "Weights",
    "accuracy",
    "add",
    "column_sums",
    "exact",
    "kappa",
    "precision",
    "ratio",
    "recall",
    "row_sums",
    "to_float",
    "total",
    "zeros",
]
