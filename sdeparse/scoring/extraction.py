"""Scoring extraction tasks: (type, span) pairs counted as TP/FP/FN, micro and per type.

An extraction output is a sequence of (type, span) pairs, the gold likewise. `ExtractionScorer`
keeps integer counts only (TP, FP, FN for each of the task's types, and for pairs of types the
task does not declare), so the scorer over a file is the sum of the scorers over its parts;
precision, recall and F1 are exact Fractions derived on demand, 0 where a denominator is 0.

Two ways of matching (`Matching`):

* ``strict``: one-to-one. Pairs are compared after a normalization of type and span
  (`Normalization`, case-insensitive for the built-in tasks), as multisets: a (type, span) given
  k times in the gold and m times in the prediction gives min(k, m) TP, so each gold pair is
  matched at most once and TP never exceeds the gold count. The released GENIA scorer's
  hard match (`get_correct_list_from_response_list`, which "keeps repeated pairs up to the
  count in the gold") is exactly this multiset intersection in each of its three branches
  (no duplicate predicted; duplicates predicted, none in the gold; duplicates in both), so
  no separate GENIA variant is needed.
* ``paper``: the released MAVEN evaluation's soft matching (rules 2 and 3 of
  `sdeparse.paper.extraction`, which does it); it can count more TP than there are gold
  pairs, so its recall can exceed 1 and a per-output FN can be negative, as in the released
  figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import Any, ClassVar

from .base import Scorer

__all__ = [
    "ExtractionScorer",
    "Matching",
    "Normalization",
    "Pairs",
    "TypeCounts",
    "as_pairs",
    "f1",
    "precision",
    "recall",
    "strict_counts",
]

#: What one output's extractions are given as: (type, span) pairs, or spans by type.
Pairs = Iterable[tuple[str, str]] | Mapping[str, str | Iterable[str]]


class Normalization(Enum):
    """How types and spans are compared under strict matching."""

    #: the strings as they are
    EXACT = "exact"
    #: case-insensitive (str.casefold): the built-in tasks' choice
    CASEFOLD = "casefold"
    #: str.lower, as the released scripts compare
    LOWER = "lower"

    def apply(self, text: str) -> str:
        """The normalized form of a type or a span."""
        if self is Normalization.CASEFOLD:
            return text.casefold()
        if self is Normalization.LOWER:
            return text.lower()
        return text


class Matching(Enum):
    """How predicted pairs are matched with the gold (module docstring)."""

    STRICT = "strict"
    PAPER = "paper"


@dataclass
class TypeCounts:
    """TP, FP and FN of one type (or of all of them); adding two adds the counts."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: TypeCounts) -> TypeCounts:
        return TypeCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def __iadd__(self, other: TypeCounts) -> TypeCounts:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self

    def to_dict(self) -> dict[str, int]:
        """The three counts by name."""
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn}

    @classmethod
    def from_dict(cls, data: Mapping[str, int]) -> TypeCounts:
        """Counts from `to_dict` output."""
        return cls(int(data["tp"]), int(data["fp"]), int(data["fn"]))


# ---- figures from counts (0 where a denominator is 0, as the released scripts do) ------------
def precision(c: TypeCounts) -> Fraction:
    """TP / (TP + FP), 0 when nothing was predicted."""
    return Fraction(c.tp, c.tp + c.fp) if c.tp + c.fp else Fraction(0)


def recall(c: TypeCounts) -> Fraction:
    """TP / (TP + FN), 0 when there is no gold pair."""
    return Fraction(c.tp, c.tp + c.fn) if c.tp + c.fn else Fraction(0)


def f1(c: TypeCounts) -> Fraction:
    """The harmonic mean of precision and recall, 0 when both are 0."""
    p, r = precision(c), recall(c)
    return 2 * p * r / (p + r) if p + r else Fraction(0)


# ---- matching ------------------------------------------------------------------------------------
def as_pairs(value: Pairs) -> list[tuple[str, str]]:
    """(type, span) pairs from either form: pairs already, or a mapping type -> span(s)."""
    if isinstance(value, Mapping):
        out: list[tuple[str, str]] = []
        for type_, spans in value.items():
            if isinstance(spans, str):
                out.append((type_, spans))
            else:
                out.extend((type_, span) for span in spans)
        return out
    return [(type_, span) for type_, span in value]


def strict_counts(
    gold: Iterable[tuple[str, str]],
    predicted: Iterable[tuple[str, str]],
    normalize: Normalization = Normalization.CASEFOLD,
) -> dict[str, TypeCounts]:
    """One-to-one matching of one output: counts by normalized type (multiset intersection).

    Linear in the number of pairs: both sides are counted once in hash tables.
    """
    g = Counter((normalize.apply(t), normalize.apply(s)) for t, s in gold)
    p = Counter((normalize.apply(t), normalize.apply(s)) for t, s in predicted)
    out: dict[str, TypeCounts] = {}
    for (type_, _), k in g.items():
        out.setdefault(type_, TypeCounts()).fn += k
    for pair, m in p.items():
        counts = out.setdefault(pair[0], TypeCounts())
        tp = min(m, g.get(pair, 0))
        counts.tp += tp
        counts.fp += m - tp
        counts.fn -= tp
    return out


# ---- the scorer ----------------------------------------------------------------------------------
@dataclass(eq=False)
class ExtractionScorer(Scorer[Sequence[str]]):
    """TP/FP/FN by type over (type, span) pairs; micro figures are over every pair.

    `types` are the task's types in its order; a pair whose type is none of them (after
    normalization) is counted under `other` (micro figures include it, `by_type` does not).
    With no types declared, every type met gets its own entry. ``a + b`` is the scorer of
    both sets of outputs; merging needs the same types, normalization and matching.
    """

    kind: ClassVar[str] = "extraction"
    setup_keys: ClassVar[tuple[str, ...]] = ("types", "normalization", "matching")

    types: tuple[str, ...] = ()
    normalization: Normalization = Normalization.CASEFOLD
    matching: Matching = Matching.STRICT
    #: outputs scored
    n: int = 0
    by_type: dict[str, TypeCounts] = field(default_factory=dict)
    #: pairs of undeclared types (and, under paper matching, predictions that are no pair)
    other: TypeCounts = field(default_factory=TypeCounts)

    def __post_init__(self) -> None:
        self.types = tuple(self.types)
        for type_ in self.types:
            self.by_type.setdefault(type_, TypeCounts())
        self._declared = {self.normalization.apply(t): t for t in self.types}
        self._declared_lower = {t.lower(): t for t in self.types}

    @classmethod
    def for_task(
        cls,
        task: Any,
        *,
        matching: Matching = Matching.STRICT,
        normalization: Normalization | None = None,
    ) -> ExtractionScorer:
        """An empty scorer for a loaded task: its types (`type_names`, or `types` as names or
        objects with a name) and its span normalization (`span_normalization`, else casefold)."""
        names = getattr(task, "type_names", None)
        if names is None:
            names = [getattr(t, "name", t) for t in getattr(task, "types", ())]
        if normalization is None:
            normalization = Normalization(getattr(task, "span_normalization", "casefold"))
        return cls(types=tuple(names), normalization=normalization, matching=matching)

    # ---- counting -----------------------------------------------------------------------------
    def declared(self, type_: str) -> str | None:
        """The task's name of a type given in any case the normalization allows, else None."""
        found = self._declared.get(self.normalization.apply(type_))
        if found is None and not self.types:
            return self.normalization.apply(type_)
        return found

    def add(self, gold: Pairs, predicted: Pairs, unpaired: int = 0) -> None:
        """Count one output: its gold and predicted pairs, each as pairs or spans by type.

        `unpaired` counts predictions that are no pair (the paper profile's reading of a
        literal line of another shape): one false positive each, under `other`."""
        gold_pairs, predicted_pairs = as_pairs(gold), as_pairs(predicted)
        if self.matching is Matching.PAPER:
            from ..paper.extraction import paper_pair_counts  # paper depends on scoring

            self.add_counts(paper_pair_counts(gold_pairs, predicted_pairs, unpaired))
        else:
            strict = strict_counts(gold_pairs, predicted_pairs, self.normalization)
            counts: dict[str | None, TypeCounts] = {t: c for t, c in strict.items()}
            if unpaired:
                counts[None] = TypeCounts(fp=unpaired)
            self.add_counts(counts)

    def add_counts(
        self,
        counts: Mapping[str, TypeCounts] | Mapping[str | None, TypeCounts],
        outputs: int = 1,
    ) -> None:
        """Count `outputs` outputs matched elsewhere: counts by type, None for non-pairs.

        Types are looked up case-insensitively for paper matching (its types are lower-cased),
        by the normalization otherwise; an undeclared type goes to `other`.
        """
        self.n += outputs
        for type_, c in counts.items():
            name = None if type_ is None else self._name(type_)
            if name is None:
                self.other += c
            else:
                self.by_type.setdefault(name, TypeCounts())
                self.by_type[name] += c

    def _name(self, type_: str) -> str | None:
        found = self.declared(type_)
        if found is None and self.matching is Matching.PAPER:
            found = self._declared_lower.get(type_.lower())
        return found

    def setup(self) -> tuple[Any, ...]:
        """Types, normalization and matching: counts made otherwise do not add up."""
        return (self.types, self.normalization, self.matching)

    def _add_counts(self, other: ExtractionScorer) -> None:
        self.n += other.n
        for type_, c in other.by_type.items():
            self.by_type.setdefault(type_, TypeCounts())
            self.by_type[type_] += c
        self.other += other.other

    # ---- figures ------------------------------------------------------------------------------
    @property
    def micro(self) -> TypeCounts:
        """The counts summed over every type, undeclared ones included."""
        total = TypeCounts() + self.other
        for c in self.by_type.values():
            total += c
        return total

    def type_order(self) -> list[str]:
        """The task's types in its order, or, with none declared, the types met, sorted."""
        return list(self.types) if self.types else sorted(self.by_type)

    def headline(self) -> dict[str, Fraction | None]:
        """Micro F1, precision and recall."""
        m = self.micro
        return {"f1": f1(m), "precision": precision(m), "recall": recall(m)}

    # ---- serialization ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Counts and figures: precision/recall/f1 as {"all": micro, "by_type": {...}}, then
        micro tp/fp/fn, the counts by type, the undeclared-type counts, and the setup."""
        m = self.micro
        order = self.type_order()
        out: dict[str, Any] = {"n": self.n}
        for name, figure in (("precision", precision), ("recall", recall), ("f1", f1)):
            out[name] = {
                "all": float(figure(m)),
                "by_type": {t: float(figure(self.by_type[t])) for t in order},
            }
        out.update(m.to_dict())
        out["counts_by_type"] = {t: self.by_type[t].to_dict() for t in order}
        out["other_types"] = self.other.to_dict()
        out["types"] = list(self.types)
        out["normalization"] = self.normalization.value
        out["matching"] = self.matching.value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExtractionScorer:
        """A scorer from `to_dict` output, or from a whole report's (the same keys)."""
        return cls(
            types=tuple(data["types"]),
            normalization=Normalization(data["normalization"]),
            matching=Matching(data["matching"]),
            n=int(data["n"]),
            by_type={t: TypeCounts.from_dict(c) for t, c in data["counts_by_type"].items()},
            other=TypeCounts.from_dict(data["other_types"]),
        )
