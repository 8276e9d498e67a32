"""The paper's schema: soft matching of the raw pairs to slots and labels (rules 4 to 6).

A key fills every slot not filled yet whose keyword it contains, keys scanned in output order;
a value takes the label of the first rule substring it contains; whatever is left gets the
placeholder. None of this counts as a format error.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from ..task import Task


@lru_cache(maxsize=64)
def paper_rules(task: Task) -> tuple[tuple[str, str], ...]:
    """The task's (substring, label) rules in order: its own `paper_label_rules`, or else each
    label's `contains` substrings (its name when it has none), as the script's list."""
    if task.paper_label_rules:
        return task.paper_label_rules
    return tuple(
        (sub.casefold(), label.name)
        for label in task.labels
        for sub in (label.contains or (label.name,))
    )


def paper_label(task: Task, value: str) -> str:
    """Rules 5 and 6: the first contained rule substring decides, else the placeholder."""
    for sub, label in paper_rules(task):
        if sub in value:
            return label
    return task.placeholder


def paper_fill(task: Task, pairs: Mapping[str, str]) -> dict[str, str]:
    """Rules 4 to 6: keyword matching of keys in order, soft labels, placeholders."""
    raw: dict[str, str] = {}
    keywords = [(a.name, a.keywords) for a in task.aspects]
    for key, value in pairs.items():
        for name, words in keywords:
            if name not in raw and any(word in key for word in words):
                raw[name] = value
    return {
        name: paper_label(task, raw[name]) if name in raw else task.placeholder
        for name in task.aspect_names
    }
