"""Scoring: counting what was predicted against the gold, apart from parsing and rendering.

`base.Scorer` is the interface (add a record, merge exactly, to_dict/from_dict, headline
figures); `classification.ClassificationScorer` counts closed-label slots;
`extraction.ExtractionScorer` counts (type, span) pairs (TP/FP/FN, strict one-to-one or the
paper's soft matching); `metrics` holds the formulas, over exact Fractions.
"""

from typing import Any

from .base import SCORERS, Scorer, scorer_class
from .classification import ClassificationScorer
from .extraction import ExtractionScorer


def scorer_for_task(task: Any) -> Scorer[Any]:
    """An empty scorer of the kind the task asks for (classification unless it says otherwise)."""
    return scorer_class(getattr(task, "kind", ClassificationScorer.kind)).for_task(task)


__all__ = [
    "SCORERS",
    "ClassificationScorer",
    "ExtractionScorer",
    "Scorer",
    "scorer_class",
    "scorer_for_task",
]
