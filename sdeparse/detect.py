"""Detection: which layout the text is really in, read with that layout's reader, and the one
place where `format_mismatch` is decided, by comparing what was read with the design."""

from __future__ import annotations

from . import fold
from .design import Design, Format
from .diagnostics import Code
from .layouts import LAYOUTS, Layout, Reading, Shape, Vocabulary, layout_for
from .records import Diagnostics
from .task import Task


def read(
    text: str, task: Task, design: Design, vocabulary: Vocabulary, diags: Diagnostics
) -> tuple[Layout, Reading]:
    """The layout the text is in and its reading; layout slips are added to `diags`."""
    if task.is_extraction:
        return _read_extraction(text, task, design, vocabulary, diags)
    trained = layout_for(design)
    jsonl = LAYOUTS["jsonl"]
    pairs = LAYOUTS["lines"] if trained is jsonl else trained
    end = len(text)
    if trained is jsonl:
        if jsonl.sniff(text) or not pairs.sniff(text):
            return _read_as(jsonl, text, task, design, vocabulary, diags, trained)
        diags.add(
            Code.FORMAT_MISMATCH,
            0,
            end,
            "key-value pairs where JSON objects were trained",
            "read the pairs",
        )
        return _read_as(pairs, text, task, design, vocabulary, diags, trained)
    if jsonl.sniff(text):
        trial = Diagnostics()
        reading = read_with(jsonl, text, task, design, vocabulary, trial, expected=False)
        if reading.records:
            diags.add(
                Code.FORMAT_MISMATCH,
                0,
                end,
                f"JSON objects where {design.format.capitalize()} pairs were trained",
                "read the objects",
            )
            diags.extend(trial)
            return jsonl, reading
    return _read_as(pairs, text, task, design, vocabulary, diags, trained)


def read_with(
    layout: Layout,
    text: str,
    task: Task,
    design: Design,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    expected: bool,
) -> Reading:
    """The layout's reading of the text; a long output is first folded (fold.py) and what is
    read of it mapped back to the original positions."""
    rules = layout.fold_rules(task) if len(text) >= fold.FOLD_FROM else None
    folded = None
    if rules is not None:
        folder = fold.folder(vocabulary.anchor_spellings, vocabulary.other_spellings, rules)
        folded = folder.fold(text)
    if folded is None:
        return layout.read(text, task, design, vocabulary, diags, expected)
    inner = Diagnostics()
    reading = layout.read(folded.text, task, design, vocabulary, inner, expected)
    diags.extend(map(folded.diagnostic, inner))
    diags.extend(folded.notes)
    reading.records = [folded.record(r) for r in reading.records]
    reading.unread, reading.unread_names = folded.unread, folded.unread_names
    return reading


def _starts_a_line(text: str, mark: str) -> bool:
    """Whether some line of the text starts with `mark` (after spaces)."""
    return any(line.lstrip().startswith(mark) for line in text.split("\n"))


_NAMES = {"tuples": "tuples", "jsonl": "JSON objects", "natural": "key-value pairs",
          "lines": "key-value pairs"}


def _read_extraction(
    text: str, task: Task, design: Design, vocabulary: Vocabulary, diags: Diagnostics
) -> tuple[Layout, Reading]:
    """An extraction answer: JSON objects, tuples or key-value pairs, whichever it holds; a
    layout other than the trained one is a format_mismatch (natural and lines are one family,
    told apart by the shapes their reader observes)."""
    trained = layout_for(design)
    pairs = LAYOUTS["natural"], LAYOUTS["lines"]
    if _starts_a_line(text, "{") or _starts_a_line(text, "[{"):
        found = LAYOUTS["jsonl"]
    elif _starts_a_line(text, "["):
        found = LAYOUTS["tuples"]
    elif LAYOUTS["lines"].sniff(text):
        found = trained if trained in pairs else LAYOUTS["lines"]
    else:
        found = trained
    if found is trained:
        return _read_as(trained, text, task, design, vocabulary, diags, trained)
    trial = Diagnostics()
    reading = found.read(text, task, design, vocabulary, trial, expected=False)
    if not reading.records:
        return _read_as(trained, text, task, design, vocabulary, diags, trained)
    diags.add(
        Code.FORMAT_MISMATCH,
        0,
        len(text),
        f"{_NAMES[found.name]} where {design.format} was trained",
        f"read the {_NAMES[found.name]}",
    )
    diags.extend(trial)
    return found, reading


def _read_as(
    layout: Layout,
    text: str,
    task: Task,
    design: Design,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    trained: Layout,
) -> tuple[Layout, Reading]:
    expected = layout is trained
    mark = len(diags)
    reading = read_with(layout, text, task, design, vocabulary, diags, expected)
    if expected:
        diags[mark:mark] = _shape_mismatches(reading, design, task, len(text))
    return layout, reading


def _shape_mismatches(reading: Reading, design: Design, task: Task, end: int) -> Diagnostics:
    """format_mismatch for each shape the reading found that the design does not have."""
    found = Diagnostics()
    shapes = reading.shapes

    def mismatch(message: str, repair: str) -> None:
        found.add(Code.FORMAT_MISMATCH, 0, end, message, repair)

    fmt = design.format
    if fmt is Format.TUPLES and Shape.TUPLE_ARRAY in shapes:
        mismatch("one JSON array of tuples where one tuple per line was trained", "read each")
    if fmt is Format.TUPLES and Shape.TUPLES_JOINED in shapes:
        mismatch("several tuples on one line where one per line was trained", "read each")
    if fmt is Format.NATURAL and Shape.PAIRS_ON_LINES in shapes:
        mismatch(
            f"the answer puts its pairs on {reading.lines_with_pairs} lines (Lines layout) "
            "where one Natural sentence was trained",
            "read each line as a pair",
        )
    if fmt is Format.LINES and Shape.PAIRS_JOINED in shapes:
        mismatch(
            "pairs joined on one line (Natural layout) where one pair per line was trained",
            "split the line at its separators",
        )
    if not design.is_json:
        return found
    description = task.json_keys.description
    if Shape.JSON_ARRAY in shapes:
        mismatch("a JSON array where one object per line was trained", "read its objects")
    if Shape.JSON_JOINED in shapes:
        mismatch(
            "JSON objects joined on one line where one per line was trained", "read each object"
        )
    if Shape.JSON_MAPPING in shapes:
        mismatch(
            "one object mapping aspects to labels where one object per aspect was trained",
            "read each key as an aspect",
        )
    if Shape.DESCRIPTIONS in shapes and not design.has_description:
        mismatch(
            f"a {description!r} field (CoT layout) where plain JSON was trained",
            "ignored the description",
        )
    other_order = Shape.RCOT_ORDER if design.description_first else Shape.COT_ORDER
    if design.has_description and other_order in shapes:
        written, trained = ("R-CoT", "CoT") if design.description_first else ("CoT", "R-CoT")
        mismatch(
            f"description and label in {written} order where {trained} was trained",
            "read both fields",
        )
    return found
