"""The paper's schema: soft matching of the raw pairs to slots and labels (rules 4 to 6).

A key fills every slot not filled yet whose keyword it contains, keys scanned in output order;
a value takes the label of the first rule substring it contains; whatever is left gets the
placeholder. None of this counts as a format error.

The released script knew only MASA; for any other task its rules are read from the task
(`PaperRules`): an aspect without keywords is its own keyword; a task without
`paper_label_rules` uses each label's name, synonyms and `contains` substrings, longest first
(so each label's own name maps to itself); keywords and label rules written in cased letters
are compared case-insensitively. MASA (keywords and rules in Chinese, its own rules given) is
read exactly as the script reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from ..task import Task


def is_cased(text: str) -> bool:
    """Whether the text holds a letter that has an upper and a lower case (Latin, Greek, ...)."""
    return any(ch.lower() != ch.upper() for ch in text)


@dataclass(frozen=True)
class PaperRules:
    """The paper's matching data of one task: keywords per aspect and (substring, label) rules,
    each folded to lower case when it is written in cased letters."""

    #: (aspect, its keywords) in the task's order
    keywords: tuple[tuple[str, tuple[str, ...]], ...]
    #: (substring, label) in the order they are tried
    labels: tuple[tuple[str, str], ...]
    #: keys are case-folded before keyword matching
    fold_keys: bool
    #: values are case-folded before the label rules
    fold_values: bool
    #: the task's punctuation puts spaces around its marks: keys and values are stripped
    spaced: bool


@lru_cache(maxsize=64)
def paper_rules_of(task: Task) -> PaperRules:
    """The task's paper rules (see the module docstring)."""
    keywords = tuple((a.name, a.keywords or (a.name,)) for a in task.aspects)
    fold_keys = any(is_cased(word) for _, words in keywords for word in words)
    if task.paper_label_rules:
        rules = task.paper_label_rules
    else:
        derived: dict[str, str] = {}
        for label in task.labels:
            for sub in (label.name, *label.synonyms, *label.contains):
                derived.setdefault(sub, label.name)
        # longest first (a stable sort: ties keep the task's label order)
        rules = tuple(sorted(derived.items(), key=lambda rule: -len(rule[0])))
    fold_values = any(is_cased(sub) for sub, _ in rules)
    if fold_keys:
        keywords = tuple((name, tuple(w.casefold() for w in words)) for name, words in keywords)
    if fold_values:
        folded: dict[str, str] = {}
        for sub, name in rules:
            folded.setdefault(sub.casefold(), name)
        rules = tuple(folded.items())
    punct = task.punctuation
    spaced = any(
        mark != mark.strip() and mark.strip()
        for mark in (punct.key_value, punct.pair_separator, punct.terminator)
    )
    return PaperRules(keywords, rules, fold_keys, fold_values, spaced)


def paper_rules(task: Task) -> tuple[tuple[str, str], ...]:
    """The task's (substring, label) rules in the order they are tried: its own
    `paper_label_rules`, or else derived from its labels (see the module docstring)."""
    return paper_rules_of(task).labels


def paper_label(task: Task, value: str, rules: PaperRules | None = None) -> str:
    """Rules 5 and 6: the first contained rule substring decides, else the placeholder."""
    if rules is None:
        rules = paper_rules_of(task)
    if rules.fold_values:
        value = value.casefold()
    for sub, label in rules.labels:
        if sub in value:
            return label
    return task.placeholder


def paper_fill(task: Task, pairs: Mapping[str, str]) -> dict[str, str]:
    """Rules 4 to 6: keyword matching of keys in order, soft labels, placeholders."""
    rules = paper_rules_of(task)
    raw: dict[str, str] = {}
    for key, value in pairs.items():
        if rules.fold_keys:
            key = key.casefold()
        for name, words in rules.keywords:
            if name not in raw and any(word in key for word in words):
                raw[name] = value
    return {
        name: paper_label(task, raw[name], rules) if name in raw else task.placeholder
        for name in task.aspect_names
    }
