"""The canonical output of any design: the text a fine-tuning sample's target holds."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .design import Design, Format
from .errors import DesignError, RenderError
from .layouts import layout_for
from .layouts.jsonspans import render_span_object
from .schemas.spanlist import quote
from .task import Quoting, Task, load_task


def spell(label: str, task: Task, design: Design) -> str | int:
    """How the design writes a label: its text, or its numeric code."""
    return task.code_by_label[label] if design.numeric_labels else label


def render(
    labels: Mapping[str, str] | Iterable[tuple[str, str]],
    task: Task | str,
    design: Design | str,
    descriptions: Mapping[str, str] | None = None,
) -> str:
    """Canonical output for `labels` ({aspect: label}); aspects left out get the placeholder.
    For an extraction task, `labels` is the list of (type, span) pairs instead.

    CoT and R-CoT take each aspect's description from `descriptions` (empty if not given).
    """
    task = load_task(task)
    design = task.design(design)
    check_design(task, design)
    if task.is_extraction:
        if isinstance(labels, Mapping):
            raise TypeError(
                f"{task.name} is an extraction task: render takes a list of (type, span) pairs"
            )
        return render_extractions(labels, task, design)
    if design.format is Format.TUPLES:
        raise DesignError("the tuples design is for extraction tasks")
    if not isinstance(labels, Mapping):
        raise TypeError(f"labels must be a mapping of aspect to label, not {type(labels).__name__}")
    for aspect, label in labels.items():
        if aspect not in task.aspect_names:
            raise RenderError(f"{aspect!r} is not an aspect of task {task.name!r}")
        if label not in task.code_by_label:
            raise RenderError(
                f"{label!r} (for {aspect!r}) is not a label of task {task.name!r}: "
                f"use one of {list(task.label_names)}"
            )
    descriptions = descriptions or {}
    chosen = [
        (aspect, labels.get(aspect, task.placeholder))
        for aspect in task.aspect_names
        if not (
            design.omit_unmentioned and labels.get(aspect, task.placeholder) == task.placeholder
        )
    ]
    layout = layout_for(design)
    items = [
        layout.render_item(
            aspect, spell(label, task, design), task, design, descriptions.get(aspect, "")
        )
        for aspect, label in chosen
    ]
    joiner, ending = layout.joiner(task, design)
    return joiner.join(items) + ending if items else ""


def check_design(task: Task, design: Design) -> None:
    """A DesignError when the design has no meaning for the task's kind."""
    if task.is_extraction and design.has_description:
        raise DesignError(
            f"{design.name}: extraction tasks have no CoT designs "
            "(use tuples, natural, lines or json)"
        )
    if not task.is_extraction and design.format is Format.TUPLES:
        raise DesignError(f"{design.name}: the tuples design is for extraction tasks")


_BARE_FORBIDDEN = re.compile(r"[,，;；\n]")


def _checked_pairs(pairs: Iterable[tuple[str, str]], task: Task, design: Design) -> list:
    """The pairs as a list, each type a type name of the task and each span writable in the
    design so that it reads back as itself."""
    spans = task.spans
    names = {t.name for t in spans.types}
    out = []
    bare = spans.quoting is Quoting.NONE and design.format in (Format.NATURAL, Format.LINES)
    for pair in pairs:
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"an extraction is a (type, span) pair, not {pair!r}")
        kind, span = pair
        if kind not in names:
            raise RenderError(f"{kind!r} is not a type of task {task.name!r}: use one of "
                              f"{[t.name for t in spans.types]}")
        if not isinstance(span, str) or not span:
            raise RenderError(f"a span must be a non-empty string, not {span!r}")
        if bare and (
            span != span.strip()
            or _BARE_FORBIDDEN.search(span)
            or span.casefold() == task.placeholder.casefold()
            or (len(span) >= 2 and span[0] in "'\"" and span[-1] == span[0])
        ):
            raise RenderError(
                f"the span {span!r} cannot be written bare in {design.name} (spaces at its "
                "ends, a comma, a semicolon, a newline, quotes around it, or the placeholder): "
                "it would not read back as itself"
            )
        out.append((kind, span))
    return out


def render_extractions(pairs: Iterable[tuple[str, str]], task: Task, design: Design) -> str:
    """Canonical output of an extraction task: a tuple per pair in the given order (tuples),
    else an item per type in the task's order with its spans in the given order."""
    checked = _checked_pairs(pairs, task, design)
    spans = task.spans
    layout = layout_for(design)
    numeric = design.numeric_labels
    if design.format is Format.TUPLES:
        if not checked:
            return spans.empty_tuples
        code = {t.name: str(t.code) for t in spans.types}
        return "\n".join(
            layout.render_item(code[k] if numeric else k, s, task, design) for k, s in checked
        )
    grouped: dict[str, list[str]] = {t.name: [] for t in spans.types}
    for kind, span in checked:
        grouped[kind].append(span)
    items = []
    for t in spans.types:
        found = grouped[t.name]
        if design.omit_unmentioned and not found:
            continue
        if design.format is Format.JSON:
            items.append(render_span_object(t.code if numeric else t.name, found, task))
            continue
        key = quote(str(t.code) if numeric else t.name, spans.quoting)
        value = spans.joiner.join(quote(s, spans.quoting) for s in found) or task.placeholder
        if bare_bracketed(value, spans.quoting):
            raise RenderError(
                f"the spans of {t.name} would read back as a bracketed list: {value!r}"
            )
        items.append(layout.render_item(key, value, task, design))
    joiner, ending = layout.joiner(task, design)
    return joiner.join(items) + ending if items else ""


def bare_bracketed(value: str, quoting: Quoting) -> bool:
    """Whether a value of bare spans starts with [ and ends with ] (it would read as a list)."""
    return quoting is Quoting.NONE and value.startswith("[") and value.endswith("]")
