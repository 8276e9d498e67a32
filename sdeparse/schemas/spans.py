"""The span schema: an extraction task's closed types, each holding a list of text spans.

Records in (a type key and the raw text of its value), an ordered list of (type, span) pairs
out: type matching (exact, by code, by alias), the value read as a span list in the syntax of
the layout that found it (`spanlist`), the placeholder, duplicates, types missing from a
PU design, order, and spans that do not occur in the input when it is given. Never guesses: an
unknown type's spans are dropped, a cut-off span is dropped, no span is ever made up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from ..design import Design, Format
from ..diagnostics import Code
from ..layouts.base import KeyKind, ValueKind
from ..records import Diagnostics, Record, preview
from ..task import Task
from .base import Pair, Prediction
from .spanlist import PieceKind, SpanReader, ValueMode


class TypeHow(Enum):
    """How a key named a type: as the design writes it, in the other kind (a code in a text
    design or the reverse), as a variant (case, spaces, an alias), or not at all."""

    EXACT = "exact"
    OTHER_KIND = "other_kind"
    ALIAS = "alias"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class TypeMatch:
    """Which type a key named (None when none) and how."""

    name: str | None
    how: TypeHow


_SEPARATORS = re.compile(r"[\s\-_]+")

#: The value syntax of each layout: the tuples layout hands one span, JSON a list.
_MODE_OF_LAYOUT = {"tuples": ValueMode.SINGLE, "jsonl": ValueMode.JSON_LIST}


def _folded(name: str) -> str:
    """A type name compared loosely: case, spaces, hyphens and underscores aside."""
    return _SEPARATORS.sub("_", name.strip()).casefold()


class SpanSchema:
    """Closed types with span lists for one (task, design): resolves records to pairs."""

    def __init__(self, task: Task, design: Design) -> None:
        self.task = task
        self.design = design
        self.spans = task.spans
        self.reader = SpanReader(self.spans, task.placeholder)
        types = self.spans.types
        self._names = {t.name: t.name for t in types}
        self._codes = {str(t.code): t.name for t in types}
        self._order = {t.name: t.code for t in types}
        loose: dict[str, str] = {}
        for t in types:
            loose.setdefault(_folded(t.name), t.name)
        for t in types:
            for alias in t.aliases:
                loose.setdefault(_folded(alias), t.name)
        self._loose = loose
        self.key_spellings: tuple[str, ...] = (
            tuple(t.name for t in types)
            + tuple(alias for t in types for alias in t.aliases)
            + tuple(self._codes)
        )
        self.value_spellings: tuple[str, ...] = (task.placeholder,)
        # Long extraction outputs are read whole: a span may be any text, so no stretch of an
        # output can be shown to name nothing (fold.py needs anchors to cut around).
        self.anchor_spellings: tuple[str, ...] = ()
        self.other_spellings: tuple[str, ...] = ()
        #: Whether the design writes every type, with the placeholder when it has no span.
        self.every_type = design.format is not Format.TUPLES and not design.omit_unmentioned

    # ---- the Vocabulary questions readers ask -------------------------------------------
    def resolve_type(self, key: str) -> TypeMatch:
        """Which type a written key names under this design, and how."""
        key = key.strip()
        numeric = self.design.numeric_labels
        by_name, by_code = self._names.get(key), self._codes.get(key)
        if by_name is not None:
            return TypeMatch(by_name, TypeHow.OTHER_KIND if numeric else TypeHow.EXACT)
        if by_code is not None:
            return TypeMatch(by_code, TypeHow.EXACT if numeric else TypeHow.OTHER_KIND)
        loose = self._loose.get(_folded(key))
        if loose is not None:
            return TypeMatch(loose, TypeHow.ALIAS)
        return TypeMatch(None, TypeHow.NONE)

    def key_kind(self, text: str) -> KeyKind:
        """What a key spells: a type as written, a variant of one, or nothing known."""
        how = self.resolve_type(text).how
        if how is TypeHow.EXACT:
            return KeyKind.EXACT
        return KeyKind.UNKNOWN if how is TypeHow.NONE else KeyKind.VARIANT

    def value_kind(self, text: str) -> ValueKind:
        """Values are open text: only the placeholder is a known spelling."""
        return ValueKind.CANONICAL if text.strip() == self.task.placeholder else ValueKind.NONE

    def is_template(self, text: str) -> bool:
        """Extraction tasks have no format template to echo."""
        return False

    # ---- records to pairs ----------------------------------------------------------------
    def nothing(self) -> Prediction:
        """The prediction of an output that says nothing: no pair."""
        return Prediction({})

    def resolve(
        self,
        records: list[Record],
        text: str,
        diags: Diagnostics,
        layout: str = "",
        source: str | None = None,
    ) -> Prediction:
        """The (type, span) pairs of the records in output order, with a diagnostic for every
        non-exact step; spans not in `source` are reported when it is given."""
        mode = _MODE_OF_LAYOUT.get(layout, ValueMode.JOINED)
        # one item per type (duplicates and order judged) where the trained design groups
        grouped = mode is not ValueMode.SINGLE and self.design.format is not Format.TUPLES
        normalize = self.spans.normalize
        content_end = len(text.rstrip())
        pairs: list[Pair] = []
        located: list[tuple[str, int, int]] = []  # each pair's span and where it was written
        seen_pairs: set[tuple[str, str]] = set()
        seen_types: set[str] = set()
        order: list[str] = []
        for item in records:
            key = item.key
            match = self.resolve_type(key.text)
            if match.name is None:
                diags.add(
                    Code.UNKNOWN_TYPE,
                    key.start,
                    key.end,
                    f"{preview(key.text)!r} is not a type of {self.task.name}",
                    "its spans dropped",
                )
                continue
            name = match.name
            if match.how is TypeHow.ALIAS:
                diags.add(
                    Code.TYPE_ALIAS,
                    key.start,
                    key.end,
                    f"{preview(key.text)!r} read as {name}",
                    f"read as {name}",
                )
            elif match.how is TypeHow.OTHER_KIND:
                kind = "type name" if self.design.numeric_labels else "numeric code"
                diags.add(
                    Code.LABEL_KIND_MISMATCH,
                    key.start,
                    key.end,
                    f"{preview(key.text)!r} is a {kind}",
                    f"read as {name}",
                )
            if grouped:
                if name in seen_types:
                    diags.add(
                        Code.DUPLICATE_ASPECT,
                        item.start,
                        item.end,
                        f"{name} given again",
                        "spans read together",
                    )
                else:
                    seen_types.add(name)
                    order.append(name)
            else:
                seen_types.add(name)
            if item.value is None:
                continue
            at_end = item.value.end >= content_end
            pieces = self.reader.read(item.value, mode, at_end, diags)
            spans = [p for p in pieces if p.kind is PieceKind.SPAN]
            holders = [p for p in pieces if p.kind is PieceKind.PLACEHOLDER]
            if not pieces and mode is ValueMode.JOINED and not item.value.text.strip():
                diags.add(
                    Code.EMPTY_ITEM,
                    item.start,
                    item.end,
                    f"{name} has neither spans nor the placeholder",
                    "read as no span",
                )
            if holders and spans:
                for holder in holders:
                    diags.add(
                        Code.PLACEHOLDER_MIXED,
                        holder.field.start,
                        holder.field.end,
                        f"the placeholder among the spans of {name}",
                        "kept the spans",
                    )
            elif holders and not self.every_type:
                diags.add(
                    Code.UNEXPECTED_PLACEHOLDER,
                    item.start,
                    item.end,
                    f"{name} written with {self.task.placeholder} where the design leaves it out"
                    if mode is ValueMode.JOINED
                    else f"the placeholder written as a span of {name}",
                    "none needed",
                )
            for piece in spans:
                span = piece.field.text
                written = (name, normalize(span))
                if written in seen_pairs:
                    diags.add(
                        Code.DUPLICATE_PAIR,
                        piece.field.start,
                        piece.field.end,
                        f"({name}, {preview(span)!r}) given again",
                        "kept once",
                    )
                    continue
                seen_pairs.add(written)
                pairs.append((name, span))
                located.append((span, piece.field.start, piece.field.end))
        end = len(text)
        if self.every_type:
            for t in self.spans.types:
                if t.name not in seen_types:
                    diags.add(
                        Code.MISSING_ASPECT,
                        end,
                        end,
                        f"type {t.name} is absent",
                        "read as no span",
                    )
        if grouped:
            positions = [self._order[name] for name in order]
            if positions != sorted(positions):
                diags.add(
                    Code.ASPECT_ORDER, 0, end, "types are not in the task's order", "none needed"
                )
        if source is not None:
            self._ground(located, source, diags)
        return Prediction({}, {}, tuple(pairs))

    def _ground(self, located: list[tuple[str, int, int]], source: str, diags: Diagnostics) -> None:
        """An ungrounded_span for each span that does not occur in the input (after the
        task's normalization); each distinct span is looked up once, through `_Grounds`."""
        normalize = self.spans.normalize
        grounds = _Grounds(normalize(source))
        checked: dict[str, bool] = {}
        for span, start, end in located:
            needle = normalize(span)
            found = checked.get(needle)
            if found is None:
                found = checked[needle] = grounds.holds(needle)
            if not found:
                diags.add(
                    Code.UNGROUNDED_SPAN,
                    start,
                    end,
                    f"{preview(span)!r} does not occur in the input",
                    "kept",
                )


#: The source length times the spans looked up, from which `_Grounds` builds its index.
_INDEX_FROM = 2_000_000
_GRAM = 3


class _Grounds:
    """Whether spans occur in one source. A search costs up to the source's length, so many
    spans against a long source would cost their product: past `_INDEX_FROM` the source's
    3-grams are gathered once (one C-level pass), and a span holding a 3-gram the source lacks
    is known absent without a search (the answer is the same; only spans all of whose 3-grams
    occur are searched)."""

    def __init__(self, haystack: str) -> None:
        self.haystack = haystack
        self.searched = 0
        self.grams: set[str] | None = None

    def holds(self, needle: str) -> bool:
        haystack = self.haystack
        if self.grams is None and self.searched * len(haystack) >= _INDEX_FROM:
            self.grams = set(re.findall(f"(?=(.{{{_GRAM}}}))", haystack, re.DOTALL))
        grams = self.grams
        if grams is not None and len(needle) >= _GRAM:
            at = needle.__getitem__
            for i in range(len(needle) - _GRAM + 1):
                if at(slice(i, i + _GRAM)) not in grams:
                    return False
        self.searched += 1
        return needle in haystack
