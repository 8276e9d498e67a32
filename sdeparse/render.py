"""The canonical output of any design: the text a fine-tuning sample's target holds."""

from __future__ import annotations

import json
from collections.abc import Mapping

from .design import Design
from .errors import RenderError
from .task import Task, load_task


def _label_text(label: str, task: Task, design: Design) -> str | int:
    return task.code_by_label[label] if design.numeric_labels else label


def render_json_object(
    aspect: str, label: str, task: Task, design: Design, description: str = ""
) -> str:
    """One canonical JSON line: keys in the design's order, ``ensure_ascii=False`` spacing."""
    keys = task.json_keys
    value = _label_text(label, task, design)
    if design.format == "cot":
        obj = {keys.aspect: aspect, keys.description: description, keys.label: value}
    elif design.format == "rcot":
        obj = {keys.aspect: aspect, keys.label: value, keys.description: description}
    else:
        obj = {keys.aspect: aspect, keys.label: value}
    return json.dumps(obj, ensure_ascii=False)


def render_item(
    aspect: str, label: str, task: Task, design: Design, description: str = ""
) -> str:
    """One canonical item: a JSON line, or ``aspect：label`` in the task's punctuation."""
    if design.is_json:
        return render_json_object(aspect, label, task, design, description)
    return f"{aspect}{task.punctuation.key_value}{_label_text(label, task, design)}"


def layout(task: Task, design: Design) -> tuple[str, str]:
    """(what joins the items, what ends the output) in a design's canonical output."""
    if design.is_json or design.format == "lines":
        return "\n", ""
    return task.punctuation.pair_separator, task.punctuation.terminator


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
    items = [
        render_item(aspect, label, task, design, descriptions.get(aspect, ""))
        for aspect, label in chosen
    ]
    joiner, ending = layout(task, design)
    return joiner.join(items) + ending if items else ""
