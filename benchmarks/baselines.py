"""Named baselines the benchmark compares sdeparse against.

Each baseline is built for one (task, design) by a factory and returns a function
``text -> dict[aspect, label]`` holding only the aspects it found (the caller fills the rest
with the placeholder when scoring). None of them diagnoses anything:

- ``naive``: the floor of work any parser must do for the layout. Natural: strip the
  terminator, split on the pair separator, then on the key-value colon; Lines: split on
  newlines, then on the colon; JSON lines: ``json.loads`` each line and read the two keys.
  Labels are looked up exactly (text or numeric code); anything else is skipped.
- ``json.loads`` / ``orjson``: decode each line and nothing else (valid JSON designs only).
- ``json_repair``: ``json_repair.loads`` on each line, then read the keys and look up the
  label exactly (broken JSON designs).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sdeparse import Design, Task

Reader = Callable[[str], dict[str, str]]


def _label_lookup(task: Task, design: Design) -> dict[str, str]:
    """Spelled label -> label name: text labels, or codes written as strings for NumLabel."""
    if design.numeric_labels:
        return {str(code): name for name, code in task.code_by_label.items()}
    return {name: name for name in task.label_names}


def naive_pairs(task: Task, design: Design) -> Reader:
    """Split on the separators, look the aspect and label up; nothing else."""
    punct = task.punctuation
    kv = punct.key_value
    terminator = punct.terminator
    separator = "\n" if design.format == "lines" else punct.pair_separator
    aspects = frozenset(task.aspect_names)
    lookup = _label_lookup(task, design)

    def read(text: str) -> dict[str, str]:
        if terminator and separator != "\n":
            text = text.strip(terminator)
        found: dict[str, str] = {}
        for piece in text.split(separator):
            key, _, value = piece.partition(kv)
            label = lookup.get(value)
            if label is not None and key in aspects:
                found[key] = label
        return found

    return read


def _item_reader(task: Task, design: Design, loads: Callable[[str], object]) -> Reader:
    keys = task.json_keys
    aspect_key, label_key = keys.aspect, keys.label
    aspects = frozenset(task.aspect_names)
    lookup = _label_lookup(task, design)

    def read(text: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for line in text.split("\n"):
            if not line:
                continue
            try:
                obj = loads(line)
            except Exception:  # noqa: BLE001 - a baseline only skips what it cannot read
                continue
            if not isinstance(obj, dict):
                continue
            aspect = obj.get(aspect_key)
            label = lookup.get(str(obj.get(label_key)))
            if label is not None and aspect in aspects:
                found[aspect] = label
        return found

    return read


def naive_json(task: Task, design: Design) -> Reader:
    """``json.loads`` per line, read the two keys, look them up; bad lines are skipped."""
    return _item_reader(task, design, json.loads)


def decode_only(loads: Callable[[str], object]) -> Callable[[Task, Design], Reader]:
    """A factory for a reader that decodes each line and nothing more (returns no labels)."""

    def factory(task: Task, design: Design) -> Reader:
        def read(text: str) -> dict[str, str]:
            for line in text.split("\n"):
                if line:
                    loads(line)
            return {}

        return read

    return factory


def json_repair_lines(task: Task, design: Design) -> Reader:
    """``json_repair.loads`` on each line, then read the keys (labels looked up exactly)."""
    import json_repair

    return _item_reader(task, design, json_repair.loads)


def naive(task: Task, design: Design) -> Reader:
    """The naive splitter for the design's layout."""
    return naive_json(task, design) if design.is_json else naive_pairs(task, design)


def available() -> dict[str, bool]:
    """Which optional baseline libraries are installed."""
    found = {}
    for module in ("orjson", "json_repair"):
        try:
            __import__(module)
            found[module] = True
        except ImportError:
            found[module] = False
    return found


def decoders() -> dict[str, Callable[[Task, Design], Reader]]:
    """The decode-only baselines for valid JSON: json.loads, and orjson when installed."""
    chosen = {"json.loads": decode_only(json.loads)}
    if available()["orjson"]:
        import orjson

        chosen["orjson"] = decode_only(orjson.loads)
    return chosen
