"""Unwrapping: before layout detection, the text a chat model wraps around its answer is taken
away, so the readers see the answer as trained and the wrapper costs one typed diagnostic.

* **special tokens** (`special_token`, info): end-of-sequence and chat-template tokens left in
  the output (``</s>``, ``<|im_end|>``, ``<|im_start|>assistant``, ``<|eot_id|>``, ``[/INST]``,
  any ``<|…|>`` up to `TOKEN_MAX` characters);
* **reasoning** (`reasoning_block`): a closed ``<think>…</think>`` (``<thinking>``,
  ``<reasoning>``) block, or reasoning ended by a lone ``</think>`` whose opening tag was in the
  prompt template, is info; a ``<think>`` never closed is a warning, and only the tag goes;
* **markdown** (`markdown`, warning): line-initial bullets, numbering and heading marks, bold,
  italic and code marks around text on one line, and a markdown table, rewritten as one pair
  per row (the first column the key, the column naming labels the value).

Nothing inside a JSON string is touched, except emphasis marks around the whole aspect or
label field. The unwrapped text keeps a map back to the original (`fold.Spliced`), so every
diagnostic of the reading points into the original output. Linear time: every pattern is a
bounded regex, and one cheap search decides whether there is anything to do at all.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from .design import Design, Format
from .diagnostics import Code, Diagnostic, Severity, make
from .fold import Spliced
from .layouts.base import ValueKind, Vocabulary
from .records import preview
from .task import Task

#: the longest name of a generic ``<|…|>`` token
TOKEN_MAX = 40
#: the longest text emphasis marks may enclose (one line)
EMPHASIS_MAX = 200
#: findings removed at most; past them (a long output of junk) the rest is read as it is
MAX_FINDINGS = 20_000
#: notes of one kind reported one by one; the rest of that kind share one note
NOTES_PER_KIND = 50
#: table rows rewritten at most (all tables together), and the rows whose cells are asked which
#: column holds labels
MAX_ROWS = 2_000
JUDGED_ROWS = 64

_NAMED_TOKENS = (
    r"</s>|<s>|<eos>|<bos>|<pad>|<end_of_turn>|<start_of_turn>(?:model|user)?"
    r"|\[/?INST\]|<<SYS>>|<</SYS>>"
)
#: a chat role written right after the token that opens a turn
_ROLE = r"(?:assistant|user|system|model)"
_TOKEN = re.compile(
    rf"<\|start_header_id\|>{_ROLE}?<\|end_header_id\|>"
    rf"|<\|im_start\|>{_ROLE}?"
    rf"|<\|[A-Za-z0-9_.:/ -]{{1,{TOKEN_MAX}}}\|>"
    rf"|{_NAMED_TOKENS}",
    re.IGNORECASE,
)
_THINK_TAG = re.compile(r"<(/?)(think|thinking|reasoning)>", re.IGNORECASE)
_LINE_MARK = re.compile(
    r"^[ \t]*(?:"
    r"(?P<bullet>[-*+][ \t]+|[•·][ \t]*)"
    r"|(?P<number>(?:\d{1,3}[.．](?=[ \t])|\d{1,3}[)）、]|[(（]\d{1,3}[)）])[ \t]*)"
    r"|(?P<heading>#{1,6}(?:[ \t]+|$))"
    r")",
    re.MULTILINE,
)
_EMPHASIS = re.compile(
    rf"(?<![*A-Za-z0-9])(?P<m1>\*\*)(?=[^\s*])[^*\n]{{1,{EMPHASIS_MAX}}}(?<=[^\s*])\*\*(?!\*)"
    rf"|(?<![_\w])(?P<m2>__)(?=[^\s_])[^_\n]{{1,{EMPHASIS_MAX}}}(?<=[^\s_])__(?![_\w])"
    rf"|(?<![`\w])(?P<m3>`)[^`\n]{{1,{EMPHASIS_MAX}}}`(?!`)"
    rf"|(?<![*A-Za-z0-9])(?P<m4>\*)(?=[^\s*])[^*\n]{{1,{EMPHASIS_MAX}}}(?<=[^\s*])\*(?![*A-Za-z0-9])"
)
_TABLE_RULE = re.compile(
    r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$", re.MULTILINE
)
_BAR = re.compile(r"\|")
#: special tokens glued to the end of a table row, and emphasis marks around a whole cell
_GLUED_TOKENS = re.compile(rf"(?:{_TOKEN.pattern})+[ \t]*$", re.IGNORECASE)
_CELL_MARKS = ("**", "__", "`", "*")
#: a JSON string on one line, and where JSON may start on a line
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_JSON_OPENING = re.compile(r"^[^{\[\n]*[{\[]", re.MULTILINE)
#: the cheap test: something any step below could act on
_TRIGGER = re.compile(
    rf"<\|[^\n]{{0,{TOKEN_MAX + 40}}}\|>|{_NAMED_TOKENS}|</?(?:think|thinking|reasoning)>"
    r"|^[ \t]*(?:[-*+][ \t]|[•·]|\d{1,3}[.．)）、]|[(（]\d|#)|\*|__|`|\|",
    re.IGNORECASE | re.MULTILINE,
)
#: a character class every trigger match contains, searched first: a C-speed scan without the
#: per-line anchor (10 MB of line breaks: 10 ms instead of 300 ms per search)
_MAYBE = re.compile(r"[<\[*_`|#•·(（+\-]|\d[.．)）、]")
_SPACE = " \t\r\n"

#: what a markdown line mark is called in messages
_MARK_NAMES = {"bullet": "a list bullet", "number": "list numbering", "heading": "heading marks"}
_EMPHASIS_NAMES = {"m1": "bold", "m2": "bold", "m3": "code", "m4": "italic"}


@dataclass(frozen=True, slots=True)
class Unwrapped(Spliced):
    """The unwrapped text, where each stretch came from, and a note on each removal."""

    text: str
    starts: tuple[int, ...]
    origins: tuple[int, ...]
    #: the original end of each stretch (inserted marks are clamped to what they replace)
    ends: tuple[int, ...]
    notes: tuple[Diagnostic, ...]

    def limit(self, index: int) -> int | None:
        return self.ends[index]


@dataclass(frozen=True, slots=True)
class _Edit:
    """Replace original [start, end) by `insert` ("" removes it)."""

    start: int
    end: int
    insert: str = ""


class _Edits:
    """The edits found so far, with their notes, and the regions already claimed (a later step
    never edits inside an earlier one's region)."""

    def __init__(self) -> None:
        self.edits: list[_Edit] = []
        self.notes: list[Diagnostic] = []
        self.claimed: list[tuple[int, int]] = []  # sorted, disjoint

    def free(self, start: int, end: int) -> bool:
        """Whether [start, end) overlaps no claimed region."""
        i = bisect_right(self.claimed, (start, 1 << 62)) - 1
        for j in (i, i + 1):
            if 0 <= j < len(self.claimed):
                a, b = self.claimed[j]
                if a < end and start < b:
                    return False
        return True

    def claim(self, start: int, end: int) -> None:
        i = bisect_right(self.claimed, (start, 1 << 62))
        self.claimed.insert(i, (start, end))

    @property
    def full(self) -> bool:
        """Whether MAX_FINDINGS were taken (the later steps then stop)."""
        return len(self.notes) >= MAX_FINDINGS

    def add(self, edits: list[_Edit], note: Diagnostic, region: tuple[int, int]) -> bool:
        """Take the edits of one finding if its region is free; False when it is not."""
        if self.full or not self.free(*region):
            return False
        self.claim(*region)
        self.edits.extend(edit for edit in edits if edit.end > edit.start or edit.insert)
        self.notes.append(note)
        return True

    def grouped_notes(self) -> tuple[Diagnostic, ...]:
        """The notes in text order, past NOTES_PER_KIND of one kind (code, severity, repair)
        one note for the rest of that kind."""
        kept: list[Diagnostic] = []
        rest: dict[tuple[Code, Severity, str], list[Diagnostic]] = {}
        counts: dict[tuple[Code, Severity, str], int] = {}
        for note in sorted(self.notes, key=lambda d: (d.start, d.end)):
            kind = (note.code, note.severity, note.repair)
            counts[kind] = counts.get(kind, 0) + 1
            if counts[kind] <= NOTES_PER_KIND:
                kept.append(note)
            else:
                rest.setdefault(kind, []).append(note)
        for (code, severity, repair), notes in rest.items():
            kept.append(
                make(
                    code,
                    notes[0].start,
                    notes[-1].end,
                    f"{len(notes):,} more like the one before: " + notes[0].message,
                    repair,
                    severity,
                )
            )
        return tuple(sorted(kept, key=lambda d: (d.start, d.end)))


def unwrap(text: str, task: Task, design: Design, vocabulary: Vocabulary) -> Unwrapped | None:
    """The text without its chat wrapper and markdown decoration, or None when there is none
    (then the output is read exactly as before)."""
    if _MAYBE.search(text) is None or _TRIGGER.search(text) is None:
        return None
    found = _Edits()
    strings = _json_strings(text)
    _reasoning(text, strings, found)
    _tokens(text, strings, found)
    _tables(text, task, design, vocabulary, found)
    _line_marks(text, found)
    _emphasis(text, task, strings, found)
    if not found.edits:
        return None
    return _apply(text, found)


# ---- the steps ------------------------------------------------------------------------------


def _inside(strings: list[tuple[int, int]], pos: int) -> bool:
    """Whether `pos` is inside the contents of one of the JSON strings (sorted, disjoint
    [start, end) spans, quotes included)."""
    i = bisect_right(strings, (pos, 1 << 62)) - 1
    return i >= 0 and strings[i][0] < pos < strings[i][1] - 1


def _json_strings(text: str) -> list[tuple[int, int]]:
    """The double-quoted strings of each line from its first { or [ on: the JSON layouts'
    strings, whose contents are the model's own words (a think block or a token may come
    before the object on its line)."""
    found: list[tuple[int, int]] = []
    if '"' not in text:
        return found
    for opening in _JSON_OPENING.finditer(text):
        end = text.find("\n", opening.end())
        end = len(text) if end < 0 else end
        found.extend(match.span() for match in _STRING.finditer(text, opening.end() - 1, end))
    return found


def _reasoning(text: str, strings: list[tuple[int, int]], found: _Edits) -> None:
    """<think> blocks: a closed one (nested in an unclosed one of another name too), or the
    reasoning before a first lone </think>, goes whole (info); an opening tag never closed,
    and a stray closing one, go alone (warning)."""
    opened: dict[str, tuple[int, int]] = {}  # the first open tag of each name: (start, end)
    seen_close = False
    for match in _THINK_TAG.finditer(text):
        if found.full:
            break
        start, end = match.span()
        if _inside(strings, start):
            continue
        closing, name = match.group(1) == "/", match.group(2).lower()
        if not closing:
            opened.setdefault(name, (start, end))
            continue
        if name in opened:
            open_at, open_end = opened.pop(name)
            for other in [n for n, (at, _) in opened.items() if at > open_at]:
                del opened[other]  # opened inside this block: removed with it
            found.add(
                [_Edit(open_at, end)],
                make(
                    Code.REASONING_BLOCK,
                    open_at,
                    end,
                    f"a <{name}> block of {end - open_at:,} characters: "
                    + preview(text[open_end:start]),
                    "removed the block",
                ),
                (open_at, end),
            )
            seen_close = True
        elif not opened and not seen_close and found.add(
            [_Edit(0, end)],
            make(
                Code.REASONING_BLOCK,
                0,
                end,
                f"reasoning ended by a lone </{name}> (the block was opened by the prompt "
                "template): " + preview(text[:start]),
                "removed the reasoning",
            ),
            (0, end),
        ):
            seen_close = True
        else:
            found.add(
                [_Edit(start, end)],
                make(
                    Code.REASONING_BLOCK,
                    start,
                    end,
                    f"a stray </{name}> tag",
                    "removed the tag",
                    Severity.WARNING,
                ),
                (start, end),
            )
    for name, (open_at, open_end) in opened.items():
        found.add(
            [_Edit(open_at, open_end)],
            make(
                Code.REASONING_BLOCK,
                open_at,
                open_end,
                f"<{name}> is never closed: the reasoning cannot be told from the answer",
                "removed the tag, read the rest",
                Severity.WARNING,
            ),
            (open_at, open_end),
        )


def _tokens(text: str, strings: list[tuple[int, int]], found: _Edits) -> None:
    """End-of-sequence and chat-template tokens, wherever they are outside JSON strings."""
    for match in _TOKEN.finditer(text):
        if found.full:
            return
        start, end = match.span()
        if _inside(strings, start):
            continue
        found.add(
            [_Edit(start, end)],
            make(
                Code.SPECIAL_TOKEN,
                start,
                end,
                f"the special token {match.group()!r}",
                "removed it",
            ),
            (start, end),
        )


def _line_marks(text: str, found: _Edits) -> None:
    """Bullets, numbering and heading marks at the start of a line."""
    for match in _LINE_MARK.finditer(text):
        if found.full:
            return
        kind = match.lastgroup or "bullet"
        start, end = match.span(kind)
        lead = match.start()
        if end <= start or not found.free(lead, end):
            continue
        found.add(
            [_Edit(start, end)],
            make(
                Code.MARKDOWN,
                start,
                end,
                f"{_MARK_NAMES[kind]} {text[start:end].strip()!r} at the start of a line",
                "removed it",
            ),
            (lead, end),
        )


def _emphasis(text: str, task: Task, strings: list[tuple[int, int]], found: _Edits) -> None:
    """Bold, italic and code marks around text on one line; inside a JSON string only around
    the whole aspect or label field."""
    keys = task.json_keys
    field_heads = re.compile(
        r'"(?:' + re.escape(keys.aspect) + "|" + re.escape(keys.label) + r')"\s*:\s*"$'
    )
    for match in _EMPHASIS.finditer(text):
        if found.full:
            return
        kind = match.lastgroup or "m1"
        start, end = match.span()
        width = len(match.group(kind))
        if _inside(strings, start) or _inside(strings, end - 1):
            i = bisect_right(strings, (start, 1 << 62)) - 1
            if i < 0 or strings[i] != (start - 1, end + 1):
                continue  # inside a string, and not the whole of it
            line = text.rfind("\n", max(0, start - 80), start) + 1
            if field_heads.search(text[max(line, start - 80) : start]) is None:
                continue  # a description (or another field): the model's own words
        inner = text[start + width : end - width]
        found.add(
            [_Edit(start, start + width), _Edit(end - width, end)],
            make(
                Code.MARKDOWN,
                start,
                end,
                f"{_EMPHASIS_NAMES[kind]} marks around {preview(inner)!r}",
                "removed the marks",
            ),
            (start, end),
        )


def _tables(
    text: str, task: Task, design: Design, vocabulary: Vocabulary, found: _Edits
) -> None:
    """A markdown table (a header row, a |---| rule, rows): one pair per row, written with the
    task's colon, joined as the design joins its pairs."""
    if "|" not in text or "-" not in text:
        return
    after = 0  # where the last table ended
    budget = MAX_ROWS
    for rule in _TABLE_RULE.finditer(text):
        if found.full or budget <= 0:
            return
        start, end = rule.span()
        if start < after or "|" not in rule.group() or start == 0:
            continue
        head_start = text.rfind("\n", 0, start - 1) + 1
        if "|" not in text[head_start : start - 1]:
            continue
        rows: list[list[tuple[int, int]]] = []
        at = end + 1
        last = end
        while at <= len(text) and len(rows) < budget:
            stop = text.find("\n", at)
            stop = len(text) if stop < 0 else stop
            glued = _GLUED_TOKENS.search(text, at, stop)  # `| a | b |</s>`: the token is not a cell
            if glued is not None:
                stop = glued.start()
            cells = _cells(text, at, stop) if "|" in text[at:stop] else []
            if not cells:
                break
            rows.append(cells)
            last = stop
            at = stop + 1
            if glued is not None:  # the answer ends with the token
                break
        after = last
        budget -= len(rows)
        if rows:
            _table(text, task, design, vocabulary, found, (head_start, last), rows)


def _cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The cells of a table row, each [start, end) without its spaces; [] when it has fewer
    than two."""
    bars = [match.start() for match in _BAR.finditer(text, start, end)]
    lead = text[start:end].lstrip(" \t")
    trail = text[start:end].rstrip(" \t")
    bounds = bars
    if not lead.startswith("|"):
        bounds = [start - 1, *bounds]
    if not trail.endswith("|"):
        bounds = [*bounds, end]
    cells = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        a += 1
        while a < b and text[a] in " \t":
            a += 1
        while b > a and text[b - 1] in " \t":
            b -= 1
        for mark in _CELL_MARKS:  # **food** in a cell: the table's rewrite drops the marks
            if b - a > 2 * len(mark) and text.startswith(mark, a) and text.endswith(mark, a, b):
                a, b = a + len(mark), b - len(mark)
                break
        cells.append((a, b))
    return cells if len(cells) >= 2 else []


def _table(
    text: str,
    task: Task,
    design: Design,
    vocabulary: Vocabulary,
    found: _Edits,
    region: tuple[int, int],
    rows: list[list[tuple[int, int]]],
) -> None:
    """One table's rows as pairs: the header and rule go, each row becomes key, colon, value."""
    column = _value_column(text, vocabulary, rows)
    kv = task.punctuation.key_value
    pairs_natural = design.format is Format.NATURAL
    joiner = task.punctuation.pair_separator if pairs_natural else "\n"
    ending = task.punctuation.terminator if pairs_natural else ""
    edits = []
    at = region[0]
    for index, cells in enumerate(rows):
        key = cells[0]
        value = cells[column] if column < len(cells) else (cells[-1][1], cells[-1][1])
        edits.append(_Edit(at, key[0], joiner if index else ""))
        edits.append(_Edit(key[1], value[0], kv))
        at = value[1]
    edits.append(_Edit(at, region[1], ending))
    found.add(
        edits,
        make(
            Code.MARKDOWN,
            region[0],
            region[1],
            f"a markdown table of {len(rows)} rows",
            f"read each row as a pair (column 1 the aspect, column {column + 1} the label)",
        ),
        region,
    )


def _value_column(text: str, vocabulary: Vocabulary, rows: list[list[tuple[int, int]]]) -> int:
    """The column whose every cell names a label (a label as written or a synonym first, then
    any text holding one), judged on the first JUDGED_ROWS rows; when no single column does,
    the second."""
    judged = rows[:JUDGED_ROWS]
    width = min(len(cells) for cells in judged)
    strict = (ValueKind.CANONICAL, ValueKind.OTHER_KIND, ValueKind.SYNONYM)
    kinds = [
        [vocabulary.value_kind(text[a:b]) for a, b in (cells[c] for cells in judged)]
        for c in range(width)
    ]
    for accepted in (strict, (*strict, ValueKind.CONTAINS)):
        columns = [c for c in range(1, width) if all(k in accepted for k in kinds[c])]
        if len(columns) == 1:
            return columns[0]
        if columns:
            break
    return 1


# ---- the unwrapped text ---------------------------------------------------------------------


def _apply(text: str, found: _Edits) -> Unwrapped:
    """The edits applied, the removed text at either end taking its neighbouring spaces along
    (so unwrapping adds no stray whitespace to the answer)."""
    edits = sorted(found.edits, key=lambda e: (e.start, e.end))
    edits = _trim_ends(text, edits)
    pieces: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    ends: list[int] = []
    size = at = 0

    def keep(piece: str, origin: int, end: int) -> None:
        nonlocal size
        if piece:
            starts.append(size)
            origins.append(origin)
            ends.append(end)
            pieces.append(piece)
            size += len(piece)

    for edit in edits:
        if edit.start < at:  # overlapping: the earlier edit wins
            continue
        keep(text[at : edit.start], at, edit.start)
        keep(edit.insert, edit.start, max(edit.end, edit.start))
        at = edit.end
    keep(text[at:], at, len(text))
    if not starts:
        starts, origins, ends = [0], [len(text)], [len(text)]
    notes = found.grouped_notes()
    return Unwrapped("".join(pieces), tuple(starts), tuple(origins), tuple(ends), notes)


def _trim_ends(text: str, edits: list[_Edit]) -> list[_Edit]:
    """Where only removals and whitespace lie before the first kept character (or after the
    last), that whitespace goes too."""
    if not edits:
        return edits
    first = _first_kept(text, edits)
    if edits[0].start < first:  # only removals and spaces before `first`
        edits = [_Edit(0, first)] + [e for e in edits if e.start >= first]
    last = _last_kept(text, edits)
    if edits[-1].end > last:  # only removals and spaces after `last`
        edits = [e for e in edits if e.end <= last] + [_Edit(last, len(text))]
    return edits


def _first_kept(text: str, edits: list[_Edit]) -> int:
    """The first position that is neither removed nor whitespace (len(text) if none)."""
    at = 0
    for edit in edits:
        while at < edit.start and text[at] in _SPACE:
            at += 1
        if at < edit.start or edit.insert:
            return at
        at = max(at, edit.end)
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at


def _last_kept(text: str, edits: list[_Edit]) -> int:
    """The end of the last character that is neither removed nor whitespace (0 if none)."""
    at = len(text)
    for edit in reversed(edits):
        while at > edit.end and text[at - 1] in _SPACE:
            at -= 1
        if at > edit.end or edit.insert:
            return at
        at = min(at, edit.start)
    while at > 0 and text[at - 1] in _SPACE:
        at -= 1
    return at
