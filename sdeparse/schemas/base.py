"""What every schema gives the Parser: a prediction from records, and the prediction of an
output that says nothing; and the `Vocabulary` answers the layout readers ask."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..layouts.base import Vocabulary
from ..records import Diagnostics, Record

#: One extracted pair: (type, span), the type by its canonical name.
Pair = tuple[str, str]


@dataclass(slots=True)
class Prediction:
    """What the schema made of the records: a label per slot and descriptions where given
    (classification), or the (type, span) pairs in output order (extraction)."""

    labels: dict[str, str]
    descriptions: dict[str, str] = field(default_factory=dict)
    extractions: tuple[Pair, ...] = ()


class Schema(Vocabulary, Protocol):
    """Records to a prediction for one (task, design); the readers' vocabulary besides."""

    def resolve(
        self,
        records: list[Record],
        text: str,
        diags: Diagnostics,
        layout: str = "",
        source: str | None = None,
    ) -> Prediction:
        """The prediction of `records` read from `text` by the layout named `layout`, every
        non-exact step a diagnostic; `source` is the model's input, when given."""
        ...

    def nothing(self) -> Prediction:
        """The prediction of an output that says nothing."""
        ...
