"""Advice on a run where most lines could not be scored: the likely cause (wrong design, wrong
field names, not JSON Lines), found from the report's counts and a look at the first records."""

from __future__ import annotations

import itertools
from typing import Any

from .design import Design
from .evaluation import BadInput, decode_line, field_value, open_input
from .parser import parse
from .report import Report
from .task import Task, load_task

#: How many records of the file are read again to suggest a design or a field.
LOOK_AT = 20


def unscored_share(report: Report) -> float:
    """The share of the records read that were not scored (input or gold errors)."""
    if not report.records:
        return 0.0
    return (report.input_errors + report.gold_errors) / report.records


def nothing_scored(report: Report) -> str | None:
    """Why nothing of a file could be scored, or None when something was."""
    if report.n:
        return None
    if not report.records:
        return f"{report.source or 'the input'}: no records"
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(report.input_error_kinds.items()))
    parts = []
    if report.input_errors:
        parts.append(f"{report.input_errors} input errors ({kinds})")
    if report.gold_errors:
        parts.append(f"{report.gold_errors} targets that do not parse in the design")
    return f"nothing could be scored in {report.source or 'the input'}: " + " and ".join(parts)


def likely_cause(
    report: Report, path: str, task: Task | str, design: Design, prediction_field: str,
    target_field: str, targets_elsewhere: bool = False,
) -> str:
    """A one-line guess at why more than half of a file's lines were not scored
    (`targets_elsewhere`: the targets come from a --targets file, not the records)."""
    kinds = report.input_error_kinds
    not_json = sum(kinds.get(k, 0) for k in ("invalid_json", "invalid_utf8", "not_an_object",
                                            "blank_line"))
    fields = sum(kinds.get(k, 0) for k in ("missing_field", "not_a_string"))
    records = _first_records(path)
    if report.input_errors >= report.gold_errors and not_json >= fields:
        return "most lines are not JSON objects: is the file JSON Lines (one object per line)?"
    if report.input_errors >= report.gold_errors and records and not targets_elsewhere and not any(
        _has(record, target_field) for record in records
    ):
        return (f"the records have no {target_field!r} field: give --targets FILE (targets in "
                "another file) or --predictions-only (format errors and codes, no scores)")
    if report.input_errors >= report.gold_errors:
        names = sorted({key for record in records for key in record})
        shown = ", ".join(names[:12]) or "none readable"
        return (f"most records lack a string {prediction_field!r} or {target_field!r}: "
                f"check --prediction-field / --target-field (the records have: {shown})")
    better = _design_of_targets(records, load_task(task), design, target_field)
    if better is not None:
        return (f"most targets do not parse in the {design} design but do in {better}: "
                f"is --design {better} meant?")
    return (f"most targets do not parse cleanly in the {design} design: check --design and "
            "--task")


def _has(record: dict[str, Any], path: str) -> bool:
    """Whether a record holds a field name or dotted path."""
    try:
        field_value(record, path)
    except BadInput:
        return False
    return True


def _first_records(path: str) -> list[dict[str, Any]]:
    if path == "-":
        return []
    try:
        stream, _, close = open_input(path)
    except OSError:
        return []
    records = []
    try:
        for raw in itertools.islice(stream, LOOK_AT * 5):
            try:
                records.append(decode_line(raw[: 1 << 20]))
            except BadInput:
                continue
            if len(records) >= LOOK_AT:
                break
    finally:
        if close:
            stream.close()
    return records


def _design_of_targets(
    records: list[dict[str, Any]], task: Task, design: Design, target_field: str
) -> Design | None:
    """The design in which most of these targets parse cleanly, when it is not `design`."""
    targets = []
    for record in records:
        try:
            value = field_value(record, target_field)
        except BadInput:
            continue
        if isinstance(value, str):
            targets.append(value)
    if not targets:
        return None
    candidates = Design.extraction() if task.is_extraction else Design.all()
    best, best_count = None, len(targets) // 2
    for candidate in candidates:
        if candidate == design:
            continue
        count = sum(not parse(t, task, candidate).is_format_error for t in targets)
        if count > best_count:
            best, best_count = candidate, count
    return best
