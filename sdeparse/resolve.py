"""From recovered items to the task's labels: aspect and label matching, duplicates, missing
aspects, order; every non-exact step becomes a diagnostic. Never guesses: whatever is
ambiguous or unknown leaves the aspect with the placeholder."""

from __future__ import annotations

from .design import Design
from .diagnostics import Code, Severity
from .items import Diagnostics, Item, preview
from .task import AspectHow, LabelHow, Task


def resolve(
    items: list[Item], text: str, task: Task, design: Design, diags: Diagnostics
) -> tuple[dict[str, str], dict[str, str]]:
    """Labels for every aspect of the task and descriptions where the items held them."""
    found: dict[str, str | None] = {}
    conflicting: set[str] = set()
    seen: set[str] = set()
    order: list[str] = []
    descriptions: dict[str, str] = {}
    numeric = design.numeric_labels
    for item in items:
        match = task.resolve_aspect(item.key)
        if match.how is AspectHow.TEMPLATE or (
            match.how is AspectHow.NONE and item.value is not None and task.is_template(item.value)
        ):
            diags.add(
                Code.TEMPLATE_ECHO,
                item.start,
                item.end,
                f"{preview(text[item.start : item.end])!r} repeats the prompt's format template",
                "dropped",
            )
            continue
        if match.how is AspectHow.NONE:
            diags.add(
                Code.UNKNOWN_ASPECT,
                item.key_start,
                item.key_end,
                f"{preview(item.key)!r} is not an aspect of {task.name}",
                "pair dropped",
            )
            continue
        if match.how in (AspectHow.ALIAS, AspectHow.KEYWORD):
            names = "、".join(match.aspects) if len(match.aspects) > 1 else match.aspects[0]
            diags.add(
                Code.ASPECT_ALIAS,
                item.key_start,
                item.key_end,
                f"{preview(item.key)!r} read as {names}",
                f"read as {names}",
            )
        label: str | None = None
        if item.value is not None:
            label = _label(item, task, numeric, diags)
        for aspect in match.aspects:
            if item.description is not None and aspect not in descriptions:
                descriptions[aspect] = item.description
            if aspect in seen:
                previous = found.get(aspect)
                if previous == label or label is None:
                    diags.add(
                        Code.DUPLICATE_ASPECT,
                        item.start,
                        item.end,
                        f"{aspect} given again",
                        "kept the first",
                    )
                elif previous is None:
                    found[aspect] = label
                    diags.add(
                        Code.DUPLICATE_ASPECT,
                        item.start,
                        item.end,
                        f"{aspect} given again",
                        "kept the one with a label",
                    )
                else:
                    conflicting.add(aspect)
                    diags.add(
                        Code.DUPLICATE_ASPECT,
                        item.start,
                        item.end,
                        f"{aspect} given again with a different label ({previous} and {label})",
                        "aspect gets the placeholder",
                        severity=Severity.ERROR,
                    )
                continue
            seen.add(aspect)
            order.append(aspect)
            found[aspect] = label
        if design.omit_unmentioned and label == task.placeholder:
            diags.add(
                Code.UNEXPECTED_PLACEHOLDER,
                item.start,
                item.end,
                f"{item.key} printed with {task.placeholder} where OU leaves it out",
                "none needed",
            )
    labels: dict[str, str] = {}
    end = len(text)
    for aspect in task.aspect_names:
        label = found.get(aspect)
        labels[aspect] = task.placeholder if label is None or aspect in conflicting else label
        if aspect not in seen and not design.omit_unmentioned:
            diags.add(
                Code.MISSING_ASPECT, end, end, f"{aspect} is absent", f"gets {task.placeholder}"
            )
    positions = [task.aspect_names.index(a) for a in order]
    if positions != sorted(positions):
        diags.add(Code.ASPECT_ORDER, 0, end, "aspects are not in the task's order", "none needed")
    return labels, descriptions


def _label(item: Item, task: Task, numeric: bool, diags: Diagnostics) -> str | None:
    value = item.value or ""
    match = task.resolve_label(value, numeric)
    s, e = item.value_start, item.value_end
    shown = preview(value)
    if match.how is LabelHow.EMPTY:
        diags.add(
            Code.INVALID_LABEL, s, e, f"{item.key} has an empty label", f"gets {task.placeholder}"
        )
    elif match.how is LabelHow.TEMPLATE:
        diags.add(
            Code.TEMPLATE_ECHO,
            s,
            e,
            f"{shown!r} repeats the prompt's format template",
            f"gets {task.placeholder}",
        )
    elif match.how is LabelHow.INVALID:
        diags.add(
            Code.INVALID_LABEL,
            s,
            e,
            f"{shown!r} is not a label of {task.name}",
            f"gets {task.placeholder}",
        )
    elif match.how is LabelHow.AMBIGUOUS:
        diags.add(
            Code.AMBIGUOUS_LABEL,
            s,
            e,
            f"{shown!r} names {' and '.join(match.candidates)}",
            f"gets {task.placeholder}",
        )
    elif match.kind_mismatch:
        kind = "text label" if numeric else "numeric code"
        diags.add(
            Code.LABEL_KIND_MISMATCH, s, e, f"{shown!r} is a {kind}", f"read as {match.label}"
        )
    elif match.how in (LabelHow.SYNONYM, LabelHow.CONTAINS):
        diags.add(
            Code.LABEL_SYNONYM, s, e, f"{shown!r} read as {match.label}", f"read as {match.label}"
        )
    elif value != value.strip():
        diags.add(Code.PUNCTUATION, s, e, "spaces around the label", "ignored")
    return match.label
