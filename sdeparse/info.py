"""What the ``tasks`` and ``render`` commands print: a task described for people (and as
data), and canonical targets written for a JSON Lines file of labels."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

from .design import CLASSIFICATION_FORMATS, EXTRACTION_FORMATS, Design
from .errors import SdeparseError
from .evaluation import BadInput, _as_record, _measured_chunks, dumps, open_input
from .render import render
from .task import Task


def describe_task(task: Task) -> dict[str, Any]:
    """A task as plain data: its slots (or types), labels, marks, JSON keys and designs."""
    formats = EXTRACTION_FORMATS if task.is_extraction else CLASSIFICATION_FORMATS
    data: dict[str, Any] = {
        "name": task.name,
        "kind": task.kind.value,
        "description": task.description,
        "placeholder": task.placeholder,
        "punctuation": {
            "key_value": task.punctuation.key_value,
            "pair_separator": task.punctuation.pair_separator,
            "terminator": task.punctuation.terminator,
        },
        "formats": [f.value for f in formats],
        "design_names": dict(task.design_aliases),
    }
    if task.is_extraction:
        data["types"] = [
            {"name": t.name, "code": t.code, "aliases": list(t.aliases)}
            for t in task.spans.types
        ]
        data["json_keys"] = {"type": task.json_keys.aspect, "spans": task.json_keys.label}
        data["quoting"] = task.spans.quoting.value
    else:
        data["aspects"] = [
            {"name": a.name, "keywords": list(a.keywords), "aliases": list(a.aliases)}
            for a in task.aspects
        ]
        data["labels"] = [
            {"name": lab.name, "code": lab.code, "synonyms": list(lab.synonyms),
             "contains": list(lab.contains)}
            for lab in task.labels
        ]
        data["json_keys"] = {
            "aspect": task.json_keys.aspect,
            "label": task.json_keys.label,
            "description": task.json_keys.description,
        }
    return data


def render_task(task: Task) -> str:
    """A task for people: one line per slot or type and per label, then marks and designs."""
    data = describe_task(task)
    lines = [f"{task.name} ({task.kind.value}): {task.description}", ""]
    if task.is_extraction:
        lines.append("types (code, name, aliases):")
        for t in data["types"]:
            aliases = f"  also {', '.join(t['aliases'])}" if t["aliases"] else ""
            lines.append(f"  {t['code']:>3}  {t['name']}{aliases}")
        lines.append(f"\nno-span placeholder: {task.placeholder!r}; spans quoted: "
                     f"{data['quoting']}")
    else:
        lines.append("aspects (name, keywords, aliases):")
        for a in data["aspects"]:
            extra = ", ".join(a["keywords"] + a["aliases"])
            lines.append(f"  {a['name']}" + (f"  ({extra})" if extra else ""))
        lines.append("\nlabels (code, name, synonyms):")
        for lab in data["labels"]:
            synonyms = f"  also {', '.join(lab['synonyms'])}" if lab["synonyms"] else ""
            mark = "  (placeholder)" if lab["name"] == task.placeholder else ""
            lines.append(f"  {lab['code']:>3}  {lab['name']}{mark}{synonyms}")
    punct = data["punctuation"]
    lines.append(
        f"\npunctuation: key-value {punct['key_value']!r}, pairs {punct['pair_separator']!r}, "
        f"terminator {punct['terminator']!r}"
    )
    keys = data["json_keys"]
    lines.append("JSON keys: " + ", ".join(f"{role} {name!r}" for role, name in keys.items()))
    lines.append("formats: " + ", ".join(data["formats"]) + " (with +omit, +numeric)")
    if data["design_names"]:
        lines.append("design names: " + ", ".join(
            f"{name} = {design}" for name, design in data["design_names"].items()))
    return "\n".join(lines) + "\n"


def render_file(
    path: str,
    task: Task,
    design: Design,
    labels_field: str = "labels",
    descriptions_field: str = "descriptions",
    target_field: str = "target",
) -> Iterator[bytes]:
    """Each record of a JSON Lines file with its canonical target added; a record that
    cannot be rendered gets an ``input_error`` field (line, kind, reason) instead."""
    stream, _, close = open_input(path)
    try:
        lines = (
            line
            for block in _measured_chunks(stream, deque(), source=str(path))
            for line in block.lines()
        )
        for number, raw in lines:
            try:
                record = _as_record(raw, number == 1)
            except BadInput as bad:
                error = {"line": number, "kind": bad.kind, "reason": bad.reason}
                if isinstance(raw, bytes):
                    text = raw.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
                    yield dumps({"input_error": error, "raw": text}) + b"\n"
                else:
                    yield dumps({"input_error": error}) + b"\n"
                continue
            try:
                target = render(
                    _labels(record, labels_field, task),
                    task,
                    design,
                    _descriptions(record, descriptions_field),
                )
            except (SdeparseError, TypeError, ValueError) as exc:
                error = {"line": number, "kind": "cannot_render", "reason": str(exc)}
                yield dumps({**record, "input_error": error}) + b"\n"
                continue
            yield dumps({**record, target_field: target}) + b"\n"
    finally:
        if close:
            stream.close()


def _labels(record: Mapping[str, Any], field: str, task: Task) -> Any:
    if field not in record:
        raise ValueError(f"no {field!r} field")
    value = record[field]
    if isinstance(value, str):  # a JSON-encoded mapping written as a string
        value = json.loads(value)
    if task.is_extraction:
        if not isinstance(value, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
            for pair in value
        ):
            raise ValueError(f"field {field!r} must be a list of [type, span] pairs")
        return [(kind, span) for kind, span in value]
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"field {field!r} must map each aspect to a label")
    return value


def _descriptions(record: Mapping[str, Any], field: str) -> dict[str, str] | None:
    value = record.get(field)
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return value
    return None
