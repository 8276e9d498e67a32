"""The slot schema: fixed slots (aspects), each with one label of a closed set.

Records in, a label for every slot out: aspect and label matching, duplicates, missing
aspects, order; every non-exact step becomes a diagnostic. Never guesses: whatever is
ambiguous or unknown leaves the aspect with the placeholder. The schema also answers the
readers' spelling questions (`Vocabulary`), so readers need no task lookups of their own.
"""

from __future__ import annotations

from ..design import Design
from ..diagnostics import Code, Severity
from ..layouts.base import KeyKind, ValueKind
from ..records import Diagnostics, Field, Record, preview
from ..task import AspectHow, LabelHow, Task
from .base import Prediction

_KEY_KINDS = {
    AspectHow.EXACT: KeyKind.EXACT,
    AspectHow.ALIAS: KeyKind.VARIANT,
    AspectHow.KEYWORD: KeyKind.VARIANT,
    AspectHow.TEMPLATE: KeyKind.TEMPLATE,
    AspectHow.NONE: KeyKind.UNKNOWN,
}


class SlotSchema:
    """Fixed slots with closed labels for one (task, design): resolves records to labels."""

    def __init__(self, task: Task, design: Design) -> None:
        self.task = task
        self.design = design
        self.key_spellings: tuple[str, ...] = tuple(task.aspect_names) + tuple(
            alias for a in task.aspects for alias in a.aliases
        )
        self.value_spellings: tuple[str, ...] = tuple(task.label_names) + tuple(
            str(c) for c in task.code_by_label.values()
        )
        self.anchor_spellings: tuple[str, ...] = tuple(
            dict.fromkeys(
                spelling for a in task.aspects for spelling in (a.name, *a.aliases, *a.keywords)
            )
        )
        self.other_spellings: tuple[str, ...] = tuple(
            dict.fromkeys(
                (
                    *self.value_spellings,
                    *(spelling for lab in task.labels for spelling in lab.synonyms),
                    *(spelling for lab in task.labels for spelling in lab.contains),
                )
            )
        )

    # ---- the Vocabulary questions readers ask -------------------------------------------
    def key_kind(self, text: str) -> KeyKind:
        """What a key spells (a slot name, a variant, the template, or nothing known)."""
        return _KEY_KINDS[self.task.resolve_aspect(text).how]

    def value_kind(self, text: str) -> ValueKind:
        """What a value spells under this design (canonical label, other kind, synonym...)."""
        match = self.task.resolve_label(text, self.design.numeric_labels)
        if match.how in (LabelHow.EXACT, LabelHow.CODE):
            return ValueKind.OTHER_KIND if match.kind_mismatch else ValueKind.CANONICAL
        if match.how is LabelHow.SYNONYM:
            return ValueKind.SYNONYM
        if match.how is LabelHow.CONTAINS:
            return ValueKind.CONTAINS
        return ValueKind.NONE

    def is_template(self, text: str) -> bool:
        """Whether the text is a piece of the prompt's format template."""
        return self.task.is_template(text)

    # ---- records to labels ---------------------------------------------------------------
    def resolve(
        self,
        records: list[Record],
        text: str,
        diags: Diagnostics,
        layout: str = "",
        source: str | None = None,
    ) -> Prediction:
        """A label for every slot, with a diagnostic for every non-exact step (the layout and
        the input do not change how a label is read)."""
        labels, descriptions = resolve(records, text, self.task, self.design, diags)
        return Prediction(labels, descriptions)

    def nothing(self) -> Prediction:
        """The prediction of an output that says nothing: the placeholder everywhere."""
        return Prediction(dict.fromkeys(self.task.aspect_names, self.task.placeholder))


def resolve(
    items: list[Record], text: str, task: Task, design: Design, diags: Diagnostics
) -> tuple[dict[str, str], dict[str, str]]:
    """Labels for every aspect of the task and descriptions where the items held them."""
    found: dict[str, str | None] = {}
    conflicting: set[str] = set()
    seen: set[str] = set()
    order: list[str] = []
    descriptions: dict[str, str] = {}
    numeric = design.numeric_labels
    for item in items:
        key = item.key
        match = task.resolve_aspect(key.text)
        if match.how is AspectHow.TEMPLATE or (
            match.how is AspectHow.NONE
            and item.value is not None
            and task.is_template(item.value.text)
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
                key.start,
                key.end,
                f"{preview(key.text)!r} is not an aspect of {task.name}",
                "pair dropped",
            )
            continue
        if match.how in (AspectHow.ALIAS, AspectHow.KEYWORD):
            names = "、".join(match.aspects) if len(match.aspects) > 1 else match.aspects[0]
            diags.add(
                Code.ASPECT_ALIAS,
                key.start,
                key.end,
                f"{preview(key.text)!r} read as {names}",
                f"read as {names}",
            )
        label: str | None = None
        if item.value is not None:
            label = _label(key.text, item.value, task, numeric, diags)
        for aspect in match.aspects:
            if item.description is not None and aspect not in descriptions:
                descriptions[aspect] = item.description.text
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
                f"{key.text} printed with {task.placeholder} where OU leaves it out",
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


def _label(key: str, written: Field, task: Task, numeric: bool, diags: Diagnostics) -> str | None:
    value = written.text
    match = task.resolve_label(value, numeric)
    s, e = written.start, written.end
    shown = preview(value)
    if match.how is LabelHow.EMPTY:
        diags.add(Code.INVALID_LABEL, s, e, f"{key} has an empty label", f"gets {task.placeholder}")
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
