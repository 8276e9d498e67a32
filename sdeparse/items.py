"""Items: what a layout reader recovers from the text (key, value, description, with spans),
and the diagnostics list the readers and the resolver append to."""

from __future__ import annotations

from dataclasses import dataclass

from .diagnostics import Code, Diagnostic, Severity, make


@dataclass(slots=True)
class Item:
    """One recovered aspect/label pair. `value` is None when the label was lost (cut off or
    absent); such an item still marks its aspect as seen, so it is not reported twice."""

    key: str
    key_start: int
    key_end: int
    value: str | None
    value_start: int
    value_end: int
    start: int
    end: int
    description: str | None = None


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
