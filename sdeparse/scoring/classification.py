"""Scoring closed-label slots: confusion matrices per aspect, accuracy, weighted kappa.

Counts are integers only (a confusion matrix per aspect, the outputs scored, the outputs with
every aspect right); accuracy, sentence accuracy, kappa with the task's agreement weights and
per-class precision and recall are exact Fractions derived from them (`sdeparse.scoring.metrics`),
so merged scorers give exactly the figures of one scorer over all the records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain, repeat
from operator import add, attrgetter, eq
from typing import Any, ClassVar, NamedTuple

from . import metrics
from .base import Scorer


class IndexedGold(NamedTuple):
    """A record's gold labels as label indices in aspect order, and the number of each
    aspect's row in the flat numbering of cells `ClassificationScorer.add_indexed` counts."""

    indices: tuple[int, ...]
    cells: tuple[int, ...]


@dataclass(eq=False)
class ClassificationScorer(Scorer[str]):
    """Confusion matrices (rows gold, columns predicted, the task's label order) per aspect."""

    kind: ClassVar[str] = "classification"
    setup_keys: ClassVar[tuple[str, ...]] = ("kappa_weights",)

    aspects: tuple[str, ...]
    labels: tuple[str, ...]
    #: agreement weights for kappa, rows gold, columns predicted (read as written decimals)
    weights: tuple[tuple[float, ...], ...]
    #: records scored
    n: int = 0
    #: records whose every aspect was predicted right
    sentence_correct: int = 0
    confusion: dict[str, list[list[int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        size = len(self.labels)
        for aspect in self.aspects:
            self.confusion.setdefault(aspect, metrics.zeros(size))
        self._label_index = {label: i for i, label in enumerate(self.labels)}

    @classmethod
    def for_task(cls, task: Any) -> ClassificationScorer:
        """An empty scorer for a loaded Task (its aspects, labels and kappa weights)."""
        return cls(
            aspects=tuple(task.aspect_names),
            labels=tuple(task.label_names),
            weights=tuple(tuple(row) for row in task.weights),
        )

    # ---- counting -----------------------------------------------------------------------------
    def add(self, gold: Mapping[str, str], predicted: Mapping[str, str]) -> None:
        """Count one record: a (gold, predicted) pair in each aspect's matrix."""
        self.n += 1
        index = self._label_index
        all_right = True
        for aspect in self.aspects:
            g, p = gold[aspect], predicted[aspect]
            self.confusion[aspect][index[g]][index[p]] += 1
            all_right = all_right and g == p
        if all_right:
            self.sentence_correct += 1

    def index_gold(self, gold: Mapping[str, str]) -> IndexedGold | None:
        """The gold labels of a record as `add_indexed` takes them, or None when they are not
        exactly one known label for each aspect (such a record takes `add`)."""
        if len(gold) != len(self.aspects):
            return None
        index, size = self._label_index, len(self.labels)
        try:
            indices = tuple(index[gold[aspect]] for aspect in self.aspects)
        except KeyError:
            return None
        cells = tuple((i * size + g) * size for i, g in enumerate(indices))
        return IndexedGold(indices, cells)

    def add_indexed(
        self, golds: Sequence[IndexedGold], predicted: Sequence[tuple[int, ...]]
    ) -> tuple[int, int]:
        """Count many records at once: each one's gold (`index_gold`) and predicted label
        indices in aspect order. The same counts as `add` of each; returns (right (record,
        aspect) pairs, records with every aspect right), which a report counts too."""
        size, count = len(self.labels), len(predicted)
        if len(golds) != count:
            raise ValueError(f"{len(golds)} golds for {count} predictions")
        # every (aspect, gold, predicted) cell numbered (aspect * size + gold) * size + predicted,
        # counted in C
        cells = Counter(chain.from_iterable(
            map(map, repeat(add), map(attrgetter("cells"), golds), predicted)))
        hits = 0
        for cell, times in cells.items():
            row, p = divmod(cell, size)
            a, g = divmod(row, size)
            self.confusion[self.aspects[a]][g][p] += times
            if g == p:
                hits += times
        all_right = sum(map(eq, map(attrgetter("indices"), golds), predicted))
        self.n += count
        self.sentence_correct += all_right
        return hits, all_right

    def setup(self) -> tuple[Any, ...]:
        """Aspects, labels and weights: matrices of different ones do not add up."""
        return (self.aspects, self.labels, self.weights)

    def _add_counts(self, other: ClassificationScorer) -> None:
        """Add the counts and the matrices cell by cell."""
        self.n += other.n
        self.sentence_correct += other.sentence_correct
        for aspect in self.aspects:
            self.confusion[aspect] = metrics.add(self.confusion[aspect], other.confusion[aspect])

    # ---- figures ------------------------------------------------------------------------------
    @property
    def pooled(self) -> list[list[int]]:
        """The confusion matrix summed over aspects."""
        matrix = metrics.zeros(len(self.labels))
        for aspect in self.aspects:
            matrix = metrics.add(matrix, self.confusion[aspect])
        return matrix

    @property
    def accuracy(self) -> Fraction | None:
        """Correct (output, aspect) pairs / all pairs."""
        return metrics.accuracy(self.pooled)

    @property
    def sentence_accuracy(self) -> Fraction | None:
        """Outputs whose every aspect is right / outputs."""
        return metrics.ratio(self.sentence_correct, self.n)

    @property
    def kappa(self) -> Fraction | None:
        """Weighted kappa of the pooled matrix (the reported κ)."""
        return metrics.kappa(self.pooled, self.weights)

    def aspect_accuracy(self, aspect: str) -> Fraction | None:
        """Accuracy of one aspect's matrix."""
        return metrics.accuracy(self.confusion[aspect])

    def aspect_kappa(self, aspect: str) -> Fraction | None:
        """Weighted kappa of one aspect's matrix."""
        return metrics.kappa(self.confusion[aspect], self.weights)

    def per_class(self, matrix: Sequence[Sequence[int]]) -> dict[str, dict[str, Any]]:
        """Precision, recall, gold and predicted counts of each label on one matrix."""
        rows, cols = metrics.row_sums(matrix), metrics.column_sums(matrix)
        return {
            label: {
                "precision": metrics.to_float(metrics.precision(matrix, i)),
                "recall": metrics.to_float(metrics.recall(matrix, i)),
                "gold": rows[i],
                "predicted": cols[i],
            }
            for i, label in enumerate(self.labels)
        }

    def headline(self) -> dict[str, Fraction | None]:
        """Kappa first, as the paper tabulates designs, then pair and sentence accuracy."""
        return {
            "kappa": self.kappa,
            "accuracy": self.accuracy,
            "sentence_accuracy": self.sentence_accuracy,
        }

    # ---- serialization ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Counts and figures, unrounded; undefined figures are None (see Report.to_dict)."""
        f = metrics.to_float
        pooled = self.pooled
        return {
            "n": self.n,
            "accuracy": {
                "all": f(self.accuracy),
                "sentence": f(self.sentence_accuracy),
                "by_aspect": {a: f(self.aspect_accuracy(a)) for a in self.aspects},
            },
            "kappa": {
                "all": f(self.kappa),
                "by_aspect": {a: f(self.aspect_kappa(a)) for a in self.aspects},
            },
            "confusion": {
                "labels": list(self.labels),
                "all": pooled,
                "by_aspect": {a: [list(r) for r in self.confusion[a]] for a in self.aspects},
            },
            "per_class": {
                "all": self.per_class(pooled),
                "by_aspect": {a: self.per_class(self.confusion[a]) for a in self.aspects},
            },
            "sentence_correct": self.sentence_correct,
            "kappa_weights": [list(row) for row in self.weights],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClassificationScorer:
        """A scorer from `to_dict` output, or from a whole report's (the same keys)."""
        confusion = data["confusion"]
        return cls(
            aspects=tuple(confusion["by_aspect"]),
            labels=tuple(confusion["labels"]),
            weights=tuple(tuple(row) for row in data["kappa_weights"]),
            n=data["n"],
            sentence_correct=data["sentence_correct"],
            confusion={a: [list(r) for r in m] for a, m in confusion["by_aspect"].items()},
        )
