"""The canonical output of any design: the text a fine-tuning sample's target holds."""

from __future__ import annotations

from collections.abc import Mapping

from .design import Design
from .errors import RenderError
from .layouts import layout_for
from .task import Task, load_task


def spell(label: str, task: Task, design: Design) -> str | int:
    """How the design writes a label: its text, or its numeric code."""
    return task.code_by_label[label] if design.numeric_labels else label


def render(
    labels: Mapping[str, str],
    task: Task | str,
    design: Design | str,
    descriptions: Mapping[str, str] | None = None,
) -> str:
    """Canonical output for `labels` ({aspect: label}); aspects left out get the placeholder.

    CoT and R-CoT take each aspect's description from `descriptions` (empty if not given).
    """
    task = load_task(task)
    design = Design.parse(design)
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
