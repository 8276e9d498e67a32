"""What a layout reader hands to a schema: syntax records (fields by role, each with its text
and span) and the collector of diagnostics every stage appends to."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from .diagnostics import Code, Diagnostic, Severity, make


class Role(Enum):
    """What a field of an item is for: the slot's name, its value, or the reasoning text."""

    KEY = "key"
    VALUE = "value"
    DESCRIPTION = "description"


class Field(NamedTuple):
    """One field of an item as written: its text (decoded, for JSON strings) and its span
    [start, end) in the original output. (A NamedTuple, as Record: immutable, and made at a
    third of a frozen dataclass's cost on the readers' hot path.)"""

    text: str
    start: int
    end: int


class Record(NamedTuple):
    """One item the reader recovered: its key, its value (None when the value was lost, cut
    off or absent; the key is then still known, so it is not reported missing twice), an
    optional description, and the span of the whole item. Readers never interpret the texts:
    which slot a key names and which label a value names is the schema's job."""

    key: Field
    value: Field | None
    start: int
    end: int
    description: Field | None = None

    @property
    def complete(self) -> bool:
        """Whether the item kept its value (a cut-off or value-less item is not complete)."""
        return self.value is not None

    def field(self, role: Role) -> Field | None:
        """The field playing `role`, None when absent."""
        if role is Role.KEY:
            return self.key
        return self.value if role is Role.VALUE else self.description


def record(
    key: str,
    key_start: int,
    key_end: int,
    value: str | None,
    value_start: int,
    value_end: int,
    start: int,
    end: int,
    description: Field | None = None,
) -> Record:
    """A Record from flat texts and positions, the form the readers find them in."""
    return Record(
        Field(key, key_start, key_end),
        None if value is None else Field(value, value_start, value_end),
        start,
        end,
        description,
    )


class Diagnostics(list[Diagnostic]):
    """A list of Diagnostic with a shorthand for adding a registered code."""

    def add(
        self,
        code: Code,
        start: int,
        end: int,
        message: str,
        repair: str = "",
        severity: Severity | None = None,
    ) -> None:
        self.append(make(code, start, end, message, repair, severity))

    def sorted(self) -> list[Diagnostic]:
        """In text order, so a reader meets them as they read the output."""
        return sorted(self, key=lambda d: (d.start, d.end))


def preview(text: str, limit: int = 30) -> str:
    """A short quotable excerpt of `text` for messages."""
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"
