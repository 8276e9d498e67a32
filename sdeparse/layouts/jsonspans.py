"""JSON objects of extraction tasks: ``{"event_type": "Motion", "trigger word": ["flew"]}``.

The JSON-lines reader (`jsonl`) reads the objects as it does for every task; for an extraction
task it hands them here instead of turning them into slot records. A span list is a value the
JSON grammar has no rule for (nothing nests there), so its tokens came out as a pair, values
without keys and brackets; this module takes the list back as the raw text between the spans
key's colon and its closing bracket, drops the diagnostics the object reader raised inside it,
and hands that text to the schema, which reads it as a JSON list of spans like any value.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import TYPE_CHECKING

from ..diagnostics import Code, Severity
from ..records import Diagnostics, Record, preview, record
from ..task import Task
from .base import Reading, Shape

if TYPE_CHECKING:
    from .jsonl import _Field, _Object, _Reader

#: The tokens that matter for finding where a list ends: closed strings (which may hold a
#: bracket), the closing bracket, a newline; anything else is skipped a run at a time.
_LIST_END = re.compile(
    r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"|\'[^\'\\\n]*(?:\\.[^\'\\\n]*)*\'|(\])|(\n)|[^"\'\]\n]+|["\']'
)


def _list_end(text: str, start: int, limit: int) -> int:
    """Where a list opened at `start` ends: after its ], else at the end of the line or
    `limit` (spaces and a comma before that left out)."""
    position = start + 1
    while position < limit:
        match = _LIST_END.match(text, position, limit)
        if match is None:
            break
        if match.group(1) is not None:
            return match.end()
        if match.group(2) is not None:
            limit = match.start()
            break
        position = match.end()
    end = limit
    while end > start and text[end - 1] in " \t\r,，}":
        end -= 1
    return end


def read_span_objects(reader: _Reader, objects: list[_Object]) -> Reading:
    """Records of the objects of an extraction answer: one per object, its key the decoded
    type, its value the span list as written; slips between objects as for any JSON answer."""
    text, diags, expected = reader.text, reader.diags, reader.expected
    reading = Reading([])
    if reader.array:
        reading.shapes.add(Shape.JSON_ARRAY)
    content_end = len(text.rstrip())
    lists: list[tuple[int, int]] = []
    #: objects whose spacing is compared with the canonical one, once their slips are known
    spacing: list[tuple[int, int, str]] = []
    for index, obj in enumerate(objects):
        if index and expected:
            gap = text[objects[index - 1].end : obj.start]
            if "\n" not in gap and not reader.array:
                reading.shapes.add(Shape.JSON_JOINED)
            elif gap.count("\n") >= 2:
                diags.add(
                    Code.EMPTY_ITEM,
                    objects[index - 1].end,
                    obj.start,
                    "blank line between objects",
                    "skipped",
                )
        found = _object_record(reader, obj, obj.end >= content_end, lists, spacing)
        if found is not None:
            reading.records.append(found)
    if lists:
        _drop_inside(diags, lists)
    if spacing:
        slips = sorted(d.start for d in diags)
        for start, end, canonical in spacing:
            at = bisect_right(slips, end - 1)
            if (at == 0 or slips[at - 1] < start) and text[start:end] != canonical:
                diags.add(
                    Code.PUNCTUATION,
                    start,
                    end,
                    "spacing or key order differs from canonical JSON",
                    "ignored",
                )
    if (
        expected
        and objects
        and text.strip()
        and (text[: objects[0].start].isspace() or text[objects[-1].end :].isspace())
    ):
        diags.add(Code.PUNCTUATION, 0, len(text), "whitespace around the answer", "ignored")
    return reading


def _object_record(
    reader: _Reader,
    obj: _Object,
    at_end: bool,
    lists: list[tuple[int, int]],
    spacing: list[tuple[int, int, str]],
) -> Record | None:
    """One object's record (None when it names no type), its field slips reported."""
    text, diags = reader.text, reader.diags
    keys = reader.task.json_keys
    type_key, spans_key = keys.aspect, keys.label
    kind: _Field | None = None
    spans: _Field | None = None
    for fld in obj.fields:
        if fld.key == type_key and kind is None:
            kind = fld
        elif fld.key == spans_key and spans is None:
            spans = fld
    # where the span list is written, and its raw text
    raw_start = raw_end = -1
    if spans is not None:
        position = spans.key_end
        limit = obj.end - 1 if obj.closed else obj.end
        for fld in obj.fields:
            if fld.key_start > position and fld is kind:
                limit = min(limit, fld.key_start)
        while position < limit and (text[position].isspace() or text[position] in ":："):
            position += 1
        if position < limit and text[position] == "[":
            raw_start, raw_end = position, _list_end(text, position, limit)
        elif spans.has_value:
            raw_start, raw_end = spans.span
        if raw_start >= 0:
            lists.append((raw_start, raw_end))
    inside = (lambda at: raw_start <= at < raw_end) if raw_start >= 0 else (lambda at: False)
    for fld in obj.fields:
        if fld is kind or fld is spans or inside(fld.key_start):
            continue
        diags.add(
            Code.EXTRA_TEXT, fld.key_start, fld.span[1], f"unexpected field {fld.key!r}", "ignored"
        )
    if kind is None and spans is None:
        if not obj.fields and obj.closed:
            diags.add(Code.EMPTY_ITEM, obj.start, obj.end, "empty object", "skipped")
        elif at_end and not obj.closed:
            diags.add(
                Code.TRUNCATED,
                obj.start,
                len(text),
                "the output ends inside an object before its type and spans",
                "dropped",
            )
        else:
            diags.add(
                Code.MALFORMED_ITEM,
                obj.start,
                obj.end,
                f"object without {type_key!r} or {spans_key!r}: "
                f"{preview(text[obj.start : obj.end])!r}",
                "dropped",
            )
        return None
    truncated = at_end and not obj.closed
    list_cut = truncated and raw_start >= 0
    if truncated and not list_cut:
        diags.add(
            Code.TRUNCATED,
            obj.start,
            len(text),
            "the output ends inside an object before its span list",
            "its spans are lost",
        )
    elif not obj.closed and not obj.bare and not truncated:
        diags.add(Code.JSON_SYNTAX, obj.end, obj.end, "missing closing brace", "inserted")
    if kind is None or kind.value_span is None:
        if not truncated:
            diags.add(
                Code.MISSING_FIELD,
                obj.start,
                obj.end,
                f"object without its {type_key!r} field",
                "its spans dropped",
            )
        return None
    type_start, type_end = kind.value_span
    if raw_start < 0:
        if not truncated:
            diags.add(
                Code.MISSING_FIELD,
                obj.start,
                obj.end,
                f"object without its {spans_key!r} field",
                "read as no span",
                severity=Severity.ERROR,
            )
        return record(
            kind.value, type_start, type_end, None, type_end, type_end, obj.start, obj.end
        )
    raw = text[raw_start:raw_end]
    if reader.expected and obj.closed and not obj.bare and raw.startswith("["):
        canonical = (
            "{"
            + json.dumps(type_key, ensure_ascii=False)
            + ": "
            + text[type_start:type_end]
            + ", "
            + json.dumps(spans_key, ensure_ascii=False)
            + ": "
            + raw
            + "}"
        )
        spacing.append((obj.start, obj.end, canonical))
    return record(kind.value, type_start, type_end, raw, raw_start, raw_end, obj.start, obj.end)


def _drop_inside(diags: Diagnostics, lists: list[tuple[int, int]]) -> None:
    """Remove the JSON-syntax diagnostics the object reader raised for tokens starting inside
    span lists (the schema reads the lists and reports their own slips): one pass, a bisect
    per diagnostic."""
    lists.sort()
    starts = [s for s, _ in lists]
    kept = []
    for d in diags:
        if d.code is Code.JSON_SYNTAX:
            at = bisect_right(starts, d.start) - 1
            if at >= 0 and d.start < lists[at][1]:
                continue
        kept.append(d)
    diags[:] = kept


def render_span_object(key: str | int, spans: list[str], task: Task) -> str:
    """One canonical object of an extraction task: the type (or its code) and its span list,
    ``ensure_ascii=False`` spacing."""
    keys = task.json_keys
    dump = json.dumps
    return (
        "{"
        + dump(keys.aspect, ensure_ascii=False)
        + ": "
        + dump(key, ensure_ascii=False)
        + ", "
        + dump(keys.label, ensure_ascii=False)
        + ": "
        + dump(spans, ensure_ascii=False)
        + "}"
    )
