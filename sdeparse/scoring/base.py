"""The Scorer interface: counts of one kind of scoring, mergeable exactly, serializable.

A scorer sees one scored record at a time (the gold and the predicted value of every slot) and
keeps only counts, so the scorer over a whole file is the sum of the scorers over its parts,
whichever process computed each. Figures are derived from the counts on demand, as exact
Fractions. The evaluation Report holds one scorer next to its own counts (format errors,
diagnostic codes, bad lines); classification tasks use `ClassificationScorer`, and an extraction
task plugs in a set scorer (TP/FP/FN) through the same interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping
from fractions import Fraction
from typing import Any, ClassVar, Generic, TypeVar

#: What a slot holds in one record: a label for classification, a list of spans for extraction.
V = TypeVar("V")
S = TypeVar("S", bound="Scorer[Any]")

#: Scorer classes by their `kind`, for rebuilding one from `to_dict` output.
SCORERS: dict[str, type[Scorer[Any]]] = {}


class Scorer(ABC, Generic[V]):
    """Counts over scored records; ``a + b`` is the scorer over both sets of records.

    A subclass names its `kind` (which registers it in `SCORERS`) and says which of its
    `to_dict` keys are its setup rather than counts (`setup_keys`: the report lists them after
    the figures). Subclasses supply for_task, add, setup, _add_counts, to_dict, from_dict and
    headline; merging, copying and equality follow from those.
    """

    kind: ClassVar[str]
    setup_keys: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if isinstance(kind, str):
            SCORERS[kind] = cls

    @classmethod
    @abstractmethod
    def for_task(cls: type[S], task: Any) -> S:
        """An empty scorer for a loaded task (its slots, labels or types, weights)."""

    # ---- counting -----------------------------------------------------------------------------
    @abstractmethod
    def add(self, gold: Mapping[str, V], predicted: Mapping[str, V]) -> None:
        """Count one scored record: the gold and the predicted value of every slot."""

    @abstractmethod
    def setup(self) -> Hashable:
        """What two scorers must share to be merged (slots, labels, weights, ...)."""

    @abstractmethod
    def _add_counts(self: S, other: S) -> None:
        """Add `other`'s counts to this scorer's; the setups are known to be equal."""

    # ---- merging ------------------------------------------------------------------------------
    def compatible(self, other: Scorer[Any]) -> bool:
        """Whether `other` counts the same thing the same way, so that the two can merge."""
        return type(other) is type(self) and other.setup() == self.setup()

    def update(self: S, other: S) -> S:
        """Add `other`'s counts into this scorer, in place; returns self."""
        if not self.compatible(other):
            raise ValueError(
                f"cannot merge a {type(self).__name__} with a {type(other).__name__} "
                "of another setup"
            )
        self._add_counts(other)
        return self

    def merge(self: S, other: S) -> S:
        """A new scorer holding the counts of both (neither operand changes)."""
        return self.copy().update(other)

    def __add__(self: S, other: S) -> S:
        if not isinstance(other, Scorer):
            return NotImplemented
        return self.merge(other)

    def __radd__(self: S, other: object) -> S:
        if other == 0:  # so that sum(scorers) works
            return self.copy()
        return NotImplemented

    def copy(self: S) -> S:
        """A deep copy (the counts are not shared)."""
        return type(self).from_dict(self.to_dict())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scorer):
            return NotImplemented
        return type(other) is type(self) and other.to_dict() == self.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable counts

    # ---- serialization and figures ------------------------------------------------------------
    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Every count and figure as JSON-ready values; `from_dict` reads the counts back."""

    @classmethod
    @abstractmethod
    def from_dict(cls: type[S], data: Mapping[str, Any]) -> S:
        """A scorer from `to_dict` output (extra keys, e.g. a report's own, are ignored)."""

    @abstractmethod
    def headline(self) -> dict[str, Fraction | None]:
        """The figures a one-line summary shows, by name, exact; None where undefined."""


def scorer_class(kind: str) -> type[Scorer[Any]]:
    """The scorer class registered under `kind`; ValueError naming the known kinds if none."""
    try:
        return SCORERS[kind]
    except KeyError:
        known = ", ".join(sorted(SCORERS)) or "none"
        raise ValueError(f"no scorer of kind {kind!r} (known: {known})") from None
