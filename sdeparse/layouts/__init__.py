"""The registry of layouts: each output layout is a plugin registered here by name.

Adding a layout: a module with a `Layout` subclass (reader, sniff, renderer), its grammar in
``grammars/``, and one `register()` line below.
"""

from __future__ import annotations

from ..design import Design
from .base import KeyKind, Layout, Reading, Shape, ValueKind, Vocabulary
from .jsonl import JsonLinesLayout
from .lines import LinesLayout
from .natural import NaturalLayout
from .tuples import TuplesLayout

LAYOUTS: dict[str, Layout] = {}


def register(layout: Layout) -> Layout:
    """Add a layout to the registry (by its name); returns it, so it can be used inline."""
    LAYOUTS[layout.name] = layout
    return layout


register(NaturalLayout())
register(LinesLayout())
register(JsonLinesLayout())
register(TuplesLayout())


def layout_for(design: Design) -> Layout:
    """The layout a design's canonical output is written in."""
    for layout in LAYOUTS.values():
        if design.format in layout.formats:
            return layout
    raise LookupError(f"no layout serves the format {design.format!r}")


__all__ = [
    "LAYOUTS",
    "KeyKind",
    "Layout",
    "Reading",
    "Shape",
    "ValueKind",
    "Vocabulary",
    "layout_for",
    "register",
]
