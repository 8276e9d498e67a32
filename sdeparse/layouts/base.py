"""What every layout plugin provides, and the narrow questions a reader may ask a schema.

A layout turns text into syntax records and syntax diagnostics. It never decides which slot a
key names or which label a value names (the schema does); where splitting the text depends on
the task's words (is ``输出`` a slot? does ``食品评价中性`` start with a slot name?) it asks the
schema's `Vocabulary`, which answers yes/no questions about spellings and resolves nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import ClassVar, Protocol

from ..design import Design
from ..fold import FoldRules
from ..records import Diagnostics, Record
from ..task import Task


class KeyKind(Enum):
    """What a key spells: a slot's own name, a variant of one (alias, keyword), a piece of the
    prompt's format template, or nothing the task knows."""

    EXACT = "exact"
    VARIANT = "variant"
    TEMPLATE = "template"
    UNKNOWN = "unknown"

    @property
    def names_slot(self) -> bool:
        return self is KeyKind.EXACT or self is KeyKind.VARIANT


class ValueKind(Enum):
    """What a value spells: a label as the design writes it, a label written in the other kind
    (text for numeric or the reverse), a synonym, a text containing one label, or no label."""

    CANONICAL = "canonical"
    OTHER_KIND = "other_kind"
    SYNONYM = "synonym"
    CONTAINS = "contains"
    NONE = "none"


class Vocabulary(Protocol):
    """The schema's answers to the spelling questions a reader needs for splitting text."""

    key_spellings: tuple[str, ...]
    value_spellings: tuple[str, ...]
    #: texts one of which (case-insensitively) every key naming a slot contains; empty when
    #: the schema cannot say, and long outputs are then read whole (see fold.py)
    anchor_spellings: tuple[str, ...]
    #: every other text a reading depends on (labels, synonyms, codes, JSON key names)
    other_spellings: tuple[str, ...]

    def key_kind(self, text: str) -> KeyKind: ...

    def value_kind(self, text: str) -> ValueKind: ...

    def is_template(self, text: str) -> bool: ...


class Shape(Enum):
    """A layout-level fact a reader observed; detection compares these with the design."""

    PAIRS_ON_LINES = "pairs on several lines"
    PAIRS_JOINED = "several pairs on one line"
    KEY_VALUE_PAIRS = "key-value pairs"
    JSON_OBJECTS = "JSON objects"
    JSON_ARRAY = "a JSON array"
    JSON_JOINED = "JSON objects joined on one line"
    JSON_MAPPING = "one object mapping slots to values"
    DESCRIPTIONS = "description fields"
    COT_ORDER = "description before label"
    RCOT_ORDER = "label before description"
    TUPLE_ARRAY = "one JSON array of tuples"
    TUPLES_JOINED = "several tuples on one line"


@dataclass(slots=True)
class Reading:
    """A reader's output: the records, and the shapes it observed (with how many lines held
    pairs, for messages)."""

    records: list[Record]
    shapes: set[Shape] = field(default_factory=set)
    lines_with_pairs: int = 0
    #: a long output's part left unread (fold.py), and the slot spellings written there
    unread: tuple[int, int] | None = None
    unread_names: frozenset[str] = frozenset()


CanonicalReader = Callable[[str], "tuple[dict[str, str], dict[str, str]] | None"]


class Layout(ABC):
    """One output layout: its grammar, reader, sniffing, renderer and canonical matcher."""

    #: The registry name, also the design format(s) it serves.
    name: ClassVar[str]
    #: The design formats whose canonical output is in this layout.
    formats: ClassVar[tuple[str, ...]]
    #: The tolerant grammar file (in ``grammars/``) the reader parses with.
    grammar: ClassVar[str]
    #: The template of its canonical grammar (in ``grammars/canonical/``; canonical.py), or
    #: "" when the layout has none yet.
    canonical_template: ClassVar[str] = ""

    def canonical_item(self, design: Design) -> str:
        """The template rule that shapes one canonical item of `design` (canonical.py)."""
        raise NotImplementedError(f"no canonical grammar for the {self.name} layout")

    @abstractmethod
    def sniff(self, text: str) -> bool:
        """Whether the text may be in this layout (cheap; the reader then confirms)."""

    @abstractmethod
    def read(
        self,
        text: str,
        task: Task,
        design: Design,
        vocabulary: Vocabulary,
        diags: Diagnostics,
        expected: bool,
    ) -> Reading:
        """Records and syntax diagnostics. `expected` is False when the design was trained on
        another layout: punctuation is then not compared with a canonical spelling."""

    @abstractmethod
    def joiner(self, task: Task, design: Design) -> tuple[str, str]:
        """(what joins the items, what ends the output) in canonical output."""

    @abstractmethod
    def render_item(
        self, key: str, value: str | int, task: Task, design: Design, description: str = ""
    ) -> str:
        """One canonical item, the value already spelled as the design writes it."""

    def fold_rules(self, task: Task) -> FoldRules | None:
        """Where long outputs of this layout may be cut (fold.py); None: never cut."""
        return None

    def canonical_reader(self, task: Task, design: Design) -> CanonicalReader:
        """A function that reads exactly the canonical outputs (None for anything else)."""
        from ..fastpath import build_reader

        return build_reader(task, design, self)
